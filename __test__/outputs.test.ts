/**
 * Output sets (issue #14): a command's files are written together or not at all, and a reused
 * `--out DIR` loses the command's own files of an earlier run that the new run does not write
 * (never anything else).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli, latentClusters, oneLine, tmpDir } from './helpers';

function patternCsv(dir: string): string {
  const p = latentClusters(2, 4, 300, 1);
  const rows: string[] = [];
  for (let t = 0; t < p.rows; t++) rows.push(Array.from(p.data.subarray(t * p.sites, (t + 1) * p.sites)).join(','));
  const f = path.join(dir, 'patterns.csv');
  writeFileSync(f, rows.join('\n') + '\n');
  return f;
}

const noTmp = (dir: string) => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('output directories and sets', () => {
  it('dtnr --out DIR again: the earlier run\'s extra models are removed, other files kept', () => {
    const dir = tmpDir('outputs');
    const file = patternCsv(dir);
    const out = path.join(dir, 'run');
    const base = ['dtnr', file, '--chi', '4', '--samples', '100', '--fraction', '0.5', '--no-direct', '--out', out];
    expect(cli([...base, '--steps', '3']).code).toBe(0);
    const models = (d: string) => readdirSync(d).filter((f) => /^model-scale\d+\.npz$/.test(f)).sort();
    const first = models(out);
    expect(first.length).toBeGreaterThan(2);
    writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    expect(cli([...base, '--steps', '1']).code).toBe(0);
    const scales = JSON.parse(readFileSync(path.join(out, 'scales.json'), 'utf8')).scales as unknown[];
    expect(models(out)).toEqual(scales.map((_, t) => `model-scale${t}.npz`));
    expect(models(out).length).toBeLessThan(first.length);
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
    noTmp(out);
  });

  it('a failed scan --plot writes no --out JSON; a failed write of one file of a set writes none', () => {
    const dir = tmpDir('outputs');
    const json = path.join(dir, 'scan.json');
    const plotDir = path.join(dir, 'plot.svg');
    mkdirSync(plotDir);
    const graph = path.join(dir, 'ring.csv');
    writeFileSync(graph, Array.from({ length: 20 }, (_, i) => `${i},${(i + 1) % 20}`).join('\n') + '\n');
    const ok = cli(['scan', graph, '--out', json, '--plot', path.join(dir, 'ok.svg')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'ok.svg'), 'utf8')).toMatch(/^<svg/);
    expect(JSON.parse(readFileSync(json, 'utf8')).n).toBe(20);
    const again = path.join(dir, 'again.json');
    const r = cli(['scan', graph, '--out', again, '--plot', plotDir]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/ERR_IO: cannot write .*plot\.svg/);
    expect(existsSync(again)).toBe(false);
    noTmp(dir);

    const cg = path.join(dir, 'cg');
    mkdirSync(path.join(cg, 'flow.json'), { recursive: true });
    expect(cli(['coarse-grain', 'gen:ring:20', '--tau', '1', '--out', cg]).code).toBe(1);
    expect(readdirSync(cg)).toEqual(['flow.json']);

    const sim = path.join(dir, 'sim');
    mkdirSync(path.join(sim, 'truth_communities.csv'), { recursive: true });
    expect(cli(['simulate', 'lif', '--neurons', '200', '--clusters', '4', '--duration', '0.2', '--out', sim]).code).toBe(1);
    expect(readdirSync(sim)).toEqual(['truth_communities.csv']);
  });
});
