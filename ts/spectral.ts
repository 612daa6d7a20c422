import native = require('./native');
import { Graph } from './graph';
import { runNative, type RunOptions } from './run';

export type LaplacianKind = 'combinatorial' | 'normalized' | 'random-walk';

export interface ScanOptions extends RunOptions {
  /** Which Laplacian defines rho(tau) = exp(-tau L) / Z. @default 'combinatorial' */
  laplacian?: LaplacianKind;
  /** Smallest tau of the log-spaced grid. @default 0.1 / lambda_max */
  tauMin?: number;
  /** Largest tau of the grid (inclusive). @default 100 / lambda_2 */
  tauMax?: number;
  /** Number of tau values. @default 200 */
  tauCount?: number;
}

/** Curves of the network density matrix on a log-spaced tau grid (natural logs). */
export interface ScanResult {
  n: number;
  edges: number;
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
}

/** Entropy, specific heat and spectral dimension of rho(tau) over a tau grid. */
export async function spectralScan(graph: Graph, options: ScanOptions = {}): Promise<ScanResult> {
  const { signal: _s, ...rest } = options;
  return runNative(options, (token) => native.spectralScan(graph.native, rest, token) as Promise<ScanResult>);
}
