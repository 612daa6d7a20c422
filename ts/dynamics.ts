/**
 * Meso-scale effective dynamics of (coarse-grained) neural trajectories: the VAR(1) fit and its
 * exact Ornstein-Uhlenbeck form, and entropy-production estimators with block-bootstrap
 * intervals, at every scale of a coarse-graining (docs/dynamics.md).
 */
import { promises as fs } from 'node:fs';
import native = require('./native');
import { InvalidInputError, NoConvergenceError, ParseError } from './errors';
import { runNative, callNative, progressStage, checkSeed, checkInteger, type RunOptions } from './run';
import { checkArgs } from './check';
import { activityFrames, activityIds, type Activity } from './io/activity';
import type { Graph } from './graph';
import { rgFlow, type RgFlowOptions } from './rg';

/** The linear estimators computed by the core. */
export type LinearEstimator = 'ou' | 'var' | 'spectral';
/** Every estimator name; `sfi` and `states` are the nonlinear estimators (docs/dynamics.md). */
export type Estimator = LinearEstimator | 'sfi' | 'states';
export const ESTIMATORS: readonly Estimator[] = ['ou', 'var', 'spectral', 'sfi', 'states'];

/** Bin width (s) of spike input, and the sample period of dense input without a rate, unless given. */
export const DEFAULT_BIN_SECONDS = 0.01;

export interface DynamicsOptions extends RunOptions {
  /** Bin width (s) of spike input; the sample period of dense input without a rate. @default 0.01 */
  binSeconds?: number;
  /** Estimators to compute. @default ['ou', 'var', 'spectral'] */
  estimators?: Estimator[];
  /** Block-bootstrap replicates of the intervals (0: none). @default 100 (the core's) */
  bootstrap?: number;
  /** Target number of time blocks. @default 64 (the core's) */
  blocks?: number;
  /** Frames ahead of the held-out prediction. @default 1 */
  horizon?: number;
  /** Fraction of the recording (its end) held out for the prediction. @default 0.2 */
  testFraction?: number;
  /** Confidence level of the intervals. @default 0.95 */
  level?: number;
  /** Seed of the bootstrap. @default 0 */
  seed?: number;
  /** Causal exponential smoothing time constant (s) of the finest trajectory. @default none */
  smoothing?: number;
  /** How a group of variables becomes one: 'sum' or 'mean'. @default 'sum' */
  reduce?: 'sum' | 'mean';
  /**
   * Coarser scales given directly: `assignments[k][i]` is the group of input row `i` at scale
   * `k + 1` (`-1`: row left out of that scale).
   */
  assignments?: number[][];
  /** A graph over the input rows (node `i` = row `i`): its Laplacian RG flow supplies the scales. */
  graph?: Graph;
  /** Options of that flow. @default { policy: 'fraction', fraction: 0.5, steps: 8 } */
  flow?: Omit<RgFlowOptions, 'signal' | 'threads' | 'onProgress'>;
  /** Adds a scale of the top-K principal components. */
  pca?: number;
  /** Number of discrete states of the `states` estimator. @default floor(sqrt(frames / 100)) clamped to [2, 8] (the core's) */
  states?: number;
  /** Highest polynomial degree of the `sfi` drift basis (chosen on held-out frames up to it). @default 3 */
  sfiMaxDegree?: number;
  /** Largest `sfi` basis (number of monomials); caps the degree with many variables. @default 128 */
  sfiMaxBasis?: number;
}

/** An entropy-production estimate (nats/s) and its interval. */
export interface EpEstimate {
  rate: number;
  ci: [number, number];
  /** Bootstrap bias estimate (replicate mean - estimate), when intervals were computed. */
  bias: number | null;
  /** Nats per frame, where the estimator is defined per step (`states`). */
  perStep?: number;
}

export interface EntropyProduction {
  ou?: EpEstimate | null;
  var?: EpEstimate | null;
  spectral?: EpEstimate | null;
  sfi?: EpEstimate | null;
  states?: EpEstimate | null;
}

/** What the `sfi` rate rests on (Frishman & Ronceray 2020; docs/dynamics.md). */
export interface SfiDetails {
  /** Polynomial degree chosen on held-out frames, and the number of basis functions n_b. */
  degree: number;
  basisSize: number;
  /** Non-gradient directions N_rot of the fitted vector fields; the rate's bias is 2 N_rot / duration. */
  rotational: number;
  /** Information of the drift (nats) and its bias N_b / 2 (N_b = variables x n_b). */
  information: number;
  informationBias: number;
  /** Predicted normalised mean squared error of the drift, N_b / (2 I). */
  driftError: number;
  /** Predicted standard error of the rate (nats/s). */
  rateError: number;
  /** Held-out information rate (nats/s) of every degree tried. */
  validation: { degree: number; score: number }[];
}

