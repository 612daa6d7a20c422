/**
 * Coarse-to-fine control (docs/control.md): system identification with inputs, LQR, Kalman
 * filter, Gramians and the closed-loop LIF demonstration. Numerics and defaults live in the core
 * (`crates/diffrg-core/src/control/`); this file converts.
 */
import native = require('./native');
import { runNative, checkSeed, type RunOptions } from './run';
import { InvalidInputError, fromNative } from './errors';

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
  /** Drive of every channel before the step (Hz of extra Poisson input). @default 100 */
  operatingDrive?: number;
  /** Tracker weights (state, integral, input) and drive bound (Hz). */
  q?: number;
  qi?: number;
  r?: number;
  maxDrive?: number;
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
  };
}
