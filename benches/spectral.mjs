// Spectral scans: diffrg (public API) vs numpy/scipy, side by side.
//  1. exact scan at N = 4000 (200 taus) vs numpy.linalg.eigvalsh (+ the same 200 taus in numpy)
//  2. SLQ accuracy at N = 5000: max |C_slq - C_exact| / max C on BA m=2, ER <k>=4, 71x71 torus
//  3. SLQ on a BA graph (m = 3, N = DIFFRG_BENCH_SLQ_N, default 1,000,000) vs the same SLQ
//     algorithm in numpy/scipy (same probes, steps, reorthogonalisation), and the wall time.
// Environment: DIFFRG_BENCH_SLQ_N, DIFFRG_BENCH_EXACT_N (comma list of sizes for part 1, default
// 4000), DIFFRG_BENCH_SKIP (comma list of 1,2,3).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, machine, peer, row, sized, time } from './_common.mjs';

const { Graph, spectralScan, encodeNpy } = diffrg;
const skip = new Set((process.env.DIFFRG_BENCH_SKIP ?? '').split(',').filter(Boolean));
console.log(`machine: ${machine()}`);

function dumpCsr(g) {
  const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-'));
  const c = g.toCsr();
  const put = (name, dtype, data) => writeFileSync(join(dir, name), encodeNpy({ dtype, shape: [data.length], data }));
  put('indptr.npy', 'float64', Float64Array.from(c.indptr));
  put('indices.npy', 'uint32', c.indices);
  put('weights.npy', 'float64', c.weights);
  return dir;
}

const maxRelDiff = (a, b) => {
  const cmax = Math.max(...b);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / cmax;
};

if (!skip.has('1')) {
  const sizes = (process.env.DIFFRG_BENCH_EXACT_N ?? '4000').split(',').map(Number);
  for (const n of sizes) {
    const g = Graph.barabasiAlbert(sized(n, 300), 3, 1);
    const exact = await time(() => spectralScan(g, { method: 'exact', tauCount: 200 }), { repeat: sized(2, 1) });
    const taus = exact.value.tau;
    const dir = dumpCsr(g);
    const np = peer('spectral.py', { task: 'eigvalsh', dir, taus });
    rmSync(dir, { recursive: true, force: true });
    row(`exact scan N=${g.n} BA m=3 (200 taus)`, exact.seconds, np?.seconds, 'numpy eigvalsh');
    if (np) console.log(`  numpy eigvalsh alone ${np.eig_seconds.toFixed(3)} s; max |C_diffrg - C_numpy| / max C = ${maxRelDiff(exact.value.specificHeat, np.specificHeat).toExponential(2)}`);
  }
}

if (!skip.has('2')) {
  const taus = { tauMin: 1e-3, tauMax: 1e3, tauCount: 200 };
  for (const [name, g] of [
    [`BA m=2 N=${sized(5000, 300)}`, Graph.barabasiAlbert(sized(5000, 300), 2, 11)],
    [`ER <k>=4 N=${sized(5000, 300)}`, Graph.erdosRenyi(sized(5000, 300), 4, 5)],
    [`2D torus ${sized(71, 17)}x${sized(71, 17)}`, Graph.torus(sized(71, 17), 2)],
  ]) {
    const ex = await time(() => spectralScan(g, { method: 'exact', ...taus }), { repeat: 1 });
    const sl = await time(() => spectralScan(g, { method: 'slq', ...taus }), { repeat: 1 });
    const err = maxRelDiff(sl.value.specificHeat, ex.value.specificHeat);
    const se = Math.max(...sl.value.specificHeatStderr) / Math.max(...ex.value.specificHeat);
    console.log(
      `SLQ accuracy ${name.padEnd(18)} max|dC|/maxC = ${err.toFixed(4)} (target <= 0.02), max stderr/maxC = ${se.toFixed(4)}, ` +
        `deflated ${sl.value.deflated}; exact ${ex.seconds.toFixed(2)} s, slq ${sl.seconds.toFixed(2)} s`,
    );
  }
}

if (!skip.has('3')) {
  const n = Number(process.env.DIFFRG_BENCH_SLQ_N ?? sized(1_000_000, 5000));
  const probes = 30;
  const steps = 100;
  const g = Graph.barabasiAlbert(n, 3, 1);
  const ours = await time(() => spectralScan(g, { method: 'slq', probes, steps, tauCount: 200 }), { repeat: 1 });
  const r = ours.value;
  console.log(`SLQ BA m=3 N=${n}: ${ours.seconds.toFixed(1)} s on ${diffrg.resolvedThreads()} threads (${r.probes} probes x ${r.steps} steps, deflated ${r.deflated}); transitions ${r.transitions.map((t) => t.tau.toPrecision(3)).join(', ')}`);
  const dir = dumpCsr(g);
  const np = peer('spectral.py', { task: 'slq', dir, probes, steps, seed: 42, reorth: n <= 50_000, taus: r.tau });
  rmSync(dir, { recursive: true, force: true });
  row(`SLQ BA m=3 N=${n} (${probes} probes x ${steps} steps)`, ours.seconds, np?.seconds, 'numpy/scipy SLQ');
  if (np) console.log(`  max |C_diffrg - C_numpy| / max C = ${maxRelDiff(r.specificHeat, np.specificHeat).toFixed(4)} (two independent probe sets)`);
}
