// Accuracy of the nonlinear entropy-production estimators over seeds (the figures of
// docs/dynamics.md): (1) `sfi` and `states` on the trap with rotation (sigma = 0.18), 3.2e5
// frames at dt 0.01, over 12 seeds: mean, sd, predicted error, interval coverage; (2) the
// reversible control (e = 0): rate / rateError over 12 seeds; (3) `var` and `states` at the
// assembly scale of a small LIF network as the feed-forward coupling grows (3 seeds).
// DIFFRG_BENCH_SMOKE=1 runs tiny sizes.
import { diffrg, machine } from './_common.mjs';
import { rotatingTrap } from '../__test__/synthetic.mjs';

const SMOKE = process.env.DIFFRG_BENCH_SMOKE === '1';
const THREADS = Number(process.env.DIFFRG_THREADS ?? 2);
const SEEDS = SMOKE ? 2 : 12;
const FRAMES = SMOKE ? 20_000 : 320_000;
const LIF_SEEDS = SMOKE ? 1 : 3;
const LIF_SECONDS = SMOKE ? 3 : 30;
const dt = 0.01;
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));

console.log(`machine: ${machine()}; threads ${THREADS}${SMOKE ? ' (smoke sizes)' : ''}`);
{
  const rates = [];
  const errs = [];
  const states = [];
  const degrees = [];
  let cover = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await diffrg.entropyProduction({ data: rotatingTrap(1, 0.3, 0.5, dt, FRAMES, seed), frames: FRAMES, vars: 2, dt }, { estimators: ['sfi', 'states'], bootstrap: 50, threads: THREADS });
    const s = r.scales[0];
    const e = s.entropyProduction.sfi;
    rates.push(e.rate);
    errs.push(s.sfi.rateError);
    degrees.push(s.sfi.degree);
    states.push(s.entropyProduction.states.rate);
    if (e.ci[0] <= 0.18 && 0.18 <= e.ci[1]) cover++;
  }
  console.log(`trap, ${FRAMES} frames, ${SEEDS} seeds: sfi ${mean(rates).toFixed(4)} ± ${sd(rates).toFixed(4)} (exact 0.18), predicted error ${mean(errs).toFixed(4)}, 95% interval coverage ${cover}/${SEEDS}, degrees ${degrees.join(',')}; states ${mean(states).toFixed(4)} ± ${sd(states).toFixed(4)}`);
  const ratio = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await diffrg.entropyProduction({ data: rotatingTrap(1, 0, 0.5, dt, FRAMES, seed), frames: FRAMES, vars: 2, dt }, { estimators: ['sfi'], bootstrap: 0, threads: THREADS });
    ratio.push(r.scales[0].entropyProduction.sfi.rate / r.scales[0].sfi.rateError);
  }
  console.log(`reversible control (e = 0): sfi rate / rateError ${mean(ratio).toFixed(3)} ± ${sd(ratio).toFixed(3)}, max |.| ${Math.max(...ratio.map(Math.abs)).toFixed(3)}`);
}
for (let seed = 1; seed <= LIF_SEEDS; seed++) {
  const row = [];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const sim = await diffrg.simulateLif({ neurons: 200, clusters: 4, kExc: 40, kInh: 10, pRatio: 6, wRatio: 2.5, feedforward: f, duration: LIF_SECONDS, seed, threads: THREADS });
    const times = [];
    for (let i = 0; i < sim.n; i++) times.push(sim.spikeTimes.slice(sim.spikeOffsets[i], sim.spikeOffsets[i + 1]));
    const act = { kind: 'spikes', ids: Array.from({ length: sim.n }, (_, i) => i), times };
    const labels = Array.from(sim.labels, (l) => (l < 4 ? l : -1));
    const r = await diffrg.effectiveDynamics(act, { binSeconds: 0.02, assignments: [labels], estimators: ['var', 'states'], bootstrap: 20, threads: THREADS });
    const a = r.scales[1].entropyProduction;
    const fmt = (e) => `${e.rate.toFixed(2)} [${e.ci.map((x) => x.toFixed(2)).join(', ')}]`;
    row.push(`f=${f}: var ${fmt(a.var)} states ${fmt(a.states)}`);
  }
  console.log(`LIF assemblies, seed ${seed}: ${row.join('; ')}`);
}
