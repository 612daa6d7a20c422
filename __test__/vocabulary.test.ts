/**
 * One vocabulary (CONTRIBUTING.md, "Glossary"): `test` is the split never used for fitting or
 * selection, `validation` the split that selection sees, and standard errors are `Stderr`.
 * The old names stay for one release as deprecated aliases with the same values.
 */
import { describe, expect, it } from 'vitest';
import { diffrg } from './helpers';

describe('renamed result fields keep their deprecated aliases', () => {
  it('fitMps: nTest/nllTest, initNllValidation, history nllValidation, isingLogZStderr', async () => {
    const rows = 240;
    const sites = 4;
    const data = new Uint8Array(rows * sites);
    for (let r = 0; r < rows; r++) for (let s = 0; s < sites; s++) data[r * sites + s] = (r % 3 === 0 || (r * 31 + s * 7) % 5 === 0) ? 1 : 0;
    const r = await diffrg.fitMps({ data, sites, rows }, { chi: 4 });
    expect(r.nTest).toBe(r.nHeldout);
    expect(r.nTest + r.nTrain + r.nValidation).toBe(rows);
    expect(r.nllTest).toBe(r.nllHeldout);
    expect(Number.isFinite(r.nllTest)).toBe(true);
    expect(r.initNllValidation).toBe(r.initNllHeldout);
    expect(r.isingLogZStderr).toBe(r.isingLogZSe);
    expect(r.history.length).toBeGreaterThan(0);
    for (const h of [...r.history, ...r.curve]) expect(h.nllValidation).toBe(h.nllHeldout);
    // the K-pairwise solver reports its iterations and convergence like the Ising one
    expect(r.kPairwiseIterations).toBeGreaterThanOrEqual(0);
    expect(typeof r.kPairwiseConverged).toBe('boolean');
    const e = await diffrg.mpsEntropies(r.model, { samples: 200 });
    expect(e.shannonStderr).toBe(e.shannonStdError);
    expect(e.shannonStderr).toBeGreaterThan(0);
  });
});

describe('renamed options keep their deprecated aliases', () => {
  it('leiden: maxIter and maxIterations give the same partition', async () => {
    const { graph: g } = diffrg.stochasticBlockModel([20, 20], 0.5, 0.02, { seed: 3 });
    const a = await diffrg.leiden(g, { maxIter: 1, seed: 1 });
    const b = await diffrg.leiden(g, { maxIterations: 1, seed: 1 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    await expect(diffrg.leiden(g, { maxIter: -1 })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
  });
});
