import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg } from './helpers';

const { Graph, coarseGrain, rgFlow, AbortError, InvalidInputError } = diffrg;

describe('coarseGrain', () => {
  it('real-space step on the pseudofractal graph (Villegas et al. 2023)', async () => {
    const r = await coarseGrain(Graph.pseudofractal(4), { tau: 0.2 });
    expect(r.n).toBe(76);
    expect(r.assignment.length).toBe(123);
    expect(r.assignment[0]).toBe(0);
    expect(Math.max(...r.assignment) + 1).toBe(76);
    expect(r.graph.n).toBe(76);
    expect(r.timeRescaling).toBe(1);
    expect(r.method).toBe('dense');
  });

  it('dense and localized paths give identical partitions at N = 3000', async () => {
    for (const [g, tau] of [
      [Graph.barabasiAlbert(3000, 2, 5), 0.3],
      [Graph.erdosRenyi(3000, 4, 6), 0.6],
      [Graph.torus(40, 2), 0.5],
    ] as const) {
      const dense = await coarseGrain(g, { tau, method: 'dense' });
      const local = await coarseGrain(g, { tau, method: 'local' });
      expect(local.method).toBe('local');
      expect(local.assignment).toEqual(dense.assignment);
      expect(local.n).toBeLessThanOrEqual(g.n);
    }
  });

  it('equilibrium rule on a directed graph preserves the stationary state', async () => {
    const g = Graph.fromEdges(
      { n: 5, sources: [0, 1, 2, 2, 3, 4, 1], targets: [1, 2, 0, 3, 4, 2, 0], weights: [1, 2, 1.5, 0.5, 1, 3, 0.2] },
      { directed: true },
    );
    const r = await coarseGrain(g, { tau: 0.5, rule: 'equilibrium', targetSize: 3 });
    expect(r.n).toBe(3);
    const L = r.laplacian!;
    const C = r.scale!;
    for (let v = 0; v < 3; v++) {
      let right = 0;
      let left = 0;
      for (let e = 0; e < 3; e++) {
        right += L[v * 3 + e] * C[e];
        left += C[e] * L[e * 3 + v];
      }
      expect(Math.abs(right)).toBeLessThan(1e-12);
      expect(Math.abs(left)).toBeLessThan(1e-12);
    }
    expect(r.graph.directed).toBe(true);
  });

  it('typed errors and abort', async () => {
    await expect(coarseGrain(Graph.ring(10), { tau: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(coarseGrain(Graph.ring(10), { tau: 1, rule: 'nope' as never })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(coarseGrain(Graph.ring(10), { tau: 1, rule: 'mode-count', method: 'local' })).rejects.toBeInstanceOf(InvalidInputError);
    const ctl = new AbortController();
    const p = coarseGrain(Graph.barabasiAlbert(20000, 3, 1), { tau: 1, method: 'local', signal: ctl.signal, threads: 1 });
    setTimeout(() => ctl.abort(), 50);
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });
});

describe('rgFlow', () => {
  it('reproduces 123 -> 76 -> 61 -> 46 and composes assignments', async () => {
    const r = await rgFlow(Graph.pseudofractal(4), { tau: 0.2, steps: 3 });
    expect(r.initial.n).toBe(123);
    expect(r.steps.map((s) => s.n)).toEqual([76, 61, 46]);
    for (const s of r.steps) {
      expect(s.assignment.length).toBe(123);
      expect(Math.max(...s.assignment) + 1).toBe(s.n);
      expect(s.degreeHistogram.reduce((a, b) => a + b, 0)).toBe(s.n);
      expect(s.curve!.specificHeat.every((c) => c >= 0)).toBe(true);
    }
  });

  it('tau policies: fraction and strongest transition', async () => {
    const g = Graph.barabasiAlbert(400, 2, 3);
    const f = await rgFlow(g, { policy: 'fraction', fraction: 0.6, steps: 2, curvePoints: 0 });
    expect(f.steps[0].n).toBeLessThanOrEqual(240);
    expect(f.steps[1].n).toBeLessThanOrEqual(Math.round(0.6 * f.steps[0].n));
    const t = await rgFlow(g, { policy: 'strongest-transition', steps: 1 });
    const c = t.initial.curve!;
    const k = c.specificHeat.indexOf(Math.max(...c.specificHeat));
    // The chosen tau is at the peak of the recorded C(tau) curve (within two grid steps).
    expect(Math.abs(Math.log(t.steps[0].tau / c.tau[k]))).toBeLessThan(2 * Math.log(c.tau[1] / c.tau[0]));
    await expect(rgFlow(g, { policy: 'fraction', fraction: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('equilibrium flow carries the renormalized Laplacian', async () => {
    const r = await rgFlow(Graph.barabasiAlbert(120, 2, 2), { rule: 'equilibrium', policy: 'fraction', fraction: 0.5, tau: 1, steps: 2 });
    expect(r.steps.map((s) => s.n)).toEqual([60, 30]);
  });
});

describe('diffrg coarse-grain', () => {
  it('--json prints labels and per-step assignments', () => {
    const r = cli(['coarse-grain', 'gen:pseudofractal:4', '--tau', '0.2', '--steps', '3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.labels.length).toBe(123);
    expect(j.labels[5]).toBe('5');
    expect(j.steps.map((s: { n: number }) => s.n)).toEqual([76, 61, 46]);
    expect(j.steps[0].assignment.length).toBe(123);
    expect(j.steps[2].tau).toBe(0.2);
  });

  it('--out writes the flow and the assignments', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-rg-'));
    const r = cli(['coarse-grain', 'gen:ring:40', '--tau', '2', '--steps', '2', '--out', dir]);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, 'flow.json'))).toBe(true);
    const lines = readFileSync(path.join(dir, 'assignments.csv'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(41);
    expect(lines[0].startsWith('node,step1')).toBe(true);
  });

  it('reads a graph file with string ids and reports them as labels', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-rg-'));
    const file = path.join(dir, 'pseudofractal.csv');
    const g = Graph.pseudofractal(4);
    const { indptr, indices } = g.native.toCsr();
    const rows = ['source,target'];
    for (let i = 0; i < g.n; i++) for (let k = indptr[i]; k < indptr[i + 1]; k++) if (i < indices[k]) rows.push(`v${i},v${indices[k]}`);
    writeFileSync(file, rows.join('\n') + '\n');
    const r = cli(['coarse-grain', file, '--tau', '0.2', '--steps', '3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.labels.length).toBe(123);
    expect(j.labels.every((l: string) => /^v\d+$/.test(l))).toBe(true);
    expect(j.steps.map((s: { n: number }) => s.n)).toEqual([76, 61, 46]);
    expect(cli(['coarse-grain', path.join(dir, 'missing.csv'), '--tau', '1']).code).toBe(1);
  });

  it('usage errors exit 2', () => {
    expect(cli(['coarse-grain', 'gen:ring:10']).code).toBe(2);
    expect(cli(['coarse-grain', 'gen:ring:10', '--tau', 'x']).code).toBe(2);
    expect(cli(['coarse-grain', 'gen:nothing:10', '--tau', '1']).code).toBe(2);
    expect(cli(['coarse-grain', 'gen:ring:10', '--tau', '1', '--rule', 'bogus']).code).toBe(2);
  });
});
