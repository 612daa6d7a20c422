/**
 * `mps logprob` on spike data (issue #14): the model file stores its site ids, order and binning,
 * and scoring applies them, so a model fitted with `--order random` scores the columns it was
 * fitted on. Old (version 1) files without them score the columns in file order, with a warning.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli, diffrg, latentClusters, tmpDir } from './helpers';

/** A spike table of 6 neurons with sparse ids, from latent-cluster patterns (10 ms bins). */
function spikeTable(dir: string): string {
  const p = latentClusters(2, 3, 400, 7);
  const ids = [3, 7, 11, 20, 42, 5];
  const lines = ['neuron,time'];
  for (let t = 0; t < p.rows; t++) for (let k = 0; k < p.sites; k++) if (p.data[t * p.sites + k]) lines.push(`${ids[k]},${(t * 0.01 + 0.004).toFixed(4)}`);
  const f = path.join(dir, 'spikes.csv');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

describe('mps logprob scores data the way the model was fitted', () => {
  it('spike data: the stored random order and bin width are applied (API reference); a version-1 file scores file order and says so', async () => {
    const dir = tmpDir('logprob');
    const spikes = spikeTable(dir);
    const model = path.join(dir, 'm.npz');
    const fit = cli(['mps', 'fit', spikes, '--bin', '10ms', '--order', 'random', '--seed', '3', '--chi', '4', '--no-baselines', '--out', model, '--json']);
    expect(fit.code, fit.stderr).toBe(0);
    const { siteOrder, siteIds } = JSON.parse(fit.stdout);
    expect(siteOrder).not.toEqual([0, 1, 2, 3, 4, 5]);
    const m = diffrg.loadMps(model);
    expect(m.input).toEqual({ ids: siteIds, source: 'spikes', binSeconds: 0.01, order: 'random' });

    // reference: bin at 10 ms, reorder by the fitted order, score with the API
    const loaded = await diffrg.loadPatterns(spikes, { bin: 0.01 });
    const want = Array.from(await diffrg.mpsLogProb(m, diffrg.reorderPatterns(loaded.patterns, siteOrder)));
    const r = cli(['mps', 'logprob', model, spikes, '--json']); // no --bin: the model's 10 ms
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.warnings).toEqual([]);
    expect(got.siteIds).toEqual(siteIds);
    expect(got.log2Prob).toHaveLength(want.length);
    got.log2Prob.forEach((v: number, i: number) => expect(v).toBeCloseTo(want[i], 10));
    // file order gives other values: the test would catch the old behaviour
    const fileOrder = Array.from(await diffrg.mpsLogProb(m, loaded.patterns));
    expect(fileOrder.some((v, i) => Math.abs(v - want[i]) > 1e-6)).toBe(true);

    // the same cores without `input` (a version-1 file): file order, and a warning on stderr and in the JSON
    const old = path.join(dir, 'old.npz');
    await diffrg.saveMps(old, { ...m, input: undefined });
    const r1 = cli(['mps', 'logprob', old, spikes, '--bin', '10ms', '--json']);
    expect(r1.code, r1.stderr).toBe(0);
    const got1 = JSON.parse(r1.stdout);
    expect(got1.warnings).toHaveLength(1);
    expect(got1.warnings[0]).toMatch(/stores no site order .*file order/);
    expect(r1.stderr).toMatch(/^diffrg: warning: .*stores no site order/m);
    got1.log2Prob.forEach((v: number, i: number) => expect(v).toBeCloseTo(fileOrder[i], 10));
  });

  it('a neuron without spikes is scored silent with a warning; a pattern model refuses data without its columns', async () => {
    const dir = tmpDir('logprob');
    const spikes = spikeTable(dir);
    const model = path.join(dir, 'm.npz');
    expect(cli(['mps', 'fit', spikes, '--bin', '10ms', '--chi', '2', '--no-baselines', '--out', model]).code).toBe(0);
    const without42 = path.join(dir, 'no42.csv');
    writeFileSync(without42, readFileSync(spikes, 'utf8').split('\n').filter((l) => !l.startsWith('42,')).join('\n'));
    const r = cli(['mps', 'logprob', model, without42, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).warnings.join('\n')).toMatch(/1 of the model's 6 neurons have no spike in the data and are scored as silent \(42\)/);

    // pattern matrix: a model of 4 columns fitted in random order, scored on 3 columns
    const csv = path.join(dir, 'p.csv');
    const p = latentClusters(2, 2, 200, 3);
    writeFileSync(csv, Array.from({ length: p.rows }, (_, t) => Array.from(p.data.subarray(t * 4, t * 4 + 4)).join(',')).join('\n') + '\n');
    const pm = path.join(dir, 'pm.npz');
    const fit = cli(['mps', 'fit', csv, '--order', 'random', '--seed', '5', '--chi', '2', '--no-baselines', '--out', pm, '--json']);
    expect(fit.code, fit.stderr).toBe(0);
    const order: number[] = JSON.parse(fit.stdout).siteOrder;
    const ok = cli(['mps', 'logprob', pm, csv, '--json']);
    const want = await diffrg.mpsLogProb(diffrg.loadMps(pm), diffrg.reorderPatterns(diffrg.readPatterns(csv), order));
    JSON.parse(ok.stdout).log2Prob.forEach((v: number, i: number) => expect(v).toBeCloseTo(want[i], 10));
    const three = path.join(dir, 'p3.csv');
    writeFileSync(three, readFileSync(csv, 'utf8').replace(/,\d+$/gm, ''));
    const bad = cli(['mps', 'logprob', pm, three]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^diffrg: ERR_INVALID_INPUT: .*p3\.csv: the model's site \d is column 3, which the data \(3 columns\) does not have/);
  });
});
