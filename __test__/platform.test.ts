import { describe, expect, it } from 'vitest';
import { diffrg } from './helpers';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const native = require('../native/index.js');
const { Graph, spectralScan, DiffrgError, AbortError, InternalError, InvalidInputError, TooLargeError } = diffrg;

describe('async execution', () => {
  it('keeps the event loop running during a multi-second computation', async () => {
    // A dense eigendecomposition plus a very fine tau grid: seconds of native work.
    const g = Graph.barabasiAlbert(1500, 3, 1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = Date.now();
    const r = await spectralScan(g, { tauCount: 150_000, threads: 1 });
    const elapsed = Date.now() - t0;
    clearInterval(timer);
    expect(r.tau.length).toBe(150_000);
    expect(elapsed).toBeGreaterThan(300);
    // The timer fired throughout: at least a third of the 10 ms slots.
    expect(ticks).toBeGreaterThan(elapsed / 30);
  });

  it('runs several jobs concurrently and returns correct results', async () => {
    const rs = await Promise.all([10, 20, 30].map((n) => spectralScan(Graph.ring(n), { tauMin: 1e-6, tauMax: 1e6, tauCount: 3 })));
    rs.forEach((r, k) => {
      const n = [10, 20, 30][k];
      expect(r.entropy[0]).toBeCloseTo(Math.log(n), 5);
      expect(r.entropy[2]).toBeCloseTo(0, 5);
    });
  });
});

describe('abort', () => {
  it('rejects immediately when the signal is already aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(spectralScan(Graph.ring(10), { signal: ctl.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('stops running native work promptly and rejects with AbortError', async () => {
    const g = Graph.ring(2000);
    const ctl = new AbortController();
    const p = spectralScan(g, { tauCount: 1_000_000, threads: 2, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 300);
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    // Without the abort this grid takes minutes (past the test's time-out), so a rejection with
    // AbortError means the native loop stopped; no wall-time bound is asserted (a loaded machine).
    expect(err).toBeInstanceOf(AbortError);
    expect((err as InstanceType<typeof AbortError>).code).toBe('ERR_ABORTED');
    expect((err as Error).name).toBe('AbortError');
  });
});

describe('threads', () => {
  it('runs jobs in a pool of exactly the requested size', async () => {
    for (const t of [1, 2, 3]) expect(await native.poolThreads(t)).toBe(t);
  });

  it('resolves threads from the option, then DIFFRG_THREADS, then SLURM_CPUS_PER_TASK', () => {
    const saved = { d: process.env.DIFFRG_THREADS, s: process.env.SLURM_CPUS_PER_TASK };
    try {
      delete process.env.DIFFRG_THREADS;
      process.env.SLURM_CPUS_PER_TASK = '5';
      expect(diffrg.resolvedThreads()).toBe(5);
      process.env.DIFFRG_THREADS = '3';
      expect(diffrg.resolvedThreads()).toBe(3);
      expect(diffrg.resolvedThreads(7)).toBe(7);
    } finally {
      for (const [k, v] of [['DIFFRG_THREADS', saved.d], ['SLURM_CPUS_PER_TASK', saved.s]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('rejects an invalid thread count with a typed error', async () => {
    await expect(spectralScan(Graph.ring(5), { threads: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(spectralScan(Graph.ring(5), { threads: 1.5 })).rejects.toThrow(/threads/);
  });

  it('gives the same answer with 1 and 2 threads', async () => {
    const g = Graph.barabasiAlbert(300, 2, 4);
    const [a, b] = [await spectralScan(g, { threads: 1 }), await spectralScan(g, { threads: 2 })];
    a.specificHeat.forEach((c, i) => expect(b.specificHeat[i]).toBeCloseTo(c, 8));
  });
});

describe('typed errors', () => {
  it('maps native errors to subclasses with stable codes and field names', () => {
    let err: unknown;
    try {
      Graph.fromEdges({ n: 2, sources: [0], targets: [5] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err).toBeInstanceOf(DiffrgError);
    expect((err as InstanceType<typeof DiffrgError>).code).toBe('ERR_INVALID_INPUT');
    expect((err as Error).message).toMatch(/edge 0.*out of range/);
    expect(() => Graph.fromEdges({ n: 2, sources: [0], targets: [1], weights: [NaN] })).toThrow(
      expect.objectContaining({ code: 'ERR_NOT_FINITE' }),
    );
  });

  it('rejects bad options inside async jobs with the field name', async () => {
    await expect(spectralScan(Graph.ring(5), { laplacian: 'bogus' as never })).rejects.toThrow(/laplacian: unknown kind 'bogus'/);
    await expect(spectralScan(Graph.ring(5), { tauMin: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('reports ERR_TOO_LARGE before allocating a dense matrix that cannot fit', async () => {
    const g = Graph.ring(60_000); // 3 * 60000^2 doubles = 80 GiB
    await expect(spectralScan(g, { method: 'exact' })).rejects.toBeInstanceOf(TooLargeError);
    await expect(spectralScan(g, { method: 'exact' })).rejects.toThrow(/slq/);
  });
});

describe('panics', () => {
  it('turns a synchronous Rust panic into an InternalError', () => {
    let err: unknown;
    try {
      native.__panicForTest(false);
    } catch (e) {
      err = (require('../dist/errors.js') as typeof import('../dist/errors')).fromNative(e);
    }
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toMatch(/panic.*probe panic/);
  });

  it('turns a panic on a rayon worker inside an async job into a rejected promise', async () => {
    const { fromNative } = require('../dist/errors.js') as typeof import('../dist/errors');
    const err = await native.__panicForTest(true).then(
      () => null,
      (e: unknown) => fromNative(e),
    );
    expect(err).toBeInstanceOf(InternalError);
    expect((err as InstanceType<typeof InternalError>).code).toBe('ERR_INTERNAL');
    // The process is still alive and the addon still works.
    const r = await spectralScan(Graph.ring(4), { tauCount: 2 });
    expect(r.n).toBe(4);
  });
});
