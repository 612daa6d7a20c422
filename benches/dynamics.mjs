// Meso-scale dynamics: (1) throughput of the streaming linear fit with bootstrap intervals on
// FRAMES x VARS frames (default 10^7 x 100), pushed in chunks as a file reader would;
// (2) entropy production of the 2D trap with rotation (sigma = 0.18 nats/s) by diffrg and by
// Stochastic Force Inference (PyPI stochasticforceinference, linear force basis + constant
// diffusion, sigma from the fitted drift in closed form) on the same trajectories: accuracy and
// time, ratio printed; (3) the same for a nonlinear drift (the rotating Mexican hat, sigma =
// e^2 <|x|^2> / d) with diffrg `sfi` and SFI both on the monomials up to degree 3.
// Sizes: DIFFRG_BENCH_DYN_FRAMES (default 1e7), DIFFRG_BENCH_DYN_VARS (100),
// DIFFRG_BENCH_DYN_TRAP_FRAMES (default 3.2e5); DIFFRG_BENCH_SMOKE=1 runs tiny sizes (CI).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, machine, peer, row, time } from './_common.mjs';
import { normals, rotatingMexicanHat, rotatingTrap } from '../__test__/synthetic.mjs';

const SMOKE = process.env.DIFFRG_BENCH_SMOKE === '1';
const FRAMES = Number(process.env.DIFFRG_BENCH_DYN_FRAMES ?? (SMOKE ? 2e4 : 1e7));
const VARS = Number(process.env.DIFFRG_BENCH_DYN_VARS ?? (SMOKE ? 10 : 100));
const TRAP_FRAMES = Number(process.env.DIFFRG_BENCH_DYN_TRAP_FRAMES ?? (SMOKE ? 2e4 : 3.2e5));
const THREADS = Number(process.env.DIFFRG_THREADS ?? 2);
const CHUNK = 100_000;


/** A VAR(1) chunk: x_{t+1} = 0.9 x_t + 0.05 (x_{t+1 mod n neighbour}) + noise (stable, irreversible). */
function varChunk(frames, n, seed) {
  const z = normals(seed);
  const out = new Float64Array(frames * n);
  const x = new Float64Array(n);
  for (let t = 0; t < frames; t++) {
    const prev = Float64Array.from(x);
    for (let i = 0; i < n; i++) x[i] = 0.9 * prev[i] + 0.05 * prev[(i + 1) % n] + z();
    out.set(x, t * n);
  }
  return out;
}

/** The trap with rotation k = 1, e = 0.3, d = 0.5, simulated exactly at dt (frame-major). */
const trap = (frames, dt, seed) => rotatingTrap(1, 0.3, 0.5, dt, frames, seed);

console.log(`machine: ${machine()}; threads ${THREADS}${SMOKE ? ' (smoke sizes)' : ''}`);

// (1) Streaming throughput: one generated chunk pushed repeatedly (the arithmetic per frame is
// that of distinct data; generating 10^9 normals in JS would dominate the run). FRAMES=0 skips it.
if (FRAMES > 0) {
  const chunk = varChunk(Math.min(CHUNK, FRAMES), VARS, 1);
  const pushes = Math.ceil(FRAMES / (chunk.length / VARS));
  const t0 = process.hrtime.bigint();
  const stream = new diffrg.DynamicsStream(VARS, 0.01, { bootstrap: 100, threads: THREADS });
  for (let p = 0; p < pushes; p++) await stream.push(chunk);
  const t1 = process.hrtime.bigint();
  const r = await stream.finish();
  const t2 = process.hrtime.bigint();
  const pass = Number(t1 - t0) / 1e9;
  const fit = Number(t2 - t1) / 1e9;
  const s = r.scales[0];
  console.log(
    `stream ${stream.frames.toExponential(2)} frames x ${VARS} vars: pass ${pass.toFixed(2)} s (${(stream.frames / pass / 1e6).toFixed(2)} M frames/s), fit + ${100} bootstrap replicates (ou, var) ${fit.toFixed(2)} s, total ${(pass + fit).toFixed(2)} s; ` +
      `ou ${s.entropyProduction.ou?.rate.toFixed(3)} [${s.entropyProduction.ou?.ci.map((x) => x.toFixed(3)).join(', ')}] nats/s, diagnostics: ${s.diagnostics.length}`,
  );
}

