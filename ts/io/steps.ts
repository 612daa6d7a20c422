/**
 * Long synchronous loops written once, run two ways. A parser written as a generator that
 * yields every few thousand iterations can be run to completion synchronously ({@link runSteps},
 * for the synchronous API) or in slices of about 50 ms that let the event loop run in between
 * ({@link runStepsAsync}, for the CLI): a SIGTERM or Ctrl-C that arrives while a large file is
 * being parsed is then handled at once instead of when parsing ends.
 */

/** A computation that yields (no value) now and then, and returns a `T`. */
export type Steps<T> = Generator<void, T, void>;

/** Iterations between two yields of a step generator: small enough for a 50 ms slice. */
export const STEP = 8192;

/** Runs a step generator to completion without yielding to the event loop. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs a step generator, letting the event loop run about every `sliceMs` milliseconds. */
export async function runStepsAsync<T>(steps: Steps<T>, sliceMs = 50): Promise<T> {
  let t0 = Date.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (Date.now() - t0 >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      t0 = Date.now();
    }
  }
}
