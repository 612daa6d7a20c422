/**
 * diffrg: diffusion-guided renormalization of neural systems.
 *
 * Public API. Heavy calls are async (computed off the main thread), accept
 * `{ signal?: AbortSignal, threads?: number }`, and reject with typed `DiffrgError`s.
 */
import native = require('./native');
import { checkInteger, checkThreads, runNative } from './run';
import * as mps from './mps';
import * as patterns from './patterns';
import * as infer from './infer';
import * as spikeTrains from './spikes';
import * as spectral from './spectral';
import * as graphIo from './io/graph';
import * as sim from './sim';
import * as atomic from './io/atomic';
import * as community from './community';
import * as activity from './io/activity';
import * as nwb from './io/nwb';
import * as npy from './io/npy';
import * as rg from './rg';
import * as dtnrModule from './dtnr';
import * as analyzeModule from './analyze';
import * as report from './report';
import * as sweepModule from './sweep';
import * as dynamics from './dynamics';
import * as prg from './prg';
import { api } from './check';


export * from './errors';
export { Graph, type GraphOptions, type EdgeList } from './graph';
export { describeValue } from './check';
export { DEFAULTS, type CoreDefaults } from './defaults';
export type { MpsModel, MpsKind, MpsInput, PatternMatrix, MpsFitOptions, MpsFitResult, MpsCompressOptions } from './mps';
export type { LoadPatternsOptions, LoadedPatterns, PatternInput, SiteOrder, SiteOrderOptions, PatternGraphOptions } from './patterns';
export type { DenseActivity, InferMethod, InferOptions, InferResult, InferredEdge } from './infer';
export type { ScanOptions, ScanResult, LaplacianKind, ScanMethod, Transition, Plateau, ShardSpec, SlqShard } from './spectral';
export type { ReadGraphOptions, GraphFormat, GraphWarnings, LoadedGraph } from './io/graph';
export type { RunOptions } from './run';
export { identifySystem, lqr, kalman, gramian, simulateLifClosedLoop, simulateLifSchedule, readSchedule, closedLoopSummary, CoarseTracker } from './control';
export type { Matrix, TimeKind, SystemFit, LqrResult, KalmanResult, ClosedLoopOptions, ClosedLoopResult, CustomRun, ControlCallback, DriveSchedule, TrackerOptions } from './control';
export type { SimulateLifOptions, LifSimulation, LifOutputFiles, ObserveMode } from './sim';
export type { LeidenOptions, LeidenResult, Ordering, OrderingOptions, CommunityReport } from './community';
export type { SpikeTrains, Raster, Activity, TimeUnit, SpikeTableOptions, ArrayLayout, ArrayOptions, ReadActivityOptions } from './io/activity';
export type { NpyArray, NpyDtype } from './io/npy';

// Every exported function checks the types of its arguments (ts/check.ts): a wrong type is an
// InvalidInputError naming the function, the argument and what it received.

export const fitMps = api('fitMps', { patterns: 'patterns', options: 'options?' }, mps.fitMps);
export const mpsLogProb = api('mpsLogProb', { model: 'model', patterns: 'patterns', options: 'options?' }, mps.mpsLogProb);
export const compressMps = api('compressMps', { model: 'model', options: 'options?' }, mps.compressMps);
export const randomMps = api('randomMps', { kind: 'string', dims: 'numbers', chi: 'number', seed: 'number?' }, mps.randomMps);
export const sampleMps = api('sampleMps', { model: 'model', count: 'number', options: 'options?' }, mps.sampleMps);
export const mpsMarginals = api('mpsMarginals', { model: 'model', options: 'options?' }, mps.mpsMarginals);
export const mpsEntropies = api('mpsEntropies', { model: 'model', options: 'options?' }, mps.mpsEntropies);
export const encodeMps = api('encodeMps', { model: 'model' }, mps.encodeMps);
export const decodeMps = api('decodeMps', { bytes: 'bytes', file: 'string?' }, mps.decodeMps);
export const saveMps = api('saveMps', { file: 'string', model: 'model' }, mps.saveMps);
export const loadMps = api('loadMps', { file: 'string' }, mps.loadMps);
export const readPatterns = api('readPatterns', { file: 'string' }, mps.readPatterns);
export const readPatternsAsync = api('readPatternsAsync', { file: 'string' }, mps.readPatternsAsync);
export const parsePatternCsv = api('parsePatternCsv', { text: 'string', file: 'string?' }, mps.parsePatternCsv);
export const reorderPatterns = api('reorderPatterns', { patterns: 'patterns', order: 'numbers' }, mps.reorderPatterns);
export const randomOrder = api('randomOrder', { n: 'number', seed: 'number?' }, mps.randomOrder);

