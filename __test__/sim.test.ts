import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg } from './helpers';

function readCsv(file: string): { header: string; rows: string[][] } {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return { header: lines[0], rows: lines.slice(1).map((l) => l.split(',')) };
}

describe('simulateLif', () => {
  it('connectionProbabilities counts E->E synapses over ordered pairs inside and between clusters', async () => {
    const sim = await diffrg.simulateLif({ neurons: 300, clusters: 3, duration: 0.01, seed: 4 });
    const p = diffrg.connectionProbabilities(sim);
    // brute force over all ordered pairs of distinct excitatory neurons
    const edge = new Set<number>();
    for (let e = 0; e < sim.sources.length; e++) edge.add(sim.sources[e] * sim.n + sim.targets[e]);
    const k = [0, 0];
    const pairs = [0, 0];
    for (let a = 0; a < sim.n; a++) {
      for (let b = 0; b < sim.n; b++) {
        if (a === b || !sim.excitatory[a] || !sim.excitatory[b]) continue;
        const g = sim.labels[a] === sim.labels[b] ? 0 : 1;
        pairs[g]++;
        if (edge.has(a * sim.n + b)) k[g]++;
      }
    }
    expect(p.inside).toBe(k[0] / pairs[0]);
    expect(p.between).toBe(k[1] / pairs[1]);
    expect(p.inside).toBeGreaterThan(p.between);
    expect(() => diffrg.connectionProbabilities({ ...sim, targets: sim.targets.subarray(1) })).toThrow(diffrg.InvalidInputError);
  });

  it('is deterministic for a seed, independent of threads, and differs across seeds', async () => {
    const opts = { neurons: 600, clusters: 3, duration: 0.3, seed: 7 };
    const a = await diffrg.simulateLif({ ...opts, threads: 1 });
    const b = await diffrg.simulateLif({ ...opts, threads: 2 });
    expect(a.spikeTimes.length).toBeGreaterThan(50);
    expect(Array.from(b.spikeTimes)).toEqual(Array.from(a.spikeTimes));
    expect(Array.from(b.spikeOffsets)).toEqual(Array.from(a.spikeOffsets));
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    const c = await diffrg.simulateLif({ ...opts, seed: 8 });
    expect(Array.from(c.spikeTimes)).not.toEqual(Array.from(a.spikeTimes));
  });

  it('returns consistent ground truth, respects refractoriness and reports progress', async () => {
    const seen: number[] = [];
    const sim = await diffrg.simulateLif({ neurons: 1000, clusters: 5, duration: 0.5, seed: 2, observe: 0.4, onProgress: (f) => seen.push(f), progressIntervalMs: 5 });
    expect(sim.n).toBe(1000);
    expect(sim.spikeOffsets.length).toBe(1001);
    expect(sim.spikeOffsets[1000]).toBe(sim.spikeTimes.length);
    expect(sim.observed.length).toBe(400);
    expect(sim.sources.length).toBe(sim.targets.length);
    expect(sim.sources.length).toBeGreaterThan(1000 * 80);
    // Signs follow the source type; labels: E in 0..K-1, I = K.
    for (let k = 0; k < sim.sources.length; k += 97) {
      expect(sim.weights[k] < 0).toBe(sim.excitatory[sim.sources[k]] === 0);
    }
    for (let i = 0; i < sim.n; i++) expect(sim.labels[i] === sim.clusters).toBe(sim.excitatory[i] === 0);
    for (let i = 0; i < sim.n; i++) {
      const t = diffrg.spikeTrain(sim, i);
      for (let j = 1; j < t.length; j++) expect(t[j] - t[j - 1]).toBeGreaterThanOrEqual(0.0021 - 1e-9);
    }
    expect(sim.rateExc).toBeGreaterThan(0.5);
    expect(sim.rateExc).toBeLessThan(20);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('feedforward directs the E->E coupling around the ring of clusters', async () => {
    const r = await diffrg.simulateLif({ neurons: 400, clusters: 4, duration: 0.05, feedforward: 1, kExc: 40, kInh: 10, shuffleIds: false });
    // E->E synapses from cluster c + 1 back to c are gone; c -> c + 1 remain
    let back = 0;
    let fwd = 0;
    for (let k = 0; k < r.sources.length; k++) {
      const [s, t] = [r.sources[k], r.targets[k]];
      if (!r.excitatory[s] || !r.excitatory[t]) continue;
      if (r.labels[s] === (r.labels[t] + 1) % 4) back++;
      if (r.labels[t] === (r.labels[s] + 1) % 4) fwd++;
    }
    expect(back).toBe(0);
    expect(fwd).toBeGreaterThan(0);
  });

  it('rejects bad options with typed errors and aborts on signal', async () => {
    await expect(diffrg.simulateLif({ neurons: 0 })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 2, duration: -1 })).rejects.toThrow(/duration/);
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 2, observe: 2 })).rejects.toThrow(/observe/);
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 2, observeMode: 'nope' as never })).rejects.toThrow(/observeMode/);
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 2, seed: 1.5 })).rejects.toThrow(/seed/);
    // one seed type everywhere: u32, like every other seeded call
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 2, seed: 2 ** 32 })).rejects.toThrow(/seed must be an integer in \[0, 4294967295\]/);
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 4, feedforward: 1.5 })).rejects.toThrow(/feedforward must be in \[0, 1\]/);
    await expect(diffrg.simulateLif({ neurons: 100, clusters: 2, feedforward: 0.5 })).rejects.toThrow(/at least 3 clusters/);
    const ctrl = new AbortController();
    const p = diffrg.simulateLif({ neurons: 2000, clusters: 4, duration: 1000, signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 100);
    await expect(p).rejects.toBeInstanceOf(diffrg.AbortError);
  });
});

