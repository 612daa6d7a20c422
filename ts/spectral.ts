import native = require('./native');
import type { Graph } from './graph';
import { runNative, type RunOptions, checkSeed, checkInteger } from './run';
import { InvalidInputError } from './errors';
import { LIMITS } from './limits';
import { renderSvg } from './report/render';
import { scanSpec } from './report/figures';

export type LaplacianKind = 'combinatorial' | 'normalized' | 'random-walk';
export type ScanMethod = 'auto' | 'exact' | 'slq';

export interface ScanOptions extends RunOptions {
  /** Which Laplacian defines rho(tau) = exp(-tau L) / Z. @default 'combinatorial' */
  laplacian?: LaplacianKind;
  /** `exact` (dense eigenvalues), `slq` (stochastic Lanczos quadrature) or `auto` (exact for N <= 4000). @default 'auto' */
  method?: ScanMethod;
  /** Smallest tau of the log-spaced grid (give with `tauMax`). @default 0.01 / lambda_max */
  tauMin?: number;
  /** Largest tau of the grid, inclusive (give with `tauMin`). @default (10 + ln N) / lambda_2 */
  tauMax?: number;
  /** Number of tau values (at most 1e8). @default 200 */
  tauCount?: number;
  /** SLQ: Rademacher probes (2 to 100000). @default 30 */
  probes?: number;
  /** SLQ: Lanczos steps per probe. @default 100 */
  steps?: number;
  /** SLQ: seed of the probes. @default 42 */
  seed?: number;
  /** SLQ: reorthogonalisation. @default 'auto' (full for N <= 50,000) */
  reorth?: 'auto' | 'full' | 'none';
  /** SLQ: number of lowest eigenpairs deflated exactly (0 = none). @default automatic */
  deflate?: number;
  /** Transition prominence threshold, fraction of max C. @default 0.05 */
  prominence?: number;
  /** Plateau flatness tolerance, relative to its level. @default 0.1 */
  plateauTolerance?: number;
}

/** A local maximum of C(tau) (entropy transition). */
export interface Transition {
  tau: number;
  specificHeat: number;
  /** Height above the higher separating minimum. */
  prominence: number;
}

/** The widest flat stretch of C(tau); `decades` measures scale invariance. */
export interface Plateau {
  level: number;
  decades: number;
  tauStart: number;
  tauEnd: number;
}

/** Curves of the network density matrix on a log-spaced tau grid (natural logs). */
export interface ScanResult {
  n: number;
  edges: number;
  /** The method actually used: 'exact' or 'slq'. */
  method: string;
  tau: number[];
  /** S(tau) = ln Z + tau <lambda>. */
  entropy: number[];
  /** S(tau) / ln N. */
  entropyNormalized: number[];
  /** C(tau) = -dS/d ln tau = tau^2 Var(lambda). */
  specificHeat: number[];
  /** d_s(tau) = 2 tau <lambda>. */
  spectralDimension: number[];
  transitions: Transition[];
  plateau: Plateau;
  /** SLQ only: jackknife standard error of S(tau). */
  entropyStderr?: number[];
  /** SLQ only: jackknife standard error of C(tau). */
  specificHeatStderr?: number[];
  /** Connected components (zero eigenvalues). */
  components: number;
  lambdaMax: number;
  lambdaMinNonzero?: number;
  /** SLQ diagnostics. */
  probes: number;
  steps: number;
  deflated: number;
}

/**
 * Entropy, specific heat and spectral dimension of rho(tau) over a tau grid, with entropy
 * transitions (peaks of C) and the scale-invariance plateau. Exact for small graphs,
 * stochastic Lanczos quadrature (with error bars) for large ones.
 */
export async function spectralScan(graph: Graph, options: ScanOptions = {}): Promise<ScanResult> {
  const { signal: _s, onProgress: _p, ...rest } = options;
  checkScanOptions(rest);
  const r: ScanResult = await runNative(options, (token) => native.spectralScan(graph.native, rest, token));
  if (r.entropyStderr == null) delete r.entropyStderr;
  if (r.specificHeatStderr == null) delete r.specificHeatStderr;
  if (r.lambdaMinNonzero == null) delete r.lambdaMinNonzero;
  return r;
}

