// Communities: Leiden speed and quality against leidenalg (the reference implementation), and
// agreement of Leiden communities with published labels on real data (no parameter tuning:
// resolution 1, default seed, for every data set). Modularity is always computed by diffrg's
// `modularity` on the partition each tool returns, so the numbers are comparable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMOKE, diffrg, here, machine, peer, row, sized, time } from './_common.mjs';

const { Graph, leiden, communityOrdering, stochasticBlockModel, readGraph, readLabels, adjustedRandIndex, normalizedMutualInformation, modularity } = diffrg;
const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-comm-'));
console.log(`machine: ${machine()}`);

function edgeFile(graph, name) {
  const csr = graph.toCsr();
  const rows = [];
  for (let i = 0; i < graph.n; i++) {
    for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) {
      const j = csr.indices[k];
      if (graph.directed || i <= j) rows.push(`${i},${j},${csr.weights[k]}`);
    }
  }
  const f = join(dir, name);
  writeFileSync(f, rows.join('\n') + '\n');
  return f;
}

const cases = SMOKE
  ? [
      ['SBM 4 x 100, p_in .1, p_out .005 (smoke)', () => stochasticBlockModel(Array(4).fill(100), 0.1, 0.005, { seed: 1 }).graph],
      ['Barabasi-Albert N=2k, m=4 (smoke)', () => Graph.barabasiAlbert(2000, 4, 1)],
    ]
  : [
      ['SBM 20 x 500 (N=10k), p_in .05, p_out .001', () => stochasticBlockModel(Array(20).fill(500), 0.05, 0.001, { seed: 1 }).graph],
      ['Barabasi-Albert N=50k, m=4', () => Graph.barabasiAlbert(50_000, 4, 1)],
      ['Erdos-Renyi N=100k, <k>=10', () => Graph.erdosRenyi(100_000, 10, 1)],
    ];
console.log('\nLeiden (modularity, resolution 1, 2 iterations = leidenalg default), 1 thread each:');
for (const [name, make] of cases) {
  const g = make();
  const ours = await time(() => leiden(g, { seed: 1, threads: 1, maxIterations: 2 }), { repeat: sized(2, 1) });
  const theirs = peer('communities.py', { edges: edgeFile(g, 'g.csv'), n: g.n, directed: false, resolution: 1, seed: 1, iterations: 2 });
  row(`${name} (${g.edges} edges)`, ours.seconds, theirs?.seconds, 'leidenalg');
  const peerQ = theirs ? `   leidenalg ${modularity(g, theirs.labels).toFixed(4)} (${theirs.communities} comm.)` : '';
  console.log(`${''.padEnd(48)} modularity diffrg ${ours.value.modularity.toFixed(4)} (${ours.value.communities} comm.)${peerQ}`);
  const ord = await time(() => communityOrdering(g, ours.value.labels), { repeat: 1 });
  console.log(`${''.padEnd(48)} community ordering ${ord.seconds.toFixed(3)} s (converged ${ord.value.converged})`);
}

/** Weighted mean |pos_i - pos_j| over edges, and the largest weight crossing any cut between positions. */
function arrangement(graph, order) {
  const pos = new Uint32Array(graph.n);
  order.forEach((v, p) => (pos[v] = p));
  const csr = graph.toCsr();
  const diff = new Float64Array(graph.n + 1);
  let num = 0;
  let den = 0;
  for (let i = 0; i < graph.n; i++) {
    for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) {
      const j = csr.indices[k];
      const w = csr.weights[k];
      if (i === j) continue;
      const a = Math.min(pos[i], pos[j]);
      const b = Math.max(pos[i], pos[j]);
      num += w * (b - a);
      den += w;
      diff[a] += w;
      diff[b] -= w;
    }
  }
  let cut = 0;
  let maxCut = 0;
  for (let p = 0; p < graph.n; p++) maxCut = Math.max(maxCut, (cut += diff[p]));
  return { meanDistance: num / den, maxCut };
}

function shuffled(n, seed) {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

console.log('\nReal data: Leiden communities vs published labels (resolution 1, seed 42, no tuning)');
for (const side of ['left', 'right']) {
  const base = join(here, '..', 'data', 'drosophila-larva-mb');
  const truth = await readLabels(join(base, `${side}_labels.csv`));
  for (const directed of [true, false]) {
    const { graph: g } = await readGraph(join(base, `${side}_adjacency.csv`), { format: 'dense', directed });
    const r = await leiden(g);
    const ref = g.labels.map((id) => truth.get(id));
    const ari = adjustedRandIndex(r.labels, ref);
    const nmi = normalizedMutualInformation(r.labels, ref);
    const qTypes = modularity(g, ref);
    const p = peer('communities.py', { edges: edgeFile(g, 'd.csv'), n: g.n, directed, resolution: 1, seed: 1 });
    const peerCols = p ? `  | leidenalg: Q=${modularity(g, p.labels).toFixed(3)}, ARI ${adjustedRandIndex(p.labels, ref).toFixed(3)}, NMI ${normalizedMutualInformation(p.labels, ref).toFixed(3)}` : '';
    console.log(
      `Drosophila larva MB ${side.padEnd(5)} ${directed ? 'directed  ' : 'undirected'} N=${g.n}: ${r.communities} communities, Q=${r.modularity.toFixed(3)} (cell types Q=${qTypes.toFixed(3)}), ARI ${ari.toFixed(3)}, NMI ${nmi.toFixed(3)}${peerCols}`,
    );
    if (!directed) {
      const o = await communityOrdering(g, r.labels);
      const oa = await communityOrdering(g, r.labels, { anchored: true });
      const fmt = (a) => `mean |dpos| ${a.meanDistance.toFixed(1)}, max cut ${a.maxCut.toFixed(0)}`;
      console.log(`  node order (synapse-weighted): file order (sorted by cell type) ${fmt(arrangement(g, Array.from({ length: g.n }, (_, i) => i)))}; random ${fmt(arrangement(g, shuffled(g.n, 7)))}`);
      console.log(`    diffrg community order ${fmt(arrangement(g, Array.from(o.order)))}; anchored ${fmt(arrangement(g, Array.from(oa.order)))}`);
    }
  }
}
