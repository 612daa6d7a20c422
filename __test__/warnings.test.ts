/**
 * Warnings (issue #14): a collapsed result (one community; every node merged into one supernode
 * in one RG step) and dense data read with a guessed sample period or orientation are stated on
 * stderr and, with --json, in a `warnings` array (absent when there is nothing to say).
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli, diffrg, tmpDir } from './helpers';

/** A seeded uniform raster written as NPY, `rows` x `cols` float64. */
function npy(dir: string, name: string, rows: number, cols: number): string {
  let x = 7;
  const data = new Float64Array(rows * cols).map(() => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648));
  const f = path.join(dir, name);
  writeFileSync(f, diffrg.encodeNpy({ dtype: 'float64', shape: [rows, cols], data }));
  return f;
}

function json(args: string[]): { doc: Record<string, unknown>; stderr: string } {
  const r = cli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return { doc: JSON.parse(r.stdout), stderr: r.stderr };
}

describe('collapsed results', () => {
  it('coarse-grain: one step merging every node into one supernode is a warning; a resolved step is not', () => {
    const collapsed = json(['coarse-grain', 'gen:ring:30', '--tau', '1e6', '--steps', '1']);
    expect(collapsed.doc.warnings).toEqual([expect.stringMatching(/^RG step 1 \(tau 1\.000e\+6\) merged all 30 nodes into one supernode/)]);
    expect(collapsed.stderr).toMatch(/^diffrg: warning: RG step 1 .*merged all 30 nodes/m);
    const fine = json(['coarse-grain', 'gen:ring:30', '--tau', '1', '--steps', '1']);
    expect((fine.doc.steps as { n: number }[])[0].n).toBeGreaterThan(1);
    expect(fine.doc.warnings).toBeUndefined();
    expect(fine.stderr).toBe('');
    expect(diffrg.collapseWarning([2, 1])).toBeUndefined(); // two nodes merging is not a collapse worth a warning
  });

  it('communities: a single community is a warning in the JSON too', () => {
    const dir = tmpDir('warn');
    const tri = path.join(dir, 'tri.csv');
    writeFileSync(tri, '0,1\n1,2\n2,0\n');
    const r = json(['communities', tri]);
    expect(r.doc.communities).toBe(1);
    expect(r.doc.warnings).toEqual(['all 3 nodes fell into one community (try a larger --resolution)']);
  });
});

describe('dense data read with a guess', () => {
  it('infer: no sampling rate states the sample period taken (not with --bin); more rows than columns states the orientation', () => {
    const dir = tmpDir('warn');
    const wide = npy(dir, 'wide.npy', 4, 400);
    const guessed = json(['infer', wide, '--method', 'correlation', '--out', path.join(dir, 'g.csv')]);
    expect(guessed.doc.warnings).toEqual([expect.stringMatching(/wide\.npy: dense data without a sampling rate: samples taken as 5 ms apart \(the --bin default\)/)]);
    const given = json(['infer', wide, '--method', 'correlation', '--bin', '33ms', '--out', path.join(dir, 'g.csv')]);
    expect(given.doc.warnings).toBeUndefined();
    expect(given.doc.binSeconds).toBeCloseTo(0.033, 12);
    const tall = npy(dir, 'tall.npy', 300, 40);
    const r = cli(['dynamics', tall, '--bin', '10ms', '--estimators', 'ou', '--json']);
    expect(r.stderr).toMatch(/tall\.npy: read as 300 neurons x 40 samples \(rows = neurons, more rows than columns\): if the rows are time samples, transpose/);
  });

  it('the readers record their guesses: a (k, 2) array read as spikes, a raster whose --bin cannot apply', async () => {
    const dir = tmpDir('warn');
    const pairs = path.join(dir, 'pairs.npy');
    writeFileSync(pairs, diffrg.encodeNpy({ dtype: 'float64', shape: [3, 2], data: Float64Array.from([0, 0.1, 1, 0.2, 0, 0.3]) }));
    const act = await diffrg.readActivity(pairs);
    expect(act.kind).toBe('spikes');
    expect(act.guessed).toEqual([expect.stringMatching(/a \(3, 2\) array, read as 3 spikes \[neuron, time in s\], not as a 2-sample raster/)]);
    const counts = path.join(dir, 'counts.npz');
    const data = Float64Array.from({ length: 3 * 60 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    writeFileSync(counts, diffrg.encodeNpz({ raster: { dtype: 'float64', shape: [3, 60], data } }));
    const loaded = await diffrg.loadPatterns(counts, { bin: '10ms' });
    expect(loaded.patterns.rows).toBe(60);
    expect(loaded.warnings).toEqual([expect.stringMatching(/counts\.npz: dense data without a sampling rate: the bin width 0\.01 s cannot be applied, one sample per bin/)]);
  });
});
