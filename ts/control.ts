/**
 * Coarse-to-fine control (docs/control.md): system identification with inputs, LQR, Kalman
 * filter, Gramians and the closed-loop LIF demonstration. Numerics and defaults live in the core
 * (`crates/diffrg-core/src/control/`); this file converts.
 */
import native = require('./native');
import { runNative, checkSeed, type RunOptions } from './run';
import { readFileSync } from 'node:fs';
import { InvalidInputError, ParseError, fromNative } from './errors';
import { readNpy } from './io/npy';
import { describeValue } from './check';

/** A small dense matrix, one array per row. */
export type Matrix = number[][];

function toNative(name: string, m: Matrix): native.MatrixJs {
  if (!Array.isArray(m) || !m.every((r) => Array.isArray(r))) throw new InvalidInputError(`${name} must be an array of rows`);
  const rows = m.length;
  const cols = rows ? m[0].length : 0;
  const data = new Float64Array(rows * cols);
  m.forEach((r, i) => {
    if (r.length !== cols) throw new InvalidInputError(`${name}: row ${i} has ${r.length} values, row 0 has ${cols}`);
    data.set(r, i * cols);
  });
  return { rows, cols, data };
}

function fromNativeMatrix(m: native.MatrixJs): Matrix {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromNative(e);
  }
}

export type TimeKind = 'discrete' | 'continuous';

/** Result of {@link identifySystem}. */
export interface SystemFit {
  a: Matrix;
  b: Matrix;
  c: number[];
  /** Residual covariance on the training transitions. */
  noise: Matrix;
  /** Held-out one-step pooled R² (NaN without a test set). */
  predictionR2: number;
  trainR2: number;
  trainFrames: number;
  testFrames: number;
  /** Largest |eigenvalue| of A (>= 1: unstable identified system). */
  spectralRadius: number;
}

/**
 * ARX / DMD-with-control fit of `x[t+1] = A x[t] + B u[t] + c` (Proctor, Brunton & Kutz 2016).
 * `x`: frames x states, `u`: frames x inputs (`u[t]` acts on `x[t+1]`).
 */
export function identifySystem(x: Matrix, u: Matrix, options?: { ridge?: number; testFraction?: number }): SystemFit {
  const r = call(() => native.identifySystem(toNative('x', x), toNative('u', u), options?.ridge, options?.testFraction));
  return { ...r, a: fromNativeMatrix(r.a), b: fromNativeMatrix(r.b), noise: fromNativeMatrix(r.noise) };
}

/** Result of {@link lqr}. */
export interface LqrResult {
  /** Gain: `u = -K x` (with integral action the last columns act on the error integral). */
  k: Matrix;
  /** Riccati solution. */
  x: Matrix;
  /** Closed-loop poles. */
  poles: { re: number; im: number }[];
  residual: number;
  iterations: number;
}

/**
 * Linear-quadratic regulator of (A, B) with weights Q, R (discrete time by default). With
 * `integral: { c, qi }`, LQR with integral action on `y = C x`.
 */
export function lqr(a: Matrix, b: Matrix, q: Matrix, r: Matrix, options?: { time?: TimeKind; integral?: { c: Matrix; qi: Matrix } }): LqrResult {
  const i = options?.integral;
  const res = call(() =>
    native.lqr(toNative('A', a), toNative('B', b), toNative('Q', q), toNative('R', r), options?.time, i ? toNative('C', i.c) : undefined, i ? toNative('Qi', i.qi) : undefined),
  );
  return {
    k: fromNativeMatrix(res.k),
    x: fromNativeMatrix(res.x),
    poles: res.polesRe.map((re, j) => ({ re, im: res.polesIm[j] })),
    residual: res.residual,
    iterations: res.iterations,
  };
}

/** Result of {@link kalman}. */
export interface KalmanResult {
  /** Gain M: `x̂ = x⁻ + M (y - C x⁻)`. */
  gain: Matrix;
  /** Predicted and filtered error covariances. */
  pPred: Matrix;
  pFilt: Matrix;
  residual: number;
}

