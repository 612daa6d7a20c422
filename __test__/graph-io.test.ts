import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg } from './helpers';

const { readGraph, parseGraph, encodeNpy, ParseError, NotFiniteError, InvalidInputError, IoError } = diffrg;

const dir = mkdtempSync(join(tmpdir(), 'diffrg-graph-io-'));
function file(name: string, text: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const weightOf = (g: InstanceType<typeof diffrg.Graph>, i: number, j: number) => {
  const c = g.toCsr();
  for (let k = c.indptr[i]; k < c.indptr[i + 1]; k++) if (c.indices[k] === j) return c.weights[k];
  return 0;
};

describe('edge lists', () => {
  it('reads CSV with a header, comments, string ids and weights', () => {
    const p = file('a.csv', '% KONECT style comment\n# another\nsource,target,weight\nalice,bob,2.5\nbob,carol,1\n\ncarol,alice,0.5\n');
    const { graph, format, warnings } = readGraph(p);
    expect(format).toBe('edges');
    expect(graph.n).toBe(3);
    expect(graph.edges).toBe(3);
    expect(graph.labels).toEqual(['alice', 'bob', 'carol']);
    expect(weightOf(graph, 0, 1)).toBe(2.5);
    expect(weightOf(graph, 1, 0)).toBe(2.5);
    expect(warnings.count).toBe(0);
  });

  it('maps integer ids in numeric order and keeps them as labels (TSV and spaces)', () => {
    const tsv = readGraph(file('b.tsv', '10\t2\n2\t7\n')).graph;
    expect(tsv.labels).toEqual(['2', '7', '10']);
    expect(weightOf(tsv, 2, 0)).toBe(1);
    const sp = readGraph(file('c.txt', '  1 2 \n2    3\n')).graph;
    expect(sp.n).toBe(3);
  });

  it('counts self-loops, duplicates, zero weights and extra columns', () => {
    const { graph, warnings } = readGraph(file('d.txt', '1 1 1 100\n1 2 1 101\n2 1 1 102\n2 3 0 103\n3 4 1 104\n'));
    expect(warnings.selfLoops).toBe(1);
    expect(warnings.duplicates).toBe(1);
    expect(warnings.zeroWeights).toBe(1);
    expect(warnings.extraColumns).toBe(5);
    expect(warnings.count).toBe(8);
    expect(weightOf(graph, 0, 1)).toBe(2); // duplicates merged by summing
    expect(graph.edges).toBe(2);
    const u = readGraph(file('d2.txt', '1 2 5\n2 1 5\n'), { unweighted: true }).graph;
    expect(weightOf(u, 0, 1)).toBe(1);
  });

  it('keeps directed edges when asked and symmetrizes on request', () => {
    const p = file('e.txt', '1 2\n2 3\n');
    expect(readGraph(p, { directed: true }).graph.directed).toBe(true);
    expect(readGraph(p, { directed: true, symmetrize: true }).graph.directed).toBe(false);
  });

  it('keeps the largest component with its labels', () => {
    const { graph, warnings } = readGraph(file('f.txt', 'a b\nb c\nx y\n'), { largestComponent: true });
    expect(graph.labels).toEqual(['a', 'b', 'c']);
    expect(warnings.outsideLargestComponent).toBe(2);
  });

  it('rejects bad input with file and line', () => {
    const nan = file('g.txt', '1 2 1\n2 3 NaN\n');
    expect(() => readGraph(nan)).toThrow(NotFiniteError);
    expect(() => readGraph(nan)).toThrow(/g\.txt:2/);
    expect(() => readGraph(file('h.txt', '1 2 1\n2 3 inf\n'))).toThrow(NotFiniteError);
    const neg = file('i.txt', '1 2 1\n\n2 3 -1\n');
    expect(() => readGraph(neg)).toThrow(InvalidInputError);
    expect(() => readGraph(neg)).toThrow(/i\.txt:3/);
    expect(() => readGraph(file('j.txt', '1 2 1\n2 3 abc\n'))).toThrow(ParseError);
    expect(() => readGraph(file('k.txt', '1 2\n3\n'))).toThrow(/k\.txt:2/);
    expect(() => readGraph(file('l.txt', '% only comments\n'))).toThrow(/empty graph/);
    expect(() => readGraph(join(dir, 'nope.txt'))).toThrow(IoError);
  });
});

describe('dense adjacency', () => {
  it('reads a symmetric CSV matrix as an undirected graph without doubling weights', () => {
    const p = file('m.adj.csv', '0,2,0,0\n2,0,1,0\n0,1,0,3\n0,0,3,0\n');
    const { graph, format } = readGraph(p);
    expect(format).toBe('dense');
    expect(graph.directed).toBe(false);
    expect(graph.edges).toBe(3);
    expect(weightOf(graph, 0, 1)).toBe(2);
    const asym = readGraph(file('n.csv', '0 1 0 0\n0 0 1 0\n0 0 0 1\n1 0 0 0\n'), { format: 'dense' }).graph;
    expect(asym.directed).toBe(true);
    expect(asym.edges).toBe(4);
  });

  it('rejects ragged, non-square and non-finite matrices', () => {
    expect(() => readGraph(file('o.csv', '0,1,0,0\n1,0,1\n0,1,0,1\n0,0,1,0\n'), { format: 'dense' })).toThrow(/o\.csv:2: ragged/);
    expect(() => readGraph(file('p.csv', '0,1,0,0\n1,0,1,0\n0,1,0,1\n'), { format: 'dense' })).toThrow(/not square/);
    expect(() => readGraph(file('q.csv', '0,1,0,0\n1,0,nan,0\n0,1,0,1\n0,0,1,0\n'), { format: 'dense' })).toThrow(NotFiniteError);
    expect(() => readGraph(file('r.csv', '0,1,0,0\n1,0,-1,0\n0,1,0,1\n0,0,1,0\n'), { format: 'dense' })).toThrow(/r\.csv:2/);
  });

  it('reads NPY adjacency and rejects non-square arrays', () => {
    const a = Float64Array.from([0, 1, 1, 1, 0, 0, 1, 0, 0]);
    const { graph, format } = readGraph(file('s.npy', encodeNpy({ dtype: 'float64', shape: [3, 3], data: a })));
    expect(format).toBe('npy');
    expect(graph.edges).toBe(2);
    expect(() => readGraph(file('t.npy', encodeNpy({ dtype: 'float64', shape: [3, 2], data: new Float64Array(6) })))).toThrow(/square/);
    const bad = Float64Array.from([0, Infinity, Infinity, 0]);
    expect(() => readGraph(file('u.npy', encodeNpy({ dtype: 'float64', shape: [2, 2], data: bad })))).toThrow(NotFiniteError);
  });
});

describe('Matrix Market', () => {
  it('reads symmetric pattern and general real files', () => {
    const sym = readGraph(file('a.mtx', '%%MatrixMarket matrix coordinate pattern symmetric\n% comment\n4 4 3\n2 1\n3 2\n4 3\n'));
    expect(sym.format).toBe('mtx');
    expect(sym.graph.n).toBe(4);
    expect(sym.graph.edges).toBe(3);
    expect(sym.graph.labels).toEqual(['1', '2', '3', '4']);
    // A general file listing both triangles of a symmetric matrix: undirected, weights not doubled.
    const gen = readGraph(file('b.mtx', '%%MatrixMarket matrix coordinate real general\n3 3 4\n1 2 2.0\n2 1 2.0\n2 3 1.5\n3 2 1.5\n')).graph;
    expect(gen.directed).toBe(false);
    expect(weightOf(gen, 0, 1)).toBe(2);
    const dir = readGraph(file('c.mtx', '%%MatrixMarket matrix coordinate integer general\n3 3 2\n1 2 1\n2 3 4\n')).graph;
    expect(dir.directed).toBe(true);
  });

  it('rejects out-of-range ids, wrong counts, non-square sizes and bad banners', () => {
    expect(() => readGraph(file('d.mtx', '%%MatrixMarket matrix coordinate real general\n3 3 1\n1 4 1\n'))).toThrow(/d\.mtx:3: index \(1, 4\) out of range/);
    expect(() => readGraph(file('e.mtx', '%%MatrixMarket matrix coordinate real general\n3 3 2\n1 2 1\n'))).toThrow(ParseError);
    expect(() => readGraph(file('f.mtx', '%%MatrixMarket matrix coordinate real general\n3 4 1\n1 2 1\n'))).toThrow(/not square/);
    expect(() => readGraph(file('g.mtx', '%%MatrixMarket matrix array real general\n2 2\n1\n0\n0\n1\n'))).toThrow(/coordinate only/);
    expect(() => readGraph(file('h.mtx', '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 nan\n'))).toThrow(/h\.mtx:3/);
  });

  it('parses in-memory data', () => {
    const { graph } = parseGraph('x y\ny z\n', 'mem.txt');
    expect(graph.labels).toEqual(['x', 'y', 'z']);
  });
});
