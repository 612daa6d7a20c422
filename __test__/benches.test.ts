/**
 * Every benchmark in benches/ runs in its smoke mode (DIFFRG_BENCH_SMOKE=1: tiny sizes, seconds),
 * so that none can break unseen. The Python peers are left out here (their environment is made
 * by `npm run bench`, not by `npm ci`): each benchmark prints diffrg's side alone and says which
 * peer it did not run. Only that each benchmark completes is checked; no timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

describe('scripts/device-scaling.sh (the prepared many-core run)', () => {
  it('keeps the rows a kernel finished when it runs over its time limit', () => {
    // 200 one-thread runs of the smoke LGD kernel (a fraction of a second each) cannot finish in
    // the 10 s limit: the kernel is stopped, and the rows measured before that must be in both
    // the printed table and the JSON.
    const out = mkdtempSync(path.join(tmpdir(), 'diffrg-scaling-'));
    try {
      const r = spawnSync('bash', [path.join(root, 'scripts', 'device-scaling.sh')], {
        cwd: root,
        env: { ...process.env, OUT: out, SCALING_PRESET: 'smoke', SCALING_KERNELS: 'lgd', SCALING_THREADS: new Array(200).fill(1).join(','), SCALING_LIMIT_S: '10', SCALING_BUILD: 'never' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(1);
      expect(readFileSync(path.join(out, 'summary.txt'), 'utf8')).toContain('kernel lgd: exit 124');
      const rows = readFileSync(path.join(out, 'scaling-lgd.txt'), 'utf8')
        .split('\n')
        .filter((l) => /^\s+1\s+[0-9.]+\s+[0-9.]+x/.test(l));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(200);
      // The JSON is rewritten before each row is printed: a stop between the two leaves one more
      // row in the JSON than in the table, never fewer.
      const json = JSON.parse(readFileSync(path.join(out, 'scaling-lgd.json'), 'utf8'));
      expect(json.table.length - rows.length, `${json.table.length} JSON rows, ${rows.length} printed`).toBeGreaterThanOrEqual(0);
      expect(json.table.length - rows.length).toBeLessThanOrEqual(1);
      expect(json.table.every((row: { kernel: string; threads: number; seconds: number }) => row.kernel === 'lgd' && row.threads === 1 && row.seconds > 0)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});
