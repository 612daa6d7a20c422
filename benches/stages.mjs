// Where an inference run's wall time goes: runs `inferSpikes` on the scaling bench's chain spike
// table in a fresh child process with DIFFRG_TRACE=1 and splits its wall time into the core's
// traced stages and the rest (the facade, the binding's conversions, and anything untraced).
//
//   node benches/stages.mjs                          (500 neurons x 3,000 s, correlation, 2 threads)
//   STAGES_N=1000 STAGES_SECONDS=6000 STAGES_METHOD=lgd STAGES_THREADS=2 STAGES_REPEAT=3 node benches/stages.mjs
//
// The spike-table stage ("infer spike table ...": validation, id indexing, binning, raster
// assembly) is reported on its own line and counted with the rest, since before it moved into the
// core (OwnedRaster::from_spike_table) that work was done by the facade and was not traced.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SMOKE, chainSpikes, diffrg, machine } from './_common.mjs';

const env = (k, full, smoke) => Number(process.env[k] ?? (SMOKE ? smoke : full));
const n = env('STAGES_N', 500, 30);
const seconds = env('STAGES_SECONDS', 3000, 20);
const threads = env('STAGES_THREADS', 2, 2);
const repeat = env('STAGES_REPEAT', 3, 1);
const method = process.env.STAGES_METHOD ?? 'correlation';

if (process.env.STAGES_CHILD) {
  const data = chainSpikes(n, seconds);
  const t0 = process.hrtime.bigint();
  await diffrg.inferSpikes(data, { method, binSeconds: 0.005, maxLag: 1, start: 0, end: seconds, generator: false, threads });
  console.log(JSON.stringify({ spikes: data.neurons.length, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  process.exit(0);
}

console.log(machine());
console.log(`${method}, ${n} neurons x ${seconds} s at 5 ms, ${threads} threads, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('run   spikes      wall s   core stages s   spike table s   rest s');
const rests = [];
for (let r = 0; r < repeat; r++) {
  const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, STAGES_CHILD: '1', DIFFRG_TRACE: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (p.status !== 0) throw new Error(`stages: child failed (exit ${p.status}): ${p.stderr}`);
  const { spikes, seconds: wall } = JSON.parse(p.stdout.trim().split('\n').pop());
  let core = 0;
  let table = 0;
  for (const m of p.stderr.matchAll(/^diffrg trace: (.*) ([0-9.]+) s$/gm)) {
    if (m[1].startsWith('lgd penalty search fit')) continue; // nested in 'lgd penalty search'
    if (m[1].includes('spike table')) table += Number(m[2]);
    else core += Number(m[2]);
  }
  rests.push(wall - core);
  console.log(`${String(r + 1).padStart(3)}   ${String(spikes).padEnd(10)} ${wall.toFixed(3).padStart(7)}   ${core.toFixed(3).padStart(13)}   ${table.toFixed(3).padStart(13)}   ${(wall - core).toFixed(3).padStart(6)}`);
}
rests.sort((a, b) => a - b);
console.log(`median time outside the core's inference stages: ${rests[rests.length >> 1].toFixed(3)} s; load after ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
