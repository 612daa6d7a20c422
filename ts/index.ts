/**
 * diffrg: diffusion-guided renormalization of neural systems.
 *
 * Public API. Heavy calls are async (computed off the main thread), accept
 * `{ signal?: AbortSignal, threads?: number }`, and reject with typed `DiffrgError`s.
 */
import native = require('./native');
import { checkInteger, checkThreads, runNative } from './run';

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
export { spectralScan, slqShard, mergeSlqShards, scanJson, scanSvg, type ScanOptions, type ScanResult, type LaplacianKind, type ScanMethod, type Transition, type Plateau, type ShardSpec, type SlqShard } from './spectral';
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
  if (threads !== undefined) checkThreads(threads);
  return native.resolvedThreads(threads);
}

/** Result of {@link memoryBandwidth}. */
export interface MemoryBandwidth {
  /** Best pass of the STREAM-like triad `a = b + s c`, bytes per second (24 bytes per element). */
  bytesPerSecond: number;
  bestSeconds: number;
  bytesPerPass: number;
  threads: number;
}

/**
 * Measures this machine's memory bandwidth with a STREAM-like triad over three arrays of
 * `length` doubles (default 2^24, 3 x 128 MiB), best of `repeats` (default 5) passes. Used by
 * `npm run bench -- scaling` to judge memory-bound kernels by the fraction of it they reach.
 */
export async function memoryBandwidth(options: { length?: number; repeats?: number; threads?: number } = {}): Promise<MemoryBandwidth> {
  checkInteger('length', options.length, 1);
  checkInteger('repeats', options.repeats, 1);
  return (await runNative({ threads: options.threads }, () => native.memoryBandwidth(options))) as MemoryBandwidth;
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
  analyze,
  defaultConfig,
  mergeConfig,
  readConfig,
  STAGES as ANALYZE_STAGES,
  UPSTREAM as ANALYZE_UPSTREAM,
  type AnalyzeOptions,
  type AnalyzeSummary,
  type AnalyzeConfig,
  type StageSummary,
  type StageName,
} from './analyze';
export { writeReport, readRecords, renderSvg, renderPng, buildFigures, scanSpec, FIGURE_CONFIG, type Figure, type FigureSpec, type ReportOptions, type ReportResult } from './report';
export {
  sweep,
  resume,
  sweepStatus,
  mergeSweep,
  runTask,
  readPlan,
  validatePlan,
  expandPlan,
  SWEEP_COMMANDS,
  type Plan,
  type PlanCommand,
  type PlanSlurm,
  type Task,
  type SweepOptions,
  type SweepRun,
  type SweepStatus,
  type Executor,
} from './sweep';
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
export { phenomenologicalRg, prgJson, type PrgOptions, type PrgResult, type PrgHierarchy, type PrgLevel, type Exponent } from './prg';
