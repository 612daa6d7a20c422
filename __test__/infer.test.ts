import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg } from './helpers';

/** Seeded uniform generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ground truth: neuron 10 drives 11 (one bin later, probability 0.4) and 12 drives 13;
 * 14 and 15 fire independently. Bins of 5 ms, Bernoulli background 0.02 per bin.
 */
function spikes(bins: number, seed = 1): { neurons: number[]; times: number[] } {
  const u = rng(seed);
  const neurons: number[] = [];
  const times: number[] = [];
  const bin = 0.005;
  let prev = new Array(6).fill(false);
  for (let b = 0; b < bins; b++) {
    const cur = new Array(6).fill(false);
    for (let i = 0; i < 6; i++) {
      let p = 0.02;
      if (i === 1 && prev[0]) p += 0.4;
      if (i === 3 && prev[2]) p += 0.4;
      cur[i] = u() < p;
      if (cur[i]) {
        neurons.push(10 + i);
        times.push((b + 0.5) * bin);
      }
    }
    prev = cur;
  }
  return { neurons, times };
}

describe('inferSpikes', () => {
  const data = spikes(40_000);

  it('LGD recovers the driven pairs as the strongest, significant, directed edges', async () => {
    const r = await diffrg.inferSpikes(data, { binSeconds: 0.005, threads: 2 });
    expect(r.method).toBe('lgd');
    expect(r.directed).toBe(true);
    expect(r.ids).toEqual([10, 11, 12, 13, 14, 15]);
    const edges = r.edges();
    const keys = edges.map((e) => `${e.source}->${e.target}`);
    expect(new Set(keys.slice(0, 2))).toEqual(new Set(['10->11', '12->13']));
    for (const e of edges.slice(0, 2)) {
      expect(e.weight).toBeGreaterThan(0.2);
      expect(e.lag).toBe(1);
      expect(e.qvalue).toBeLessThan(1e-6);
    }
    expect(keys).not.toContain('11->10');
    expect(r.weight.length).toBe(36);
  });

  it('runs every baseline through the same API', async () => {
    for (const method of ['correlation', 'partial-correlation', 'var'] as const) {
      const r = await diffrg.inferSpikes(data, { method, threads: 2 });
      expect(r.method).toBe(method);
      expect(r.directed).toBe(method === 'var');
      expect(r.edges(1).length).toBe(30);
      expect(r.pvalue.length).toBe(36);
      // The drive is lagged: only the directed VAR baseline sees it (correlations are at lag 0).
      if (method === 'var') {
        const top = r.edges(1).slice(0, 2).map((e) => `${e.source}->${e.target}`);
        expect(new Set(top)).toEqual(new Set(['10->11', '12->13']));
      }
    }
  });

  it('rejects bad input with typed errors and honours AbortSignal', async () => {
    await expect(diffrg.inferSpikes({ neurons: [0, 1], times: [0.1] })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(diffrg.inferSpikes({ neurons: [0, -1], times: [0.1, 0.2] })).rejects.toThrow(/neurons\[1\]/);
    await expect(diffrg.inferSpikes({ neurons: [0], times: [NaN] })).rejects.toThrow(/times\[0\]/);
    await expect(diffrg.inferSpikes(data, { maxLag: 0 })).rejects.toThrow(/maxLag/);
    // A recording too short for the surrogates is a typed native error.
    await expect(diffrg.inferSpikes({ neurons: [0, 1], times: [0.01, 0.02] })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    const ac = new AbortController();
    ac.abort();
    await expect(diffrg.inferSpikes(data, { signal: ac.signal })).rejects.toBeInstanceOf(diffrg.AbortError);
  });
});

describe('diffrg infer CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-infer-'));
  const csv = path.join(dir, 'spikes.csv');
  const d = spikes(40_000, 2);
  writeFileSync(csv, 'neuron,time_s\n' + d.neurons.map((n, k) => `${n},${d.times[k]}`).join('\n') + '\n');

  it('writes graph.csv (source,target,weight,pvalue) and prints JSON', () => {
    const out = path.join(dir, 'graph.csv');
    const r = cli(['infer', csv, '--bin', '5ms', '--out', out, '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.method).toBe('lgd');
    expect(s.neurons).toBe(6);
    expect(s.significantEdges).toBeGreaterThanOrEqual(2);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('source,target,weight,pvalue');
    const first = lines.slice(1, 3).map((l) => l.split(',').slice(0, 2).join('->'));
    expect(new Set(first)).toEqual(new Set(['10->11', '12->13']));
    const all = path.join(dir, 'all.csv');
    expect(cli(['infer', csv, '--method', 'correlation', '--all', '--out', all]).code).toBe(0);
    expect(readFileSync(all, 'utf8').trim().split('\n').length).toBe(1 + 30);
  });

  it('exits 2 on usage errors and 1 on bad files, without partial output', () => {
    const out = path.join(dir, 'never.csv');
    expect(cli(['infer', csv, '--bin', 'fast', '--out', out]).code).toBe(2);
    expect(cli(['infer', csv, '--method', 'magic', '--out', out]).code).toBe(2);
    expect(cli(['infer', csv]).code).toBe(2);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'neuron,time_s\n1,0.5\n2,abc\n');
    const r = cli(['infer', bad, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.csv:3/);
    expect(existsSync(out)).toBe(false);
  });
});
