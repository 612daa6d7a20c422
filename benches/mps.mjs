// MPS benchmarks against quimb (issue 5, section 4):
//  1. compress a random 100-site Born MPS from bond dimension 128 to 32;
//  2. log2 P of 1e6 patterns at bond dimension 64 (100 sites);
//  3. fit 100 sites x 100,000 patterns at chi 32 (diffrg only; no quimb equivalent).
// Both sides run on the same machine in the same run; ratios are peer time / diffrg time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, time, peer, machine, row } from './_common.mjs';

const threads = Number(process.env.DIFFRG_THREADS ?? 0) || undefined;
console.log(`machine: ${machine()}; diffrg threads: ${diffrg.resolvedThreads(threads)}`);
const dir = mkdtempSync(join(tmpdir(), 'diffrg-mps-bench-'));
const N = 100;
const parts = (process.env.MPS_BENCH_PARTS ?? 'compress,logprob,fit').split(',');
const dims = Array(N).fill(2);

// 1. compression
if (parts.includes('compress')) {
  const m = diffrg.randomMps('born', dims, 128, 1);
  const file = join(dir, 'chi128.npz');
  writeFileSync(file, diffrg.encodeMps(m));
  const ours = await time(() => diffrg.compressMps(m, { maxBond: 32, threads }), { repeat: 3, warm: true });
  const q = peer('mps.py', { task: 'compress', model: file, max_bond: 32, repeat: 3 });
  console.log(`  discarded weight (diffrg) ${ours.value.totalDiscarded.toExponential(4)}, max bond diffrg ${Math.max(...ours.value.model.bondDims)} quimb ${q.max_bond}`);
  row('compress 100 sites, chi 128 -> 32', ours.seconds, q.seconds, 'quimb');
  row('compress, same (numpy QR+SVD reference)', ours.seconds, q.numpy_seconds, 'numpy');
}

// 2. batched log-probabilities
if (parts.includes('logprob')) {
  const P = Number(process.env.MPS_BENCH_PATTERNS ?? 1_000_000);
  const m = diffrg.randomMps('born', dims, 64, 2);
  const file = join(dir, 'chi64.npz');
  writeFileSync(file, diffrg.encodeMps(m));
  let s = 12345n;
  const data = new Uint8Array(P * N);
  for (let i = 0; i < data.length; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    data[i] = Number(s >> 63n);
  }
  const patFile = join(dir, 'patterns.npy');
  writeFileSync(patFile, diffrg.encodeNpy({ dtype: 'uint8', shape: [P, N], data }));
  const ours = await time(() => diffrg.mpsLogProb(m, { rows: P, sites: N, data }, { threads }), { repeat: 1, warm: false });
  const q = peer('mps.py', { task: 'logprob', model: file, patterns: patFile, subset: 2000 });
  const agree = q.numpy_first.every((v, i) => Math.abs(v - ours.value[i]) < 1e-6 * Math.abs(v)) && q.quimb_first.every((v, i) => Math.abs(v - ours.value[i]) < 1e-6 * Math.abs(v));
  console.log(`  results agree with quimb and numpy on the first rows: ${agree}`);
  row(`log2 P, ${P} patterns, 100 sites, chi 64`, ours.seconds, q.quimb_seconds_extrapolated, `quimb(${q.quimb_subset} extrap.)`);
  row(`log2 P, same (numpy batched reference)`, ours.seconds, q.numpy_seconds, 'numpy');
}

// 3. fit (diffrg only)
if (parts.includes('fit')) {
  const P = 100_000;
  // latent-cluster process: 10 clusters x 10 sites, cluster k up with prob 0.2, rates 0.3 / 0.02
  let s = 987654321n;
  const rnd = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  const data = new Uint8Array(P * N);
  const up = new Array(10);
  for (let t = 0; t < P; t++) {
    for (let c = 0; c < 10; c++) up[c] = rnd() < 0.2;
    for (let i = 0; i < N; i++) data[t * N + i] = rnd() < (up[Math.floor(i / 10)] ? 0.3 : 0.02) ? 1 : 0;
  }
  const r = await time(() => diffrg.fitMps({ rows: P, sites: N, data }, { chi: 32, baselines: false, threads }), { repeat: 1 });
  console.log(
    `fit 100 sites x 100,000 patterns, chi 32: ${r.seconds.toFixed(1)} s (${r.value.history.length} half-sweeps, held-out NLL ${r.value.nllHeldout.toFixed(3)} bits, initial ${r.value.initNllHeldout.toFixed(3)})`,
  );
}
