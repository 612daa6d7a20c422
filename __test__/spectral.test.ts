import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, diffrg } from './helpers';

const { Graph, spectralScan, AbortError, InvalidInputError, TooLargeError } = diffrg;

const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

describe('spectralScan: known facts', () => {
  it('S(0) = ln N, S -> ln(components), C >= 0 (exact and SLQ)', async () => {
    // Two components: a 300-ring and a 200-node BA graph.
    const ba = Graph.barabasiAlbert(200, 2, 3).toCsr();
    const sources: number[] = [];
    const targets: number[] = [];
    for (let i = 0; i < 300; i++) {
      sources.push(i);
      targets.push((i + 1) % 300);
    }
    for (let i = 0; i < 200; i++) {
      for (let k = ba.indptr[i]; k < ba.indptr[i + 1]; k++) {
        if (i < ba.indices[k]) {
          sources.push(300 + i);
          targets.push(300 + ba.indices[k]);
        }
      }
    }
    const g = Graph.fromEdges({ n: 500, sources, targets });
    for (const method of ['exact', 'slq'] as const) {
      const r = await spectralScan(g, { method, tauMin: 1e-8, tauMax: 1e8, tauCount: 60 });
      expect(r.method).toBe(method);
      expect(r.components).toBe(2);
      expect(r.entropy[0]).toBeCloseTo(Math.log(500), 5);
      expect(r.entropyNormalized[0]).toBeCloseTo(1, 5);
      expect(r.entropy[59]).toBeCloseTo(Math.log(2), 6);
      expect(r.specificHeat.every((c) => c >= 0 && Number.isFinite(c))).toBe(true);
      if (method === 'slq') {
        expect(r.specificHeatStderr).toHaveLength(60);
        expect(r.entropyStderr).toHaveLength(60);
      } else {
        expect(r.specificHeatStderr).toBeUndefined();
      }
    }
  });

  it('plateaus: ring 1/2, 2D torus 1, uniform tree 2/3', async () => {
    const ring = await spectralScan(Graph.ring(1000));
    expect(ring.method).toBe('exact');
    expect(Math.abs(ring.plateau.level - 0.5)).toBeLessThan(0.03);
    expect(ring.plateau.decades).toBeGreaterThan(2);
    const torus = await spectralScan(Graph.torus(50, 2));
    expect(Math.abs(torus.plateau.level - 1)).toBeLessThan(0.07);
    const tree = await spectralScan(Graph.uniformTree(3000, 7));
    expect(Math.abs(tree.plateau.level - 2 / 3)).toBeLessThan(0.07);
  });

  it('exact ring spectrum: C(tau) matches the analytic eigenvalues 2 - 2 cos(2 pi k / N)', async () => {
    const n = 64;
    const r = await spectralScan(Graph.ring(n), { tauMin: 0.01, tauMax: 100, tauCount: 30 });
    const lam = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos((2 * Math.PI * k) / n));
    const c = r.tau.map((t) => {
      const w = lam.map((l) => Math.exp(-t * l));
      const z = w.reduce((a, b) => a + b, 0);
      const m = lam.reduce((a, l, i) => a + l * w[i], 0) / z;
      return (t * t * lam.reduce((a, l, i) => a + (l - m) ** 2 * w[i], 0)) / z;
    });
    expect(maxAbsDiff(r.specificHeat, c)).toBeLessThan(1e-9);
    // Default grid spans 0.01 / lambda_max .. (10 + ln N) / lambda_2.
    const d = await spectralScan(Graph.ring(n));
    expect(d.tau[0]).toBeCloseTo(0.01 / 4, 10);
    expect(d.tau[d.tau.length - 1] / ((10 + Math.log(n)) / lam[1])).toBeCloseTo(1, 8);
  });

  it('SLQ matches exact within 2% of max C on a 71x71 torus (N = 5041)', async () => {
    const g = Graph.torus(71, 2);
    const grid = { tauMin: 1e-3, tauMax: 1e3, tauCount: 120 };
    const [ex, sl] = [await spectralScan(g, { method: 'exact', ...grid }), await spectralScan(g, { method: 'slq', ...grid })];
    const cmax = Math.max(...ex.specificHeat);
    expect(maxAbsDiff(sl.specificHeat, ex.specificHeat)).toBeLessThan(0.02 * cmax);
    expect(sl.deflated).toBeGreaterThan(1);
  }, 600_000);

  it('finds the two transitions of a graph with two scales', async () => {
    const sources: number[] = [];
    const targets: number[] = [];
    for (let c = 0; c < 10; c++) {
      for (let i = 0; i < 20; i++) for (let j = 0; j < i; j++) (sources.push(20 * c + i), targets.push(20 * c + j));
      sources.push(20 * c);
      targets.push(20 * ((c + 1) % 10) + 1);
    }
    const r = await spectralScan(Graph.fromEdges({ n: 200, sources, targets }));
    expect(r.transitions).toHaveLength(2);
    expect(r.transitions[1].tau / r.transitions[0].tau).toBeGreaterThan(100);
  });
});

