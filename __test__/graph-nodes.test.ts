/**
 * `infer` keeps isolated observed neurons (issue #14): its edge list starts with a
 * `# nodes: id,...` line that the edge-list reader understands, so the graph read back has every
 * observed neuron (degree 0 where no edge is significant) and reading it prints no warning.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli, diffrg, tmpDir } from './helpers';

/** Seeded spikes: neuron 1 follows neuron 0 one bin later; neurons 5 and 9 fire independently. */
function spikeCsv(dir: string): string {
  let x = 11;
  const u = () => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  const lines = ['neuron,time'];
  let prev = false;
  for (let b = 0; b < 20_000; b++) {
    const t = b * 0.005 + 0.001;
    const a = u() < 0.05;
    const ev: number[] = [];
    if (a) ev.push(0);
    if (u() < (prev ? 0.6 : 0.02)) ev.push(1);
    if (u() < 0.03) ev.push(5);
    if (u() < 0.03) ev.push(9);
    for (const n of ev) lines.push(`${n},${t.toFixed(4)}`);
    prev = a;
  }
  const f = path.join(dir, 'spikes.csv');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

describe('infer output keeps isolated neurons and reads back without warnings', () => {
  it('every observed neuron is a node of the graph read back; the commands print no warning', () => {
    const dir = tmpDir('nodes');
    const out = path.join(dir, 'g.csv');
    const r = cli(['infer', spikeCsv(dir), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('# nodes: 0,1,5,9');
    const loaded = diffrg.readGraph(out, { negative: 'abs' });
    expect(loaded.graph.labels).toEqual(['0', '1', '5', '9']);
    expect(loaded.warnings.count).toBe(0);
    // at least one neuron has no significant edge: it is kept with degree 0
    const withEdge = new Set(text.split('\n').slice(2).filter(Boolean).flatMap((l) => l.split(',').slice(0, 2)));
    expect(withEdge.has('0') && withEdge.has('1')).toBe(true);
    expect(withEdge.size).toBeLessThan(4);
    const c = cli(['communities', out, '--negative', 'abs', '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).labels).toEqual(['0', '1', '5', '9']);
    expect(c.stderr).not.toMatch(/extra columns|warning: .*g\.csv/);
  });

  it('the reader: listed nodes without edges, string ids, and a graph of isolated nodes only', () => {
    const g = diffrg.parseGraph('# nodes: 7,2,30\nsource,target,weight\n2,7,1.5\n', 'x.csv').graph;
    expect(g.labels).toEqual(['2', '7', '30']);
    expect(g.edges).toBe(1);
    const s = diffrg.parseGraph('# nodes: a b c\na,b\n', 's.csv').graph;
    expect(s.labels).toEqual(['a', 'b', 'c']);
    const none = diffrg.parseGraph('# nodes: 1,2,3\nsource,target,weight,pvalue\n', 'e.csv').graph;
    expect([none.n, none.edges]).toEqual([3, 0]);
    expect(() => diffrg.parseGraph('source,target\n', 'empty.csv')).toThrow(/empty graph/);
    // a fourth column is fine when the header names the third as the weight, suspect otherwise
    expect(diffrg.parseGraph('source,target,weight,pvalue\n0,1,2,0.01\n', 'h.csv').warnings.count).toBe(0);
    expect(diffrg.parseGraph('0,1,2,0.01\n1,2,3,0.5\n', 'n.csv').warnings.extraColumns).toBe(2);
  });
});
