import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg, latentClusters } from './helpers';


/** True when every community occupies consecutive positions of the order. */
function contiguous(order: number[], community: (site: number) => number): boolean {
  const seen = new Set<number>();
  let prev = -1;
  for (const s of order) {
    const c = community(s);
    if (c !== prev) {
      if (seen.has(c)) return false;
      seen.add(c);
      prev = c;
    }
  }
  return true;
}

const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-patterns-'));
const p = (name: string) => path.join(dir, name);
const pat = diffrg;

describe('loading patterns for MPS work', () => {
  it('bins a spike table into 0/1 or count-capped patterns (bin edges, ids, cap)', async () => {
    // neuron 3 spikes twice in bin 0, neuron 7 once in bin 1 and once at exactly 10 ms (bin 2)
    writeFileSync(p('spikes.csv'), 'neuron,time\n3,0.001\n3,0.004\n7,0.005\n7,0.010\n3,0.0149\n');
    const bin = await pat.loadPatterns(p('spikes.csv'), { bin: '5ms' });
    expect(bin.source).toBe('spikes');
    expect(bin.ids).toEqual([3, 7]);
    expect(bin.binSeconds).toBeCloseTo(0.005, 15);
    expect(bin.patterns.rows).toBe(4); // end = last spike + one bin = 0.0199 s
    expect(Array.from(bin.patterns.data)).toEqual([1, 0, 0, 1, 1, 1, 0, 0]);
    const counts = await pat.loadPatterns(p('spikes.csv'), { bin: 0.005, cap: 3 });
    expect(Array.from(counts.patterns.data)).toEqual([2, 0, 0, 1, 1, 1, 0, 0]);
    expect(counts.spikes!.neurons.length).toBe(5);
    // without --bin, a header naming a time column still means spike activity (default 5 ms)
    expect(pat.detectPatternInput(p('spikes.csv'))).toBe('activity');
    const dflt = await pat.loadPatterns(p('spikes.csv'));
    expect(Array.from(dflt.patterns.data)).toEqual(Array.from(bin.patterns.data));
  });

  it('reads pattern matrices (CSV, NPY) as they are and spike arrays (NPZ) with a bin', async () => {
    writeFileSync(p('pm.csv'), 'a,b,c\n0,1,0\n1,1,0\n0,0,2\n');
    const csv = await pat.loadPatterns(p('pm.csv'));
    expect(csv.source).toBe('patterns');
    expect(csv.patterns).toEqual({ rows: 3, sites: 3, data: Uint8Array.from([0, 1, 0, 1, 1, 0, 0, 0, 2]) });
    expect((await pat.loadPatterns(p('pm.csv'), { cap: 1 })).patterns.data[8]).toBe(1);
    writeFileSync(p('pm.npy'), diffrg.encodeNpy({ dtype: 'uint8', shape: [2, 3], data: Uint8Array.from([1, 0, 1, 0, 1, 0]) }));
    const npy = await pat.loadPatterns(p('pm.npy'));
    expect(npy.patterns.rows).toBe(2);
    expect(Array.from(npy.patterns.data)).toEqual([1, 0, 1, 0, 1, 0]);
    writeFileSync(
      p('sp.npz'),
      diffrg.encodeNpz({
        neurons: { dtype: 'int64', shape: [3], data: BigInt64Array.from([0n, 2n, 0n]) },
        times: { dtype: 'float64', shape: [3], data: Float64Array.from([0.0, 0.012, 0.021]) },
      }),
    );
    const npz = await pat.loadPatterns(p('sp.npz'), { bin: '10ms' });
    expect(npz.ids).toEqual([0, 2]);
    expect(Array.from(npz.patterns.data)).toEqual([1, 0, 0, 1, 1, 0, 0, 0]);
  });

  it('raises typed errors naming the file and line', async () => {
    writeFileSync(p('bad-spikes.csv'), 'neuron,time\n1,0.1\n2,abc\n');
    await expect(pat.loadPatterns(p('bad-spikes.csv'), { bin: '5ms' })).rejects.toThrow(/bad-spikes\.csv:3/);
    writeFileSync(p('bad-pm.csv'), '0,1\n1,7000\n');
    await expect(pat.loadPatterns(p('bad-pm.csv'))).rejects.toBeInstanceOf(diffrg.ParseError);
    await expect(pat.loadPatterns(p('bad-pm.csv'))).rejects.toThrow(/bad-pm\.csv:2/);
    await expect(pat.loadPatterns(p('pm.csv'), { bin: '5 parsecs' })).rejects.toBeInstanceOf(diffrg.InvalidInputError);
    await expect(pat.loadPatterns(p('missing.csv'), { input: 'patterns' })).rejects.toThrow(/missing\.csv/);
    writeFileSync(p('traces.npy'), diffrg.encodeNpy({ dtype: 'float64', shape: [2, 2], data: Float64Array.from([0.5, 0, 1, 2]) }));
    await expect(pat.loadPatterns(p('traces.npy'), { bin: '5ms' })).rejects.toThrow(/\[0, 0\] = 0\.5/);
    writeFileSync(p('order-bad.txt'), '0\n1\n1\n');
    expect(() => pat.readOrderFile(p('order-bad.txt'), 3)).toThrow(/order-bad\.txt:3: site index 1 repeated/);
    writeFileSync(p('order-x.txt'), '0, 2\nx\n');
    expect(() => pat.readOrderFile(p('order-x.txt'), 3)).toThrow(/order-x\.txt:2/);
    writeFileSync(p('order-short.txt'), '2 0\n');
    expect(() => pat.readOrderFile(p('order-short.txt'), 3)).toThrow(/missing: 1/);
  });
});

