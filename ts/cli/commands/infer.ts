/**
 * `diffrg infer <activity> [--bin 5ms] [--method lgd|correlation|partial-correlation|var]
 * [--max-lag P] --out graph.csv [--json]`: directed graph from a spike table, or from dense
 * activity (calcium traces: NWB RoiResponseSeries/TimeSeries, a float NPY raster), whose
 * samples are used as bins (no re-binning; `--bin` is the sample period when the file has no
 * rate).
 * `graph.csv` has `source,target,weight,pvalue,zscore` (`source` influences `target`), written
 * atomically; by default only edges significant at FDR `--alpha` are listed (`--all`: every pair).
 */
import { type Command, Option } from 'commander';
import { inferDense, inferSpikes, writeGraphCsv, type InferMethod, type InferResult, type SpikeTable } from '../../infer';
import { readActivity } from '../../io/activity';
import { InvalidInputError } from '../../errors';
import { addCommonOptions, info, intOption, numberOption, printJson, UsageError, seedOption, warn, warnActivityGuesses, withProgress } from '../common';
import { LIMITS } from '../../limits';
import { sha256File } from '../../io/checksum';
import { LGD_SHARD_FORMAT, writeLgdShardFile } from '../../io/lgd-shard';
import { nativeResult } from '../../infer-shard';
import { shardOption } from './scan';
import type { ShardSpec } from '../../spectral';
import { parseBin } from '../../patterns';

const METHODS: InferMethod[] = ['lgd', 'correlation', 'partial-correlation', 'var'];

/** Parses `5ms`, `0.005s`, `500us` or a bare number of seconds (the facade's `parseBin`; a bad
 * value is a usage error). */
export function parseDuration(value: string): number {
  try {
    return parseBin(value, '--bin');
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message);
    throw err;
  }
}

