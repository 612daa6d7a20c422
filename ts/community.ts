/**
 * Communities: Leiden (modularity with resolution; directed graphs use the Leicht-Newman
 * directed modularity), community-based spectral node orderings, and partition metrics
 * (modularity, ARI, NMI). See docs/communities.md.
 */
import { createReadStream, promises as fs } from 'node:fs';
import native = require('./native');
import { Graph } from './graph';
import { callNative, runNative, type RunOptions } from './run';
import { InvalidInputError, IoError, NotFiniteError, ParseError } from './errors';

export interface LeidenOptions extends RunOptions {
  /** Modularity resolution gamma >= 0 (larger: more, smaller communities). @default 1 */
  resolution?: number;
  /** Randomness of the refinement step. @default 0.01 */
  theta?: number;
  /** Leiden iterations; 0 runs until modularity stops increasing. @default 0 */
  maxIterations?: number;
  /** Seed (results are deterministic per seed). @default 42 */
  seed?: number;
}

export interface LeidenResult {
  /** Community of each node, 0..communities-1, numbered by decreasing size. */
  labels: Uint32Array;
  communities: number;
  modularity: number;
  iterations: number;
  converged: boolean;
}

function checkNumber(name: string, v: number | undefined, min: number, integer = false): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new InvalidInputError(`${name} must be a number (got ${v})`);
  if (!Number.isFinite(v)) throw new NotFiniteError(`${name} is ${v}`);
  if (v < min || (integer && !Number.isInteger(v))) throw new InvalidInputError(`${name} must be ${integer ? 'an integer ' : ''}>= ${min} (got ${v})`);
}

/** Leiden communities of `graph` (Traag, Waltman & van Eck 2019). */
export async function leiden(graph: Graph, options: LeidenOptions = {}): Promise<LeidenResult> {
  checkNumber('resolution', options.resolution, 0);
  checkNumber('maxIterations', options.maxIterations, 0, true);
  checkNumber('seed', options.seed, 0, true);
  const r = await runNative(options, (token) =>
    native.leiden(
      graph.native,
      { resolution: options.resolution, theta: options.theta, maxIterations: options.maxIterations, seed: options.seed === undefined ? undefined : options.seed >>> 0, threads: options.threads },
      token,
    ) as Promise<native.NativeLeidenResult>,
  );
  return { ...r, labels: Uint32Array.from(r.labels) };
}

export interface OrderingOptions extends RunOptions {
  /** Dense eigensolver up to this many nodes per solve, Lanczos beyond. @default 1500 */
  denseMax?: number;
  /** Only the linear Fiedler order (no circular candidate for ring-like community graphs). @default false */
  linearOnly?: boolean;
  /**
   * Inside each community, order nodes by a potential anchored to the neighbouring blocks
   * (nodes coupled to earlier communities first, to later ones last) instead of their Fiedler
   * vector. @default false
   */
  anchored?: boolean;
}

export interface Ordering {
  /** `order[p]` is the node at position `p` (a permutation of 0..n-1). */
  order: Uint32Array;
  /** `position[v]` is the position of node `v`. */
  position: Uint32Array;
  /** Communities (numbered by first appearance in the labels) in order. */
  communityOrder: Uint32Array;
  converged: boolean;
}

/** Encodes arbitrary labels (numbers or strings) as dense integer ids. */
export function encodeLabels(labels: ArrayLike<number | string>): Uint32Array {
  const ids = new Map<number | string, number>();
  const out = new Uint32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let id = ids.get(labels[i]);
    if (id === undefined) ids.set(labels[i], (id = ids.size));
    out[i] = id;
  }
  return out;
}

/**
 * Orders nodes so that every community is a contiguous block: communities along the spectral
 * (Fiedler) order of the community graph, nodes within each community along their own.
 */
export async function communityOrdering(graph: Graph, labels: ArrayLike<number | string>, options: OrderingOptions = {}): Promise<Ordering> {
  if (labels.length !== graph.n) throw new InvalidInputError(`labels has ${labels.length} entries for ${graph.n} nodes`);
  checkNumber('denseMax', options.denseMax, 1, true);
  const r = await runNative(options, (token) =>
    native.communityOrdering(graph.native, encodeLabels(labels), { denseMax: options.denseMax, linearOnly: options.linearOnly, anchored: options.anchored, threads: options.threads }, token) as Promise<native.NativeOrdering>,
  );
  return { order: Uint32Array.from(r.order), position: Uint32Array.from(r.position), communityOrder: Uint32Array.from(r.communityOrder), converged: r.converged };
}

