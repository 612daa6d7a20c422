import native = require('./native');
import { AbortError, InvalidInputError, fromNative } from './errors';
import { describeValue } from './check';

/** Options every heavy call accepts. */
export interface RunOptions {
  /** Cancels the computation; the promise rejects with an `AbortError` (code ERR_ABORTED). */
  signal?: AbortSignal;
  /**
   * Worker threads for this call.
   * @default DIFFRG_THREADS, else SLURM_CPUS_PER_TASK, else the available parallelism
   */
  threads?: number;
  /**
   * Called with the completed fraction in [0, 1] while the computation runs: the native kernel
   * reports at its natural granularity (a Lanczos step, a block of columns, a flow step, a
   * surrogate) and the value is polled about every 200 ms, so the callback sees only changes
   * and increasing values. It is called once more with 1 when the call succeeds (not on errors
   * or aborts). Exceptions thrown by the callback are ignored.
   */
  onProgress?: (fraction: number) => void;
}

/** Polling period of `onProgress` (ms). */
const PROGRESS_INTERVAL_MS = 200;

/** Largest thread count (mirrors `exec::MAX_THREADS` in the core). */
export const MAX_THREADS = 4096;

/** Validates a `threads` option at the boundary (a positive integer, or undefined). */
export function checkThreads(threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new InvalidInputError(`threads must be an integer in [1, ${MAX_THREADS}] (got ${typeof threads === 'number' ? threads : describeValue(threads)})`);
  }
  return threads;
}

/** The largest seed the native core accepts (seeds cross the boundary as u32). */
export const MAX_SEED = 0xffffffff;

/**
 * Validates a `seed` option at the boundary: an integer in [0, 2^32 - 1], or undefined. Larger,
 * negative or fractional values would otherwise be wrapped or truncated silently by the u32
 * conversion, so two different seeds could give the same run.
 */
export function checkSeed(seed: number | undefined, name = 'seed'): number | undefined {
  checkInteger(name, seed, 0, MAX_SEED);
  return seed;
}

/** The largest value of an integer option that crosses to Rust as u32. */
export const MAX_U32 = 0xffffffff;

/**
 * Validates an integer option at the boundary: undefined, or an integer in [min, max]. Integer
 * options cross to Rust as u32, where -1 would become 4294967295, 2^32 + 1 would become 1 and
 * 1.5 would become 1, silently.
 */
export function checkInteger(name: string, v: number | undefined, min: number, max: number = MAX_U32): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidInputError(`${name} must be an integer in [${min}, ${max}] (got ${typeof v === 'number' ? v : describeValue(v)})`);
  }
}

/** Cancel tokens of the native jobs in flight, for {@link cancelAllNative}. */
const inFlight = new Set<native.CancelToken>();

/**
 * Cancels every native job in flight. The CLI calls it on SIGINT/SIGTERM before exiting: Node
 * waits for running thread-pool work at exit, so without it a long fit would finish first.
 * Kernels see the cancellation within about 100 ms.
 */
export function cancelAllNative(): void {
  for (const token of inFlight) token.cancel();
}

/**
 * Runs one native async job: wires `signal` to a native cancel token, polls the token's progress
 * for `onProgress`, maps native errors to typed errors, and turns a cancelled run into an
 * `AbortError`.
 */
export async function runNative<T>(
  options: RunOptions | undefined,
  start: (token: native.CancelToken) => Promise<T>,
  progressIntervalMs = PROGRESS_INTERVAL_MS,
): Promise<T> {
  const signal = options?.signal;
  checkThreads(options?.threads);
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  const token = new native.CancelToken();
  inFlight.add(token);
  const onAbort = () => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const onProgress = options?.onProgress;
  let last = 0;
  const report = (f: number) => {
    if (f === last) return;
    last = f;
    try {
      onProgress!(f);
    } catch {
      // a failing progress callback must not break the computation
    }
  };
  const timer = onProgress ? setInterval(() => report(token.progress), progressIntervalMs) : undefined;
  timer?.unref();
  try {
    const result = await start(token);
    if (onProgress) report(1);
    return result;
  } catch (err) {
    const mapped = fromNative(err);
    if (mapped instanceof AbortError && signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    throw mapped;
  } finally {
    inFlight.delete(token);
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The `onProgress` of one stage of a computation made of several native calls: maps the stage's
 * [0, 1] onto [lo, hi] of `onProgress` and never reports a smaller value than before (a stage
 * that is retried does not move the bar back). Undefined when `onProgress` is.
 */
export function progressStage(onProgress: ((fraction: number) => void) | undefined, lo: number, hi: number): ((fraction: number) => void) | undefined {
  if (!onProgress) return undefined;
  let last = -Infinity;
  return (f) => {
    const v = lo + (hi - lo) * f;
    if (v > last) {
      last = v;
      onProgress(v);
    }
  };
}

/** Calls a synchronous native function, mapping its errors to typed errors. */
export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw fromNative(err);
  }
}
