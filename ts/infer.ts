/**
 * Directed-graph inference from spike activity: Latent Graph Diffusion (LGD) and the
 * correlation, partial-correlation and VAR/Granger baselines (docs/lgd.md).
 */
import native = require('./native');
import { InvalidInputError } from './errors';
import { callNative, runNative, type RunOptions, checkSeed } from './run';
import { LIMITS } from './limits';
import { f64 } from './spikes';
import { writeFileAtomic } from './io/atomic';

export type InferMethod = 'lgd' | 'correlation' | 'partial-correlation' | 'var';

/** Spike events: `neurons[k]` (any non-negative integer id) fired at `times[k]` seconds. */
export interface SpikeTable {
  neurons: ArrayLike<number>;
  times: ArrayLike<number>;
}

export interface InferOptions extends RunOptions {
  /** @default 'lgd' */
  method?: InferMethod;
  /** Bin width in seconds. @default 0.005 */
  binSeconds?: number;
  /** VAR order in bins (lgd, var). @default 1 */
  maxLag?: number;
  /** Ridge relative to the mean variance. @default 1e-3 */
  ridge?: number;
  /** Circular time-shift surrogates for p-values. @default 19 */
  surrogates?: number;
  /** Smallest surrogate shift in bins. @default 100 */
  minShiftBins?: number;
  /** Fraction of the recording used for fitting when LGD chooses its penalties. @default 0.8 */
  trainFraction?: number;
  /** FDR level used by `edges()`. @default 0.05 */
  alpha?: number;
  /** Compute the continuous-time generator log(A)/dt (lgd, var). @default true */
  generator?: boolean;
  /** Seed (surrogate shifts, randomized SVD). @default 0 */
  seed?: number;
  /** Recording start and end (seconds). @default first and last spike */
  start?: number;
  end?: number;
  /**
   * lgd only: compute shard `index` (0-based) of `count` of the surrogate null (docs/cluster.md);
   * the result's `lgdShard` holds it, merged by `mergeLgdShards` (ts/infer-shard.ts).
   * @default none (the whole run)
   */
  shard?: { index: number; count: number };
}

export interface InferredEdge {
  /** Neuron id (as in the input) that influences `target`. */
  source: number;
  target: number;
  weight: number;
  pvalue: number;
  qvalue: number;
  /**
   * Signed z-score of the coupling against its surrogate null (0 for methods without one):
   * what `diffrg communities` weighs the edges of an inferred graph by.
   */
  zscore: number;
  /** Strongest lag in bins (0 for undirected methods). */
  lag: number;
}

/** A signed weighted directed graph with significance; n x n arrays indexed `s * n + t`. */
export interface InferResult {
  method: InferMethod;
  directed: boolean;
  /** Neuron ids in index order. */
  ids: number[];
  n: number;
  nBins: number;
  binSeconds: number;
  totalSpikes: number;
  weight: Float64Array;
  sparseWeight: Float64Array;
  zscore: Float64Array;
  pvalue: Float64Array;
  qvalue: Float64Array;
  score: Float64Array;
  lag: Uint32Array;
  hidden: { rank: number; singularValues: number[]; targetLoadings: Float64Array };
  lambda: number;
  mu: number;
  iterations: number;
  converged: boolean;
  generator: { defined: boolean; reason: string | null; matrix: Float64Array | null } | null;
  /** Edges with q <= alpha (every off-diagonal pair when alpha >= 1), strongest first. */
  edges(alpha?: number): InferredEdge[];
  /**
   * With `options.shard`: this shard's surrogates (and on shard 0 the null's statistics). The
   * other fields are then shard 0's fit without the null (`zscore`, `pvalue`, `qvalue`,
   * `score` empty), and empty on shards > 0.
   */
  lgdShard?: native.LgdShardJs;
}

