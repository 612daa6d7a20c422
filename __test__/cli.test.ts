import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
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
    // Thresholds: the demo network (15 planted assemblies of 16 E neurons) measured over seeds
    // 1-10 (docs/lif.md, "The demo network"); each bound sits well below the worst seed.
    // --out: the demo's records and report in the `diffrg report` layout (checked at the end)
    const dir = mkdtempSync(join(tmpdir(), 'diffrg-demo-'));
    const r = cli(['demo', '--json', '--threads', '2', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const figures = ['raster', 'coupling', 'scan', 'flow', 'mps', 'dtnr'];
    expect(Object.keys(out.report.figures).sort()).toEqual([...figures].sort());
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).kind).toBe('demo');
    const rep = cli(['report', dir, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    for (const f of figures) expect(XMLValidator.validate(readFileSync(JSON.parse(rep.stdout).figures[f].svg, 'utf8'))).toBe(true);
    expect(out.seed).toBe(1);
    expect(out.simulation.neurons).toBe(300);
    expect(out.simulation.observed).toBe(150);
    expect(out.simulation.clusters).toBe(15);
    // Planted assemblies: all-to-all inside, sparse between (from the simulator's ground truth).
    expect(out.simulation.pInside).toBe(1);
    expect(out.simulation.pBetween).toBeLessThan(0.05);
    // LGD recovers directed synapses far better than chance and than correlation on the same
    // spikes (seeds 1-10: 0.890-0.910 vs 0.730-0.759).
    expect(out.inference.lgd.auroc).toBeGreaterThan(0.8);
    expect(out.inference.lgd.auroc).toBeGreaterThan(out.inference.correlation.auroc + 0.05);
    expect(out.inference.lgd.aupr).toBeGreaterThan(out.inference.correlation.aupr);
    // Leiden on the inferred graph recovers the planted assemblies (seeds 1-10: ARI 0.955-1),
    // close to Leiden on the true excitatory synapses (0.97-1).
    expect(out.communities.ari).toBeGreaterThan(0.85);
    expect(out.communities.trueGraph.ari).toBeGreaterThan(0.85);
    expect(out.communities.count).toBeGreaterThan(1);
    // RG flow: fewer nodes per step; the first step merges E neurons of the same assembly
    // (seeds 1-10: 0.97-1 vs chance 0.06-0.07; largest component 139-149 of 150), and supernodes without inhibitory hubs stay
    // inside one assembly at every step.
    expect(out.rg.n).toBeGreaterThan(0.8 * out.simulation.observed); // the inferred graph does not fall apart
    expect(out.rg.steps.length).toBeGreaterThan(1);
    expect(out.rg.steps[0].n).toBeLessThan(out.rg.n);
    expect(out.rg.steps[0].assemblyPurityChance).toBeLessThan(0.15);
    expect(out.rg.steps[0].assemblyPurity).toBeGreaterThan(0.85);
    for (const s of out.rg.steps) expect(s.excitatoryOnlySupernodes.assemblyPurity).toBeGreaterThan(0.85);
    // MPS: community order beats identity order and the independent model on held-out data
    // (seeds 1-10: by 0.40-0.64 and 0.41-0.74 bits).
    expect(out.mps.nllHeldoutCommunityOrder).toBeLessThan(out.mps.nllHeldoutIdentityOrder - 0.2);
    expect(out.mps.nllHeldoutCommunityOrder).toBeLessThan(out.mps.nllIndependent - 0.2);
    // DTNR: fewer variables per scale, and the flowed model predicts the coarse-grained held-out
    // patterns about as well as a model fitted to them directly (seeds 1-10: within 0.08 bits).
    expect(out.dtnr.length).toBeGreaterThan(2);
    expect(out.dtnr[0].multiInformationBits).toBeGreaterThan(0.2);
    for (let k = 1; k < out.dtnr.length; k++) {
      expect(out.dtnr[k].variables).toBeLessThan(out.dtnr[k - 1].variables);
      expect(Math.abs(out.dtnr[k].nllHeldout - out.dtnr[k].nllDirectHeldout)).toBeLessThan(0.02 * out.dtnr[k].nllDirectHeldout + 0.05);
    }
    // Dynamics along the same flow: fewer variables per scale; the spectral rate of every coarse
    // scale (the fine OU fit projected) never exceeds the fine rate (data-processing inequality);
    // irreversibility falls with coarse-graining and couplings predict held-out frames better
    // than independent AR(1) models (seeds 1-10: ou 46-60 -> 14-19 -> 2.3-5.8 nats/s; R2
    // 0.62-0.66 vs 0.59-0.65, margin 0.015-0.032).
    expect(out.dynamics.length).toBeGreaterThan(2);
    expect(out.dynamics[0].spectral).toBeNull();
    expect(out.dynamics[0].ou).toBeGreaterThan(0);
    expect(out.dynamics[0].predictionR2).toBeGreaterThan(out.dynamics[0].predictionR2Diagonal);
    for (let k = 1; k < out.dynamics.length; k++) {
      expect(out.dynamics[k].variables).toBeLessThan(out.dynamics[k - 1].variables);
      expect(out.dynamics[k].spectral).toBeGreaterThan(0);
      expect(out.dynamics[k].spectral).toBeLessThanOrEqual(out.dynamics[0].ou);
      expect(out.dynamics[k].ou).toBeLessThan(out.dynamics[k - 1].ou);
    }
    // stderr is not a TTY here: no progress bar escape codes.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes is the point
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });
});