function checkScanOptions(rest: ScanOptions): void {
  // upper bounds: the tau grid and the per-probe records are stored whole (tauCount = 1e9 ran for
  // minutes toward ~64 GB; probes = 1e9 made a 56 GB allocation that aborts the process)
  checkInteger('tauCount', rest.tauCount, 1, LIMITS.tauCount);
  checkInteger('probes', rest.probes, 2, LIMITS.probes);
  checkInteger('steps', rest.steps, 1, LIMITS.lanczosSteps);
  checkSeed(rest.seed);
  checkInteger('deflate', rest.deflate, 0);
  if ((rest.tauMin === undefined) !== (rest.tauMax === undefined)) throw new InvalidInputError('tauMin and tauMax must be given together');
}

/** The JSON contract of `diffrg scan --json`. */
export function scanJson(r: ScanResult) {
  return {
    n: r.n,
    edges: r.edges,
    method: r.method,
    tau: r.tau,
    entropy: r.entropy,
    entropyNormalized: r.entropyNormalized,
    specificHeat: r.specificHeat,
    spectralDimension: r.spectralDimension,
    transitions: r.transitions.map((t) => ({ tau: t.tau, specificHeat: t.specificHeat })),
    plateau: { level: r.plateau.level, decades: r.plateau.decades },
  };
}

/**
 * SVG plot of `S / ln N` and `C` against tau (log scale) with the transitions, the plateau and,
 * for SLQ, ±2 standard-error bands: the report's scan figure (a Vega-Lite spec rendered by
 * vega; see ts/report/render.ts), used by `diffrg scan --plot`.
 */
export async function scanSvg(r: ScanResult, title = 'spectral scan'): Promise<string> {
  return renderSvg(scanSpec(r, `${title} (N=${r.n}, ${r.method})`));
}

/** Which shard of an SLQ scan's probes to compute: `index` of `count` (0-based). */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * The per-probe Gauss quadratures of one shard of an SLQ scan: what {@link mergeSlqShards}
 * merges. Nodes and weights of all probes are concatenated (`lengths[p]` values for probe
 * `firstProbe + p`).
 */
export interface SlqShard {
  n: number;
  edges: number;
  components: number;
  /** Global index of the first probe here, and the probe count of the whole run. */
  firstProbe: number;
  totalProbes: number;
  steps: number;
  reorth: boolean;
  deflationDim: number;
  /** Exactly known eigenvalues (zero modes, then forced deflated Ritz values). */
  exact: number[];
  lengths: number[];
  nodes: number[];
  weights: number[];
}

/**
 * Computes shard `shard.index` of `shard.count` of an SLQ scan: probes
 * `[index P / count, (index + 1) P / count)` only, each seeded by its global index, so the
 * shards of one seed merged by {@link mergeSlqShards} give the unsharded scan (same numbers up
 * to rounding, with the same thread count). `method` is ignored (always SLQ). A sharded run
 * deflates only the null space unless `deflate` is given (see docs/cluster.md).
 */
export async function slqShard(graph: Graph, shard: ShardSpec, options: ScanOptions = {}): Promise<SlqShard> {
  const { signal: _s, onProgress: _p, ...rest } = options;
  checkScanOptions(rest);
  checkInteger('shard.count', shard.count, 1, rest.probes ?? 100_000);
  checkInteger('shard.index', shard.index, 0, shard.count - 1);
  return runNative(options, (token) => native.slqShard(graph.native, rest, shard.index, shard.count, token));
}

/**
 * Merges the shards of one SLQ scan (in any order) and scans the merged measure with the grid,
 * transition and plateau options of `options` (its SLQ options are not used: they are the
 * shards'). Throws `InvalidInputError` when shards overlap, leave probes out or come from
 * different graphs.
 */
export async function mergeSlqShards(shards: SlqShard[], options: ScanOptions = {}): Promise<ScanResult> {
  const { signal: _s, onProgress: _p, ...rest } = options;
  checkScanOptions(rest);
  const r: ScanResult = await runNative(options, (token) => native.mergeSlqShards(shards, rest, token));
  if (r.entropyStderr == null) delete r.entropyStderr;
  if (r.specificHeatStderr == null) delete r.specificHeatStderr;
  if (r.lambdaMinNonzero == null) delete r.lambdaMinNonzero;
  return r;
}
