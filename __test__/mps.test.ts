import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, diffrg, latentClusters, type Patterns } from './helpers';


function allPatterns(n: number): Patterns {
  const rows = 1 << n;
  const data = new Uint8Array(rows * n);
  for (let i = 0; i < rows; i++) for (let k = 0; k < n; k++) data[i * n + k] = (i >> (n - 1 - k)) & 1;
  return { rows, sites: n, data };
}

describe('mps engine through the API', () => {
  it('log-probabilities of a random model sum to 1 and match sampling and marginals', async () => {
    const m = diffrg.randomMps('born', Array(8).fill(2), 4, 3);
    const all = allPatterns(8);
    const lp = await diffrg.mpsLogProb(m, all, { threads: 2 });
    const p = Array.from(lp, (v) => 2 ** v);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    const s = await diffrg.sampleMps(m, 500, { seed: 1 });
    const lps = await diffrg.mpsLogProb(m, s.patterns);
    s.log2Prob.forEach((v, i) => expect(Math.abs(v - lps[i])).toBeLessThan(1e-9));
    const marg = await diffrg.mpsMarginals(m, { pairs: true, evidence: [[2, 1]] });
    // P(s_0 = 1 | s_2 = 1) by enumeration
    let num = 0;
    let den = 0;
    for (let i = 0; i < all.rows; i++) {
      if (all.data[i * 8 + 2] !== 1) continue;
      den += p[i];
      if (all.data[i * 8] === 1) num += p[i];
    }
    expect(Math.abs(marg.single[0][1] - num / den)).toBeLessThan(1e-10);
    expect(marg.pairs.length).toBe(28);
    const ent = await diffrg.mpsEntropies(m, { samples: 4000, seed: 2 });
    const h = -p.reduce((a, q) => a + (q > 0 ? q * Math.log2(q) : 0), 0);
    const h2 = -Math.log2(p.reduce((a, q) => a + q * q, 0));
    expect(Math.abs(ent.renyi2 - h2)).toBeLessThan(1e-9);
    expect(Math.abs(ent.shannon - h)).toBeLessThan(4 * ent.shannonStdError);
    expect(ent.bondEntropies.length).toBe(7);
  });

  it('compression reports the discarded weight and keeps a normalised distribution', async () => {
    const m = diffrg.randomMps('born', Array(10).fill(2), 16, 5);
    const c = await diffrg.compressMps(m, { maxBond: 3 });
    expect(Math.max(...c.model.bondDims)).toBeLessThanOrEqual(3);
    expect(c.totalDiscarded).toBeGreaterThan(0);
    expect(c.discarded.length).toBe(9);
    const lp = await diffrg.mpsLogProb(c.model, allPatterns(10));
    expect(Math.abs(Array.from(lp, (v) => 2 ** v).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    const lossless = await diffrg.compressMps(m, { maxBond: 0 });
    expect(lossless.totalDiscarded).toBeLessThan(1e-12);
  });

  it('compression reads the caller buffer in place: views, untouched input, typed errors', async () => {
    const m = diffrg.randomMps('probability', [2, 3, 2, 2, 2], 4, 8);
    expect(m.data).toBeInstanceOf(Float64Array);
    const before = Float64Array.from(m.data);
    const ref = await diffrg.compressMps(m, { maxBond: 2 });
    expect(ref.model.data).toBeInstanceOf(Float64Array);
    expect(ref.model.data.length).toBe(ref.model.bondDims.slice(0, -1).reduce((a, l, k) => a + l * ref.model.dims[k] * ref.model.bondDims[k + 1], 0));
    expect(m.data).toEqual(before);
    // the same cores as a view at a non-zero offset of a larger buffer
    const big = new Float64Array(m.data.length + 3);
    big.set(m.data, 3);
    const viewed = await diffrg.compressMps({ ...m, data: big.subarray(3) }, { maxBond: 2 });
    expect(viewed.totalDiscarded).toBe(ref.totalDiscarded);
    expect(Array.from(viewed.model.data)).toEqual(Array.from(ref.model.data));
    const bad = Float64Array.from(m.data);
    bad[m.data.length - 1] = NaN;
    await expect(diffrg.compressMps({ ...m, data: bad })).rejects.toBeInstanceOf(diffrg.NotFiniteError);
    await expect(diffrg.compressMps({ ...m, data: bad })).rejects.toThrow(/cores\[4\]/);
    await expect(diffrg.compressMps({ ...m, data: m.data.subarray(1) })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(diffrg.compressMps({ ...m, bondDims: [1, 4, 4, 4, 4] })).rejects.toThrow(/bondDims/);
  });

  it('NPZ round trip is exact and rejects malformed files', () => {
    const m = diffrg.randomMps('probability', [2, 3, 2], 2, 1);
    const back = diffrg.decodeMps(diffrg.encodeMps(m));
    expect(back).toEqual(m);
    expect(() => diffrg.decodeMps(diffrg.encodeNpz({ x: { dtype: 'float64', shape: [1], data: new Float64Array(1) } }))).toThrow(/meta/);
  });

  it('fits data better than the independent model and rejects bad input with typed errors', async () => {
    const data = latentClusters(3, 3, 3000, 4);
    const r = await diffrg.fitMps(data, { chi: 4, seed: 1, threads: 2 });
    expect(r.sites).toBe(9);
    expect(r.nllHeldout).toBeLessThan(r.nllIndependent - 0.1);
    expect(Number.isFinite(r.nllIsing)).toBe(true);
    expect(r.isingLogZSe).toBe(0); // 2^9 states: exact
    await expect(diffrg.fitMps({ rows: 2, sites: 3, data: new Uint8Array(5) })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(diffrg.mpsLogProb(r.model, { rows: 1, sites: 9, data: new Uint8Array(9).fill(7) })).rejects.toThrow(/alphabet/);
  });

  it('probability trains (EM) grow their bonds on latent clusters, stay non-negative and reject bad options', async () => {
    const data = latentClusters(3, 3, 3000, 4);
    const community = Array.from({ length: 9 }, (_, i) => i).sort((a, b) => (a % 3) - (b % 3) || a - b);
    const r = await diffrg.fitMps(diffrg.reorderPatterns(data, community), { chi: 8, seed: 1, kind: 'probability', pseudocounts: [1], threads: 2 });
    expect(r.model.kind).toBe('probability');
    expect(r.model.data.every((v) => v >= 0)).toBe(true);
    expect(Math.max(...r.model.bondDims)).toBeGreaterThanOrEqual(2);
    expect(r.nllHeldout).toBeLessThan(r.nllIndependent - 0.1);
    // the curve starts at the product state (chi 1) and every rung's validation NLL is reported
    expect(r.curve[0].chi).toBe(1);
    expect(r.smoothing).toBe(1);
    // log-probabilities of all 2^9 patterns sum to 1
    const lp = await diffrg.mpsLogProb(r.model, allPatterns(9));
    expect(lp.reduce((a, v) => a + 2 ** v, 0)).toBeCloseTo(1, 10);
    await expect(diffrg.fitMps(data, { kind: 'tree' as never, baselines: false })).rejects.toThrow(/kind/);
    await expect(diffrg.fitMps(data, { kind: 'probability', pseudocounts: [-1], baselines: false })).rejects.toThrow(/pseudocounts/);
    await expect(diffrg.fitMps(data, { kind: 'probability', validation: 0, baselines: false })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
  });

  it('mixtures (bagged probability trains + Born machine) are normalised and not worse on validation than any component', async () => {
    const data = latentClusters(3, 3, 3000, 4);
    const community = Array.from({ length: 9 }, (_, i) => i).sort((a, b) => (a % 3) - (b % 3) || a - b);
    const r = await diffrg.fitMps(diffrg.reorderPatterns(data, community), { chi: 4, seed: 1, kind: 'mixture', components: 2, pseudocounts: [1], smoothingGrid: [0], baselines: false, threads: 2 });
    expect(r.model.kind).toBe('probability');
    expect(r.components.map((c) => c.kind)).toEqual(['probability', 'probability', 'latent', 'born']);
    // the latent-class component is capped by chi; the curve says which component each record belongs to
    expect(r.components[2].maxBond).toBeLessThanOrEqual(4);
    expect(new Set(r.curve.map((c) => c.component))).toEqual(new Set([0, 1, 2, 3]));
    expect(r.components.reduce((a, c) => a + c.weight, 0)).toBeCloseTo(1, 9);
    for (const c of r.components) expect(r.nllValidation).toBeLessThanOrEqual(c.nllValidation + 1e-9);
    const lp = await diffrg.mpsLogProb(r.model, allPatterns(9));
    expect(lp.reduce((a, v) => a + 2 ** v, 0)).toBeCloseTo(1, 10);
    await expect(diffrg.fitMps(data, { kind: 'mixture', components: 0, bornChi: 0, latentClasses: 0, baselines: false })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(diffrg.fitMps(data, { kind: 'mixture', components: -1 })).rejects.toThrow(/components/);
  });

  it('ordering matters: contiguous clusters beat the interleaved identity and a random order (synthetic latent clusters)', async () => {
    const data = latentClusters(4, 4, 5000, 9);
    const community = Array.from({ length: 16 }, (_, i) => i).sort((a, b) => (a % 4) - (b % 4) || a - b);
    const res: number[] = [];
    for (const order of [community, Array.from({ length: 16 }, (_, i) => i), diffrg.randomOrder(16, 3)]) {
      const r = await diffrg.fitMps(diffrg.reorderPatterns(data, order), { chi: 2, seed: 1, baselines: false, threads: 2 });
      res.push(r.nllHeldout);
    }
    expect(res[0]).toBeLessThan(res[1] - 0.1);
    expect(res[0]).toBeLessThan(res[2] - 0.1);
  });
});

describe('diffrg mps CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-mps-'));
  const data = latentClusters(3, 3, 1500, 2);
  const csv = path.join(dir, 'patterns.csv');
  const lines = [Array.from({ length: 9 }, (_, k) => `n${k}`).join(',')];
  for (let t = 0; t < data.rows; t++) lines.push(Array.from(data.data.slice(t * 9, t * 9 + 9)).join(','));
  writeFileSync(csv, lines.join('\n') + '\n');

  it('mps fit --json prints the documented fields and writes a loadable model', () => {
    const out = path.join(dir, 'model.npz');
    const r = cli(['mps', 'fit', csv, '--chi', '4', '--seed', '1', '--out', out, '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const key of ['sites', 'chi', 'nllTrain', 'nllHeldout', 'nllIndependent', 'nllIsing', 'bondEntropies']) expect(j).toHaveProperty(key);
    for (const key of ['nllValidation', 'nValidation', 'initMix', 'initMixCandidates']) expect(j).toHaveProperty(key);
    for (const key of ['nllKPairwise', 'isingExactMl', 'maxBond', 'bondDims', 'smoothing', 'curve']) expect(j).toHaveProperty(key);
    expect(j.bondDims.length).toBe(8);
    expect(Math.max(...j.bondDims)).toBe(j.maxBond);
    expect(j.curve.length).toBeGreaterThanOrEqual(j.halfSweeps);
    // 9 binary sites: the baselines are exact maximum-likelihood fits, K-pairwise included
    expect(j.isingExactMl).toBe(true);
    expect(Number.isFinite(j.nllKPairwise)).toBe(true);
    expect(j.initMixCandidates.map((c: { initMix: number }) => c.initMix)).toContain(j.initMix);
    expect(j.sites).toBe(9);
    expect(j.bondEntropies.length).toBe(8);
    const model = diffrg.loadMps(out);
    expect(model.dims.length).toBe(9);
    const lp = cli(['mps', 'logprob', out, csv, '--json']);
    expect(lp.code).toBe(0);
    const lj = JSON.parse(lp.stdout);
    expect(lj.log2Prob.length).toBe(1500);
    expect(lj.log2Prob.every((v: number) => v < 0)).toBe(true);
    // numpy reads the file when available
    const py = spawnSync('python3', ['-c', `import numpy as np, json; z = np.load(${JSON.stringify(out)}); m = json.loads(z['meta'].tobytes()); print(m['sites'], z['core_0000'].shape)`], { encoding: 'utf8' });
    if (py.status === 0) expect(py.stdout.trim()).toBe('9 (1, 2, 4)'.replace('4', String(model.bondDims[1])));
    expect(readFileSync(out).length).toBeGreaterThan(0);
  });

  it('--no-grow --smoothing 0 fits at --chi directly without pseudo-data (the former learning)', () => {
    const r = cli(['mps', 'fit', csv, '--chi', '4', '--seed', '1', '--no-grow', '--smoothing', '0', '--no-baselines', '--out', path.join(dir, 'ng.npz'), '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.smoothing).toBe(0);
    expect(j.curve.every((h: { chi: number; smoothing: number }) => h.chi === 4 && h.smoothing === 0)).toBe(true);
    const g = JSON.parse(cli(['mps', 'fit', csv, '--chi', '4', '--seed', '1', '--smoothing', '0', '--no-baselines', '--out', path.join(dir, 'g.npz'), '--json', '--threads', '2']).stdout);
    // the ladder's first rung is chi 2
    expect(g.curve[0].chi).toBe(2);
    expect(g.nllValidation).toBeLessThanOrEqual(j.nllValidation + 0.05);
  });

  it('mps fit --kind probability writes a probability train', () => {
    const out = path.join(dir, 'p.npz');
    const r = cli(['mps', 'fit', csv, '--chi', '4', '--seed', '1', '--kind', 'probability', '--pseudocounts', '1,10', '--no-baselines', '--out', out, '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.kind).toBe('probability');
    expect([1, 10]).toContain(j.smoothing);
    expect(diffrg.loadMps(out).kind).toBe('probability');
    expect(cli(['mps', 'fit', csv, '--kind', 'tree', '--out', out]).code).toBe(2);
  });

  it('mps fit --kind mixture takes its component flags, and refuses them for other kinds', () => {
    const out = path.join(dir, 'mix.npz');
    const r = cli(['mps', 'fit', csv, '--chi', '4', '--seed', '1', '--kind', 'mixture', '--components', '1', '--born-chi', '0', '--latent-classes', '2', '--pseudocounts', '1', '--no-baselines', '--out', out, '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    // one bagged train + the latent-class model, no Born machine
    const kinds = j.components.map((c: { kind: string }) => c.kind).sort();
    expect(kinds).not.toContain('born');
    expect(j.components.length).toBeLessThanOrEqual(2);
    for (const c of j.components) if (c.kind === 'latent') expect(c.maxBond).toBeLessThanOrEqual(2);
    expect(diffrg.loadMps(out).kind).toBe('probability');
    const refused = cli(['mps', 'fit', csv, '--latent-classes', '4', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--latent-classes applies to --kind mixture only/);
    expect(cli(['mps', 'fit', csv, '--kind', 'mixture', '--born-chi', '-1', '--out', out]).code).toBe(2);
  });

  it('usage and input errors have the documented exit codes', () => {
    expect(cli(['mps', 'fit', csv, '--out', path.join(dir, 'x.npz'), '--order', 'no-such-order']).code).toBe(2);
    expect(cli(['mps', 'fit', csv, '--out', path.join(dir, 'x.npz'), '--bin', '5 parsecs']).code).toBe(2);
    expect(cli(['mps', 'fit', csv]).code).toBe(2); // --out is required
    expect(cli(['mps', 'fit', csv, '--out', path.join(dir, 'x.npz'), '--smoothing', '0,-1']).code).toBe(2);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, '0,1\n1,x\n');
    const r = cli(['mps', 'fit', bad, '--out', path.join(dir, 'y.npz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.csv:2/);
  });
});
