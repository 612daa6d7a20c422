import native = require('./native');
import { AbortError, InvalidInputError, fromNative } from './errors';

/** Options every heavy call accepts. */
export interface RunOptions {
  /** Cancels the computation; the promise rejects with an `AbortError` (code ERR_ABORTED). */
  signal?: AbortSignal;
  /**
   * Worker threads for this call.
   * @default DIFFRG_THREADS, else SLURM_CPUS_PER_TASK, else the available parallelism
   */
  threads?: number;
}

/** Validates a `threads` option at the boundary (a positive integer, or undefined). */
export function checkThreads(threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  if (!Number.isInteger(threads) || threads < 1 || threads > 4096) {
    throw new InvalidInputError(`threads must be a positive integer (got ${threads})`);
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
  if (seed === undefined) return undefined;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new InvalidInputError(`${name} must be an integer in [0, ${MAX_SEED}] (got ${seed})`);
  }
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
    throw new InvalidInputError(`${name} must be an integer in [${min}, ${max}] (got ${v})`);
  }
}

/**
 * Runs one native async job: wires `signal` to a native cancel token, maps native errors to
 * typed errors, and turns a cancelled run into an `AbortError`.
 */
export async function runNative<T>(
  options: RunOptions | undefined,
  start: (token: native.CancelToken) => Promise<T>,
): Promise<T> {
  const signal = options?.signal;
  checkThreads(options?.threads);
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  const token = new native.CancelToken();
  const onAbort = () => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await start(token);
  } catch (err) {
    const mapped = fromNative(err);
    if (mapped instanceof AbortError && signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    throw mapped;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Calls a synchronous native function, mapping its errors to typed errors. */
export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw fromNative(err);
  }
}