/** What the `states` rate rests on (Lynn et al. 2021; docs/dynamics.md). */
export interface StatesDetails {
  k: number;
  /** States that occur. */
  occupied: number;
  /** Plug-in sum per step before the bias correction. */
  plugIn: number;
  /** Transition counts N_ij (row = from). */
  counts: number[][];
  /** Pairs of states seen in one direction only (left out of the sum) and their share of the steps. */
  oneWayPairs: number;
  oneWayFraction: number;
  kmeansIterations: number;
  kmeansConverged: boolean;
}

/** Everything recorded at one scale; matrices are row-major nested arrays, null when undefined. */
export interface ScaleDynamics {
  variables: number;
  frames: number;
  binSeconds: number;
  /** Drift B of dx = -B (x - mu) dt + sqrt(2D) dW. */
  drift: number[][] | null;
  diffusion: number[][] | null;
  /** Stationary covariance S. */
  covariance: number[][] | null;
  /** B - D S^-1: the probability current's part of the drift. */
  irreversibleDrift: number[][] | null;
  /** VAR(1) matrix A = exp(-B dt) and its noise covariance Q. */
  transition: number[][] | null;
  noise: number[][] | null;
  /** Relaxation times 1/Re(eig B) (s), slowest first, and oscillation frequencies Im(eig B)/2pi (Hz). */
  timescales: number[] | null;
  frequencies: number[] | null;
  participationRatio: number | null;
  /** Held-out pooled R^2 of the VAR(1) prediction, and of independent AR(1) models. */
  predictionR2: number | null;
  predictionR2Diagonal: number | null;
  predictionHorizon: number | null;
  entropyProduction: EntropyProduction;
  /** Details of the nonlinear estimators, when requested and defined. */
  sfi: SfiDetails | null;
  states: StatesDetails | null;
  /** Why a quantity is missing, or a warning. */
  diagnostics: string[];
}

export interface DynamicsResult {
  scales: ScaleDynamics[];
  /** Ids of the input rows (scale 0's variables). */
  ids: number[];
  /** The coarse scales used (assignments of the input rows), one per scale after the first. */
  assignments: number[][];
  /** tau of every RG flow step (with `graph`). */
  taus?: number[];
  flowStopped?: string;
}

function matrix(a: Float64Array | null | undefined, n: number): number[][] | null {
  if (!a) return null;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(Array.from(a.subarray(i * n, (i + 1) * n)));
  return out;
}

function ep(e: native.EpEstimateJs | null | undefined): EpEstimate | null {
  if (!e) return null;
  const r: EpEstimate = { rate: e.rate, ci: [e.ciLow, e.ciHigh], bias: e.bias ?? null };
  if (e.perStep !== undefined && e.perStep !== null) r.perStep = e.perStep;
  return r;
}

function checkOptions(o: DynamicsOptions): void {
  for (const e of o.estimators ?? []) if (!ESTIMATORS.includes(e)) throw new InvalidInputError(`estimators: unknown estimator '${e}' (${ESTIMATORS.join(', ')})`);
  checkInteger('bootstrap', o.bootstrap, 0);
  if (o.bootstrap === 1) throw new InvalidInputError('bootstrap must be 0 or at least 2');
  checkInteger('blocks', o.blocks, 1);
  checkInteger('horizon', o.horizon, 1);
  checkInteger('pca', o.pca, 1);
  checkInteger('states', o.states, 2);
  checkInteger('sfiMaxDegree', o.sfiMaxDegree, 1);
  checkInteger('sfiMaxBasis', o.sfiMaxBasis, 1);
  checkSeed(o.seed);
  if (o.smoothing !== undefined && !(o.smoothing > 0 && Number.isFinite(o.smoothing))) throw new InvalidInputError(`smoothing must be a positive time constant in seconds (got ${o.smoothing})`);
}

