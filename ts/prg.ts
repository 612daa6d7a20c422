/**
 * Phenomenological renormalisation group of neural activity (Meshulam et al., PRL 123, 178103,
 * 2019): greedy pairing of the most correlated units into clusters of K = 2^k, the scaling of
 * the clusters' variance, silence, covariance spectrum and autocorrelation time with K, and the
 * same statistics along the Laplacian-RG supernode hierarchy of a graph (docs/prg.md).
 */
import native = require('./native');
import { InvalidInputError } from './errors';
import { runNative, checkSeed, checkInteger, type RunOptions } from './run';
import { activityFrames, activityIds, type Activity } from './io/activity';
import type { Graph } from './graph';
import { coarseScales, type DynamicsOptions } from './dynamics';

export interface PrgOptions extends RunOptions {
  /** Bin width (s) of spike input; the sample period of dense input without a rate. @default 0.01 */
  binSeconds?: number;
  /** Highest PRG level (clusters of 2^maxLevel units). @default as many as `minClusters` allows */
  maxLevel?: number;
  /** A PRG level is made only if it has at least this many clusters. @default 4 (the core's) */
  minClusters?: number;
  /** Divide each unit by the mean of its non-zero values (the paper's convention). @default true */
  normalize?: boolean;
  /** Bootstrap replicates over clusters for the exponents' intervals (0: none). @default 200 */
  bootstrap?: number;
  /** Confidence level of the intervals. @default 0.95 */
  level?: number;
  /** Seed of the bootstrap. @default 0 */
  seed?: number;
  /** Largest autocorrelation lag (frames). @default 1000 */
  maxLag?: number;
  /** Smallest and largest cluster whose member covariance spectrum is computed. @default 4 and 512 */
  spectrumMinSize?: number;
  spectrumMaxSize?: number;
  /**
   * Also fit every exponent on the data with each unit circularly shifted in time by an
   * independent random offset (seeded): cross-correlations destroyed, rates and
   * autocorrelations kept. `Exponent.null` is then the pairing's selection-bias floor. @default false
   */
  shuffle?: boolean;
  /** A second hierarchy given directly: `assignments[k][i]` is the cluster of row `i` at level `k + 1` (-1: left out). */
  assignments?: number[][];
  /** A graph over the rows (node `i` = row `i`): its Laplacian RG flow's supernodes are the second hierarchy. */
  graph?: Graph;
  /** Options of that flow. @default { policy: 'fraction', fraction: 0.5, steps: 8 } */
  flow?: DynamicsOptions['flow'];
}

/** A fitted power-law exponent: least-squares slope on log-log axes, bootstrap interval, regression standard error. */
export interface Exponent {
  value: number;
  ci: [number, number];
  stderr: number | null;
  /** Points fitted (levels; spectrum points for `spectrum`). */
  points: number;
  /** The same exponent of the circularly shifted data (with `shuffle`), else null. */
  null: number | null;
}

export interface PrgLevel {
  /** Index of the level in its hierarchy: for the LRG, the flow step (0: the units; steps with fewer than `minClusters` supernodes are left out). */
  source: number;
  clusters: number;
  /** K: the mean cluster size (units); every PRG cluster of level k has K = 2^k. */
  meanSize: number;
  minSize: number;
  maxSize: number;
  /** Mean over clusters of the variance of the cluster activity (sum of normalised members). */
  variance: number;
  /** Mean over clusters of the fraction of frames where the cluster is silent. */
  silence: number;
  /** -ln(silence), null when the clusters are never silent. */
  freeEnergy: number | null;
  /** Mean autocorrelation at lags 0, 1, ... frames, and its 1/e time in seconds. */
  autocorrelation: Float64Array;
  autocorrelationTime: number | null;
  /** Mean eigenvalues (descending) of the member covariance of the clusters of `spectrumSize` units. */
  spectrum: Float64Array;
  spectrumSize: number;
  spectrumClusters: number;
  /** Cluster of every row at this level (-1: left out). */
  assignment: Int32Array;
}

export interface PrgHierarchy {
  levels: PrgLevel[];
  /** variance: alpha~ (M2 ~ K^alpha); silence: beta~ (-ln P0 ~ K^beta); spectrum: mu (lambda ~ (rank/K)^-mu); autocorrelation: z~ (tau ~ K^z). */
  exponents: { variance: Exponent | null; silence: Exponent | null; spectrum: Exponent | null; autocorrelation: Exponent | null };
  frames: number;
  binSeconds: number;
  diagnostics: string[];
}

export interface PrgResult {
  /** Ids of the input rows. */
  ids: number[];
  /** The phenomenological RG (correlation pairing). */
  prg: PrgHierarchy;
  /** The same statistics along the Laplacian-RG supernodes (`graph`) or the given `assignments`. */
  lrg?: PrgHierarchy;
  /** tau of the flow step of every `lrg` level after the first (with `graph`). */
  taus?: number[];
  flowStopped?: string;
}

