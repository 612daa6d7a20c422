/**
 * Diffusion tensor network renormalization (DTNR): the RG flow of a tensor-train model of joint
 * spike-pattern probabilities along the nested supernodes of a Laplacian RG flow of the
 * (inferred or given) graph. See docs/dtnr.md.
 */
import native = require('./native');
import type { Graph } from './graph';
import { InvalidInputError, NoConvergenceError } from './errors';
import { rgFlow, type RgFlowOptions } from './rg';
import { runNative, type RunOptions, checkSeed, checkInteger, progressStage } from './run';
import { fromNative, type MpsKind, type MpsModel, type PatternMatrix } from './mps';
import { DEFAULTS } from './defaults';
import { LIMITS } from './limits';

/** How a block of sites maps to one coarse variable. */
export type DtnrBlock = 'any' | 'count';

export interface DtnrOptions extends RunOptions {
  /** Bond-dimension limit of the fitted models and of every recompression. @default 32 */
  chi?: number;
  /** Block variable: 'any' spike in the block, or the spike 'count' capped at `cap`. @default 'any' */
  block?: DtnrBlock;
  /** Cap of the 'count' block map. @default 3 */
  cap?: number;
  /** Relative recompression cutoff per bond. @default 0 */
  cutoff?: number;
  /** Fraction of patterns held out for the consistency check (never used in fitting). @default 0.2 */
  heldout?: number;
  /** Fraction of the remaining patterns used for early stopping. @default 0.2 */
  validation?: number;
  /** Seed of the splits and of every sampling estimate. @default 0 */
  seed?: number;
  /** Samples of the sampled entropy and negative-mass estimates. @default 20000 */
  samples?: number;
  /** Enumerate exactly when a scale has at most this many states. @default 2^20 */
  exactLimit?: number;
  /** Fit a Born machine directly to the coarse-grained data at every scale. @default true */
  direct?: boolean;
  /** Maximum half-sweeps of every fit. @default 12 */
  maxHalfSweeps?: number;
  /** Model of scale 0 and of the direct fits: 'born' (Born machine), 'probability'
   * (non-negative train learned by EM with smoothed counts) or 'mixture' (the `fitMps` mixture:
   * bagged EM trains, latent classes and a Born machine, one probability train; docs/mps.md).
   * @default 'born' */
  kind?: MpsKind | 'mixture';
  /**
   * Nested composed supernode assignments (`assignments[t-1][i]` = scale-t supernode of node
   * i) instead of running the RG flow.
   */
  assignments?: number[][];
  /**
   * Options of the Laplacian RG flow that provides the supernodes.
   * @default { policy: 'fraction', fraction: 0.5, steps: 8, curvePoints: 0 }
   */
  flow?: Omit<RgFlowOptions, 'signal' | 'threads' | 'onProgress'>;
}

/** Everything recorded at one scale (bits; NLL in bits per pattern). */
export interface DtnrScale {
  scale: number;
  variables: number;
  dims: number[];
  /** log2 of the state-space size prod d_k. */
  stateSpaceLog2: number;
  /** Parameters of the model train at this scale (the Born machine at scale 0). */
  parameters: number;
  bondDims: number[];
  /** Bond dimensions of the exact coarse train before recompression. */
  bondDimsBefore: number[];
  entropyBits: number;
  entropyStderr: number;
  /** @deprecated Alias of `entropyStderr`, removed in the next release. */
  entropyStdError: number;
  entropyCiLow: number;
  entropyCiHigh: number;
  entropyExact: boolean;
  entropySamples: number;
  entropyPerVariable: number;
  siteEntropies: number[];
  /** sum_k H(v_k) - H. */
  multiInformationBits: number;
  multiInformationCiLow: number;
  multiInformationCiHigh: number;
  /** Bond entropies of the model train (of Psi at scale 0, of the vector P after). */
  bondEntropies: number[];
  /** ||T - T~||^2 / ||T||^2 of the recompression that produced this scale (0 at scale 0). */
  truncationError: number;
  /** sum max(-P, 0) / sum P: exact, or an importance-sampling estimate. */
  negativeMass: number;
  negativeMassStderr: number;
  /** @deprecated Alias of `negativeMassStderr`, removed in the next release. */
  negativeMassStdError: number;
  /** Rigorous lower bound from the single-variable marginals. */
  negativeMassLowerBound: number;
  negativeMassEstimated: boolean;
  /** Coarse-grained training / held-out patterns under the flowed model. */
  nllTrain: number;
  nllHeldout: number;
  /** Held-out patterns that hit the conditional floor (P <= 0 along their prefix). */
  heldoutFloored: number;
  /** Born machine fitted directly to the coarse-grained training patterns. */
  nllDirectTrain: number;
  nllDirectHeldout: number;
  /** Independent-variable model of the coarse-grained training patterns (held-out NLL). */
  nllIndependent: number;
  distinctTrain: number;
  /** Input columns of every variable, in site order. */
  members: number[][];
  /** Half-open ranges of the previous scale's variables forming this scale's variables. */
  blocks: [number, number][];
}