function nativeOptions(o: DynamicsOptions, assignments: number[][]): native.DynamicsOptions {
  return {
    estimators: o.estimators ?? ['ou', 'var', 'spectral'],
    states: o.states,
    sfiMaxDegree: o.sfiMaxDegree,
    sfiMaxBasis: o.sfiMaxBasis,
    bootstrap: o.bootstrap,
    blocks: o.blocks,
    horizon: o.horizon,
    testFraction: o.testFraction,
    level: o.level,
    seed: o.seed,
    reduce: o.reduce,
    pca: o.pca,
    smoothing: o.smoothing,
    threads: o.threads,
    assignments: assignments.map((a) => a.map((g) => (g < 0 ? 0xffffffff : g))),
  };
}

/** The public scale records of native results (requested estimators only; absent -> null). */
function wrap(scales: native.ScaleDynamicsJs[], o: DynamicsOptions): ScaleDynamics[] {
  const requested = o.estimators ?? ['ou', 'var', 'spectral'];
  return scales.map((s) => {
    const all: Record<Estimator, EpEstimate | null> = { ou: ep(s.ou), var: ep(s.var), spectral: ep(s.spectral), sfi: ep(s.sfi), states: ep(s.states) };
    const entropyProduction: EntropyProduction = {};
    const diagnostics = [...s.diagnostics];
    for (const e of requested) entropyProduction[e] = all[e];
    const n = s.variables;
    const si = s.sfiInfo;
    const st = s.statesInfo;
    return {
      variables: n,
      frames: s.frames,
      binSeconds: s.binSeconds,
      drift: matrix(s.drift, n),
      diffusion: matrix(s.diffusion, n),
      covariance: matrix(s.covariance, n),
      irreversibleDrift: matrix(s.irreversibleDrift, n),
      transition: matrix(s.transition, n),
      noise: matrix(s.noise, n),
      timescales: s.timescales ?? null,
      frequencies: s.frequencies ?? null,
      participationRatio: s.participationRatio ?? null,
      predictionR2: s.predictionR2 ?? null,
      predictionR2Diagonal: s.predictionR2Diagonal ?? null,
      predictionHorizon: s.predictionHorizon ?? null,
      entropyProduction,
      sfi: si
        ? {
            degree: si.degree,
            basisSize: si.basisSize,
            rotational: si.rotational,
            information: si.information,
            informationBias: si.informationBias,
            driftError: si.driftError,
            rateError: si.rateError,
            validation: si.validationDegrees.map((degree, i) => ({ degree, score: si.validationScores[i] })),
          }
        : null,
      states: st
        ? {
            k: st.k,
            occupied: st.occupied,
            plugIn: st.plugIn,
            counts: matrix(st.counts, st.k) ?? [],
            oneWayPairs: st.oneWayPairs,
            oneWayFraction: st.oneWayFraction,
            kmeansIterations: st.kmeansIterations,
            kmeansConverged: st.kmeansConverged,
          }
        : null,
      diagnostics,
    };
  });
}

/** Runs the RG flow of `graph` (retrying fewer steps when a step cannot reach its size); `o.flow` as in {@link DynamicsOptions}. */
async function flowAssignments(graph: Graph, o: Pick<DynamicsOptions, 'flow' | 'signal' | 'threads'>, onProgress: ((f: number) => void) | undefined) {
  const fo = { policy: 'fraction' as const, fraction: 0.5, steps: 8, curvePoints: 0, ...o.flow };
  let f: { steps: { assignment: number[]; tau: number }[]; stopped?: string } = { steps: [] };
  let stopped: string | undefined;
  for (let steps = fo.steps; steps >= 1; steps--) {
    try {
      f = await rgFlow(graph, { ...fo, steps, signal: o.signal, threads: o.threads, onProgress });
      break;
    } catch (err) {
      if (!(err instanceof NoConvergenceError)) throw err;
      stopped = `step ${steps}: ${err.message}`;
    }
  }
  // a step that leaves as many supernodes as the previous scale adds nothing
  const steps = f.steps.filter((s, k) => new Set(s.assignment).size < (k === 0 ? graph.n : new Set(f.steps[k - 1].assignment).size));
  return { assignments: steps.map((s) => s.assignment), taus: steps.map((s) => s.tau), stopped: f.stopped ?? stopped };
}

/**
 * The coarse scales of `rows` input rows: `o.assignments` (checked), then the supernodes of
 * every step of the RG flow of `o.graph`; with the progress callback of the work after the flow.
 */
