import { describe, expect, it } from 'vitest';
import { cli, diffrg } from './helpers';

describe('diffrg CLI', () => {
  it('prints help and version with exit code 0', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: diffrg/);
    expect(help.stdout).toMatch(/demo/);
    const v = cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(diffrg.version);
  });

  it('exits 2 on usage errors', () => {
    expect(cli(['no-such-command']).code).toBe(2);
    expect(cli(['demo', '--no-such-flag']).code).toBe(2);
    const bad = cli(['demo', '--threads', 'zero']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--threads/);
  });

  it('runs the demo with --json: machine-readable stdout, no progress noise', () => {
    const r = cli(['demo', '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cases.length).toBeGreaterThanOrEqual(4);
    for (const c of out.cases) {
      expect(c.n).toBeGreaterThan(0);
      expect(c.transition.tau).toBeGreaterThan(0);
      expect(c.plateauLevel).toBeGreaterThan(0);
    }
    // Large enough for a clean plateau: C = d_s / 2 (ring 1/2, 2D torus 1).
    for (const name of ['ring', '2D torus']) {
      const c = out.cases.find((x: { graph: string }) => x.graph.startsWith(name));
      expect(Math.abs(c.plateauLevel - c.expectedPlateau)).toBeLessThan(0.05 * c.expectedPlateau);
    }
    // stderr is not a TTY here: no progress bar escape codes.
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });
});
