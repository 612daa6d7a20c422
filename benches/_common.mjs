// Shared helpers for benchmarks: the built package, timing, and running Python peers.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

export const here = dirname(fileURLToPath(import.meta.url));
export const diffrg = createRequire(import.meta.url)('../dist/index.js');
export const python = process.env.DIFFRG_BENCH_PYTHON ?? join(here, '.venv', 'bin', 'python');

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

/** Runs `benches/peers/<script>` with JSON args; it prints one JSON object on its last line. */
export function peer(script, args) {
  const out = execFileSync(python, [join(here, 'peers', script), JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out.trim().split('\n').pop());
}

export function machine() {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Prints one comparison row: diffrg time, peer time, and the speed-up ratio peer/diffrg. */
export function row(task, ours, theirs, peerName) {
  const ratio = theirs / ours;
  console.log(`${task.padEnd(48)} diffrg ${ours.toFixed(3).padStart(8)} s   ${peerName} ${theirs.toFixed(3).padStart(8)} s   ratio ${ratio.toFixed(2)}x`);
  return ratio;
}

export { rng } from '../__test__/synthetic.mjs';