export async function coarseScales(
  rows: number,
  o: Pick<DynamicsOptions, 'assignments' | 'graph' | 'flow' | 'signal' | 'threads' | 'onProgress'>,
): Promise<{ assignments: number[][]; taus?: number[]; flowStopped?: string; onProgress: ((f: number) => void) | undefined }> {
  const assignments = (o.assignments ?? []).map((a, k) => {
    if (a.length !== rows) throw new InvalidInputError(`assignments[${k}] has ${a.length} entries for ${rows} rows`);
    return a;
  });
  if (!o.graph) return { assignments, onProgress: o.onProgress };
  if (o.graph.n !== rows) throw new InvalidInputError(`the graph has ${o.graph.n} nodes but the activity has ${rows} rows`);
  const f = await flowAssignments(o.graph, o, progressStage(o.onProgress, 0, 0.2));
  assignments.push(...f.assignments);
  return { assignments, taus: f.taus, flowStopped: f.stopped, onProgress: progressStage(o.onProgress, 0.2, 1) };
}

/**
 * Effective linear dynamics and entropy production of activity at every scale: the input's
 * rows (scale 0), then `assignments`, the RG flow of `graph`, and `pca`. Spike trains are
 * binned at `binSeconds`; dense rows are used sample by sample.
 */
export async function effectiveDynamics(activity: Activity, options: DynamicsOptions = {}): Promise<DynamicsResult> {
  checkOptions(options);
  const ids = activityIds(activity);
  const { assignments, taus, flowStopped, onProgress: rest } = await coarseScales(ids.length, options);
  const nat = nativeOptions(options, assignments);
  const run = { signal: options.signal, threads: options.threads, onProgress: rest };
  const f = activityFrames(activity, options.binSeconds ?? DEFAULT_BIN_SECONDS);
  const scales = await runNative(run, (token) =>
    f.kind === 'spikes' ? native.dynamicsSpikes(f.offsets, f.times, f.bin, undefined, undefined, nat, token) : native.dynamicsDense(f.data, f.rows, f.samples, f.period, nat, token),
  );
  const out: DynamicsResult = { scales: wrap(scales, options), ids, assignments };
  if (taus) out.taus = taus;
  if (flowStopped) out.flowStopped = flowStopped;
  return out;
}

/** A frame-major trajectory: `data[t * vars + i]` is variable `i` at frame `t`, frames `dt` s apart. */
export interface Trajectory {
  data: Float64Array;
  frames: number;
  vars: number;
  dt: number;
}

/**
 * Effective dynamics and entropy production of a trajectory given directly (its variables are
 * scale 0; `assignments` and `pca` add coarser scales).
 */
export async function entropyProduction(trajectory: Trajectory, options: Omit<DynamicsOptions, 'graph' | 'flow' | 'binSeconds' | 'smoothing'> = {}): Promise<DynamicsResult> {
  checkOptions(options);
  const { data, frames, vars, dt } = trajectory;
  checkInteger('frames', frames, 1);
  checkInteger('vars', vars, 1);
  if (data.length !== frames * vars) throw new InvalidInputError(`trajectory: ${data.length} values is not frames x vars = ${frames} x ${vars}`);
  const assignments = options.assignments ?? [];
  const nat = nativeOptions(options, assignments);
  const scales = await runNative(options, (token) => native.dynamicsTrajectory(data, frames, vars, dt, nat, token));
  return { scales: wrap(scales, options), ids: Array.from({ length: vars }, (_, i) => i), assignments };
}

/**
 * Streaming analysis of a trajectory too large for memory: `push` frame-major chunks (e.g. read
 * from an NPY file piece by piece), then `finish`. Memory is O(blocks x vars^2), independent of
 * the number of frames. A chunk must not change while its `push` is pending.
 */
export class DynamicsStream {
  private readonly inner: native.DynamicsStream;
  private readonly options: Omit<DynamicsOptions, 'graph' | 'flow' | 'binSeconds' | 'smoothing'>;

  /** `vars` variables every `dt` seconds; `blocks` and `horizon` are fixed here. */
  constructor(readonly vars: number, readonly dt: number, options: Omit<DynamicsOptions, 'graph' | 'flow' | 'binSeconds' | 'smoothing'> = {}) {
    checkArgs('DynamicsStream', ['vars', 'dt', 'options'], ['number', 'number', 'options?'], [vars, dt, options]);
    checkOptions(options);
    checkInteger('vars', vars, 1);
    this.options = options;
    this.inner = callNative(() => new native.DynamicsStream(vars, dt, nativeOptions(options, [])));
  }

  /** Frames pushed so far. */
  get frames(): number {
    return this.inner.frames;
  }

