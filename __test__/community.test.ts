import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg } from './helpers';

const { leiden, communityOrdering, modularity, adjustedRandIndex, normalizedMutualInformation, ringOfCliques, stochasticBlockModel, readGraph, Graph, InvalidInputError, NotFiniteError, TooLargeError, AbortError } = diffrg;

const tmp = () => mkdtempSync(path.join(tmpdir(), 'diffrg-comm-'));

describe('Leiden and metrics through the public API', () => {
  it('recovers a planted SBM partition (undirected and directed) deterministically', async () => {
    for (const directed of [false, true]) {
      const { graph, labels } = stochasticBlockModel([60, 60, 60, 60], 0.25, 0.01, { directed, seed: 3 });
      const r = await leiden(graph, { seed: 1 });
      expect(adjustedRandIndex(r.labels, labels)).toBeGreaterThan(0.98);
      expect(normalizedMutualInformation(r.labels, labels)).toBeGreaterThan(0.95);
      expect(r.modularity).toBeCloseTo(modularity(graph, r.labels), 12);
      expect(r.modularity).toBeGreaterThanOrEqual(modularity(graph, labels) - 1e-12);
      const again = await leiden(graph, { seed: 1 });
      expect(Array.from(again.labels)).toEqual(Array.from(r.labels));
    }
  });

  it('the SBM sampler limit and the u32 sizes are checked with typed errors', () => {
    // the limit is the core's (MAX_SBM_NODES = 20000); a size of 2^32 would wrap at the boundary
    expect(() => stochasticBlockModel([15000, 6000], 0.1, 0.01)).toThrow(TooLargeError);
    expect(() => stochasticBlockModel([15000, 6000], 0.1, 0.01)).toThrow(/limited to 20000 nodes \(got 21000\)/);
    expect(() => stochasticBlockModel([2 ** 32], 0.1, 0.01)).toThrow(TooLargeError);
    expect(() => stochasticBlockModel([-1], 0.1, 0.01)).toThrow(InvalidInputError);
    expect(() => stochasticBlockModel([10], 1.5, 0.01)).toThrow(/pIn must be a probability/);
  });

  it('resolution controls the number of communities', async () => {
    const { graph } = ringOfCliques(10, 5);
    const counts = [];
    for (const resolution of [0, 0.3, 1, 1e4]) counts.push((await leiden(graph, { resolution })).communities);
    expect(counts[0]).toBe(1);
    expect(counts[2]).toBe(10);
    expect(counts[3]).toBe(50);
    expect(counts[1]).toBeLessThan(10);
  });

  it('metrics: identities and label-name invariance; typed errors', () => {
    const a = ['x', 'x', 'y', 'y', 'z'];
    expect(adjustedRandIndex(a, [7, 7, 3, 3, 1])).toBe(1);
    expect(normalizedMutualInformation(a, a)).toBe(1);
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1])).toBeCloseTo(1.2 / 3.7, 14);
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(InvalidInputError);
    const g = Graph.ring(4);
    expect(() => modularity(g, [0, 1])).toThrow(InvalidInputError);
    expect(() => modularity(g, [0, 0, 1, 1], NaN)).toThrow(NotFiniteError);
    return expect(leiden(g, { resolution: -1 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('orders a shuffled ring of cliques into contiguous, ring-adjacent blocks', async () => {
    const cliques = 8;
    const size = 6;
    const { graph: g0 } = ringOfCliques(cliques, size);
    const n = cliques * size;
    const perm = Array.from({ length: n }, (_, i) => (i * 29 + 11) % n); // a fixed shuffle (29 coprime to 48)
    const csr = g0.toCsr();
    const sources: number[] = [];
    const targets: number[] = [];
    for (let i = 0; i < n; i++) for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) {
      sources.push(perm[i]);
      targets.push(perm[csr.indices[k]]);
    }
    const g = Graph.fromEdges({ n, sources, targets });
    const truth = new Array<number>(n);
    for (let v = 0; v < n; v++) truth[perm[v]] = Math.floor(v / size);
    const r = await leiden(g);
    expect(adjustedRandIndex(r.labels, truth)).toBe(1);
    const o = await communityOrdering(g, r.labels);
    expect([...o.order].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    const blocks = Array.from(o.order, (v) => truth[v]).filter((c, p, all) => p === 0 || all[p - 1] !== c);
    expect(blocks.length).toBe(cliques);
    for (let p = 1; p < blocks.length; p++) expect([1, cliques - 1]).toContain((blocks[p] - blocks[p - 1] + cliques) % cliques);
  });

  it('aborts through an AbortSignal', async () => {
    const { graph } = stochasticBlockModel([500, 500], 0.05, 0.01, { seed: 1 });
    const ac = new AbortController();
    ac.abort();
    await expect(leiden(graph, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('graph files and the communities CLI', () => {
  it('reads signed edge lists (ids, extra columns) and adjacency matrices through the shared graph reader', () => {
    const d = tmp();
    const f = path.join(d, 'g.csv');
    writeFileSync(f, 'source,target,weight,pvalue\na,b,2,0.01\nb,c,-1.5,0.02\nc,a,0.5,0.3\n');
    const { graph: g, warnings } = readGraph(f, { directed: true, negative: 'abs' });
    expect([g.n, g.edges, g.directed]).toEqual([3, 3, true]);
    expect(g.labels).toEqual(['a', 'b', 'c']);
    expect(Array.from(g.toCsr().weights)).toEqual([2, 1.5, 0.5]);
    expect(warnings.negative).toBe(1);
    expect(readGraph(f, { directed: true, negative: 'drop' }).graph.edges).toBe(2);
    expect(() => readGraph(f, { directed: true })).toThrow(/g\.csv:3: negative weight/);
    const m = path.join(d, 'm.csv');
    writeFileSync(m, '0,1,0,0\n1,0,1,0\n0,1,0,1\n0,0,1,0\n');
    const gm = readGraph(m).graph;
    expect([gm.n, gm.edges, gm.directed]).toEqual([4, 3, false]);
    writeFileSync(f, 'a,b,NaN\n');
    expect(() => readGraph(f)).toThrow(NotFiniteError);
  });

  it('diffrg communities --json matches the contract and scores against --truth', () => {
    const d = tmp();
    const { graph, labels } = stochasticBlockModel([30, 30, 30], 0.4, 0.02, { seed: 5 });
    const csr = graph.toCsr();
    const rows = ['source,target,weight'];
    for (let i = 0; i < graph.n; i++) for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) if (i < csr.indices[k]) rows.push(`n${i},n${csr.indices[k]},1`);
    const gf = path.join(d, 'graph.csv');
    writeFileSync(gf, rows.join('\n') + '\n');
    const tf = path.join(d, 'truth.csv');
    writeFileSync(tf, 'neuron,community\n' + Array.from(labels, (c, i) => `n${i},${c}`).join('\n') + '\n');
    const r = cli(['communities', gf, '--truth', tf, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.labels.length).toBe(90);
    expect(out.community.length).toBe(90);
    expect([...out.order].sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    expect(out.ari).toBe(1);
    expect(out.nmi).toBe(1);
    expect(out.modularity).toBeGreaterThan(0.5);
    const human = cli(['communities', gf, '--resolution', '2']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/modularity \(resolution 2\)/);
    expect(cli(['communities', gf, '--resolution', 'x']).code).toBe(2);
    expect(cli(['communities', gf, '--method', 'bogus']).code).toBe(2);
    const missing = cli(['communities', path.join(d, 'nope.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ERR_IO/);
  });

  it('real data: Drosophila larva mushroom body vs cell types (data/drosophila-larva-mb)', async () => {
    const base = path.join(__dirname, '..', 'data', 'drosophila-larva-mb');
    const r = cli(['communities', path.join(base, 'left_adjacency.csv'), '--truth', path.join(base, 'left_labels.csv'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.compared).toBe(209);
    expect(out.communities).toBeGreaterThan(1);
    // the cell types are wired between, not within, types: their modularity is negative, so a
    // modularity optimum cannot reproduce them (see docs/communities.md)
    const g = readGraph(path.join(base, 'left_adjacency.csv')).graph;
    expect(g.directed).toBe(true);
    const truth = await diffrg.readLabels(path.join(base, 'left_labels.csv'));
    const qTypes = modularity(g, g.labels.map((id: string) => truth.get(id)!));
    expect(qTypes).toBeLessThan(0);
    expect(out.modularity).toBeGreaterThan(0.1);
    expect(out.ari).toBeGreaterThan(0);
    expect(out.ari).toBeLessThan(0.5);
  });

  it('ordering works with the Lanczos path forced on small graphs', async () => {
    const { graph, labels } = stochasticBlockModel([40, 40], 0.3, 0.02, { seed: 2 });
    const o = await communityOrdering(graph, labels, { denseMax: 1 });
    expect([...o.order].sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, i) => i));
    const first = Array.from(o.order.slice(0, 40), (v) => labels[v]);
    expect(new Set(first).size).toBe(1);
  });
});

describe('diffusion-based (LRG) communities', () => {
  it('finds planted modules as Laplacian-RG supernodes past the entropy transition', async () => {
    for (const { graph, labels } of [ringOfCliques(6, 8), stochasticBlockModel([40, 40, 40], 0.4, 0.01, { seed: 3 })]) {
      const r = await diffrg.analyzeCommunities(graph, { method: 'lrg' });
      expect(r.method).toBe('lrg');
      expect(r.tau).toBeGreaterThan(0);
      expect(adjustedRandIndex(r.community, labels)).toBe(1);
    }
  });

  it('diffrg communities --method lrg --json', () => {
    const d = tmp();
    const { graph } = ringOfCliques(5, 6);
    const csr = graph.toCsr();
    const rows = ['source,target'];
    for (let i = 0; i < graph.n; i++) for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) if (i < csr.indices[k]) rows.push(`${i},${csr.indices[k]}`);
    const gf = path.join(d, 'roc.csv');
    writeFileSync(gf, rows.join('\n') + '\n');
    const r = cli(['communities', gf, '--method', 'lrg', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.communities).toBe(5);
    expect(new Set(out.community).size).toBe(5);
    expect(cli(['communities', gf, '--method', 'lrg', '--tau', '-1']).code).toBe(2);
  });
});

