// Graph inference speed: diffrg (LGD and VAR) on N observed neurons, one hour at 1 ms bins,
// ~5 Hz, against a numpy/scipy implementation of the covariance + Yule-Walker step.
// Sizes: DIFFRG_BENCH_INFER_N (default 1000), DIFFRG_BENCH_INFER_SECONDS (default 3600).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, machine, peer, rng, row, sized, time } from './_common.mjs';

const N = Number(process.env.DIFFRG_BENCH_INFER_N ?? sized(1000, 30));
const SECONDS = Number(process.env.DIFFRG_BENCH_INFER_SECONDS ?? sized(3600, 60));
const BIN = 0.001;
const THREADS = Number(process.env.DIFFRG_THREADS ?? 2);

// Background Poisson at 4 Hz per neuron; each spike of neuron i triggers a spike of
// neuron (i + 1) mod N with probability 0.2, 1-3 ms later (mean rate ~5 Hz).
function generate() {
  const u = rng(7);
  const cap = Math.ceil(N * SECONDS * 5.5);
  let neurons = new Uint32Array(cap);
  let times = new Float64Array(cap);
  let m = 0;
  const push = (i, t) => {
    if (m === neurons.length) {
      const nn = new Uint32Array(m * 2);
      nn.set(neurons);
      neurons = nn;
      const tt = new Float64Array(m * 2);
      tt.set(times);
      times = tt;
    }
    neurons[m] = i;
    times[m] = t;
    m++;
  };
  for (let i = 0; i < N; i++) {
    let t = 0;
    for (;;) {
      t += -Math.log(1 - u()) / 4;
      if (t >= SECONDS) break;
      push(i, t);
      if (u() < 0.2) {
        const t2 = t + 0.001 * (1 + Math.floor(3 * u()));
        if (t2 < SECONDS) push((i + 1) % N, t2);
      }
    }
  }
  return { neurons: neurons.subarray(0, m), times: times.subarray(0, m) };
}

console.log(`machine: ${machine()}; threads ${THREADS}`);
const t0 = process.hrtime.bigint();
const data = generate();
console.log(`data: ${N} neurons, ${SECONDS} s at ${BIN * 1e3} ms bins, ${data.neurons.length} spikes (${(data.neurons.length / N / SECONDS).toFixed(2)} Hz), generated in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);

const bins = Math.ceil(SECONDS / BIN);
const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-infer-'));
const ev = new Int32Array(2 * data.neurons.length);
for (let k = 0; k < data.neurons.length; k++) {
  ev[2 * k] = data.neurons[k];
  ev[2 * k + 1] = Math.floor(data.times[k] / BIN);
}
const events = join(dir, 'events.npy');
writeFileSync(events, diffrg.encodeNpy({ dtype: 'int32', shape: [data.neurons.length, 2], data: ev }));

const opts = { binSeconds: BIN, maxLag: 1, threads: THREADS, start: 0, end: SECONDS, generator: false };
const lgd = await time(() => diffrg.inferSpikes(data, { ...opts, method: 'lgd' }), { repeat: 1 });
console.log(`diffrg lgd (19 surrogates, penalty search ${lgd.value.converged ? 'converged' : 'not converged'}, hidden rank ${lgd.value.hidden.rank}): ${lgd.seconds.toFixed(1)} s`);
const lgdGen = await time(() => diffrg.inferSpikes(data, { ...opts, method: 'lgd', generator: true }), { repeat: 1 });
console.log(`diffrg lgd with continuous-time generator: ${lgdGen.seconds.toFixed(1)} s (generator defined: ${lgdGen.value.generator?.defined})`);
const varFull = await time(() => diffrg.inferSpikes(data, { ...opts, method: 'var' }), { repeat: 1 });
console.log(`diffrg var (19 surrogates): ${varFull.seconds.toFixed(1)} s`);
const varMin = await time(() => diffrg.inferSpikes(data, { ...opts, method: 'var', surrogates: 2 }), { repeat: 1 });
const p = peer('infer.py', { events, n: N, bins, ridge: 1e-3 });
if (p) console.log(`numpy/scipy C(0), C(1): ${p.cov_seconds.toFixed(1)} s`);
row(`C(0..1) + Yule-Walker, N=${N}, ${SECONDS} s @1ms (var, 2 surrogates)`, varMin.seconds, p?.seconds, 'numpy/scipy');
rmSync(dir, { recursive: true, force: true });
