/**
 * `diffrg scan <graph>`: spectral scan of the network density matrix (entropy, specific heat,
 * spectral dimension over tau), entropy transitions and the scale-invariance plateau.
 */
import { type Command, Option } from 'commander';
import { spectralScan, slqShard, scanJson, scanSvg, type ScanOptions, type ShardSpec } from '../../spectral';
import { writeFilesAtomic } from '../../io/atomic';
import { sha256File } from '../../io/checksum';
import { SLQ_SHARD_FORMAT, writeSlqShardFile } from '../../io/slq-shard';
import { addCommonOptions, info, intOption, numberOption, jsonText, printJson, UsageError, seedOption, withProgress } from '../common';
import { addGraphOptions, loadGraphFromCli, type GraphCliOptions } from '../graph-options';
import { LIMITS } from '../../limits';

/** The scan's own options come straight from `ScanOptions`; the CLI adds output flags. */
interface ScanCliOptions
  extends GraphCliOptions,
    Pick<ScanOptions, 'laplacian' | 'method' | 'tauMin' | 'tauMax' | 'tauCount' | 'probes' | 'steps' | 'seed' | 'deflate' | 'threads'> {
  shard?: ShardSpec;
  json?: boolean;
  out?: string;
  plot?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('scan')
    .description('spectral scan: S(tau), C(tau), d_s(tau), entropy transitions and the C plateau')
    .argument('<graph>', 'graph file: edge list (csv/tsv/txt), dense adjacency (csv, npy) or Matrix Market (.mtx)')
    .addOption(new Option('--laplacian <kind>', 'Laplacian').choices(['combinatorial', 'normalized', 'random-walk']).default('combinatorial'))
    .addOption(new Option('--method <method>', 'exact (dense), slq (stochastic Lanczos) or auto (exact for N <= 4000)').choices(['auto', 'exact', 'slq']).default('auto'))
    .addOption(new Option('--tau-min <tau>', 'smallest tau (default: 0.01 / lambda_max)').argParser(numberOption('--tau-min', true)))
    .addOption(new Option('--tau-max <tau>', 'largest tau, inclusive (default: (10 + ln N) / lambda_2)').argParser(numberOption('--tau-max', true)))
    .addOption(new Option('--tau-count <n>', 'number of log-spaced tau values').argParser(intOption('--tau-count', 1, LIMITS.tauCount)).default(200))
    .addOption(new Option('--probes <n>', 'SLQ probes').argParser(intOption('--probes', 2, LIMITS.probes)))
    .addOption(new Option('--steps <n>', 'SLQ Lanczos steps per probe').argParser(intOption('--steps', 1, LIMITS.lanczosSteps)))
    .addOption(new Option('--seed <n>', 'SLQ seed').argParser(seedOption()))
    .addOption(new Option('--deflate <n>', 'SLQ: lowest eigenpairs deflated exactly (0 = null space only; default automatic, off with --shard)').argParser(intOption('--deflate', 0, 0xffffffff)))
    .addOption(new Option('--shard <i/K>', 'SLQ: compute only shard i (0-based) of K of the probes and write them to --out; merge the K files with `diffrg merge`').argParser(shardOption))
    .option('--out <file.json>', 'write the full result (with error bars and diagnostics) as JSON')
    .option('--plot <file.svg>', 'write an SVG plot of S/ln N and C against tau');
  addGraphOptions(addCommonOptions(cmd)).action(async (file: string, o: ScanCliOptions) => {
    let { tauMin, tauMax } = o;
    if ((tauMin === undefined) !== (tauMax === undefined)) {
      // One end given: the other keeps the issue's documented defaults (1e-4 .. 1e5).
      tauMin ??= 1e-4;
      tauMax ??= 1e5;
    }
    if (tauMin !== undefined && tauMax !== undefined && tauMax < tauMin) throw new UsageError(`--tau-max (${tauMax}) must be >= --tau-min (${tauMin})`);
    const { graph } = await loadGraphFromCli(file, o);
    if (o.shard) {
      if (o.method === 'exact') throw new UsageError('--shard splits the probes of an SLQ scan: use --method slq (or auto)');
      if (!o.out) throw new UsageError('--shard needs --out <shard.json> (the file `diffrg merge` reads)');
      if (o.plot) throw new UsageError('--plot needs the whole scan: plot the output of `diffrg merge`');
      const options = { laplacian: o.laplacian, probes: o.probes, steps: o.steps, seed: o.seed, deflate: o.deflate, tauMin, tauMax, tauCount: o.tauCount };
      const data = await withProgress('scan shard', (onProgress) => slqShard(graph, o.shard!, { ...options, threads: o.threads, onProgress }));
      await writeSlqShardFile(o.out, {
        format: SLQ_SHARD_FORMAT,
        version: 1,
        diffrgVersion: require('../../../package.json').version,
        shard: o.shard,
        run: { input: file, inputSha256: sha256File(file), options },
        data,
      });
      const summary = { shard: o.shard, n: data.n, firstProbe: data.firstProbe, probes: data.lengths.length, totalProbes: data.totalProbes, out: o.out };
      if (o.json) printJson(summary);
      else info(`${file}: shard ${o.shard.index}/${o.shard.count}: probes ${data.firstProbe}..${data.firstProbe + data.lengths.length - 1} of ${data.totalProbes} -> ${o.out}`);
      return;
    }
    const r = await withProgress('scan', (onProgress) =>
      spectralScan(graph, {
        laplacian: o.laplacian,
        method: o.method,
        tauMin,
        tauMax,
        tauCount: o.tauCount,
        probes: o.probes,
        steps: o.steps,
        seed: o.seed,
        deflate: o.deflate,
        threads: o.threads,
        onProgress,
      }),
    );
    // the plot is rendered before anything is written: a failed plot writes no JSON either
    const outputs = [...(o.out ? [{ file: o.out, data: jsonText(r) }] : []), ...(o.plot ? [{ file: o.plot, data: await scanSvg(r, file) }] : [])];
    await writeFilesAtomic(outputs);
    if (o.json) {
      printJson(scanJson(r));
      return;
    }
    info(`${file}: N = ${r.n}, edges = ${r.edges}, components = ${r.components}, method = ${r.method}${r.method === 'slq' ? ` (${r.probes} probes x ${r.steps} steps, ${r.deflated} exact modes)` : ''}`);
    info(`tau in [${r.tau[0]?.toPrecision(3)}, ${r.tau[r.tau.length - 1]?.toPrecision(3)}], ${r.tau.length} values`);
    for (const t of r.transitions) info(`transition: tau = ${t.tau.toPrecision(4)}, C = ${t.specificHeat.toFixed(4)}`);
    info(`plateau: C = ${r.plateau.level.toFixed(4)} over ${r.plateau.decades.toFixed(2)} decades`);
  });
}

/** `--shard i/K`: 0 <= i < K (also `infer --shard`). */
export function shardOption(value: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !(count >= 1) || !(index < count)) throw new UsageError(`--shard must be i/K with 0 <= i < K (0-based; got '${value}')`);
  return { index, count };
}
