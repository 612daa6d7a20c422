import native = require('./native');
import { Graph } from './graph';
import { runNative, type RunOptions, checkSeed, checkInteger } from './run';
import { InvalidInputError } from './errors';

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
  const r = (await runNative(options, (token) => native.spectralScan(graph.native, rest, token))) as ScanResult;
  if (r.entropyStderr == null) delete r.entropyStderr;
  if (r.specificHeatStderr == null) delete r.specificHeatStderr;
  if (r.lambdaMinNonzero == null) delete r.lambdaMinNonzero;
  return r;
}

function checkScanOptions(rest: ScanOptions): void {
  // upper bounds: the tau grid and the per-probe records are stored whole (tauCount = 1e9 ran for
  // minutes toward ~64 GB; probes = 1e9 made a 56 GB allocation that aborts the process)
  checkInteger('tauCount', rest.tauCount, 1, 100_000_000);
  checkInteger('probes', rest.probes, 2, 100_000);
  checkInteger('steps', rest.steps, 1);
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
 * An SVG plot of S/ln N and C against log10 tau (C on its own right-hand axis), with the
 * transitions marked and the plateau shaded. Plain SVG text, no dependencies.
 */
export function scanSvg(r: ScanResult, title = 'spectral scan'): string {
  const W = 720;
  const H = 420;
  const m = { l: 60, r: 60, t: 40, b: 50 };
  const lt = r.tau.map(Math.log10);
  const x0 = lt[0] ?? 0;
  const x1 = lt[lt.length - 1] ?? 1;
  const cmax = Math.max(1e-12, ...r.specificHeat) * 1.05;
  const sx = (v: number) => m.l + ((v - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (v: number, top: number) => H - m.b - (v / top) * (H - m.t - m.b);
  const path = (ys: number[], top: number) => ys.map((y, i) => `${i ? 'L' : 'M'}${sx(lt[i]).toFixed(1)},${sy(y, top).toFixed(1)}`).join(' ');
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)} (N=${r.n}, ${r.method})</text>`);
  if (r.plateau.decades > 0) {
    const a = sx(Math.log10(r.plateau.tauStart));
    const b = sx(Math.log10(r.plateau.tauEnd));
    parts.push(`<rect x="${a.toFixed(1)}" y="${m.t}" width="${(b - a).toFixed(1)}" height="${H - m.t - m.b}" fill="#fde9c8"/>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="black"/>`);
  for (let d = Math.ceil(x0); d <= Math.floor(x1); d++) {
    const x = sx(d).toFixed(1);
    parts.push(`<line x1="${x}" y1="${H - m.b}" x2="${x}" y2="${H - m.b + 5}" stroke="black"/><text x="${x}" y="${H - m.b + 18}" text-anchor="middle">1e${d}</text>`);
  }
  for (let k = 0; k <= 4; k++) {
    const v = k / 4;
    parts.push(`<text x="${m.l - 6}" y="${sy(v, 1) + 4}" text-anchor="end" fill="#1f5fbf">${v.toFixed(2)}</text>`);
    parts.push(`<text x="${W - m.r + 6}" y="${sy(v * cmax, cmax) + 4}" fill="#c0392b">${(v * cmax).toPrecision(3)}</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">tau (log scale)</text>`);
  parts.push(`<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle" fill="#1f5fbf">S / ln N</text>`);
  parts.push(`<text x="${W - 14}" y="${H / 2}" transform="rotate(90 ${W - 14} ${H / 2})" text-anchor="middle" fill="#c0392b">C (specific heat)</text>`);
  if (r.tau.length > 0) {
    parts.push(`<path d="${path(r.entropyNormalized, 1)}" fill="none" stroke="#1f5fbf" stroke-width="2"/>`);
    parts.push(`<path d="${path(r.specificHeat, cmax)}" fill="none" stroke="#c0392b" stroke-width="2"/>`);
  }
  for (const t of r.transitions) {
    parts.push(`<circle cx="${sx(Math.log10(t.tau)).toFixed(1)}" cy="${sy(t.specificHeat, cmax).toFixed(1)}" r="4" fill="#c0392b"/>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
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
  return (await runNative(options, (token) => native.slqShard(graph.native, rest, shard.index, shard.count, token))) as SlqShard;
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
  const r = (await runNative(options, (token) => native.mergeSlqShards(shards, rest, token))) as ScanResult;
  if (r.entropyStderr == null) delete r.entropyStderr;
  if (r.specificHeatStderr == null) delete r.specificHeatStderr;
  if (r.lambdaMinNonzero == null) delete r.lambdaMinNonzero;
  return r;
}