describe('site orders', () => {
  const data = latentClusters(4, 5, 4000, 3);
  const loaded = { patterns: data, ids: Array.from({ length: 20 }, (_, i) => 100 + i), source: 'patterns' as const, cap: 1 };

  it('identity, seeded random and FILE orders are permutations', async () => {
    expect((await pat.siteOrder('identity', loaded)).order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const r1 = await pat.siteOrder('random', loaded, { seed: 5 });
    const r2 = await pat.siteOrder('random', loaded, { seed: 5 });
    const r3 = await pat.siteOrder('random', loaded, { seed: 6 });
    expect(r1.order).toEqual(r2.order);
    expect(r1.order).not.toEqual(r3.order);
    expect([...r1.order].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const perm = Array.from({ length: 20 }, (_, i) => 19 - i);
    writeFileSync(p('order.txt'), perm.join('\n') + '\n');
    expect((await pat.siteOrder(p('order.txt'), loaded)).order).toEqual(perm);
  });

  it('community order from a graph inferred from the same patterns makes every latent cluster a contiguous block', async () => {
    const o = await pat.siteOrder('community', loaded, { seed: 1, threads: 2 });
    expect(o.graphSource).toBe('inferred');
    expect(contiguous(o.order, (s) => s % 4)).toBe(true);
    expect(new Set(o.communities).size).toBe(4);
    // the interleaved identity order is not contiguous: the check can fail
    expect(contiguous(Array.from({ length: 20 }, (_, i) => i), (s) => s % 4)).toBe(false);
  });

  it('community order from a given graph (matched by site id) and from given labels', async () => {
    // ring of the 4 clusters as cliques, node ids = site ids
    const sources: number[] = [];
    const targets: number[] = [];
    for (let a = 0; a < 20; a++) for (let b = a + 1; b < 20; b++) if (a % 4 === b % 4) (sources.push(a), targets.push(b));
    for (let c = 0; c < 4; c++) (sources.push(c), targets.push((c + 1) % 4));
    const extra = 20; // a node that is not a site is dropped
    sources.push(0);
    targets.push(extra);
    const labels = [...Array.from({ length: 20 }, (_, i) => String(100 + i)), '999'];
    const graph = diffrg.Graph.fromEdges({ n: 21, sources, targets, labels });
    const o = await pat.siteOrder('community', loaded, { graph, seed: 1 });
    expect(o.graphSource).toBe('given');
    expect(contiguous(o.order, (s) => s % 4)).toBe(true);
    const byTruth = await pat.communitySiteOrder(loaded, { labels: Array.from({ length: 20 }, (_, i) => i % 4) });
    expect(contiguous(byTruth.order, (s) => s % 4)).toBe(true);
    const unmatched = diffrg.Graph.fromEdges({ n: 2, sources: [0], targets: [1], labels: ['a', 'b'] });
    await expect(pat.siteOrder('community', loaded, { graph: unmatched })).rejects.toThrow(/matches a site id/);
  });
});

describe('diffrg mps fit on activity', () => {
  // spike table of the latent-cluster process: site i fires in bin t when pattern (t, i) = 1
  const data = latentClusters(3, 4, 2000, 7);
  const rows = ['neuron,time_s'];
  for (let t = 0; t < data.rows; t++) for (let i = 0; i < 12; i++) if (data.data[t * 12 + i]) rows.push(`${10 + i},${(t * 0.005 + 0.0025).toFixed(4)}`);
  writeFileSync(p('lc.csv'), rows.join('\n') + '\n');

  it('--bin 5ms --order community reproduces the binned patterns and puts clusters in blocks', () => {
    const r = cli(['mps', 'fit', p('lc.csv'), '--bin', '5ms', '--order', 'community', '--chi', '4', '--seed', '1', '--out', p('m.npz'), '--json', '--threads', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sites).toBe(12);
    expect(j.input).toBe('spikes');
    expect(j.patterns).toBeGreaterThanOrEqual(2000);
    expect(j.siteIds.map((id: number) => id - 10)).toEqual(j.siteOrder);
    expect(contiguous(j.siteOrder, (s: number) => s % 3)).toBe(true);
    expect(j.nllHeldout).toBeLessThan(j.nllIndependent);
    const id = JSON.parse(cli(['mps', 'fit', p('lc.csv'), '--order', 'identity', '--chi', '4', '--seed', '1', '--out', p('m2.npz'), '--json', '--threads', '2']).stdout);
    expect(id.siteOrder).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(id.patterns).toBe(j.patterns); // default bin 5 ms for a spike table
  });

  it('--order community --graph uses the given graph (node ids = neuron ids)', () => {
    const edges = ['source,target,weight'];
    for (let a = 0; a < 12; a++) for (let b = a + 1; b < 12; b++) if (a % 3 === b % 3) edges.push(`${10 + a},${10 + b},1`);
    edges.push('10,11,0.1', '11,12,0.1', '99,10,1');
    writeFileSync(p('g.csv'), edges.join('\n') + '\n');
    const r = cli(['mps', 'fit', p('lc.csv'), '--order', 'community', '--graph', p('g.csv'), '--chi', '2', '--no-baselines', '--out', p('m3.npz'), '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.graphSource).toBe('given');
    expect(contiguous(j.siteOrder, (s: number) => s % 3)).toBe(true);
  });

  it('usage and input errors', () => {
    expect(cli(['mps', 'fit', p('lc.csv'), '--bin', 'soon', '--out', p('x.npz')]).code).toBe(2);
    expect(cli(['mps', 'fit', p('lc.csv'), '--order', 'nonexistent-order-file', '--out', p('x.npz')]).code).toBe(2);
    expect(cli(['mps', 'fit', p('lc.csv'), '--order', 'identity', '--graph', p('g.csv'), '--out', p('x.npz')]).code).toBe(2);
    writeFileSync(p('short-order.txt'), '0 1 2\n');
    const r = cli(['mps', 'fit', p('lc.csv'), '--order', p('short-order.txt'), '--out', p('x.npz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/short-order\.txt/);
  });
});
