/**
 * `diffrg prg <activity> [--bin 10ms] [--graph g.csv] [--max-level k] [--bootstrap B]
 * [--seed S] [--shuffle] [--json] [--out DIR]`: the phenomenological RG of activity (Meshulam et al. 2019)
 * and its scaling exponents with intervals; with `--graph`, the same statistics along the
 * Laplacian-RG supernodes of the graph's flow, side by side (docs/prg.md).
 */
import { type Command, Option } from 'commander';
import * as path from 'node:path';
import { phenomenologicalRg, prgJson, type PrgHierarchy, type Exponent } from '../../prg';
import { readActivity, activityIds } from '../../io/activity';
import type { Graph } from '../../graph';
import { addGraphOptions, activityGraphFromCli, type GraphCliOptions } from '../graph-options';
import { addCommonOptions, info, intOption, numberOption, printJson, UsageError, writeJson, seedOption, withProgress } from '../common';
import { parseDuration } from './infer';

interface Opts extends GraphCliOptions {
  graph?: string;
  bin?: number;
  maxLevel?: number;
  minClusters?: number;
  bootstrap?: number;
  seed?: number;
  maxLag?: number;
  normalize: boolean;
  shuffle?: boolean;
  steps: number;
  fraction: number;
  out?: string;
  json?: boolean;
  threads?: number;
}

function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toPrecision(digits);
}

function exp(e: Exponent | null): string {
  return e ? `${fmt(e.value, 3)} [${fmt(e.ci[0], 3)}, ${fmt(e.ci[1], 3)}]${e.null !== null ? ` (null ${fmt(e.null, 3)})` : ''}` : '-';
}

function table(name: string, h: PrgHierarchy): string {
  const lines = [`${name}`, `  level  K        clusters  variance    P(silence)  -lnP0       tau(s)`];
  h.levels.forEach((l, k) => {
    lines.push(`  ${String(k).padEnd(6)} ${fmt(l.meanSize, 4).padEnd(8)} ${String(l.clusters).padEnd(9)} ${fmt(l.variance).padEnd(11)} ${fmt(l.silence).padEnd(11)} ${fmt(l.freeEnergy).padEnd(11)} ${fmt(l.autocorrelationTime, 3)}`);
  });
  const e = h.exponents;
  lines.push(`  alpha~ (variance) ${exp(e.variance)}   beta~ (-ln P0) ${exp(e.silence)}   mu (spectrum) ${exp(e.spectrum)}   z~ (tau) ${exp(e.autocorrelation)}`);
  for (const d of h.diagnostics) lines.push(`  note: ${d}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  addGraphOptions(
    addCommonOptions(
      program
        .command('prg')
        .description('phenomenological RG (correlation pairing) of activity and its scaling exponents; with --graph, the same along the Laplacian-RG supernodes')
        .argument('<activity>', 'activity: CSV/TSV spike table (neuron,time), NPY/NPZ spike array or dense raster (neurons x samples), NWB Units table or RoiResponseSeries/TimeSeries')
        .option('--graph <file>', 'graph over the neurons (node ids = neuron ids): its Laplacian RG flow gives the second hierarchy')
        .addOption(new Option('--bin <duration>', 'bin width for spikes; sample period of dense data without a rate (10ms, 0.01s, 500us)').argParser(parseDuration))
        .addOption(new Option('--max-level <k>', 'highest PRG level (clusters of 2^k units)').argParser(intOption('--max-level', 0)))
        .addOption(new Option('--min-clusters <n>', 'make a PRG level only with at least n clusters (default 4)').argParser(intOption('--min-clusters', 1)))
        .addOption(new Option('--bootstrap <b>', 'bootstrap replicates over clusters of the intervals (0: none; default 200)').argParser(intOption('--bootstrap', 0)))
        .addOption(new Option('--seed <s>', 'seed of the bootstrap').argParser(seedOption()))
        .addOption(new Option('--max-lag <frames>', 'largest autocorrelation lag in frames (default 1000)').argParser(intOption('--max-lag', 1)))
        .option('--shuffle', 'also fit the exponents of the data with every unit circularly shifted in time (selection-bias floor, printed as null)')
        .option('--no-normalize', 'do not divide each unit by the mean of its non-zero values')
        .option('--steps <n>', 'RG flow steps (--graph)', intOption('--steps', 1, 0xffffffff), 8)
        .option('--fraction <f>', 'supernodes kept per RG step (--graph)', numberOption('--fraction'), 0.5)
        .option('--out <dir>', 'write prg.json (every level, spectrum and autocorrelation) into this directory'),
    ),
  ).action(async (activity: string, opts: Opts, cmd: Command) => {
    if (opts.bootstrap === 1) throw new UsageError('--bootstrap must be 0 or at least 2');
    if (!(opts.fraction > 0 && opts.fraction < 1)) throw new UsageError(`--fraction must be in (0, 1) (got ${opts.fraction})`);
    const act = await readActivity(activity);
    let graph: Graph | undefined;
    if (opts.graph !== undefined) graph = await activityGraphFromCli(opts.graph, opts, cmd, activityIds(act), activity);
    const r = await withProgress('prg', (onProgress) =>
      phenomenologicalRg(act, {
        binSeconds: opts.bin,
        maxLevel: opts.maxLevel,
        minClusters: opts.minClusters,
        bootstrap: opts.bootstrap,
        seed: opts.seed,
        maxLag: opts.maxLag,
        normalize: opts.normalize,
        shuffle: opts.shuffle,
        graph,
        flow: { policy: 'fraction', fraction: opts.fraction, steps: opts.steps, curvePoints: 0 },
        threads: opts.threads,
        onProgress,
      }),
    );
    const json = prgJson(r);
    if (opts.out) {
      const full = (h: PrgHierarchy) => ({ ...h, levels: h.levels.map((l) => ({ ...l, autocorrelation: Array.from(l.autocorrelation), spectrum: Array.from(l.spectrum), assignment: Array.from(l.assignment) })) });
      await writeJson(path.join(opts.out, 'prg.json'), { ...json, ids: r.ids, prg: full(r.prg), lrg: r.lrg ? full(r.lrg) : null });
    }
    if (opts.json) {
      printJson(json);
      return;
    }
    const head = `diffrg prg: ${r.ids.length} units, ${r.prg.frames} frames of ${r.prg.binSeconds * 1e3} ms${r.flowStopped ? ` (flow: ${r.flowStopped})` : ''}`;
    const parts = [head, table('phenomenological RG (correlation pairing)', r.prg)];
    if (r.lrg) parts.push(table('Laplacian RG supernodes', r.lrg));
    if (opts.out) parts.push(`wrote ${opts.out}/prg.json`);
    info(parts.join('\n'));
  });
}
