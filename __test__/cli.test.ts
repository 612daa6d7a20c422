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

  it('runs the end-to-end demo with --json: machine-readable stdout, no progress noise', () => {
    const r = cli(['demo', '--json', '--threads', '2']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.simulation.neurons).toBe(300);
    expect(out.simulation.observed).toBe(150);
    // Ground truth from the simulator: LGD recovers directed synapses better than chance and
    // better than correlation on the same spikes.
    expect(out.inference.lgd.auroc).toBeGreaterThan(0.6);
    expect(out.inference.lgd.auroc).toBeGreaterThan(out.inference.correlation.auroc);
    expect(out.communities.count).toBeGreaterThan(1);
    expect(out.rg.steps.length).toBeGreaterThan(0);
    expect(out.rg.steps[0].n).toBeLessThan(out.rg.n);
    for (const k of ['nllHeldoutCommunityOrder', 'nllHeldoutIdentityOrder', 'nllIndependent']) expect(out.mps[k]).toBeGreaterThan(0);
    // DTNR: fewer variables per scale, and the flowed model predicts the coarse-grained held-out
    // patterns about as well as a model fitted to them directly.
    expect(out.dtnr.length).toBeGreaterThan(2);
    for (let k = 1; k < out.dtnr.length; k++) {
      expect(out.dtnr[k].variables).toBeLessThan(out.dtnr[k - 1].variables);
      expect(Math.abs(out.dtnr[k].nllHeldout - out.dtnr[k].nllDirectHeldout)).toBeLessThan(0.1 * out.dtnr[k].nllDirectHeldout + 0.05);
    }
    // stderr is not a TTY here: no progress bar escape codes.
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });
});