// (2) Entropy production of the trap against SFI.
{
  const dt = 0.01;
  const data = trap(TRAP_FRAMES, dt, 2);
  const ours = await time(() => diffrg.entropyProduction({ data, frames: TRAP_FRAMES, vars: 2, dt }, { bootstrap: 0, estimators: ['ou'], threads: THREADS }), { repeat: 3 });
  const withCi = await time(() => diffrg.entropyProduction({ data, frames: TRAP_FRAMES, vars: 2, dt }, { bootstrap: 100, estimators: ['ou', 'var'], threads: THREADS }), { repeat: 1 });
  const sigma = ours.value.scales[0].entropyProduction.ou.rate;
  const ci = withCi.value.scales[0].entropyProduction.ou.ci;
  const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-dyn-'));
  try {
    const file = join(dir, 'trap.bin');
    writeFileSync(file, Buffer.from(data.buffer));
    let p;
    try {
      p = peer('dynamics.py', { file, frames: TRAP_FRAMES, dt });
    } catch (err) {
      console.log(`SFI peer unavailable (${String(err.message).split('\n')[0]}); diffrg alone: ${ours.seconds.toFixed(3)} s, sigma ${sigma.toFixed(4)} (exact 0.18)`);
      p = null;
    }
    if (p) {
    console.log(`trap (exact sigma 0.18 nats/s, D = 0.5), ${TRAP_FRAMES} frames at dt ${dt}:`);
    console.log(`  diffrg ou: sigma ${sigma.toFixed(4)} (error ${Math.abs(sigma - 0.18).toFixed(4)}), CI with 100 replicates [${ci.map((x) => x.toFixed(3)).join(', ')}] in ${withCi.seconds.toFixed(3)} s`);
    console.log(`  SFI: sigma ${p.sigma.toFixed(4)} debiased (raw ${p.sigma_raw.toFixed(4)}, its error bar ${p.sigma_error.toFixed(4)}; error vs exact ${Math.abs(p.sigma - 0.18).toFixed(4)}), D diag ${p.diffusion.map((x) => x.toFixed(3)).join(', ')}`);
    row('trap sigma: diffrg ou vs SFI (linear basis)', ours.seconds, p.seconds, 'SFI');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// (3) A nonlinear drift: diffrg sfi (degree <= 3 chosen on held-out blocks, the choice printed)
// against SFI on the monomials up to degree 3, the same trajectory.
{
  const [e, d, dt] = [1, 0.5, 0.01];
  const data = rotatingMexicanHat(e, d, dt, TRAP_FRAMES, 7);
  let r2 = 0;
  for (let t = 0; t < TRAP_FRAMES; t++) r2 += data[2 * t] ** 2 + data[2 * t + 1] ** 2;
  const exact = (e * e * r2) / TRAP_FRAMES / d;
  const ours = await time(() => diffrg.entropyProduction({ data, frames: TRAP_FRAMES, vars: 2, dt }, { bootstrap: 0, estimators: ['sfi'], sfiMaxDegree: 3, threads: THREADS }), { repeat: 3 });
  const s = ours.value.scales[0];
  const sigma = s.entropyProduction.sfi.rate;
  console.log(`rotating Mexican hat (sigma = e^2 <r^2>/d = ${exact.toFixed(4)} nats/s on this sample), ${TRAP_FRAMES} frames at dt ${dt}:`);
  console.log(`  diffrg sfi: sigma ${sigma.toFixed(4)} (error ${Math.abs(sigma - exact).toFixed(4)}, predicted ${s.sfi.rateError.toFixed(4)}), degree ${s.sfi.degree} chosen (held-out scores ${s.sfi.validation.map((v) => v.score.toFixed(3)).join(', ')}) in ${ours.seconds.toFixed(3)} s`);
  const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-dyn-'));
  try {
    const file = join(dir, 'hat.bin');
    writeFileSync(file, Buffer.from(data.buffer));
    let p = null;
    try {
      p = peer('dynamics.py', { file, frames: TRAP_FRAMES, dt, order: 3 });
    } catch (err) {
      console.log(`  SFI peer unavailable (${String(err.message).split('\n')[0]})`);
    }
    if (p) {
      console.log(`  SFI (degree 3): sigma ${p.sigma.toFixed(4)} (error ${Math.abs(p.sigma - exact).toFixed(4)}, its error bar ${p.sigma_error.toFixed(4)}), D diag ${p.diffusion.map((x) => x.toFixed(3)).join(', ')}`);
      row('Mexican hat sigma: diffrg sfi vs SFI (degree 3)', ours.seconds, p.seconds, 'SFI');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
