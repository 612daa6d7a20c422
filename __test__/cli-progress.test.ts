/**
 * Plain progress lines on a non-terminal stderr (issue #14): the first after a delay, then
 * periodically, naming the command, stage, percent and elapsed time; `--quiet` turns them off.
 * DIFFRG_PROGRESS_INTERVAL_MS shortens the delays so the spec stays fast.
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { cli, tmpDir } from './helpers';

const LINE = /^diffrg: simulate lif: simulating (\d+)% \(\d+ s elapsed\)$/;

describe('progress on a non-terminal stderr', () => {
  const args = (dir: string) => ['simulate', 'lif', '--neurons', '1000', '--duration', '2', '--out', dir];

  it('prints plain lines with command, stage, percent and elapsed time once the run is longer than the delay', () => {
    const r = cli(args(path.join(tmpDir('progress'), 'sim')), { env: { DIFFRG_PROGRESS_INTERVAL_MS: '20' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => LINE.test(l));
    expect(lines.length, r.stderr).toBeGreaterThan(0);
    const pcts = lines.map((l) => Number(LINE.exec(l)![1]));
    for (let k = 1; k < pcts.length; k++) expect(pcts[k]).toBeGreaterThanOrEqual(pcts[k - 1]);
    expect(pcts.every((p) => p >= 0 && p <= 100)).toBe(true);
  });

  it('prints none for a run shorter than the first delay, none with --quiet, and none with --json', () => {
    // a first delay of 10 minutes (the default 10 s could pass on a loaded machine)
    const short = cli(args(path.join(tmpDir('progress'), 'sim')), { env: { DIFFRG_PROGRESS_INTERVAL_MS: '600000' } });
    expect(short.code, short.stderr).toBe(0);
    expect(short.stderr).not.toMatch(/% \(\d+ s elapsed\)/);
    // the global option before the command, and the command's own short form after it
    // --json keeps stderr machine-readable (empty on success)
    for (const a of [['--quiet', ...args(path.join(tmpDir('progress'), 'sim'))], [...args(path.join(tmpDir('progress'), 'sim')), '-q'], [...args(path.join(tmpDir('progress'), 'sim')), '--json']]) {
      const r = cli(a, { env: { DIFFRG_PROGRESS_INTERVAL_MS: '1' } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, a.join(' ')).not.toMatch(/elapsed\)/);
    }
  });
});
