/**
 * Communities: Leiden (modularity with resolution; directed graphs use the Leicht-Newman
 * directed modularity), community-based spectral node orderings, and partition metrics
 * (modularity, ARI, NMI). See docs/communities.md.
 */
import { spectralScan } from './spectral';
import { coarseGrain } from './rg';
import native = require('./native');
import { Graph, MAX_GENERATED } from './graph';
import { readLines } from './io/lines';
import { callNative, runNative, type RunOptions, checkSeed, checkInteger, progressStage, MAX_U32 } from './run';
import { InvalidInputError, NotFiniteError, ParseError, TooLargeError } from './errors';

export interface LeidenOptions extends RunOptions {
  /** Modularity resolution gamma >= 0 (larger: more, smaller communities). @default 1 */
  resolution?: number;
  /** Randomness of the refinement step. @default 0.01 */
  theta?: number;
  /** Leiden iterations; 0 runs until modularity stops increasing. @default 0 */
  maxIter?: number;
  /** @deprecated Alias of `maxIter` (CONTRIBUTING.md glossary), removed in the next release. */
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
  checkInteger('maxIter', options.maxIter, 0);
  checkInteger('maxIterations', options.maxIterations, 0);
  checkSeed(options.seed);
  const r = await runNative(options, (token) =>
    native.leiden(
      graph.native,
      { resolution: options.resolution, theta: options.theta, maxIterations: options.maxIter ?? options.maxIterations, seed: options.seed === undefined ? undefined : options.seed >>> 0, threads: options.threads },
      token,
    ),
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
  checkInteger('denseMax', options.denseMax, 1);
  const r = await runNative(options, (token) =>
    native.communityOrdering(graph.native, encodeLabels(labels), { denseMax: options.denseMax, linearOnly: options.linearOnly, anchored: options.anchored, threads: options.threads }, token),
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
  // the native check bounds the nodes (2^24) but not the clique edges (size^2 / 2 per clique)
  if (cliques * size > 1 << 24 || (cliques * size * Math.max(size - 1, 0)) / 2 > MAX_GENERATED) {
    throw new TooLargeError(`ringOfCliques: ${cliques} cliques of ${size} nodes exceed the generator limit of ${MAX_GENERATED} edges and 2^24 nodes`);
  }
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
  // sizes cross as u32 (a larger value would wrap); the core checks the total against its sampler's limit
  sizes.forEach((s, i) => {
    checkNumber(`sizes[${i}]`, s, 0, true);
    if (s > MAX_U32) throw new TooLargeError(`stochasticBlockModel: sizes[${i}] = ${s} nodes exceeds the sampler's limit`);
  });
  checkSeed(options.seed);
  const graph = new Graph(callNative(() => native.stochasticBlockModel(sizes, pIn, pOut, options.directed, options.seed)));
  const labels = Uint32Array.from(sizes.flatMap((s, b) => Array<number>(s).fill(b)));
  return { graph, labels };
}

// ---------------------------------------------------------------------------------------------
// Files: graphs (edge lists or adjacency matrices) and node labels.


function split(line: string): string[] {
  return line.includes('\t') ? line.split('\t') : line.includes(',') ? line.split(',') : line.trim().split(/\s+/);
}

/** Reads `node,label` rows (header optional) into a map from node id to label. */
export async function readLabels(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let first = true;
  for await (const [line, no] of readLines(file)) {
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
  if (out.size === 0) throw new ParseError('no node,label rows', { file });
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
  method: CommunityMethod;
  /** Diffusion time of the LRG supernodes (method 'lrg'). */
  tau?: number;
  /** Agreement with the reference labels, over the nodes that have one. */
  ari?: number;
  nmi?: number;
  /** Nodes compared with the reference labels. */
  compared?: number;
  /** Nodes put in their own community as net-negative sources (option `negativeSources`). */
  negativeSources?: number;
}

export type CommunityMethod = 'leiden' | 'lrg';

export interface LrgCommunityOptions extends RunOptions {
  /**
   * Diffusion time. @default the log-midpoint between the strongest entropy transition (peak of
   * C) and the next later one (10x the strongest when there is none)
   */
  tau?: number;
}

/**
 * Diffusion-based communities: Laplacian-RG supernodes (real-space rule, one step) of the graph
 * just past its entropy transition. At the peak of C(tau) diffusion is still equilibrating inside
 * the modules and few pairs satisfy rho'_ij >= 1; on the plateau after it the modules have become
 * supernodes. diffrg therefore takes the log-midpoint between the strongest transition and the
 * next later one (10x the strongest tau when there is none). This choice is diffrg's; the papers
 * leave the scale to the user.
 */
export async function lrgCommunities(graph: Graph, options: LrgCommunityOptions = {}): Promise<{ labels: Uint32Array; communities: number; tau: number }> {
  let tau = options.tau;
  if (tau === undefined) {
    const scan = await spectralScan(graph, { signal: options.signal, threads: options.threads, onProgress: progressStage(options.onProgress, 0, 0.5) });
    const peak = scan.transitions.length
      ? scan.transitions.reduce((a, b) => (b.specificHeat > a.specificHeat ? b : a)).tau
      : scan.tau[scan.specificHeat.indexOf(Math.max(...scan.specificHeat))];
    const later = scan.transitions.filter((t) => t.tau > peak).map((t) => t.tau);
    tau = later.length ? Math.sqrt(peak * Math.min(...later)) : 10 * peak;
  }
  const cg = await coarseGrain(graph, {
    tau,
    rule: 'real-space',
    signal: options.signal,
    threads: options.threads,
    onProgress: progressStage(options.onProgress, options.tau === undefined ? 0.5 : 0, 1),
  });
  return { labels: Uint32Array.from(cg.assignment), communities: cg.n, tau };
}

/**
 * Puts the nodes flagged in `separate` into one community of their own (when any is flagged)
 * and renumbers the communities by decreasing size (ties: first appearance).
 */
export function separateCommunity(labels: ArrayLike<number>, separate: ArrayLike<boolean>): { labels: Uint32Array; communities: number } {
  return callNative(() => native.separateCommunity(Uint32Array.from(labels), Uint8Array.from(separate, Number)));
}

/** Communities (Leiden or LRG supernodes) + ordering + (optionally) agreement with reference labels. */
export async function analyzeCommunities(
  graph: Graph,
  options: LeidenOptions & {
    truth?: Map<string, string>;
    method?: CommunityMethod;
    tau?: number;
    /**
     * Labels of nodes that form one community of their own whatever the graph says: the
     * net-negative sources (inhibitory neurons) of a signed graph read with `negative: 'dale'`.
     */
    negativeSources?: readonly string[];
    /**
     * Leiden (method 'leiden') on the profile-augmented graph `A/<A> + S/<S>` (`S`: cosine
     * similarity of the nodes' neighbourhood profiles; core `community::profile`,
     * docs/communities.md), the net-negative sources left out of it; modularity is still
     * reported on `graph`. `diffrg communities` turns it on for signed inferred graphs.
     * @default false
     */
    profile?: boolean;
  } = {},
): Promise<CommunityReport> {
  const method = options.method ?? 'leiden';
  if (method !== 'leiden' && method !== 'lrg') throw new InvalidInputError(`method must be leiden or lrg (got '${method}')`);
  if (options.tau !== undefined && method !== 'lrg') throw new InvalidInputError(`tau applies to method 'lrg' only (got method '${method}')`);
  if (options.profile && method !== 'leiden') throw new InvalidInputError(`profile applies to method 'leiden' only (got method '${method}')`);
  let r: { labels: Uint32Array; communities: number; modularity: number; tau?: number };
  // progress: the communities, then the ordering (often the longer part: nodes placed)
  const found = progressStage(options.onProgress, 0, 0.5);
  if (method === 'lrg') {
    const l = await lrgCommunities(graph, { tau: options.tau, signal: options.signal, threads: options.threads, onProgress: found });
    r = { ...l, modularity: modularity(graph, l.labels, options.resolution ?? 1) };
  } else if (options.profile) {
    const neg = new Set(options.negativeSources ?? []);
    const exclude = Uint8Array.from(graph.labels, (id) => Number(neg.has(id)));
    const csr = await runNative(options, (token) => native.profileAugment(graph.native, exclude, { threads: options.threads }, token));
    const augmented = Graph.fromCsr({ n: graph.n, indptr: csr.indptr, indices: csr.indices, weights: csr.weights, labels: graph.labels });
    const l = await leiden(augmented, { ...options, onProgress: found });
    r = { ...l, modularity: modularity(graph, l.labels, options.resolution ?? 1) };
  } else {
    r = await leiden(graph, { ...options, onProgress: found });
  }
  let separated = 0;
  if (options.negativeSources && options.negativeSources.length > 0) {
    const neg = new Set(options.negativeSources);
    const flags = graph.labels.map((id) => neg.has(id));
    separated = flags.filter(Boolean).length;
    if (separated > 0) {
      const s = separateCommunity(r.labels, flags);
      r = { ...r, ...s, modularity: modularity(graph, s.labels, options.resolution ?? 1) };
    }
  }
  const o = await communityOrdering(graph, r.labels, { signal: options.signal, threads: options.threads, onProgress: progressStage(options.onProgress, 0.5, 1) });
  const report: CommunityReport = {
    labels: graph.labels,
    community: Array.from(r.labels),
    order: Array.from(o.order),
    modularity: r.modularity,
    communities: r.communities,
    resolution: options.resolution ?? 1,
    method,
  };
  if (r.tau !== undefined) report.tau = r.tau;
  if (options.negativeSources) report.negativeSources = separated;
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
