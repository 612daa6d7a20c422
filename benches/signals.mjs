// How fast a long command stops on SIGINT / SIGTERM. Part `fit`: `mps fit` (with its Ising and
// independent baselines) on 40,000 latent-cluster patterns of 120 sites, signalled at 30%, 85%
// and 95% of its undisturbed run time. Part `parse`: `scan` of a 3e6-edge (58 MB) edge list
// signalled with SIGTERM 0.3, 1.5 and 4 s in, while JavaScript parses the file. Prints the exit
// code and the milliseconds from signal to exit.
//
//   node benches/signals.mjs                     (both parts)
//   SIGNALS_PARTS=parse node benches/signals.mjs
// Part `csr` (not in the default run): how long the synchronous native CSR build of the same
// 3e6 edges (`Graph.fromEdges`) holds a signal back, best of 3.
//   SIGNALS_PARTS=csr node benches/signals.mjs
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const d = require('../dist/index.js');
const { rng } = await import('../__test__/synthetic.mjs');
const { sized } = await import('./_common.mjs');
const dir = mkdtempSync(join(tmpdir(), 'diffrg-signals-'));
const rows = sized(40000, 2000), sites = sized(120, 24), u = rng(3);
const data = new Uint8Array(rows * sites);
for (let t = 0; t < rows; t++) { const up = Array.from({ length: 12 }, () => u() < 0.3); for (let i = 0; i < sites; i++) data[t * sites + i] = u() < (up[i % 12] ? 0.6 : 0.05) ? 1 : 0; }
writeFileSync(`${dir}/p.npy`, d.encodeNpy({ dtype: 'uint8', shape: [rows, sites], data }));
const run = (delay, signal) => new Promise((res) => {
  const t0 = Date.now();
  const c = spawn(process.execPath, [new URL('../bin/diffrg.js', import.meta.url).pathname, 'mps', 'fit', `${dir}/p.npy`, '--chi', '16', '--out', `${dir}/m.npz`], { stdio: 'ignore' });
  let sent = 0;
  if (delay !== null) setTimeout(() => { sent = Date.now(); c.kill(signal); }, delay);
  c.on('exit', (code) => res({ delay, signal, code, total: Date.now() - t0, afterSignal: sent ? Date.now() - sent : null }));
});
const parts = (process.env.SIGNALS_PARTS ?? 'fit,parse').split(',');
if (parts.includes('fit')) {
  const full = await run(null);
  console.log('no signal:', full);
  for (const f of sized([0.3, 0.85, 0.95], [0.5])) for (const s of ['SIGINT', 'SIGTERM']) console.log(await run(Math.round(full.total * f), s));
}
if (parts.includes('parse')) {
  const lines = [];
  for (let k = 0; k < sized(3_000_000, 50_000); k++) lines.push(`${Math.floor(u() * 500_000)},${Math.floor(u() * 500_000)},${(u() + 0.1).toFixed(3)}`);
  writeFileSync(`${dir}/big.csv`, lines.join('\n') + '\n');
  for (const delay of sized([300, 1500, 4000], [100])) {
    const r = await new Promise((res) => {
      const c = spawn(process.execPath, [new URL('../bin/diffrg.js', import.meta.url).pathname, 'scan', `${dir}/big.csv`, '--out', `${dir}/s.json`], { stdio: 'ignore' });
      let sent = 0;
      setTimeout(() => { sent = Date.now(); c.kill('SIGTERM'); }, delay);
      c.on('exit', (code) => res({ part: 'parse', delay, code, afterSignal: Date.now() - sent }));
    });
    console.log(r);
  }
}
if (parts.includes('csr')) {
  const m = 3_000_000;
  const sources = new Uint32Array(m), targets = new Uint32Array(m), weights = new Float64Array(m);
  for (let k = 0; k < m; k++) [sources[k], targets[k], weights[k]] = [Math.floor(u() * 500_000), Math.floor(u() * 500_000), u() + 0.1];
  const ms = [];
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    d.Graph.fromEdges({ n: 500_000, sources, targets, weights });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log({ part: 'csr', edges: m, bestMs: Math.round(Math.min(...ms)) });
}
rmSync(dir, { recursive: true, force: true });