export const loadPatterns = api('loadPatterns', { file: 'string', options: 'options?' }, patterns.loadPatterns);
export const loadPatternsForModel = api('loadPatternsForModel', { file: 'string', model: 'model', options: 'options?' }, patterns.loadPatternsForModel);
export const alignToModel = api('alignToModel', { loaded: 'loaded', input: 'object?', sites: 'number', file: 'string?' }, patterns.alignToModel);
export const detectPatternInput = api('detectPatternInput', { file: 'string', options: 'options?' }, patterns.detectPatternInput);
export const binSpikes = api('binSpikes', { spikes: 'spikeTrains', binSeconds: 'number', options: 'options?' }, patterns.binSpikes);
export const binRaster = api('binRaster', { raster: 'raster', binSeconds: 'number?', options: 'options?' }, patterns.binRaster);
export const patternEvents = api('patternEvents', { patterns: 'patterns' }, patterns.patternEvents);
export const parseBin = api('parseBin', { value: ['string', 'number'], field: 'string?' }, patterns.parseBin);
export const readOrderFile = api('readOrderFile', { file: 'string', sites: 'number' }, patterns.readOrderFile);
export const siteOrder = api('siteOrder', { spec: 'string', data: 'loaded', options: 'options?' }, patterns.siteOrder);
export const communitySiteOrder = api('communitySiteOrder', { data: 'loaded', options: 'options?' }, patterns.communitySiteOrder);
export const inferPatternGraph = api('inferPatternGraph', { data: 'loaded', options: 'options?' }, patterns.inferPatternGraph);
export const siteSubgraph = api('siteSubgraph', { graph: 'graph', ids: 'numbers' }, patterns.siteSubgraph);

export const inferSpikes = api('inferSpikes', { spikes: 'spikeTable', options: 'options?' }, infer.inferSpikes);
export const binSpikeTimes = api('binSpikeTimes', { times: 'numbers', binSeconds: 'number', start: 'number?', end: 'number?' }, spikeTrains.binSpikeTimes);
export const spikeTrainStats = api('spikeTrainStats', { trains: 'object', start: 'number', end: 'number' }, spikeTrains.spikeTrainStats);
export const pairPurity = api('pairPurity', { block: 'numbers', label: 'numbers', items: 'numbers?' }, spikeTrains.pairPurity);
export const inferDense = api('inferDense', { activity: 'raster', options: 'options?' }, infer.inferDense);
export const writeGraphCsv = api('writeGraphCsv', { file: 'string', edges: 'array', nodes: 'labels?' }, infer.writeGraphCsv);

export const spectralScan = api('spectralScan', { graph: 'graph', options: 'options?' }, spectral.spectralScan);
export const slqShard = api('slqShard', { graph: 'graph', shard: 'shard', options: 'options?' }, spectral.slqShard);
export const mergeSlqShards = api('mergeSlqShards', { shards: 'array', options: 'options?' }, spectral.mergeSlqShards);
export const scanJson = api('scanJson', { result: 'scanResult' }, spectral.scanJson);
export const scanSvg = api('scanSvg', { result: 'scanResult', title: 'string?' }, spectral.scanSvg);

export const readGraph = api('readGraph', { file: 'string', options: 'options?' }, graphIo.readGraph);
export const readGraphAsync = api('readGraphAsync', { file: 'string', options: 'options?' }, graphIo.readGraphAsync);
export const parseGraph = api('parseGraph', { data: 'text', file: 'string', options: 'options?' }, graphIo.parseGraph);

export const simulateLif = api('simulateLif', { options: 'options?' }, sim.simulateLif);
export const writeLifOutputs = api('writeLifOutputs', { sim: 'simulation', dir: 'string' }, sim.writeLifOutputs);
export const spikeTrain = api('spikeTrain', { sim: 'simulation', i: 'number' }, sim.spikeTrain);
export const connectionProbabilities = api('connectionProbabilities', { sim: 'simulation' }, sim.connectionProbabilities);

export const writeFileAtomic = api('writeFileAtomic', { file: 'string', data: 'text' }, atomic.writeFileAtomic);
export const writeFileAtomicSync = api('writeFileAtomicSync', { file: 'string', data: 'text' }, atomic.writeFileAtomicSync);