/** Steady-state Kalman filter of `x+ = A x + B u + w`, `y = C x + v`, `w ~ N(0, W)`, `v ~ N(0, V)`. */
export function kalman(a: Matrix, b: Matrix, c: Matrix, w: Matrix, v: Matrix): KalmanResult {
  const r = call(() => native.kalman(toNative('A', a), toNative('B', b), toNative('C', c), toNative('W', w), toNative('V', v)));
  return { gain: fromNativeMatrix(r.gain), pPred: fromNativeMatrix(r.pPred), pFilt: fromNativeMatrix(r.pFilt), residual: r.residual };
}

/** Controllability Gramian; `horizon` in steps (discrete) or seconds (continuous), absent: infinite. */
export function gramian(a: Matrix, b: Matrix, options?: { time?: TimeKind; horizon?: number }): Matrix {
  return fromNativeMatrix(call(() => native.gramian(toNative('A', a), toNative('B', b), options?.time, options?.horizon)));
}

/** Options of {@link simulateLifClosedLoop} (defaults: the core's `ClosedLoopOptions`, docs/control.md). */
export interface ClosedLoopOptions extends RunOptions {
  /** @default 4 */
  assemblies?: number;
  /** Excitatory neurons per assembly. @default 100 */
  assemblySize?: number;
  /** @default 100 */
  inhibitory?: number;
  /** Fraction of neurons observed. @default 0.3 */
  observe?: number;
  /** @default 0 */
  targetAssembly?: number;
  /** Hz. @default 20 */
  targetRate?: number;
  /** Control run (s). @default 6 */
  duration?: number;
  /** Identification run (s). @default 60 */
  idDuration?: number;
  /** Start of the step (s). @default 2 */
  stepTime?: number;
  /** @default 1 */
  seed?: number;
  /** Control period = bin (s). @default 0.01 */
  period?: number;
  /** Inference method of the communities. @default 'correlation' */
  inferMethod?: 'lgd' | 'var' | 'correlation' | 'partial-correlation';
  /** Drive of every channel before the step (Hz of extra Poisson input). @default 15 */
  operatingDrive?: number;
  /** Tracker weights (state, integral, input) and drive bound (Hz). */
  q?: number;
  qi?: number;
  r?: number;
  maxDrive?: number;
  /**
   * Post-stratify the coarse rates by stimulation: a community's rate is `f · mean(reached) +
   * (1 - f) · mean(others)` with `f` the channel's reach fraction (docs/control.md). `false`:
   * plain community means. @default true
   */
  stratify?: boolean;
}

export type ClosedLoopResult = native.ClosedLoopJs;
export type CustomRun = native.CustomRunJs;

/** A JavaScript policy: `t` the time (s) of the next period, `counts` the observed neurons' spikes in the last one; returns one drive (Hz >= 0) per channel. */
export type ControlCallback = (t: number, counts: Uint32Array) => number[];

/**
 * The closed-loop demonstration (docs/control.md "Closed loop"). With `'lqr'` or `'mpc'` the
 * whole pipeline (identification, communities, model, controller, open-loop and random-partition
 * comparisons) runs in Rust. With a callback, the same network runs for `duration` under the
 * callback, which is called synchronously on the JS thread every period: slower than the
 * built-ins and it blocks the event loop; a callback that throws or returns a non-finite or
 * negative value rejects with an `InvalidInputError` (no partial result).
 */
export function simulateLifClosedLoop(options: ClosedLoopOptions | undefined, controller: 'lqr' | 'mpc'): Promise<ClosedLoopResult>;
export function simulateLifClosedLoop(options: ClosedLoopOptions | undefined, controller: ControlCallback): Promise<CustomRun>;
export async function simulateLifClosedLoop(
  options: ClosedLoopOptions | undefined,
  controller: 'lqr' | 'mpc' | ControlCallback,
): Promise<ClosedLoopResult | CustomRun> {
  const { signal: _s, onProgress: _p, ...o } = options ?? {};
  checkSeed(o.seed);
  if (typeof controller === 'function') {
    return call(() => native.simulateLifClosedLoopCallback(o, (t: number, counts: Uint32Array) => controller(t, counts)));
  }
  if (controller !== 'lqr' && controller !== 'mpc') throw new InvalidInputError(`controller must be 'lqr', 'mpc' or a function (got ${String(controller)})`);
  return runNative(options, (token) => native.simulateLifClosedLoop(o, controller, token));
}