/** Generalized modularity of a partition (directed graphs: Leicht-Newman). */
export function modularity(graph: Graph, labels: ArrayLike<number | string>, resolution = 1): number {
  if (labels.length !== graph.n) throw new InvalidInputError(`labels has ${labels.length} entries for ${graph.n} nodes`);
  return callNative(() => native.modularity(graph.native, encodeLabels(labels), resolution));
}

/** Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same items. */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  return callNative(() => native.adjustedRandIndex(encodeLabels(a), encodeLabels(b)));
}

/** Normalized mutual information, I / ((H(a) + H(b)) / 2). */
export function normalizedMutualInformation(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  return callNative(() => native.normalizedMutualInformation(encodeLabels(a), encodeLabels(b)));
}

/** Ring of `cliques` complete graphs of `size` nodes joined by single edges, with the clique of each node. */
export function ringOfCliques(cliques: number, size: number): { graph: Graph; labels: Uint32Array } {
  checkNumber('cliques', cliques, 0, true);
  checkNumber('size', size, 0, true);
  const graph = new Graph(callNative(() => native.ringOfCliques(cliques, size)));
  return { graph, labels: Uint32Array.from({ length: cliques * size }, (_, v) => Math.floor(v / size)) };
}

/** Stochastic block model (nodes numbered block by block), with the block of each node. */
export function stochasticBlockModel(
  sizes: number[],
  pIn: number,
  pOut: number,
  options: { directed?: boolean; seed?: number } = {},
): { graph: Graph; labels: Uint32Array } {
  sizes.forEach((s, i) => checkNumber(`sizes[${i}]`, s, 0, true));
  const graph = new Graph(callNative(() => native.stochasticBlockModel(sizes, pIn, pOut, options.directed, options.seed)));
  const labels = Uint32Array.from(sizes.flatMap((s, b) => Array<number>(s).fill(b)));
  return { graph, labels };
}

// ---------------------------------------------------------------------------------------------
// Files: graphs (edge lists or adjacency matrices) and node labels.

export interface ReadGraphOptions {
  /** Treat edges as directed `source -> target`. @default true for edge lists, matrices: true unless symmetric */
  directed?: boolean;
  /** What to do with negative weights (inferred graphs are signed): use |w|, drop the edge, or fail. @default 'abs' */
  negative?: 'abs' | 'drop' | 'error';
  /** `edges` (`source,target[,weight,...]`), `matrix` (square adjacency CSV), or detect. @default 'auto' */
  format?: 'auto' | 'edges' | 'matrix';
}

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