export const leiden = api('leiden', { graph: 'graph', options: 'options?' }, community.leiden);
export const communityOrdering = api('communityOrdering', { graph: 'graph', labels: 'labels', options: 'options?' }, community.communityOrdering);
export const modularity = api('modularity', { graph: 'graph', labels: 'labels', resolution: 'number?' }, community.modularity);
export const adjustedRandIndex = api('adjustedRandIndex', { a: 'labels', b: 'labels' }, community.adjustedRandIndex);
export const normalizedMutualInformation = api('normalizedMutualInformation', { a: 'labels', b: 'labels' }, community.normalizedMutualInformation);
export const separateCommunity = api('separateCommunity', { labels: 'numbers', separate: 'array' }, community.separateCommunity);
export const rankMetrics = api('rankMetrics', { scores: 'numbers', truth: 'array' }, infer.rankMetrics);
export const matthewsCorrelation = api('matthewsCorrelation', { detected: 'array', truth: 'array' }, infer.matthewsCorrelation);
export const ringOfCliques = api('ringOfCliques', { cliques: 'number', size: 'number' }, community.ringOfCliques);
export const stochasticBlockModel = api('stochasticBlockModel', { sizes: 'numbers', pIn: 'number', pOut: 'number', options: 'options?' }, community.stochasticBlockModel);
export const readLabels = api('readLabels', { file: 'string' }, community.readLabels);
export const analyzeCommunities = api('analyzeCommunities', { graph: 'graph', options: 'options?' }, community.analyzeCommunities);
export const encodeLabels = api('encodeLabels', { labels: 'labels' }, community.encodeLabels);

export const timeHeader = api('timeHeader', { name: 'string', file: 'string', line: 'number' }, activity.timeHeader);
export const readSpikeTable = api('readSpikeTable', { file: 'string', options: 'options?' }, activity.readSpikeTable);
export const activityFromArray = api('activityFromArray', { array: 'npyArray', file: 'string', options: 'options?' }, activity.activityFromArray);
export const spikesFromColumns = api('spikesFromColumns', { neurons: 'numbers', times: 'numbers', file: 'string', options: 'options?' }, activity.spikesFromColumns);
export const readActivityArray = api('readActivityArray', { file: 'string', options: 'options?' }, activity.readActivityArray);
export const readActivity = api('readActivity', { file: 'string', options: 'options?' }, activity.readActivity);
export const writeSpikesCsv = api('writeSpikesCsv', { file: 'string', spikes: 'spikeTrains' }, activity.writeSpikesCsv);
export const writeActivityNpy = api('writeActivityNpy', { file: 'string', activity: 'activity' }, activity.writeActivityNpy);
export const activityToJson = api('activityToJson', { activity: 'activity' }, activity.activityToJson);
export const writeActivityJson = api('writeActivityJson', { file: 'string', activity: 'activity' }, activity.writeActivityJson);

export const readNwbUnits = api('readNwbUnits', { file: 'string' }, nwb.readNwbUnits);
export const readNwbSeries = api('readNwbSeries', { file: 'string', series: 'string?' }, nwb.readNwbSeries);
export const listNwbSeries = api('listNwbSeries', { file: 'string' }, nwb.listNwbSeries);
export const hasUnits = api('hasUnits', { file: 'string' }, nwb.hasUnits);

export const parseNpy = api('parseNpy', { bytes: 'bytes', file: 'string?' }, npy.parseNpy);
export const readNpy = api('readNpy', { file: 'string' }, npy.readNpy);
export const readNpz = api('readNpz', { file: 'string' }, npy.readNpz);
export const parseNpz = api('parseNpz', { bytes: 'bytes', file: 'string?' }, npy.parseNpz);
export const encodeNpy = api('encodeNpy', { array: 'npyArray' }, npy.encodeNpy);
export const encodeNpz = api('encodeNpz', { arrays: 'object' }, npy.encodeNpz);
export const toFloat64 = api('toFloat64', { data: 'numbers' }, npy.toFloat64);

/** Version of this package. */
export const version: string = require('../package.json').version;