describe('spectralScan: errors and cancellation', () => {
  it('rejects bad options with typed errors', async () => {
    const g = Graph.ring(10);
    await expect(spectralScan(g, { method: 'bogus' as never })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(spectralScan(g, { method: 'slq', probes: 1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(spectralScan(g, { tauMin: 1 })).rejects.toThrow(/tauMin and tauMax/);
    await expect(spectralScan(g, { tauMin: 2, tauMax: 1 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses a dense scan that does not fit before allocating (ERR_TOO_LARGE)', async () => {
    const e = await spectralScan(Graph.ring(60_000), { method: 'exact' }).catch((x) => x);
    expect(e).toBeInstanceOf(TooLargeError);
    expect(e.message).toMatch(/slq/);
  });

  it('aborts a running SLQ scan', async () => {
    const g = Graph.barabasiAlbert(200_000, 3, 1);
    const ctl = new AbortController();
    const t0 = Date.now();
    const p = spectralScan(g, { method: 'slq', probes: 200, steps: 300, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 300);
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('diffrg scan CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diffrg-scan-'));
  const file = join(dir, 'ring.csv');
  writeFileSync(file, 'source,target\n' + Array.from({ length: 100 }, (_, i) => `n${i},n${(i + 1) % 100}`).join('\n') + '\n');

  it('prints the JSON contract and writes --out and --plot', () => {
    const out = join(dir, 'r.json');
    const svg = join(dir, 'r.svg');
    const r = cli(['scan', file, '--json', '--tau-min', '1e-2', '--tau-max', '1e4', '--tau-count', '50', '--out', out, '--plot', svg]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(
      ['n', 'edges', 'method', 'tau', 'entropy', 'entropyNormalized', 'specificHeat', 'spectralDimension', 'transitions', 'plateau'].sort(),
    );
    expect(j.n).toBe(100);
    expect(j.edges).toBe(100);
    expect(j.tau).toHaveLength(50);
    expect(j.tau[0]).toBeCloseTo(1e-2, 12);
    expect(j.tau[49]).toBeCloseTo(1e4, 6);
    expect(Object.keys(j.plateau).sort()).toEqual(['decades', 'level']);
    for (const t of j.transitions) expect(Object.keys(t).sort()).toEqual(['specificHeat', 'tau']);
    expect(Math.abs(j.plateau.level - 0.5)).toBeLessThan(0.05);
    const full = JSON.parse(readFileSync(out, 'utf8'));
    expect(full.specificHeat).toEqual(j.specificHeat);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('<path');
  });

  it('uses slq on request and reports usage errors with exit code 2', () => {
    const r = cli(['scan', file, '--json', '--method', 'slq', '--probes', '4', '--steps', '30']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).method).toBe('slq');
    expect(cli(['scan', file, '--method', 'nope']).code).toBe(2);
    expect(cli(['scan', file, '--tau-count', '0']).code).toBe(2);
    const missing = cli(['scan', join(dir, 'missing.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing\.csv/);
  });

  it('applies --largest-component and warns about dropped nodes', () => {
    const f = join(dir, 'two.txt');
    writeFileSync(f, '# two components\n1 2\n2 3\n3 1\n10 11\n');
    const r = cli(['scan', f, '--json', '--largest-component']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).n).toBe(3);
    expect(r.stderr).toMatch(/2 nodes outside the largest component/);
  });
});