/** The issue-11 summary JSON of a demonstration result. */
export function closedLoopSummary(r: ClosedLoopResult) {
  const ok = (v: unknown) => typeof v === 'object' && v !== null;
  if (!ok(r) || !ok(r.identification) || !ok(r.closedLoop) || !ok(r.openLoop) || !ok(r.randomPartition)) {
    throw new InvalidInputError('closedLoopSummary: expected a result of simulateLifClosedLoop with a built-in controller');
  }
  return {
    identification: { predictionR2: r.identification.predictionR2, communities: r.identification.communities, ari: r.identification.ari },
    closedLoop: { finalErrorFraction: r.closedLoop.finalErrorFraction, offTargetMaxHz: r.closedLoop.offTargetMaxHz, rmsErrorHz: r.closedLoop.rmsErrorHz },
    openLoop: { rmsErrorHz: r.openLoop.rmsErrorHz, finalErrorFraction: r.openLoop.finalErrorFraction, offTargetMaxHz: r.openLoop.offTargetMaxHz },
    randomPartition: { offTargetMaxHz: r.randomPartition.offTargetMaxHz, finalErrorFraction: r.randomPartition.finalErrorFraction },
    controller: r.controller,
    seed: r.seed,
    targetAssembly: r.targetAssembly,
    targetRate: r.targetRate,
    stepHz: r.stepHz,
    // diagnostics: false / near 1 when the target is out of reach within the drive bounds
    reachable: r.reachable,
    saturatedFraction: r.closedLoop.saturatedFraction,
    // the closed loop's final error on the observed neurons (what the controller sees)
    observedFinalErrorFraction: r.closedLoop.observedFinalErrorFraction,
  };
}

/** An open-loop drive schedule: from `time[k]` (s) on, channel `channel[k]` gets `value[k]` Hz. */
export interface DriveSchedule {
  time: Float64Array;
  channel: Uint32Array;
  value: Float64Array;
}

/**
 * Checks a schedule's rows: finite times >= 0 in non-decreasing order, integer channels >= 0,
 * finite values >= 0 (rate drive). `where(k)` names row k in the error (file and line).
 */
function checkSchedule(s: DriveSchedule, where: (k: number) => { file?: string; line?: number }): DriveSchedule {
  for (let k = 0; k < s.time.length; k++) {
    const t = s.time[k];
    if (!Number.isFinite(t) || t < 0) throw new ParseError(`time_s = ${t} must be finite and >= 0`, where(k));
    if (k > 0 && t < s.time[k - 1]) throw new ParseError(`time_s = ${t} is before the previous row's ${s.time[k - 1]} (times must be sorted)`, where(k));
    if (!Number.isFinite(s.value[k]) || s.value[k] < 0) throw new ParseError(`value = ${s.value[k]} must be finite and >= 0 (Hz of Poisson drive)`, where(k));
  }
  return s;
}

/** Reads a `time_s,channel,value` CSV (header line first) or an `N x 3` NPY into a {@link DriveSchedule}. */
export function readSchedule(file: string): DriveSchedule {
  if (typeof file !== 'string') throw new InvalidInputError(`readSchedule: file: expected a string, got ${describeValue(file)}`);
  if (file.toLowerCase().endsWith('.npy')) {
    const a = readNpy(file);
    if (a.shape.length !== 2 || a.shape[1] !== 3) throw new ParseError(`expected an N x 3 array (time_s, channel, value), got shape [${a.shape.join(', ')}]`, { file });
    const rows = a.shape[0];
    const get = (k: number, j: number) => Number(a.data[k * 3 + j]);
    const channel = new Uint32Array(rows);
    for (let k = 0; k < rows; k++) {
      const c = get(k, 1);
      if (!Number.isInteger(c) || c < 0) throw new ParseError(`row ${k}: channel ${c} must be an integer >= 0`, { file });
      channel[k] = c;
    }
    const s = { time: Float64Array.from({ length: rows }, (_, k) => get(k, 0)), channel, value: Float64Array.from({ length: rows }, (_, k) => get(k, 2)) };
    return checkSchedule(s, (k) => ({ file: `${file} row ${k}` }));
  }
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase().replace(/\s/g, '');
  if (header !== 'time_s,channel,value') throw new ParseError(`the first line must be the header 'time_s,channel,value' (got '${lines[0] ?? ''}')`, { file, line: 1 });
  const time: number[] = [];
  const channel: number[] = [];
  const value: number[] = [];
  const lineOf: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    const f = l.split(',').map((x) => x.trim());
    const nums = f.map((x) => (x === '' ? Number.NaN : Number(x)));
    if (f.length !== 3 || nums.some((x) => Number.isNaN(x))) throw new ParseError(`expected three numbers time_s,channel,value (got '${l}')`, { file, line: i + 1 });
    if (!Number.isInteger(nums[1]) || nums[1] < 0) throw new ParseError(`channel ${f[1]} must be an integer >= 0`, { file, line: i + 1 });
    time.push(nums[0]);
    channel.push(nums[1]);
    value.push(nums[2]);
    lineOf.push(i + 1);
  }
  return checkSchedule({ time: Float64Array.from(time), channel: Uint32Array.from(channel), value: Float64Array.from(value) }, (k) => ({ file, line: lineOf[k] }));
}

