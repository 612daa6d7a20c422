#!/usr/bin/env node
// `npm run bench [topic ...]`: sets up the Python peers (benches/setup.sh), then runs every
// benches/<topic>.mjs (or the named ones). Each benchmark runs diffrg and its peer in the same
// run and prints ratios. Requires a built package (`npm run build`).
// `npm run bench -- --smoke [topic ...]`: every benchmark at tiny sizes (DIFFRG_BENCH_SMOKE=1),
// without installing the peers (they run only if benches/.venv exists); `npm test` does this.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const smoke = process.argv.includes('--smoke');
if (!smoke) execFileSync('bash', [join(here, 'setup.sh')], { stdio: 'inherit' });
const wanted = process.argv.slice(2).filter((a) => a !== '--smoke');
const topics = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .map((f) => f.replace(/\.mjs$/, ''))
  .filter((t) => wanted.length === 0 || wanted.includes(t));
if (topics.length === 0) console.log('no benchmarks matched');
for (const t of topics) {
  console.log(`\n=== ${t} ===`);
  execFileSync(process.execPath, [join(here, `${t}.mjs`)], { stdio: 'inherit', env: { ...process.env, DIFFRG_BENCH_PYTHON: join(here, '.venv', 'bin', 'python'), ...(smoke ? { DIFFRG_BENCH_SMOKE: '1' } : {}) } });
}
