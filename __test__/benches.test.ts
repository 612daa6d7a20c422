/**
 * Every benchmark in benches/ runs in its smoke mode (DIFFRG_BENCH_SMOKE=1: tiny sizes, seconds),
 * so that none can break unseen. The Python peers are left out here (their environment is made
 * by `npm run bench`, not by `npm ci`): each benchmark prints diffrg's side alone and says which
 * peer it did not run. Only that each benchmark completes is checked; no timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers';

const benches = readdirSync(path.join(root, 'benches'))
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .sort();

describe('benchmarks in smoke mode', () => {
  it('finds the benchmarks', () => {
    expect(benches).toContain('spectral.mjs');
    expect(benches.length).toBeGreaterThan(10);
  });
  it.each(benches)('%s completes', (file) => {
    const r = spawnSync(process.execPath, [path.join(root, 'benches', file)], {
      cwd: root,
      env: { ...process.env, DIFFRG_BENCH_SMOKE: '1', DIFFRG_BENCH_PYTHON: path.join(root, 'benches', '.no-peers', 'python'), DIFFRG_THREADS: '2' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.error, `${file} did not finish: ${r.error?.message}`).toBeUndefined();
    expect(r.status, `${file} exited ${r.status}\n${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
  });
});