  /** Pushes run one after another in call order, even when not awaited one by one. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Adds the frames of a frame-major chunk (after every earlier push). */
  push(chunk: Float64Array): Promise<void> {
    try {
      checkArgs('DynamicsStream.push', ['chunk'], ['float64'], [chunk]);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = () => runNative({ signal: this.options.signal, threads: this.options.threads }, (token) => this.inner.push(chunk, this.options.threads, token));
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next.then(() => undefined);
  }

  /** Fits every scale (the streamed variables, then `assignments` / `pca`), after every push. */
  async finish(): Promise<DynamicsResult> {
    await this.queue;
    const assignments = this.options.assignments ?? [];
    const scales = await runNative(this.options, (token) => this.inner.finish(nativeOptions(this.options, assignments), token));
    return { scales: wrap(scales, this.options), ids: Array.from({ length: this.vars }, (_, i) => i), assignments };
  }
}

export interface NpyStreamOptions extends Omit<DynamicsOptions, 'graph' | 'flow' | 'binSeconds' | 'smoothing'> {
  /** Seconds between frames (rows). */
  dt: number;
  /** Frames read and pushed per chunk. @default 65536 */
  chunkFrames?: number;
}

/**
 * Streams a trajectory stored as a C-order `frames x vars` float64 or float32 NPY file (one
 * row per frame) through a {@link DynamicsStream}, chunk by chunk: memory is one chunk plus the
 * per-block statistics, whatever the file's size.
 */
export async function dynamicsFromNpy(file: string, options: NpyStreamOptions): Promise<DynamicsResult> {
  const { dt, chunkFrames = 65536, ...rest } = options;
  checkInteger('chunkFrames', chunkFrames, 1);
  const fh = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
    if (bytesRead < 10 || magic.some((b, i) => head[i] !== b)) throw new ParseError('not an NPY file (bad magic bytes)', { file });
    const major = head[6];
    const headerLen = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    if (start + headerLen > bytesRead) throw new ParseError('NPY header too long or truncated', { file });
    const header = head.subarray(start, start + headerLen).toString('latin1');
    const descr = /'descr'\s*:\s*'([<|=])(f[48])'/.exec(header);
    if (!descr) throw new InvalidInputError(`${file}: streaming needs a little-endian float64 or float32 array (header ${header.trim()})`);
    if (!/'fortran_order'\s*:\s*False/.test(header)) throw new InvalidInputError(`${file}: streaming needs a C-order (row-major) frames x vars array`);
    const shape = /'shape'\s*:\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)/.exec(header);
    if (!shape) throw new InvalidInputError(`${file}: streaming needs a 2-D frames x vars array (header ${header.trim()})`);
    const [frames, vars] = [Number(shape[1]), Number(shape[2])];
    const size = descr[2] === 'f8' ? 8 : 4;
    const stream = new DynamicsStream(vars, dt, rest);
    const buf = Buffer.alloc(chunkFrames * vars * size);
    let offset = start + headerLen;
    for (let t = 0; t < frames; t += chunkFrames) {
      const m = Math.min(chunkFrames, frames - t);
      const want = m * vars * size;
      const { bytesRead: got } = await fh.read(buf, 0, want, offset);
      if (got !== want) throw new ParseError(`truncated data at frame ${t} (${got} of ${want} bytes)`, { file });
      offset += want;
      const raw = buf.subarray(0, want);
      const chunk = size === 8 ? new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + want)) : Float64Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + want)));
      await stream.push(chunk);
      options.onProgress?.((0.9 * (t + m)) / frames);
    }
    return await stream.finish();
  } finally {
    await fh.close();
  }
}

/** The documented JSON of `diffrg dynamics --json` (stable field names). */
export function dynamicsJson(r: DynamicsResult) {
  return {
    scales: r.scales.map((s) => ({
      variables: s.variables,
      frames: s.frames,
      binSeconds: s.binSeconds,
      drift: s.drift,
      diffusion: s.diffusion,
      timescales: s.timescales,
      participationRatio: s.participationRatio,
      predictionR2: s.predictionR2,
      entropyProduction: Object.fromEntries(
        Object.entries(s.entropyProduction).map(([k, e]) => [k, e ? (e.perStep !== undefined ? { rate: e.rate, ci: e.ci, perStep: e.perStep } : { rate: e.rate, ci: e.ci }) : null]),
      ),
      predictionR2Diagonal: s.predictionR2Diagonal,
      frequencies: s.frequencies,
      diagnostics: s.diagnostics,
    })),
  };
}
