/**
 * diffrg: diffusion-guided renormalization of neural systems.
 *
 * Public API. Heavy calls are async (computed off the main thread), accept
 * `{ signal?: AbortSignal, threads?: number }`, and reject with typed `DiffrgError`s.
 */
import native = require('./native');

export * from './errors';
export { Graph, type GraphOptions, type EdgeList } from './graph';
export {
  fitMps, mpsLogProb, compressMps, randomMps, sampleMps, mpsMarginals, mpsEntropies, encodeMps, decodeMps, saveMps, loadMps,
  readPatterns, parsePatternCsv, reorderPatterns, randomOrder,
  type MpsModel, type MpsKind, type PatternMatrix, type MpsFitOptions, type MpsFitResult, type MpsCompressOptions,
} from './mps';
export {
  loadPatterns, detectPatternInput, binSpikes, binRaster, patternEvents, parseBin, readOrderFile, siteOrder, communitySiteOrder, inferPatternGraph, siteSubgraph,
  type LoadPatternsOptions, type LoadedPatterns, type PatternInput, type SiteOrder, type SiteOrderOptions, type PatternGraphOptions,
} from './patterns';
export { inferSpikes, inferDense, writeGraphCsv, type DenseActivity, type InferMethod, type InferOptions, type InferResult, type InferredEdge } from './infer';
export { spectralScan, scanJson, scanSvg, type ScanOptions, type ScanResult, type LaplacianKind, type ScanMethod, type Transition, type Plateau } from './spectral';
export { readGraph, parseGraph, type ReadGraphOptions, type GraphFormat, type GraphWarnings, type LoadedGraph } from './io/graph';
export type { RunOptions } from './run';
export { simulateLif, writeLifOutputs, spikeTrain, type SimulateLifOptions, type LifSimulation, type LifOutputFiles, type ObserveMode } from './sim';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic';
export {
  leiden,
  communityOrdering,
  modularity,
  adjustedRandIndex,
  normalizedMutualInformation,
  ringOfCliques,
  stochasticBlockModel,
  readLabels,
  analyzeCommunities,
  encodeLabels,
  type LeidenOptions,
  type LeidenResult,
  type Ordering,
  type OrderingOptions,
  type CommunityReport,
} from './community';
export * from './io/activity';
export { readNwbUnits, readNwbSeries, listNwbSeries, hasUnits } from './io/nwb';
export { parseNpy, readNpy, readNpz, parseNpz, encodeNpy, encodeNpz, toFloat64, type NpyArray, type NpyDtype } from './io/npy';

/** Version of this package. */
export const version: string = require('../package.json').version;

/** Threads a heavy call would use for a given `threads` option (after env fallbacks). */
export function resolvedThreads(threads?: number): number {
  return native.resolvedThreads(threads);
}
export {
  coarseGrain,
  rgFlow,
  type CoarseGrainOptions,
  type CoarseGrainResult,
  type RgFlowOptions,
  type RgFlowResult,
  type RgFlowStep,
  type FlowStats,
  type FlowCurve,
  type RgRule,
  type RgMethod,
  type TauPolicy,
} from './rg';
export { dtnr, type DtnrOptions, type DtnrResult, type DtnrScale, type DtnrBlock } from './dtnr';
export {
  effectiveDynamics,
  dynamicsFromNpy,
  entropyProduction,
  dynamicsJson,
  DynamicsStream,
  ESTIMATORS,
  type DynamicsOptions,
  type DynamicsResult,
  type ScaleDynamics,
  type EntropyProduction,
  type EpEstimate,
  type Estimator,
  type LinearEstimator,
  type Trajectory,
  type NpyStreamOptions,
} from './dynamics';