interface Opts {
  bin: number;
  method: InferMethod;
  maxLag?: number;
  out: string;
  alpha: number;
  all?: boolean;
  surrogates?: number;
  seed?: number;
  generator: boolean;
  json?: boolean;
  threads?: number;
  shard?: ShardSpec;
}

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('infer')
      .description('infer a signed directed graph (source influences target) from spike activity')
      .argument('<activity>', 'activity: CSV/TSV spike table (neuron,time), NPY/NPZ spike array or dense raster (neurons x samples), NWB Units table or RoiResponseSeries/TimeSeries')
      .addOption(new Option('--bin <duration>', 'bin width for spikes; sample period of dense data without a rate (5ms, 0.005s, 500us)').default(0.005, '5ms').argParser(parseDuration))
      .addOption(new Option('--method <method>', 'inference method').choices(METHODS).default('lgd'))
      .addOption(new Option('--max-lag <p>', 'VAR order in bins (lgd, var)').argParser(intOption('--max-lag')))
      .requiredOption('--out <file>', 'output graph CSV (source,target,weight,pvalue,zscore)')
      .addOption(new Option('--alpha <q>', 'FDR level of the listed edges').default(0.05).argParser(numberOption('--alpha', true)))
      .option('--all', 'list every ordered pair, not only significant edges')
      .addOption(new Option('--surrogates <m>', 'circular time-shift surrogates').argParser(intOption('--surrogates', 2, LIMITS.surrogates)))
      .addOption(new Option('--seed <s>', 'seed').argParser(seedOption()))
      .option('--no-generator', 'skip the continuous-time generator (matrix logarithm)')
      .addOption(new Option('--shard <i/K>', 'lgd: compute only shard i (0-based) of K of the surrogates and write it to --out; merge the K files with `diffrg merge`').argParser(shardOption)),
  ).action(async (activity: string, opts: Opts, cmd: Command) => {
    if (opts.alpha > 1) throw new UsageError(`--alpha must be in (0, 1] (got ${opts.alpha})`);
    // a warning, not an error: scripts loop over methods with the same options
    if (opts.maxLag !== undefined && opts.method !== 'lgd' && opts.method !== 'var') warn(`--max-lag is ignored by --method ${opts.method} (it applies to lgd and var)`);
    const act = await readActivity(activity);
    warnActivityGuesses(act, activity, opts.bin, cmd.getOptionValueSource('bin') === 'cli');
    if (act.kind !== 'raster' && act.times.every((t) => t.length === 0)) throw new InvalidInputError(`${activity}: no spikes`);
    const common = {
      method: opts.method,
      maxLag: opts.maxLag,
      surrogates: opts.surrogates,
      seed: opts.seed,
      alpha: opts.alpha,
      generator: opts.generator,
      threads: opts.threads,
      shard: opts.shard,
    };
    if (opts.shard && opts.method !== 'lgd') throw new UsageError('--shard splits the surrogates of an lgd run: use --method lgd');
    let r: InferResult;
    if (act.kind === 'raster') {
      r = await withProgress('inferring', (onProgress) => inferDense(act, { ...common, binSeconds: opts.bin, onProgress }));
    } else {
      const total = act.times.reduce((a, t) => a + t.length, 0);
      const spikes: SpikeTable = { neurons: new Float64Array(total), times: new Float64Array(total) };
      let k = 0;
      act.ids.forEach((id, row) => {
        for (const t of act.times[row]) {
          (spikes.neurons as Float64Array)[k] = id;
          (spikes.times as Float64Array)[k++] = t;
        }
      });
      r = await withProgress('inferring', (onProgress) => inferSpikes(spikes, { ...common, binSeconds: opts.bin, onProgress }));
    }
    if (opts.shard) {
      const o = { method: 'lgd' as const, binSeconds: r.binSeconds, maxLag: opts.maxLag, surrogates: opts.surrogates, seed: opts.seed, alpha: opts.alpha, all: !!opts.all, generator: opts.generator };
      const result = nativeResult(r);
      const lgdShard = result.lgdShard;
      await writeLgdShardFile(opts.out, {
        format: LGD_SHARD_FORMAT,
        version: 1,
        diffrgVersion: require('../../../package.json').version,
        shard: opts.shard,
        run: { input: activity, inputSha256: sha256File(activity), options: o },
        ids: r.ids,
        binSeconds: r.binSeconds,
        input: act.kind === 'raster' ? 'dense' : 'spikes',
        result,
      });
      const part = lgdShard!.part;
      const summary = { shard: opts.shard, neurons: r.n, firstSurrogate: part.first, surrogates: part.surrogates.length / (part.n * part.n), totalSurrogates: part.total, out: opts.out };
      if (opts.json) printJson(summary);
      else info(`${activity}: lgd shard ${opts.shard.index}/${opts.shard.count}: surrogates ${part.first}..${part.first + summary.surrogates - 1} of ${part.total} -> ${opts.out}`);
      return;
    }
    const edges = r.edges(opts.all ? 1 : opts.alpha);
    await writeGraphCsv(opts.out, edges, r.ids);
    const significant = opts.all ? r.edges(opts.alpha).length : edges.length;
    const summary = {
      method: r.method,
      directed: r.directed,
      neurons: r.n,
      bins: r.nBins,
      binSeconds: r.binSeconds,
      input: act.kind === 'raster' ? 'dense' : 'spikes',
      spikes: act.kind === 'raster' ? null : r.totalSpikes,
      edgesWritten: edges.length,
      significantEdges: significant,
      alpha: opts.alpha,
      hiddenRank: r.hidden.rank,
      lambda: r.lambda,
      mu: r.mu,
      converged: r.converged,
      generatorDefined: r.generator?.defined ?? null,
      generatorReason: r.generator?.reason ?? null,
      out: opts.out,
    };
    if (opts.json) {
      printJson(summary);
      return;
    }
    info(
      `diffrg infer (${r.method}): ${r.n} neurons, ${r.nBins} ${act.kind === 'raster' ? 'samples' : 'bins'} of ${r.binSeconds * 1e3} ms` +
        (act.kind === 'raster' ? ' (dense activity)\n' : `, ${r.totalSpikes} spikes\n`) +
        `${significant} edges significant at FDR ${opts.alpha}` +
        (r.method === 'lgd' ? `; hidden low-rank modes: ${r.hidden.rank}` : '') +
        `\nwrote ${edges.length} edges to ${opts.out}`,
    );
  });
}
