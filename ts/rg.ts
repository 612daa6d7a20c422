/**
 * Supernodes, metagraphs and Laplacian renormalization-group flows
 * (docs/laplacian-rg-supernodes.md).
 */
import native = require('./native');
import { Graph } from './graph';
import { runNative, type RunOptions, checkInteger } from './run';
import type { LaplacianKind } from './spectral';
import { LIMITS } from './limits';

/** Supernode rule. */
export type RgRule = 'real-space' | 'mode-count' | 'equilibrium';
/** How kernel entries are computed: dense, localized (sparse, real-space only) or by size. */
export type RgMethod = 'auto' | 'dense' | 'local';
/** How tau is chosen at each step of a flow. */
export type TauPolicy = 'fixed' | 'strongest-transition' | 'fraction';

export interface CoarseGrainOptions extends RunOptions {
  /** Diffusion time tau of K = exp(-tau L). @default 1 */
  tau?: number;
  /** @default 'real-space' */
  rule?: RgRule;
  /** @default 'combinatorial' */
  laplacian?: LaplacianKind;
  /** 'auto' = dense up to 3000 nodes, localized beyond (real-space, undirected, combinatorial). @default 'auto' */
  method?: RgMethod;
  /** Relative tie tolerance of rho'_ij >= 1. @default 1e-9 */
  tieTolerance?: number;
  /** Equilibrium rule: number of supernodes. @default #{Re lambda < 1/tau} */
  targetSize?: number;
}

export interface CoarseGrainResult {
  /** Number of supernodes. */
  n: number;
  /** Edges of the contracted graph. */
  edges: number;
  tau: number;
  /** Factor applied to tau for a next step (1: tau kept fixed). */
  timeRescaling: number;
  /** 'dense' or 'local'. */
  method: string;
  /** assignment[i] = supernode of node i (node 0 is in supernode 0). */
  assignment: number[];
  /** Contracted graph (weights summed, self-loops dropped); labels are supernode indices. */
  graph: Graph;
  /** Equilibrium rule: renormalized Laplacian L' (row-major n x n) and C (its null vector). */
  laplacian?: Float64Array;
  scale?: number[];
  /** Localized path: mean and largest kernel-column support. */
  meanSupport?: number;
  maxSupport?: number;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One coarse-graining step: supernodes of `graph` and the contracted graph. */
export async function coarseGrain(graph: Graph, options: CoarseGrainOptions = {}): Promise<CoarseGrainResult> {
  checkInteger('targetSize', options.targetSize, 1);
  const { signal: _s, onProgress: _p, ...rest } = options;
  const r = await runNative(options, (token) => native.coarseGrain(graph.native, defined(rest), token));
  const g = Graph.fromEdges(
    { n: r.n, sources: r.sources, targets: r.targets, weights: r.weights },
    { directed: r.directed },
  );
  return {
    n: r.n,
    edges: r.edges,
    tau: r.tau,
    timeRescaling: r.timeRescaling,
    method: r.method,
    assignment: r.assignment,
    graph: g,
    ...(r.laplacian ? { laplacian: Float64Array.from(r.laplacian) } : {}),
    ...(r.scale ? { scale: r.scale } : {}),
    ...(r.meanSupport !== undefined && r.meanSupport !== null ? { meanSupport: r.meanSupport, maxSupport: r.maxSupport ?? undefined } : {}),
  };
}

export interface RgFlowOptions extends Omit<CoarseGrainOptions, 'tau'> {
  /** Diffusion time (policy 'fixed'; the equilibrium rule also uses it with 'fraction'). @default 1 */
  tau?: number;
  /** @default 'fixed' */
  policy?: TauPolicy;
  /** Policy 'fraction': keep at most round(fraction * N) supernodes per step, 0 < fraction < 1. */
  fraction?: number;
  /** Number of steps (the flow stops early when a step does not reduce N). @default 3 */
  steps?: number;
  /** The next step sees the contracted graph unweighted (the convention of Villegas et al. 2023). @default true */
  unweighted?: boolean;
  /** Points of each recorded C(tau) curve (0: none). @default 100 */
  curvePoints?: number;
}

export interface FlowCurve {
  tau: number[];
  entropy: number[];
  specificHeat: number[];
}

export interface FlowStats {
  n: number;
  edges: number;
  /** degreeHistogram[k] = nodes with k distinct neighbours. */
  degreeHistogram: number[];
  meanDegree: number;
  /** C(tau) of the graph (absent when disabled or too large for the dense spectrum). */
  curve?: FlowCurve;
}

export interface RgFlowStep extends FlowStats {
  tau: number;
  timeRescaling: number;
  method: string;
  /** Supernode of every original node after this step. */
  assignment: number[];
  /** Supernode of every node of this step's input graph. */
  stepAssignment: number[];
}

export interface RgFlowResult {
  initial: FlowStats;
  steps: RgFlowStep[];
  /** Why the flow ended before `steps` steps. */
  stopped?: string;
}

/**
 * A warning when one coarse-graining step merged every node of a graph with more than two nodes
 * into a single supernode (the tau of that step is too large to resolve any structure), else
 * undefined. `sizes` are the node counts before the first step and after each step.
 */
export function collapseWarning(sizes: number[], taus: number[] = []): string | undefined {
  for (let k = 1; k < sizes.length; k++) {
    if (sizes[k] === 1 && sizes[k - 1] > 2) {
      const tau = taus[k - 1] !== undefined ? ` (tau ${taus[k - 1].toPrecision(4)})` : '';
      return `RG step ${k}${tau} merged all ${sizes[k - 1]} nodes into one supernode: no structure is left at this scale (tau too large for this graph)`;
    }
  }
  return undefined;
}

function clean<T extends { curve?: unknown }>(s: T): T {
  if (s.curve === null || s.curve === undefined) {
    const { curve: _c, ...rest } = s;
    return rest as T;
  }
  return s;
}

/** Iterated coarse-graining with a tau policy, recording N, edges, degrees, C(tau) and assignments. */
export async function rgFlow(graph: Graph, options: RgFlowOptions = {}): Promise<RgFlowResult> {
  checkInteger('targetSize', options.targetSize, 1);
  checkInteger('steps', options.steps, 0, LIMITS.rgSteps);
  // C(tau) curves are stored per step: bound the points so a typo cannot exhaust memory
  checkInteger('curvePoints', options.curvePoints, 0, 100_000);
  const { signal: _s, onProgress: _p, ...rest } = options;
  const r = await runNative(options, (token) => native.rgFlow(graph.native, defined(rest), token));
  return {
    initial: clean(r.initial as FlowStats),
    steps: r.steps.map((s) => clean(s as RgFlowStep)),
    ...(r.stopped ? { stopped: r.stopped } : {}),
  };
}