/**
 * The demonstration's network (same channels and observed neurons as
 * {@link simulateLifClosedLoop}) in open loop under a schedule, for `duration` seconds.
 * Unknown channels and unsorted or negative times are typed errors.
 */
export async function simulateLifSchedule(options: ClosedLoopOptions | undefined, schedule: DriveSchedule): Promise<CustomRun> {
  const { signal: _s, onProgress: _p, ...o } = options ?? {};
  checkSeed(o.seed);
  const s = schedule as Partial<DriveSchedule> | null | undefined;
  if (
    !(s?.time instanceof Float64Array && s.channel instanceof Uint32Array && s.value instanceof Float64Array) ||
    s.channel.length !== s.time.length ||
    s.value.length !== s.time.length
  ) {
    throw new InvalidInputError('simulateLifSchedule: schedule: expected { time: Float64Array, channel: Uint32Array, value: Float64Array } of equal lengths (see readSchedule)');
  }
  checkSchedule(schedule, (k) => ({ file: `schedule row ${k}` }));
  return runNative(options, (token) => native.simulateLifSchedule(o, schedule.time, schedule.channel, schedule.value, token));
}

/** Options of {@link CoarseTracker} (defaults: the core's `TrackingOptions`). */
export interface TrackerOptions {
  /** @default 'lqr' */
  controller?: 'lqr' | 'mpc';
  /** State, integral and input weights. @default 1, 0.3, 1e-4 */
  q?: number;
  qi?: number;
  r?: number;
  /** Input bounds. @default 0, 1000 */
  lo?: number;
  hi?: number;
  /** MPC horizon (steps). @default 10 */
  horizon?: number;
}

/**
 * Kalman filter + LQR (or MPC) with integral action on an identified coarse model
 * (docs/control.md "Set-point tracking"), for a user's own loop: `setTarget` once, then `step`
 * with each period's measured coarse rates returns the next input.
 */
export class CoarseTracker {
  readonly #t: native.CoarseTracker;
  constructor(model: { a: Matrix; b: Matrix; c: number[]; noise: Matrix }, measVar: number[], options?: TrackerOptions) {
    this.#t = call(() => new native.CoarseTracker(toNative('A', model.a), toNative('B', model.b), model.c, toNative('noise', model.noise), measVar, options));
  }
  /** Starts the filter at `x0` with input `u0` in force. */
  reset(x0: number[], u0: number[]): void {
    call(() => this.#t.reset(x0, u0));
  }
  /** Target: change `dx` from the baseline `xB` held with `u0`; returns the static-inverse input. */
  setTarget(xB: number[], dx: number[], u0: number[]): Float64Array {
    return call(() => this.#t.setTarget(xB, dx, u0));
  }
  /**
   * False when the last `setTarget` had to clip the static-inverse input to the bounds: the
   * requested change is out of the model's reach and the tracker holds the nearest reachable
   * set point. True before any target is set.
   */
  get reachable(): boolean {
    return this.#t.reachable;
  }
  /** Filters one period's measurement and returns the input for the next period. */
  step(y: Float64Array | number[]): Float64Array {
    return call(() => this.#t.step(y instanceof Float64Array ? y : Float64Array.from(y)));
  }
}