export interface DtnrResult {
  /** Leaf order of the hierarchy: order[p] = input column at site p. */
  order: number[];
  scales: DtnrScale[];
  /** Flowed model per scale (Born machine at scale 0, probability trains after). */
  models: MpsModel[];
  /** Directly fitted Born machines per scale (empty with direct = false). */
  direct: MpsModel[];
  nTrain: number;
  nValidation: number;
  nHeldout: number;
  /** The supernode assignments used (composed, one per step). */
  assignments: number[][];
  /** tau of every flow step (absent when assignments were given). */
  taus?: number[];
  /** Why the RG flow ended before its requested steps. */
  flowStopped?: string;
}

/**
 * Runs DTNR on a pattern matrix whose columns are the nodes of `graph` (column k = node k):
 * RG flow of the graph (or the given assignments), leaf order, Born machine at scale 0, block
 * contraction and recompression per step, and per-scale entropy, multi-information, bond
 * entropies and the held-out consistency check.
 */
export async function dtnr(patterns: PatternMatrix, graph: Graph, options: DtnrOptions = {}): Promise<DtnrResult> {
  if (!Number.isInteger(patterns.sites) || patterns.sites < 1 || patterns.data.length !== patterns.rows * patterns.sites) {
    throw new InvalidInputError(`patterns.data has ${patterns.data.length} values but rows x sites = ${patterns.rows} x ${patterns.sites}`);
  }
  checkSeed(options.seed);
  checkInteger('chi', options.chi, 1, LIMITS.chi);
  checkInteger('cap', options.cap, 1, 255);
  checkInteger('samples', options.samples, 2, LIMITS.samples);
  checkInteger('maxHalfSweeps', options.maxHalfSweeps, 0);
  if (graph.n !== patterns.sites) throw new InvalidInputError(`patterns have ${patterns.sites} columns but the graph has ${graph.n} nodes`);
  const { signal, threads, onProgress, assignments: given, flow, ...rest } = options;
  let assignments: number[][];
  let taus: number[] | undefined;
  let flowStopped: string | undefined;
  let flowProgress: ((fraction: number) => void) | undefined;
  if (given) {
    given.forEach((a, t) => {
      if (a.length !== graph.n) throw new InvalidInputError(`assignments[${t}] has ${a.length} entries for ${graph.n} nodes`);
    });
    assignments = given;
  } else {
    const fo = { policy: 'fraction' as const, fraction: DEFAULTS.dtnr.flowFraction, steps: DEFAULTS.dtnr.flowSteps, curvePoints: 0, ...flow };
    // progress: the flow is the first 20%, the tensor networks the rest
    flowProgress = progressStage(onProgress, 0, 0.2);
    // a step that cannot reach its target size (e.g. isolated nodes or components that never
    // merge) ends the flow at the last step that could
    let f: { steps: { assignment: number[]; tau: number }[]; stopped?: string } = { steps: [] };
    for (let steps = fo.steps; steps >= 1; steps--) {
      try {
        f = await rgFlow(graph, { ...fo, steps, signal, threads, onProgress: flowProgress });
        break;
      } catch (err) {
        if (!(err instanceof NoConvergenceError)) throw err;
        flowStopped = `step ${steps}: ${err.message}`;
      }
    }
    assignments = f.steps.map((s) => s.assignment);
    taus = f.steps.map((s) => s.tau);
    if (f.stopped) flowStopped = f.stopped;
  }
  const r = await runNative({ signal, threads, onProgress: progressStage(onProgress, flowProgress ? 0.2 : 0, 1) }, (token) =>
    native.dtnr(graph.native, patterns.data, patterns.sites, assignments, { ...rest, threads }, token),
  );
  return {
    order: r.order,
    scales: r.scales.map((s) => {
      const blocks: [number, number][] = [];
      for (let i = 0; i + 1 < s.blocks.length; i += 2) blocks.push([s.blocks[i], s.blocks[i + 1]]);
      return { ...s, blocks };
    }),
    models: r.models.map(fromNative),
    direct: r.direct.map(fromNative),
    nTrain: r.nTrain,
    nValidation: r.nValidation,
    nHeldout: r.nHeldout,
    assignments,
    ...(taus ? { taus } : {}),
    ...(flowStopped ? { flowStopped } : {}),
  };
}