/** Threads a heavy call would use for a given `threads` option (after env fallbacks). */
export const resolvedThreads = api('resolvedThreads', { threads: 'number?' }, (threads?: number): number => {
  if (threads !== undefined) checkThreads(threads);
  return native.resolvedThreads(threads);
});

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
export const memoryBandwidth = api('memoryBandwidth', { options: 'options?' }, async function memoryBandwidth(options: { length?: number; repeats?: number; threads?: number } = {}): Promise<MemoryBandwidth> {
  checkInteger('length', options.length, 1);
  checkInteger('repeats', options.repeats, 1);
  return runNative({ threads: options.threads }, () => native.memoryBandwidth(options));
});
export type { CoarseGrainOptions, CoarseGrainResult, RgFlowOptions, RgFlowResult, RgFlowStep, FlowStats, FlowCurve, RgRule, RgMethod, TauPolicy } from './rg';
export const coarseGrain = api('coarseGrain', { graph: 'graph', options: 'options?' }, rg.coarseGrain);
export const rgFlow = api('rgFlow', { graph: 'graph', options: 'options?' }, rg.rgFlow);
export const collapseWarning = api('collapseWarning', { sizes: 'numbers', taus: 'numbers?' }, rg.collapseWarning);

export type { DtnrOptions, DtnrResult, DtnrScale, DtnrBlock } from './dtnr';
export const dtnr = api('dtnr', { patterns: 'patterns', graph: 'graph', options: 'options?' }, dtnrModule.dtnr);

export { STAGES as ANALYZE_STAGES, UPSTREAM as ANALYZE_UPSTREAM } from './analyze';
export type { AnalyzeOptions, AnalyzeSummary, AnalyzeConfig, StageSummary, StageName } from './analyze';
export const analyze = api('analyze', { input: 'string', options: 'options' }, analyzeModule.analyze);
export const defaultConfig = api('defaultConfig', {}, analyzeModule.defaultConfig);
export const mergeConfig = api('mergeConfig', { partial: 'object', file: 'string?' }, analyzeModule.mergeConfig);
export const readConfig = api('readConfig', { file: 'string' }, analyzeModule.readConfig);

export { FIGURE_CONFIG } from './report';
export type { Figure, FigureSpec, ReportOptions, ReportResult } from './report';
export const writeReport = api('writeReport', { dir: 'string', options: 'options?' }, report.writeReport);
export const readRecords = api('readRecords', { dir: 'string' }, report.readRecords);
export const renderSvg = api('renderSvg', { spec: 'object' }, report.renderSvg);
export const renderPng = api('renderPng', { svg: 'string', scale: 'number?' }, report.renderPng);
export const buildFigures = api('buildFigures', { records: 'object', options: 'object?' }, report.buildFigures);
export const scanSpec = api('scanSpec', { scan: 'object', title: 'string?' }, report.scanSpec);

export { SWEEP_COMMANDS } from './sweep';
export type { Plan, PlanCommand, PlanSlurm, Task, SweepOptions, SweepRun, SweepStatus, Executor } from './sweep';
export const sweep = api('sweep', { planFile: 'string', dir: 'string', options: 'options?' }, sweepModule.sweep);
export const resume = api('resume', { dir: 'string', options: 'options?' }, sweepModule.resume);
export const sweepStatus = api('sweepStatus', { dir: 'string' }, sweepModule.sweepStatus);
export const mergeSweep = api('mergeSweep', { dir: 'string', options: 'options?' }, sweepModule.mergeSweep);
export const runTask = api('runTask', { dir: 'string', index: 'number' }, sweepModule.runTask);
export const readPlan = api('readPlan', { file: 'string' }, sweepModule.readPlan);
export const validatePlan = api('validatePlan', { plan: 'object', where: 'string?' }, sweepModule.validatePlan);
export const expandPlan = api('expandPlan', { plan: 'object', baseDir: 'string' }, sweepModule.expandPlan);

export { DynamicsStream, ESTIMATORS } from './dynamics';
export type { DynamicsOptions, DynamicsResult, ScaleDynamics, EntropyProduction, EpEstimate, Estimator, LinearEstimator, SfiDetails, StatesDetails, Trajectory, NpyStreamOptions } from './dynamics';
export const effectiveDynamics = api('effectiveDynamics', { activity: 'activity', options: 'options?' }, dynamics.effectiveDynamics);
export const dynamicsFromNpy = api('dynamicsFromNpy', { file: 'string', options: 'options' }, dynamics.dynamicsFromNpy);
export const entropyProduction = api('entropyProduction', { trajectory: 'trajectory', options: 'options?' }, dynamics.entropyProduction);
export const dynamicsJson = api('dynamicsJson', { result: 'object' }, dynamics.dynamicsJson);

export type { PrgOptions, PrgResult, PrgHierarchy, PrgLevel, Exponent } from './prg';
export const phenomenologicalRg = api('phenomenologicalRg', { activity: 'activity', options: 'options?' }, prg.phenomenologicalRg);
export const prgJson = api('prgJson', { result: 'object' }, prg.prgJson);