describe('diffrg simulate lif', () => {
  it('writes the four contract files with consistent ids', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-sim-'));
    try {
      const r = cli(['simulate', 'lif', '--neurons', '500', '--clusters', '4', '--duration', '0.5', '--seed', '3', '--observe', '0.5', '--out', dir, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.neurons).toBe(500);
      expect(summary.observed).toBe(250);
      expect(readdirSync(dir).sort()).toEqual(['observed.csv', 'spikes.csv', 'truth_communities.csv', 'truth_edges.csv']);
      const spikes = readCsv(path.join(dir, 'spikes.csv'));
      const observed = readCsv(path.join(dir, 'observed.csv'));
      const edges = readCsv(path.join(dir, 'truth_edges.csv'));
      const comm = readCsv(path.join(dir, 'truth_communities.csv'));
      expect(spikes.header).toBe('neuron,time_s');
      expect(observed.header).toBe('neuron');
      expect(edges.header).toBe('source,target,weight');
      expect(comm.header).toBe('neuron,community');
      const obs = new Set(observed.rows.map((x) => Number(x[0])));
      expect(obs.size).toBe(250);
      expect(spikes.rows.length).toBe(summary.observedSpikes);
      for (const [n, t] of spikes.rows) {
        expect(obs.has(Number(n))).toBe(true);
        expect(Number(t)).toBeGreaterThanOrEqual(0);
        expect(Number(t)).toBeLessThan(0.5);
      }
      expect(edges.rows.length).toBe(summary.synapses);
      for (const [s, t, w] of edges.rows) {
        expect(Number(s)).toBeLessThan(500);
        expect(Number(t)).toBeLessThan(500);
        expect(Number.isFinite(Number(w))).toBe(true);
      }
      expect(comm.rows.length).toBe(500);
      expect(new Set(comm.rows.map((x) => x[1])).size).toBe(5); // 4 clusters + inhibitory pool
      // Same seed, same files.
      const dir2 = mkdtempSync(path.join(tmpdir(), 'diffrg-sim-'));
      try {
        const r2 = cli(['simulate', 'lif', '--neurons', '500', '--clusters', '4', '--duration', '0.5', '--seed', '3', '--observe', '0.5', '--out', dir2, '--threads', '1']);
        expect(r2.code, r2.stderr).toBe(0);
        for (const f of ['spikes.csv', 'truth_edges.csv', 'observed.csv']) {
          expect(readFileSync(path.join(dir2, f), 'utf8')).toBe(readFileSync(path.join(dir, f), 'utf8'));
        }
      } finally {
        rmSync(dir2, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on usage errors', () => {
    expect(cli(['simulate', 'lif', '--neurons', '100']).code).toBe(2); // --out missing
    expect(cli(['simulate', 'lif', '--observe', '1.5', '--out', '/tmp/x']).code).toBe(2);
    expect(cli(['simulate', 'lif', '--feedforward', '2', '--out', '/tmp/x']).code).toBe(2);
    expect(cli(['simulate', 'lif', '--neurons', '10', '--clusters', '20', '--out', '/tmp/x']).code).toBe(2);
  });
});
