// Shared helpers for benchmarks: the built package, timing, and running Python peers.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { rng } from '../__test__/synthetic.mjs';

export const here = dirname(fileURLToPath(import.meta.url));
export const diffrg = createRequire(import.meta.url)('../dist/index.js');
export const python = process.env.DIFFRG_BENCH_PYTHON ?? join(here, '.venv', 'bin', 'python');

/**
 * DIFFRG_BENCH_SMOKE=1: every benchmark at tiny sizes in seconds, peers optional (they run when
 * benches/.venv exists). `npm test` runs every benchmark this way so that none breaks unseen.
 */
export const SMOKE = process.env.DIFFRG_BENCH_SMOKE === '1';
/** The full size, or the smoke size under DIFFRG_BENCH_SMOKE=1. */
export const sized = (full, smoke) => (SMOKE ? smoke : full);

/** Best wall time in seconds of `repeat` runs of an async function (after one warm-up when warm). */
export async function time(fn, { repeat = 3, warm = false } = {}) {
  if (warm) await fn();
  let best = Infinity;
  let value;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    value = await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: best, value };
}

/**
 * Runs `benches/peers/<script>` with JSON args; it prints one JSON object on its last line.
 * In smoke mode without the peer environment it returns null (callers print diffrg alone).
 */
export function peer(script, args) {
  if (SMOKE && !existsSync(python)) {
    console.log(`  (smoke mode: peer ${script} skipped, no ${python}; \`npm run bench\` installs it)`);
    return null;
  }
  const out = execFileSync(python, [join(here, 'peers', script), JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out.trim().split('\n').pop());
}

export function machine() {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Prints one comparison row: diffrg time, peer time, and the speed-up ratio peer/diffrg (diffrg alone without a peer time). */
export function row(task, ours, theirs, peerName) {
  if (theirs === undefined || theirs === null) {
    console.log(`${task.padEnd(48)} diffrg ${ours.toFixed(3).padStart(8)} s   (${peerName} not run)`);
    return null;
  }
  const ratio = theirs / ours;
  console.log(`${task.padEnd(48)} diffrg ${ours.toFixed(3).padStart(8)} s   ${peerName} ${theirs.toFixed(3).padStart(8)} s   ratio ${ratio.toFixed(2)}x`);
  return ratio;
}

export { rng };

/** Poisson spikes at 4 Hz; each spike of i triggers one of (i + 1) mod N with probability 0.2, 5-15 ms later. */
export function chainSpikes(n, seconds) {
  const u = rng(7);
  const neurons = [];
  const times = [];
  for (let i = 0; i < n; i++) {
    for (let t = -Math.log(1 - u()) / 4; t < seconds; t += -Math.log(1 - u()) / 4) {
      neurons.push(i);
      times.push(t);
      if (u() < 0.2 && t + 0.015 < seconds) {
        neurons.push((i + 1) % n);
        times.push(t + 0.005 * (1 + Math.floor(3 * u())));
      }
    }
  }
  return { neurons: Uint32Array.from(neurons), times: Float64Array.from(times) };
}

/**
 * Runs Rust report harnesses of crates/diffrg-core/examples/reports (one binary, `reports <name>`),
 * built once in the addon's release profile and target (dependencies shared with `npm run build`;
 * `cargo build` is a no-op when nothing changed). `env` holds the harness's size knobs.
 */
let reportsBinary;
export function coreReport(name, env = {}) {
  const root = join(here, '..');
  if (!reportsBinary) {
    const host = createRequire(import.meta.url)('../scripts/host.js');
    execFileSync('cargo', ['build', '--quiet', '--release', '--target', host, '-p', 'diffrg-core', '--example', 'reports'], { cwd: root, stdio: 'inherit' });
    reportsBinary = join(root, 'target', host, 'release', 'examples', process.platform === 'win32' ? 'reports.exe' : 'reports');
  }
  const shown = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`-- ${name}${shown ? ` (${shown})` : ''}${SMOKE ? ' [smoke]' : ''}`);
  execFileSync(reportsBinary, [name], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}
