import { describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { diffrg, cli, tmpDir } from './helpers';
import { rng } from './synthetic.mjs';

/** Dense raster of `base` independent Bernoulli(p) units, each copied `copies` times (row i = unit i / copies). */
function copiesRaster(base: number, copies: number, samples: number, p: number, seed: number) {
  const u = rng(seed);
  const neurons = base * copies;
  const data = new Float64Array(neurons * samples);
  for (let b = 0; b < base; b++) {
    for (let t = 0; t < samples; t++) {
      const v = u() < p ? 1 : 0;
      for (let c = 0; c < copies; c++) data[(b * copies + c) * samples + t] = v;
    }
  }
  return { kind: 'raster' as const, neurons, samples, data };
}

/** Independent Poisson spike trains (rate Hz, duration s). */
function poissonTrains(n: number, rate: number, duration: number, seed: number) {
  const u = rng(seed);
  const times: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const t: number[] = [];
    for (let s = -Math.log(1 - u()) / rate; s < duration; s += -Math.log(1 - u()) / rate) t.push(s);
    times.push(Float64Array.from(t));
  }
  return { kind: 'spikes' as const, ids: Array.from({ length: n }, (_, i) => i + 1), times };
}

describe('phenomenologicalRg', () => {
  it('groups identical copies and gives variance exponent 2, also along given assignments', async () => {
    const act = copiesRaster(8, 4, 4000, 0.3, 1);
    const assignments = [Array.from({ length: 32 }, (_, i) => Math.floor(i / 2)), Array.from({ length: 32 }, (_, i) => Math.floor(i / 4))];
    const r = await diffrg.phenomenologicalRg(act, { maxLevel: 2, assignments, bootstrap: 20, threads: 2 });
    expect(r.prg.levels.map((l) => l.meanSize)).toEqual([1, 2, 4]);
    // every level-2 cluster is the 4 copies of one unit
    const a = r.prg.levels[2].assignment;
    for (let i = 0; i < 32; i++) expect(a[i]).toBe(a[4 * Math.floor(i / 4)]);
    for (const h of [r.prg, r.lrg!]) {
      const v = h.exponents.variance!;
      expect(Math.abs(v.value - 2)).toBeLessThan(1e-9);
      expect(v.ci[0]).toBeLessThanOrEqual(v.value + 1e-9);
      expect(v.ci[1]).toBeGreaterThanOrEqual(v.value - 1e-9);
      expect(Math.abs(h.exponents.silence!.value)).toBeLessThan(1e-9);
    }
    expect(r.lrg!.levels).toHaveLength(3);
    expect(Array.from(r.lrg!.levels[1].assignment.slice(0, 4))).toEqual([0, 0, 1, 1]);
  });

  it('bins spike trains in the core; independent units give exponents near 1', async () => {
    const act = poissonTrains(32, 10, 300, 2);
    const r = await diffrg.phenomenologicalRg(act, { binSeconds: 0.02, bootstrap: 50, seed: 3, threads: 2 });
    expect(r.prg.frames).toBe(Math.floor(Math.max(...act.times.map((t) => t[t.length - 1])) / 0.02) + 1);
    expect(r.prg.levels.map((l) => l.clusters)).toEqual([32, 16, 8, 4]);
    // -ln P0 = K * rate * bin for independent Poisson units; selection bias of the pairing < 0.03
    expect(Math.abs(r.prg.exponents.variance!.value - 1)).toBeLessThan(0.03);
    expect(Math.abs(r.prg.exponents.silence!.value - 1)).toBeLessThan(0.03);
    for (const l of r.prg.levels) expect(Math.abs(l.freeEnergy! - l.meanSize * 10 * 0.02) / (l.meanSize * 0.2)).toBeLessThan(0.05);
    expect(r.lrg).toBeUndefined();
  });

  it('runs the Laplacian RG flow of a graph as the second hierarchy', async () => {
    const act = copiesRaster(8, 4, 2000, 0.3, 4);
    const graph = diffrg.Graph.ring(32);
    let last = 0;
    const r = await diffrg.phenomenologicalRg(act, { graph, flow: { steps: 3 }, bootstrap: 0, threads: 2, onProgress: (f) => (last = f) });
    expect(r.lrg).toBeDefined();
    expect(r.taus!.length).toBe(r.lrg!.levels.length - 1);
    const sizes = r.lrg!.levels.map((l) => l.meanSize);
    for (let k = 1; k < sizes.length; k++) expect(sizes[k]).toBeGreaterThan(sizes[k - 1]);
    expect(last).toBeGreaterThan(0);
  });

  it('rejects bad input with typed errors and honours the signal', async () => {
    const act = copiesRaster(4, 1, 100, 0.5, 5);
    act.data.fill(0, 200, 300);
    await expect(diffrg.phenomenologicalRg(act)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('unit 2 is zero') });
    await expect(diffrg.phenomenologicalRg(act, { bootstrap: 1 })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(diffrg.phenomenologicalRg(act, { assignments: [[0, 1]] })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    const ac = new AbortController();
    ac.abort();
    await expect(diffrg.phenomenologicalRg(copiesRaster(4, 1, 100, 0.5, 6), { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('CLI: prg --json prints levels and exponents with intervals', () => {
    const dir = tmpDir('prg');
    const act = poissonTrains(16, 20, 60, 7);
    const lines = ['neuron,time_s'];
    act.times.forEach((t, i) => t.forEach((s) => lines.push(`${i + 1},${s}`)));
    const file = path.join(dir, 'spikes.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const graph = path.join(dir, 'g.csv');
    // 4 cliques of 4 neurons, joined in a ring by weak edges
    const edges: string[] = [];
    for (let i = 0; i < 16; i++) for (let j = i + 1; j < 16; j++) if (Math.floor(i / 4) === Math.floor(j / 4)) edges.push(`${i + 1},${j + 1},1`);
    for (let c = 0; c < 4; c++) edges.push(`${4 * c + 1},${((4 * c + 4) % 16) + 1},0.1`);
    writeFileSync(graph, edges.join('\n') + '\n');
    const r = cli(['prg', file, '--bin', '20ms', '--bootstrap', '20', '--shuffle', '--graph', graph, '--steps', '2', '--min-clusters', '2', '--json', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.units).toBe(16);
    expect(j.binSeconds).toBe(0.02);
    expect(j.prg.levels.map((l: { K: number }) => l.K)).toEqual([1, 2, 4, 8]);
    for (const k of ['variance', 'silence', 'autocorrelation']) {
      const e = j.prg.exponents[k];
      expect(e.ci[0]).toBeLessThanOrEqual(e.value);
      expect(e.ci[1]).toBeGreaterThanOrEqual(e.value);
    }
    expect(j.prg.exponents.variance.null).toEqual(expect.any(Number));
    expect(j.lrg.exponents.variance.null).toEqual(expect.any(Number));
    expect(j.lrg.levels.length, JSON.stringify([j.lrg.diagnostics, j.taus, j.flowStopped])).toBeGreaterThan(1);
    expect(j.taus).toHaveLength(j.lrg.levels.length - 1);
    const full = JSON.parse(readFileSync(path.join(dir, 'prg.json'), 'utf8'));
    expect(full.prg.levels[1].assignment).toHaveLength(16);
    const bad = cli(['prg', file, '--bootstrap', '1']);
    expect(bad.code).toBe(2);
  });
});
