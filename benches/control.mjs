// Coarse-to-fine control (docs/control.md): Riccati (DARE, CARE) and Gramian solves vs
// python-control (PyPI `control`) on the same seeded systems, and the closed-loop LIF
// simulation of the demonstration's network at 1,000 neurons against real time (a JS
// controller holding a constant drive, so the time is the simulator's plus the callback's).
// Env: CONTROL_BENCH_N (100 coarse states), CONTROL_BENCH_M (10 inputs).
// The closed loop is also run in cleo (PyPI `cleosim`, Brian2 runtime mode; benches/peers/control_cleo.py)
// on a network of the same size and control period; not in smoke mode (its Cython build takes minutes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMOKE, diffrg, machine, peer, rng, row, sized, time } from './_common.mjs';

const n = Number(process.env.CONTROL_BENCH_N ?? sized(100, 8));
const m = Number(process.env.CONTROL_BENCH_M ?? sized(10, 2));
console.log(machine());
const rand = rng(7);
const u = () => 2 * rand() - 1;
// discrete: spectral radius ~0.9; continuous: shifted to be stable
const ad = Array.from({ length: n }, () => Array.from({ length: n }, () => (0.9 * u()) / Math.sqrt(n / 3)));
const ac = ad.map((r, i) => r.map((v, j) => v - (i === j ? 2 : 0)));
const b = Array.from({ length: n }, () => Array.from({ length: m }, u));
const eye = (k) => Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)));
const [q, r] = [eye(n), eye(m)];

console.log(`systems: n = ${n} states, m = ${m} inputs, Q = I, R = I`);
const dare = await time(async () => diffrg.lqr(ad, b, q, r), { repeat: 3, warm: true });
const care = await time(async () => diffrg.lqr(ac, b, q, r, { time: 'continuous' }), { repeat: 3, warm: true });
const gram = await time(async () => diffrg.gramian(ac, b, { time: 'continuous' }), { repeat: 3, warm: true });
console.log(`diffrg residuals: DARE ${dare.value.residual.toExponential(1)}, CARE ${care.value.residual.toExponential(1)}`);
// the systems go to the peer in a file (too large for a command line)
const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-control-'));
let p;
try {
  const file = join(dir, 'systems.json');
  writeFileSync(file, JSON.stringify({ n, m, ad: ad.flat(), ac: ac.flat(), b: b.flat() }));
  p = peer('control_solvers.py', { file });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (p) console.log(`python-control ${p.version}`);
row(`DARE / dlqr (n ${n}, m ${m})`, dare.seconds, p?.dare, 'python-control');
row(`CARE / lqr (n ${n}, m ${m})`, care.seconds, p?.care, 'python-control');
row(`Gramian, continuous infinite horizon (n ${n})`, gram.seconds, p?.gramian, p?.gramianBy ?? 'python-control');

// One control step (Kalman update + LQR with integral action; separately MPC, horizon 10) for
// n coarse states and m inputs through CoarseTracker.step (includes the binding's conversions).
{
  const a = ad.map((r) => r.map((v) => 0.8 * v));
  const noise = eye(n).map((r) => r.map((v) => 0.5 * v));
  const c = Array(n).fill(1);
  const steps = sized(2000, 50);
  for (const controller of ['lqr', 'mpc']) {
    const t = new diffrg.CoarseTracker({ a, b, c, noise }, Array(n).fill(1), { controller, lo: -1e3, hi: 1e3, r: 1 });
    t.reset(Array(n).fill(0), Array(m).fill(0));
    t.setTarget(Array(n).fill(0), Array.from({ length: n }, (_, i) => (i < m ? 1 : 0)), Array(m).fill(0));
    const y = new Float64Array(n);
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < steps; k++) {
      for (let i = 0; i < n; i++) y[i] = rand() - 0.5;
      t.step(y);
    }
    const us = Number(process.hrtime.bigint() - t0) / 1e3 / steps;
    console.log(`one control step, ${controller === 'lqr' ? 'Kalman + LQR (integral action)' : 'Kalman + MPC (horizon 10, FISTA)'}, n ${n}, m ${m}: ${us.toFixed(1)} us (mean of ${steps}; target < 1000 us)`);
  }
}

// Closed loop: 4 assemblies of 200 E + 200 I = 1,000 neurons, 10 ms period, JS controller.
const duration = sized(10, 1.6);
const opts = { assemblies: 4, assemblySize: 200, inhibitory: 200, duration, stepTime: 0.5, threads: 1 };
let calls = 0;
const loop = await time(
  async () =>
    diffrg.simulateLifClosedLoop(opts, () => {
      calls++;
      return [100, 100, 100, 100];
    }),
  { repeat: 1 },
);
console.log(
  `closed loop, 1,000 neurons, ${duration} s simulated, JS controller (${calls} calls), 1 thread: ${loop.seconds.toFixed(3)} s wall = ${(duration / loop.seconds).toFixed(2)}x real time`,
);
const cleo = SMOKE ? null : peer('control_cleo.py', { duration });
if (cleo) {
  console.log(`cleo ${cleo.version} (Brian2 ${cleo.codegen}; build + 0.1 s warm-up ${cleo.build_s.toFixed(1)} s, not timed; ${cleo.calls} IO-processor calls; E rate ${cleo.rate_exc.toFixed(1)} Hz)`);
}
row(`closed loop, 1,000 neurons, ${duration} s, 10 ms period`, loop.seconds, cleo?.run_s, 'cleo');