async function* lines(file: string): AsyncGenerator<[string, number]> {
  let stream;
  try {
    await fs.access(file);
    stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let carry = '';
  let n = 0;
  try {
    for await (const chunk of stream) {
      const text = carry + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        yield [text.slice(start, nl).replace(/\r$/, ''), ++n];
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    if (carry.length > 0) yield [carry.replace(/\r$/, ''), ++n];
  } finally {
    stream.destroy();
  }
}

function split(line: string): string[] {
  return line.includes('\t') ? line.split('\t') : line.includes(',') ? line.split(',') : line.trim().split(/\s+/);
}

/**
 * Reads a graph from CSV/TSV: an edge list `source,target[,weight[,...]]` (header optional;
 * node ids are arbitrary strings and become `graph.labels`; extra columns such as `pvalue` are
 * ignored) or a square adjacency matrix (row i = out-edges of node i, ids `0..n-1`).
 */
export async function readGraph(file: string, options: ReadGraphOptions = {}): Promise<Graph> {
  const negative = options.negative ?? 'abs';
  const rows: string[][] = [];
  const lineNos: number[] = [];
  for await (const [line, no] of lines(file)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    rows.push(split(line).map((s) => s.trim()));
    lineNos.push(no);
  }
  if (rows.length === 0) throw new ParseError('empty graph file', { file });
  const width = rows[0].length;
  const numericRow = (r: string[]) => r.every((t) => t !== '' && (Number.isFinite(Number(t)) || NON_FINITE.test(t)));
  const isMatrix =
    options.format === 'matrix' || (options.format !== 'edges' && width > 3 && rows.length === width && rows.every((r) => r.length === width) && numericRow(rows[0]));
  const weight = (text: string, line: number): number | null => {
    const w = Number(text);
    if (text === '' || Number.isNaN(w)) {
      if (NON_FINITE.test(text)) throw new NotFiniteError(`${file}:${line}: weight is ${text}`);
      throw new ParseError(`weight '${text}' is not a number`, { file, line });
    }
    if (!Number.isFinite(w)) throw new NotFiniteError(`${file}:${line}: weight is ${text}`);
    if (w < 0) {
      if (negative === 'error') throw new InvalidInputError(`${file}:${line}: negative weight ${text} (use negative: 'abs' or 'drop')`);
      return negative === 'drop' ? null : -w;
    }
    return w;
  };
  const sources: number[] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  if (isMatrix) {
    const n = width;
    let symmetric = true;
    const m: number[][] = rows.map((r, i) => r.map((t) => weight(t, lineNos[i]) ?? 0));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (m[i][j] !== m[j][i]) symmetric = false;
    const directed = options.directed ?? !symmetric;
    // undirected: a symmetric matrix gives A itself, an asymmetric one A + A^T
    const upperOnly = !directed && symmetric;
    for (let i = 0; i < n; i++) {
      for (let j = upperOnly ? i : 0; j < n; j++) {
        if (m[i][j] !== 0) {
          sources.push(i);
          targets.push(j);
          weights.push(m[i][j]);
        }
      }
    }
    return Graph.fromEdges({ n, sources, targets, weights }, { directed: directed || !upperOnly, symmetrize: !directed && !upperOnly });
  }
  const ids = new Map<string, number>();
  const id = (s: string) => {
    let k = ids.get(s);
    if (k === undefined) ids.set(s, (k = ids.size));
    return k;
  };
  let start = 0;
  const header = rows[0];
  const wText = header[header.length >= 3 ? 2 : 1] ?? '';
  if (/^(source|from|pre|src)$/i.test(header[0]) || (header.length >= 3 && Number.isNaN(Number(wText)) && !NON_FINITE.test(wText))) start = 1;
  for (let r = start; r < rows.length; r++) {
    const row = rows[r];
    if (row.length < 2) throw new ParseError(`expected source,target[,weight], found ${row.length} column(s)`, { file, line: lineNos[r] });
    if (row[0] === '' || row[1] === '') throw new ParseError('empty node id', { file, line: lineNos[r] });
    const w = row.length >= 3 ? weight(row[2], lineNos[r]) : 1;
    const s = id(row[0]);
    const t = id(row[1]);
    if (w === null || w === 0) continue;
    sources.push(s);
    targets.push(t);
    weights.push(w);
  }
  return Graph.fromEdges({ n: ids.size, sources, targets, weights, labels: [...ids.keys()] }, { directed: options.directed ?? true });
}

/** Reads `node,label` rows (header optional) into a map from node id to label. */
export async function readLabels(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let first = true;
  for await (const [line, no] of lines(file)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = split(line).map((s) => s.trim());
    if (f.length < 2) throw new ParseError(`expected node,label, found ${f.length} column(s)`, { file, line: no });
    if (first && /^(node|neuron|id|name|skid)$/i.test(f[0])) {
      first = false;
      continue;
    }
    first = false;
    if (out.has(f[0]) && out.get(f[0]) !== f[1]) throw new InvalidInputError(`${file}:${no}: node '${f[0]}' has two labels ('${out.get(f[0])}' and '${f[1]}')`);
    out.set(f[0], f[1]);
  }
  return out;
}

export interface CommunityReport {
  /** Node ids (the graph's labels), in node order. */
  labels: string[];
  /** Community of each node. */
  community: number[];
  /** Node indices (into `labels`) in community order: a permutation. */
  order: number[];
  modularity: number;
  communities: number;
  resolution: number;
  method: 'leiden';
  /** Agreement with the reference labels, over the nodes that have one. */
  ari?: number;
  nmi?: number;
  /** Nodes compared with the reference labels. */
  compared?: number;
}

/** Leiden communities + ordering + (optionally) agreement with reference labels. */
export async function analyzeCommunities(
  graph: Graph,
  options: LeidenOptions & { truth?: Map<string, string> } = {},
): Promise<CommunityReport> {
  const r = await leiden(graph, options);
  const o = await communityOrdering(graph, r.labels, { signal: options.signal, threads: options.threads });
  const report: CommunityReport = {
    labels: graph.labels,
    community: Array.from(r.labels),
    order: Array.from(o.order),
    modularity: r.modularity,
    communities: r.communities,
    resolution: options.resolution ?? 1,
    method: 'leiden',
  };
  if (options.truth) {
    const found: number[] = [];
    const ref: string[] = [];
    graph.labels.forEach((id, v) => {
      const t = options.truth!.get(id);
      if (t !== undefined) {
        found.push(r.labels[v]);
        ref.push(t);
      }
    });
    if (found.length === 0) throw new InvalidInputError('none of the graph nodes has a reference label (check the node ids in the labels file)');
    report.ari = adjustedRandIndex(found, ref);
    report.nmi = normalizedMutualInformation(found, ref);
    report.compared = found.length;
  }
  return report;
}
