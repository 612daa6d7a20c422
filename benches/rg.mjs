// Laplacian-RG supernodes: one real-space step.
// 1. Dense path vs numpy/scipy (eigh + rho' rule + connected components), same graph, same tau;
//    the partitions must be identical.
// 2. Localized (sparse) path vs the dense path at N = 3000 (identical partitions, timings).
// 3. Localized path alone on sparse N = 100,000 graphs (no peer: the dense kernel needs 80 GB).
import { SMOKE, diffrg, machine, peer, row, sized, time } from './_common.mjs';

const { Graph, coarseGrain } = diffrg;
console.log(`machine: ${machine()}`);

function edgeList(g) {
  const { indptr, indices } = g.native.toCsr();
  const edges = [];
  for (let i = 0; i < g.n; i++) for (let k = indptr[i]; k < indptr[i + 1]; k++) if (i < indices[k]) edges.push([i, indices[k]]);
  return edges;
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const denseCases = SMOKE
  ? [['BA N=300 m=2, tau=0.3 (smoke)', () => Graph.barabasiAlbert(300, 2, 1), 0.3]]
  : [
      ['BA N=2000 m=2, tau=0.3', () => Graph.barabasiAlbert(2000, 2, 1), 0.3],
      ['ER N=3000 <k>=4, tau=0.6', () => Graph.erdosRenyi(3000, 4, 1), 0.6],
    ];
for (const [name, make, tau] of denseCases) {
  const g = make();
  const ours = await time(() => coarseGrain(g, { tau, method: 'dense' }), { repeat: sized(2, 1) });
  const theirs = peer('rg.py', { n: g.n, edges: edgeList(g), tau, expm: g.n <= 2000 });
  row(`real-space dense step ${name}`, ours.seconds, theirs?.seconds, 'numpy eigh');
  if (theirs?.expm_seconds) row(`  (vs scipy.linalg.expm alone)`, ours.seconds, theirs.expm_seconds, 'scipy expm');
  if (theirs) console.log(`  supernodes: diffrg ${ours.value.n}, numpy ${theirs.supernodes}; identical partition: ${same(ours.value.assignment, theirs.assignment)}`);
  const local = await time(() => coarseGrain(g, { tau, method: 'local' }), { repeat: 1 });
  console.log(
    `  localized path: ${local.seconds.toFixed(3)} s, identical to dense: ${same(local.value.assignment, ours.value.assignment)}, mean support ${local.value.meanSupport?.toFixed(1)}`,
  );
}

const sparseCases = SMOKE
  ? [['BA N=5,000 m=2 (smoke)', () => Graph.barabasiAlbert(5000, 2, 1), 0.3]]
  : [
  ['2D torus N=100,489', () => Graph.torus(317, 2), 1.0],
  ['random tree N=100,000', () => Graph.randomTree(100000, 1), 1.0],
  ['ER N=100,000 <k>=4', () => Graph.erdosRenyi(100000, 4, 1), 0.3],
  ['BA N=100,000 m=2', () => Graph.barabasiAlbert(100000, 2, 1), 0.1],
  ['BA N=100,000 m=2', () => Graph.barabasiAlbert(100000, 2, 1), 0.3],
  ['ER N=10,000 <k>=4', () => Graph.erdosRenyi(10000, 4, 1), 0.6],
    ];
for (const [name, make, tau] of sparseCases) {
  const g = make();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = await coarseGrain(g, { tau, method: 'local' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(
    `real-space localized step ${name.padEnd(24)} tau=${tau}: ${g.n} -> ${r.n} supernodes in ${s.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (mean support ${r.meanSupport?.toFixed(1)}, max ${r.maxSupport})`,
  );
}