function exponent(e: native.ExponentJs | null | undefined): Exponent | null {
  return e ? { value: e.value, ci: [e.ciLow, e.ciHigh], stderr: e.stderr ?? null, points: e.points, null: e.null ?? null } : null;
}

function hierarchy(r: native.PrgResultJs): PrgHierarchy {
  return {
    levels: r.levels.map((l) => ({
      source: l.source,
      clusters: l.clusters,
      meanSize: l.meanSize,
      minSize: l.minSize,
      maxSize: l.maxSize,
      variance: l.variance,
      silence: l.silence,
      freeEnergy: l.freeEnergy ?? null,
      autocorrelation: l.autocorrelation,
      autocorrelationTime: l.autocorrelationTime ?? null,
      spectrum: l.spectrum,
      spectrumSize: l.spectrumSize,
      spectrumClusters: l.spectrumClusters,
      assignment: Int32Array.from(l.assignment, (g) => (g === 0xffffffff ? -1 : g)),
    })),
    exponents: { variance: exponent(r.variance), silence: exponent(r.silence), spectrum: exponent(r.spectrum), autocorrelation: exponent(r.autocorrelation) },
    frames: r.frames,
    binSeconds: r.binSeconds,
    diagnostics: r.diagnostics,
  };
}

function checkOptions(o: PrgOptions): void {
  checkInteger('maxLevel', o.maxLevel, 0);
  checkInteger('minClusters', o.minClusters, 1);
  checkInteger('bootstrap', o.bootstrap, 0);
  if (o.bootstrap === 1) throw new InvalidInputError('bootstrap must be 0 or at least 2');
  checkInteger('maxLag', o.maxLag, 1);
  checkInteger('spectrumMinSize', o.spectrumMinSize, 2);
  checkInteger('spectrumMaxSize', o.spectrumMaxSize, 2);
  checkSeed(o.seed);
  if (o.level !== undefined && !(o.level > 0 && o.level < 1)) throw new InvalidInputError(`level must be in (0, 1) (got ${o.level})`);
  if (o.graph && o.assignments) throw new InvalidInputError('graph and assignments are alternatives: give at most one');
}

/**
 * The phenomenological RG of activity and, with `graph` (or `assignments`), the same scaling
 * statistics along the Laplacian-RG supernode hierarchy. Spike trains are binned at
 * `binSeconds` by the core; dense rows are used sample by sample.
 */
export async function phenomenologicalRg(activity: Activity, options: PrgOptions = {}): Promise<PrgResult> {
  checkOptions(options);
  const ids = activityIds(activity);
  const { assignments, taus, flowStopped, onProgress: rest } = await coarseScales(ids.length, options);
  const nat: native.PrgOptions = {
    maxLevel: options.maxLevel,
    minClusters: options.minClusters,
    normalize: options.normalize,
    bootstrap: options.bootstrap,
    level: options.level,
    seed: options.seed,
    maxLag: options.maxLag,
    spectrumMinSize: options.spectrumMinSize,
    spectrumMaxSize: options.spectrumMaxSize,
    shuffle: options.shuffle,
    assignments: assignments.length === 0 ? undefined : assignments.map((a) => a.map((g) => (g < 0 ? 0xffffffff : g))),
    threads: options.threads,
  };
  const f = activityFrames(activity, options.binSeconds);
  const run = { signal: options.signal, threads: options.threads, onProgress: rest };
  const r = await runNative(run, (token) =>
    (f.kind === 'spikes' ? native.prgSpikes(f.offsets, f.times, f.bin, undefined, undefined, nat, token) : native.prgDense(f.data, f.rows, f.samples, f.period, nat, token)) as Promise<native.PrgOutputJs>,
  );
  const out: PrgResult = { ids, prg: hierarchy(r.prg) };
  if (r.lrg) out.lrg = hierarchy(r.lrg);
  if (taus && out.lrg) out.taus = out.lrg.levels.slice(1).map((l) => taus[l.source - 1]);
  if (flowStopped) out.flowStopped = flowStopped;
  return out;
}

function hierarchyJson(h: PrgHierarchy) {
  return {
    levels: h.levels.map((l) => ({
      source: l.source,
      K: l.meanSize,
      clusters: l.clusters,
      minSize: l.minSize,
      maxSize: l.maxSize,
      variance: l.variance,
      silence: l.silence,
      freeEnergy: l.freeEnergy,
      autocorrelationTime: l.autocorrelationTime,
      spectrumSize: l.spectrumSize,
      spectrum: Array.from(l.spectrum),
    })),
    exponents: h.exponents,
    diagnostics: h.diagnostics,
  };
}

/** The documented JSON of `diffrg prg --json` (stable field names). */
export function prgJson(r: PrgResult) {
  return {
    frames: r.prg.frames,
    binSeconds: r.prg.binSeconds,
    units: r.ids.length,
    prg: hierarchyJson(r.prg),
    lrg: r.lrg ? hierarchyJson(r.lrg) : null,
    taus: r.taus ?? null,
    flowStopped: r.flowStopped ?? null,
  };
}