function checkNumber(name: string, v: number | undefined, lo: number, hi = Infinity, integer = false): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new InvalidInputError(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}] (got ${v})`);
  }
}

/** Checks the method options shared by {@link inferSpikes} and {@link inferDense}. */
function checkMethodOptions(options: InferOptions): void {
  checkNumber('maxLag', options.maxLag, 1, 1000, true);
  checkNumber('surrogates', options.surrogates, 2, LIMITS.surrogates, true);
  checkSeed(options.seed);
  checkNumber('alpha', options.alpha, Number.MIN_VALUE, 1);
  if (options.shard) {
    checkNumber('shard.count', options.shard.count, 1, LIMITS.surrogates, true);
    checkNumber('shard.index', options.shard.index, 0, options.shard.count - 1, true);
  }
}

/** The native options object: the method options, the bin (sample period) and threads. */
function nativeOptions(options: InferOptions, binSeconds: number) {
  const { signal: _s, onProgress: _p, threads, binSeconds: _b, start: _st, end: _e, ...rest } = options;
  return { ...rest, binSeconds, threads };
}

/** Infers a directed graph among the neurons of a spike table. */
export async function inferSpikes(spikes: SpikeTable, options: InferOptions = {}): Promise<InferResult> {
  const bin = options.binSeconds ?? 0.005;
  checkNumber('binSeconds', bin, Number.MIN_VALUE);
  checkMethodOptions(options);
  // Validation, id indexing and binning happen in the core, in parallel (OwnedRaster::from_spike_table;
  // the binning rule of activity::bin_events, docs/activity-io.md "Binning").
  const r = await runNative(options, (token) => native.inferSpikes(f64(spikes.neurons), f64(spikes.times), bin, options.start, options.end, nativeOptions(options, bin), token));
  const ids = Array.from(r.ids ?? []);
  return wrapResult(r, ids, bin, options);
}

/** The public result object around a native result (`ids` in index order). */
export function wrapResult(r: native.InferResultJs, ids: number[], bin: number, options: InferOptions): InferResult {
  const n = r.n;
  const result: InferResult = {
    method: r.method as InferMethod,
    directed: r.directed,
    ids,
    n,
    nBins: r.nBins,
    binSeconds: bin,
    totalSpikes: r.totalSpikes,
    weight: r.weight,
    sparseWeight: r.sparseWeight,
    zscore: r.zscore,
    pvalue: r.pvalue,
    qvalue: r.qvalue,
    score: r.score,
    lag: r.lag,
    hidden: { rank: r.hiddenRank, singularValues: r.hiddenSingularValues, targetLoadings: r.hiddenTargetLoadings },
    lambda: r.lambda,
    mu: r.mu,
    iterations: r.iterations,
    converged: r.converged,
    lgdShard: r.lgdShard ?? undefined,
    generator: r.generatorDefined === undefined || r.generatorDefined === null ? null : { defined: r.generatorDefined, reason: r.generatorReason ?? null, matrix: r.generator ?? null },
    edges(alpha = options.alpha ?? 0.05) {
      const out: { e: InferredEdge; s: number }[] = [];
      for (let s = 0; s < n; s++) {
        for (let t = 0; t < n; t++) {
          const k = s * n + t;
          if (s === t || (alpha < 1 && !(r.qvalue[k] <= alpha))) continue;
          out.push({ s: r.score[k], e: { source: ids[s], target: ids[t], weight: r.weight[k], pvalue: r.pvalue[k], qvalue: r.qvalue[k], zscore: r.zscore[k], lag: r.lag[k] } });
        }
      }
      out.sort((a, b) => b.s - a.s);
      return out.map((x) => x.e);
    },
  };
  return result;
}

/** Dense activity (e.g. calcium traces or firing rates): `data[i * samples + t]` is neuron `i` at sample `t`. */
export interface DenseActivity {
  neurons: number;
  samples: number;
  data: ArrayLike<number>;
  /** Sampling rate in Hz, when known (sets the sample period). */
  rate?: number;
  /** Ids of the rows. @default 0..neurons-1 */
  ids?: number[];
}

/**
 * Infers a directed graph from dense activity. The samples are the bins (no re-binning);
 * the sample period is `1 / rate` when the rate is known, else `options.binSeconds` (default
 * 1 s); it only scales the continuous-time generator. Same methods and result as
 * {@link inferSpikes} (`totalSpikes` is the sum of the activity).
 */
export async function inferDense(activity: DenseActivity, options: InferOptions = {}): Promise<InferResult> {
  const { neurons, samples, data, rate } = activity;
  checkNumber('neurons', neurons, 1, 2 ** 32 - 1, true);
  checkNumber('samples', samples, 1, 2 ** 32 - 1, true);
  checkMethodOptions(options);
  if (rate !== undefined) checkNumber('rate', rate, Number.MIN_VALUE);
  if (data.length !== neurons * samples) throw new InvalidInputError(`data has ${data.length} values, expected neurons x samples = ${neurons} x ${samples}`);
  const ids = activity.ids ?? Array.from({ length: neurons }, (_, i) => i);
  if (ids.length !== neurons) throw new InvalidInputError(`ids has ${ids.length} entries, expected ${neurons}`);
  const period = rate !== undefined ? 1 / rate : options.binSeconds ?? 1;
  checkNumber('binSeconds', period, Number.MIN_VALUE);
  const values = data instanceof Float64Array ? data : Float64Array.from(data);
  const r = await runNative(options, (token) =>
    native.inferDenseActivity(values, neurons, samples, nativeOptions(options, period), token),
  );
  return wrapResult(r, ids, period, options);
}

/**
 * Writes `source,target,weight,pvalue,zscore` (source influences target) atomically. With `nodes` (the
 * observed neuron ids) a first line `# nodes: id,id,...` lists every node, so neurons without a
 * significant edge stay in the graph as isolated nodes when it is read back (pandas:
 * `read_csv(f, comment="#")`).
 */
export async function writeGraphCsv(file: string, edges: InferredEdge[], nodes?: readonly (number | string)[]): Promise<void> {
  // the node list keeps neurons without a listed edge in the graph (the edge-list reader reads it)
  const header = 'source,target,weight,pvalue,zscore';
  const rows = nodes ? [`# nodes: ${nodes.join(',')}`, header] : [header];
  for (const e of edges) rows.push(`${e.source},${e.target},${e.weight},${e.pvalue},${e.zscore ?? 0}`);
  await writeFileAtomic(file, rows.join('\n') + '\n');
}

/**
 * AUROC (ties count one half) and AUPR (average precision, ties grouped) of `scores` against
 * binary `truth`, computed by the core (the figures of the benchmarks and docs).
 */
export function rankMetrics(scores: ArrayLike<number>, truth: ArrayLike<boolean | number>): { auroc: number; aupr: number } {
  if (scores.length !== truth.length) throw new InvalidInputError(`scores has ${scores.length} entries but truth has ${truth.length}`);
  return callNative(() => native.rankMetrics(Float64Array.from(scores), Uint8Array.from(truth, Number)));
}

/** Matthews correlation coefficient of binary detections against binary truth (0 when a margin is empty). */
export function matthewsCorrelation(detected: ArrayLike<boolean | number>, truth: ArrayLike<boolean | number>): number {
  return callNative(() => native.matthewsCorrelation(Uint8Array.from(detected, Number), Uint8Array.from(truth, Number)));
}
