import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg, latentClusters } from './helpers';

/** Cluster members fully linked (weight 1), clusters joined in a weak ring (0.1). */
function clusterEdges(clusters: number, size: number): [number, number, number][] {
  const n = clusters * size;
  const e: [number, number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (i % clusters === j % clusters) e.push([i, j, 1]);
  for (let c = 0; c < clusters; c++) e.push([c, (c + 1) % clusters, 0.1]);
  return e;
}

const CLUSTERS = 3;
const SIZE = 4;
const data = latentClusters(CLUSTERS, SIZE, 3000, 5);
const edges = clusterEdges(CLUSTERS, SIZE);
const graph = diffrg.Graph.fromEdges({ n: 12, sources: edges.map((e) => e[0]), targets: edges.map((e) => e[1]), weights: edges.map((e) => e[2]) });

describe('dtnr (API)', () => {
  it('flows along nested, contiguous supernodes and stays consistent with direct fits', async () => {
    const r = await diffrg.dtnr(data, graph, { chi: 8, samples: 2000, threads: 2 });
    const vars = r.scales.map((s) => s.variables);
    expect(vars[0]).toBe(12);
    for (let t = 1; t < vars.length; t++) expect(vars[t]).toBeLessThan(vars[t - 1]);
    expect(r.assignments.length).toBe(vars.length - 1);
    for (const s of r.scales) {
      // every variable is a contiguous run of sites in the leaf order
      expect(s.members.flat()).toEqual(r.order);
      expect(s.multiInformationBits).toBeGreaterThan(-1e-6);
      expect(s.entropyExact).toBe(true);
      expect(s.entropyPerVariable).toBeCloseTo(s.entropyBits / s.variables, 10);
    }
    for (let t = 1; t < r.scales.length; t++) {
      const s = r.scales[t];
      // a deterministic coarse-graining cannot create entropy (up to truncation)
      expect(s.entropyBits).toBeLessThanOrEqual(r.scales[t - 1].entropyBits + 0.01);
      // consistency check: the flowed model predicts the coarse-grained held-out patterns as
      // well as a Born machine fitted to them directly
      expect(Math.abs(s.nllHeldout - s.nllDirectHeldout)).toBeLessThan(0.03 * s.nllDirectHeldout + 0.02);
      expect(s.nllHeldout).toBeLessThanOrEqual(s.nllIndependent + 0.02);
      expect(s.blocks.length).toBe(s.variables);
    }
    expect(r.models[0].kind).toBe('born');
    expect(r.models[1].kind).toBe('probability');
  });

  it('given assignments without truncation: zero truncation error and count blocks', async () => {
    // pairs -> clusters (site i in cluster i % 3)
    const a1 = Array.from({ length: 12 }, (_, i) => 2 * (i % 3) + (i >= 6 ? 1 : 0));
    const a2 = Array.from({ length: 12 }, (_, i) => i % 3);
    const r = await diffrg.dtnr(data, graph, { chi: 4096, block: 'count', cap: 2, assignments: [a1, a2], direct: false, threads: 2 });
    expect(r.scales.map((s) => s.variables)).toEqual([12, 6, 3]);
    expect(r.scales[1].dims).toEqual(new Array(6).fill(3));
    for (const s of r.scales.slice(1)) {
      expect(s.truncationError).toBeLessThan(1e-12);
      expect(s.negativeMass).toBeLessThan(1e-12);
      expect(Number.isNaN(s.nllDirectHeldout)).toBe(true);
    }
    expect(r.direct.length).toBe(0);
    // a probability train at scale 0 (EM): an exactly non-negative flow
    const p = await diffrg.dtnr(data, graph, { chi: 8, assignments: [a1, a2], direct: false, kind: 'probability', threads: 2 });
    expect(p.models.map((m) => m.kind)).toEqual(['probability', 'probability', 'probability']);
    for (const s of p.scales) expect(Math.abs(s.negativeMass)).toBe(0);
    expect(p.scales[1].nllHeldout).toBeLessThan(p.scales[1].nllIndependent);
    // the mixture of fitMps at scale 0: a probability train whose bonds the flow keeps
    const mix = await diffrg.dtnr(data, graph, { chi: 2, assignments: [a1, a2], direct: false, kind: 'mixture', threads: 2 });
    expect(mix.models.map((m) => m.kind)).toEqual(['probability', 'probability', 'probability']);
    for (const s of mix.scales.slice(1)) expect(s.truncationError).toBeLessThan(1e-12);
    await expect(diffrg.dtnr(data, graph, { kind: 'tree' as never })).rejects.toThrow(/kind/);
    await expect(diffrg.dtnr(data, graph, { assignments: [a2, a1] })).rejects.toThrow(/not nested/);
    await expect(diffrg.dtnr({ rows: 1, sites: 3, data: new Uint8Array(3) }, graph)).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    // a flow that cannot coarse-grain (isolated nodes) leaves scale 0 and says why
    const sparse = diffrg.Graph.fromEdges({ n: 12, sources: [0], targets: [1] });
    const r0 = await diffrg.dtnr(data, sparse, { chi: 4, samples: 200, direct: false });
    expect(r0.scales.length).toBeGreaterThanOrEqual(1);
    if (r0.scales.length === 1) expect(r0.flowStopped).toMatch(/target|size|supernode/);
    const ac = new AbortController();
    ac.abort();
    await expect(diffrg.dtnr(data, graph, { signal: ac.signal })).rejects.toBeInstanceOf(diffrg.AbortError);
  });
});

describe('diffrg dtnr CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-dtnr-'));
  const csv = path.join(dir, 'patterns.csv');
  const lines = [Array.from({ length: 12 }, (_, k) => `n${k}`).join(',')];
  for (let t = 0; t < data.rows; t++) lines.push(Array.from(data.data.slice(t * 12, t * 12 + 12)).join(','));
  writeFileSync(csv, lines.join('\n') + '\n');
  const gcsv = path.join(dir, 'graph.csv');
  writeFileSync(gcsv, ['source,target,weight', ...edges.map((e) => e.join(','))].join('\n') + '\n');

  it('--json prints the documented per-scale fields; --out writes records and models', () => {
    const out = path.join(dir, 'run');
    const r = cli(['dtnr', csv, '--graph', gcsv, '--chi', '8', '--samples', '1000', '--json', '--out', out, '--threads', '2']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.scales.length).toBeGreaterThan(1);
    for (const s of j.scales) {
      for (const key of ['variables', 'entropyBits', 'entropyPerVariable', 'multiInformationBits', 'nllHeldout', 'truncationError']) {
        expect(typeof s[key], key).toBe('number');
      }
    }
    expect(j.scales[0].variables).toBe(12);
    expect(j.graph).toBe('given');
    expect([...j.order].sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const rec = JSON.parse(readFileSync(path.join(out, 'scales.json'), 'utf8'));
    expect(rec.scales.length).toBe(j.scales.length);
    const rows = readFileSync(path.join(out, 'scales.csv'), 'utf8').trim().split('\n');
    expect(rows.length).toBe(j.scales.length + 1);
    expect(rows[0].split(',')).toContain('multiInformationBits');
    for (let t = 0; t < j.scales.length; t++) {
      const m = diffrg.loadMps(path.join(out, `model-scale${t}.npz`));
      expect(m.dims.length).toBe(j.scales[t].variables);
      expect(existsSync(path.join(out, `direct-scale${t}.npz`))).toBe(true);
    }
  });

  it('usage errors exit 2', () => {
    expect(cli(['dtnr', csv, '--graph', gcsv, '--block', 'max']).code).toBe(2);
    expect(cli(['dtnr', csv, '--graph', gcsv, '--chi', '0']).code).toBe(2);
    expect(cli(['dtnr', csv, '--graph', gcsv, '--fraction', '1.5']).code).toBe(2);
  });
});
