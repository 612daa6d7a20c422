import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { diffrg, latentClusters } from './helpers';

const require = createRequire(import.meta.url);
const native: typeof import('../native/index') = require('../native/index.js');
const { Graph } = diffrg;

/** Values seen by `onProgress`: strictly increasing, in (0, 1], the last exactly 1. */
function expectProgress(seen: number[]): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const f of seen) expect(f > 0 && f <= 1).toBe(true);
  for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeGreaterThan(seen[k - 1]);
  expect(seen[seen.length - 1]).toBe(1);
}

describe('onProgress', () => {
  it('reports increasing fractions ending at 1 for an SLQ scan; the kernel itself reaches 1', async () => {
    const g = Graph.barabasiAlbert(20_000, 3, 4);
    const seen: number[] = [];
    const r = await diffrg.spectralScan(g, { method: 'slq', probes: 40, steps: 60, reorth: 'none', onProgress: (f) => seen.push(f) });
    expect(r.method).toBe('slq');
    expectProgress(seen);
    // the token the facade polls: before the call 0, after it the native report (not the final TS call)
    const token = new native.CancelToken();
    expect(token.progress).toBe(0);
    await native.spectralScan(g.native, { method: 'slq', probes: 40, steps: 60, reorth: 'none' }, token);
    expect(token.progress).toBe(1);
  });

  it('reports the half-sweeps of an MPS fit; the native fit reaches 1', async () => {
    const p = latentClusters(3, 4, 600, 1);
    const seen: number[] = [];
    await diffrg.fitMps(p, { chi: 4, seed: 1, onProgress: (f) => seen.push(f) });
    expectProgress(seen);
    const token = new native.CancelToken();
    await native.mpsFit(p.data, p.sites, { chi: 4, seed: 1, baselines: false }, token);
    expect(token.progress).toBe(1);
  });

  it('reports the columns of a sparse coarse-graining step and the steps of a flow', async () => {
    const g = Graph.barabasiAlbert(5_000, 2, 9);
    const seen: number[] = [];
    const cg = await diffrg.coarseGrain(g, { tau: 0.3, method: 'local', onProgress: (f) => seen.push(f) });
    expect(cg.n).toBeLessThan(5_000);
    expectProgress(seen);
    const token = new native.CancelToken();
    await native.rgFlow(Graph.barabasiAlbert(2_000, 2, 9).native, { tau: 0.3, method: 'local', steps: 2 }, token);
    expect(token.progress).toBe(1);
  });

  it('is not called without success, and a throwing callback does not break the call', async () => {
    const seen: number[] = [];
    await expect(diffrg.spectralScan(Graph.ring(50), { method: 'slq', probes: 1, onProgress: (f) => seen.push(f) })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    expect(seen).toEqual([]);
    const r = await diffrg.spectralScan(Graph.ring(50), {
      method: 'slq',
      onProgress: () => {
        throw new Error('callback bug');
      },
    });
    expect(r.tau.length).toBeGreaterThan(0);
  });
});
