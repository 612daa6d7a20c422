import native = require('./native');
import { callNative, checkSeed } from './run';
import { InvalidInputError, TooLargeError } from './errors';
import { checkArgs, describeValue } from './check';

/**
 * Largest number of nodes or edges a generator may produce (about 3 GB at peak). Sizes cross to
 * Rust as u32 (a negative or huge value would wrap) and a failed allocation there aborts the
 * process, so generator arguments are checked here first.
 */
export const MAX_GENERATED = 50_000_000;

/**
 * Largest node count of a graph built from arrays. Node labels live in JavaScript and the CSR
 * offsets in Rust (8 bytes each); far beyond this either V8 or the Rust allocator fails, and a
 * failed Rust allocation aborts the process instead of throwing.
 */
export const MAX_NODES = 100_000_000;

function checkNodeCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`n must be a non-negative integer (got ${n})`);
  if (n > MAX_NODES) throw new TooLargeError(`n = ${n} nodes exceeds the limit of ${MAX_NODES}`);
}

/**
 * Node indices given as plain numbers must be non-negative integers (a Uint32Array conversion
 * would wrap -1 to 4294967295 or truncate 1.5 to 1); the native side checks them against n.
 */
function checkIndices(name: string, ids: ArrayLike<number>, n: number): void {
  if (ids instanceof Uint32Array) return;
  for (let k = 0; k < ids.length; k++) {
    const v = ids[k];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidInputError(`${name}[${k}] = ${v} is not a node index in [0, ${n})`);
  }
}

function genInt(fn: string, name: string, v: number, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidInputError(`Graph.${fn}: ${name} must be an integer >= ${min} (got ${typeof v === 'number' ? v : describeValue(v)})`);
  return v;
}

function genSize(fn: string, nodes: number, edges: number): void {
  if (nodes > MAX_GENERATED || edges > MAX_GENERATED) {
    throw new TooLargeError(`Graph.${fn}: ${nodes.toPrecision(3)} nodes and ${edges.toPrecision(3)} edges exceed the generator limit of ${MAX_GENERATED} (load a graph file instead)`);
  }
}


/** Options for building a graph from an edge list. */
export interface GraphOptions {
  /** Edges are directed (`source -> target`). @default false */
  directed?: boolean;
  /** Treat a directed edge list as undirected (A + A^T). @default false */
  symmetrize?: boolean;
  /** Ignore weights (every edge weight 1). @default false */
  unweighted?: boolean;
  /** Drop self-loops. @default true */
  dropSelfLoops?: boolean;
  /** Keep only the largest (weakly) connected component. @default false */
  largestComponent?: boolean;
}

/** An edge list with 0-based node indices. */
export interface EdgeList {
  n: number;
  sources: Uint32Array | number[];
  targets: Uint32Array | number[];
  weights?: Float64Array | number[];
  /** The file's id of each node (defaults to the index as a string). */
  labels?: string[];
}

/**
 * A weighted, directed or undirected graph held in Rust (CSR), with node labels.
 * Undirected edges are stored in both directions.
 */
export class Graph {
  /** @internal */
  readonly native: native.NativeGraph;
  /** The id of each node in the source it came from (file id, or the index). */
  readonly labels: string[];

  /** @internal */
  constructor(handle: native.NativeGraph, labels?: string[]) {
    this.native = handle;
    this.labels = labels ?? Array.from({ length: handle.n }, (_, i) => String(i));
  }

  /** Builds a graph from an edge list. */
  static fromEdges(edges: EdgeList, options: GraphOptions = {}): Graph {
    checkArgs('Graph.fromEdges', ['edges', 'options'], ['edgeList', 'options?'], [edges, options]);
    const { n } = edges;
    checkNodeCount(n);
    if (edges.labels && edges.labels.length !== n) {
      throw new InvalidInputError(`labels has ${edges.labels.length} entries for ${n} nodes`);
    }
    checkIndices('sources', edges.sources, n);
    checkIndices('targets', edges.targets, n);
    const sources = Uint32Array.from(edges.sources);
    const targets = Uint32Array.from(edges.targets);
    const weights = edges.weights ? Float64Array.from(edges.weights) : undefined;
    const handle = callNative(() =>
      native.NativeGraph.fromEdges(n, sources, targets, weights, {
        directed: options.directed,
        symmetrize: options.symmetrize,
        unweighted: options.unweighted,
        dropSelfLoops: options.dropSelfLoops,
      }),
    );
    const g = new Graph(handle, edges.labels);
    return options.largestComponent ? g.largestComponent() : g;
  }

  /**
   * Builds a graph from CSR arrays (row i lists the out-neighbours of i; columns sorted and
   * unique within a row; an undirected graph must store both directions symmetrically).
   */
  static fromCsr(
    csr: {
      n: number;
      indptr: ArrayLike<number>;
      indices: Uint32Array | number[];
      weights?: Float64Array | number[];
      directed?: boolean;
      labels?: string[];
    },
    options: { largestComponent?: boolean } = {},
  ): Graph {
    checkArgs('Graph.fromCsr', ['csr', 'options'], ['csr', 'options?'], [csr, options]);
    const { n } = csr;
    checkNodeCount(n);
    checkIndices('indices', csr.indices, n);
    if (csr.labels && csr.labels.length !== n) throw new InvalidInputError(`labels has ${csr.labels.length} entries for ${n} nodes`);
    const handle = callNative(() =>
      native.NativeGraph.fromCsr(
        n,
        Float64Array.from(csr.indptr),
        Uint32Array.from(csr.indices),
        csr.weights ? Float64Array.from(csr.weights) : undefined,
        csr.directed ?? false,
      ),
    );
    const g = new Graph(handle, csr.labels);
    return options.largestComponent ? g.largestComponent() : g;
  }

  /** Uniform random labelled tree (all n^(n-2) trees equally likely; spectral dimension 4/3). */
  static uniformTree(n: number, seed = 0): Graph {
    genSize('uniformTree', genInt('uniformTree', 'n', n, 0), n);
    checkSeed(seed);
    return new Graph(callNative(() => native.NativeGraph.uniformTree(n, seed)));
  }

  /** Cycle graph with `n` nodes. */
  static ring(n: number): Graph {
    genSize('ring', genInt('ring', 'n', n, 0), n);
    return new Graph(callNative(() => native.NativeGraph.ring(n)));
  }
  /** Periodic lattice with `side^dims` nodes. */
  static torus(side: number, dims: number): Graph {
    const nodes = genInt('torus', 'side', side, 1) ** genInt('torus', 'dims', dims, 1);
    genSize('torus', nodes, nodes * dims);
    return new Graph(callNative(() => native.NativeGraph.torus(side, dims)));
  }
  /** Barabasi-Albert preferential attachment graph. */
  static barabasiAlbert(n: number, m: number, seed = 0): Graph {
    genSize('barabasiAlbert', genInt('barabasiAlbert', 'n', n, 0), n * genInt('barabasiAlbert', 'm', m, 1));
    checkSeed(seed);
    return new Graph(callNative(() => native.NativeGraph.barabasiAlbert(n, m, seed)));
  }
  /** Erdos-Renyi graph with the given mean degree. */
  static erdosRenyi(n: number, meanDegree: number, seed = 0): Graph {
    genInt('erdosRenyi', 'n', n, 0);
    if (typeof meanDegree !== 'number' || !Number.isFinite(meanDegree) || meanDegree < 0) {
      throw new InvalidInputError(`Graph.erdosRenyi: meanDegree must be a finite number >= 0 (got ${typeof meanDegree === 'number' ? meanDegree : describeValue(meanDegree)})`);
    }
    genSize('erdosRenyi', n, (n * Math.min(meanDegree, Math.max(n - 1, 0))) / 2);
    checkSeed(seed);
    return new Graph(callNative(() => native.NativeGraph.erdosRenyi(n, meanDegree, seed)));
  }
  /** Uniform random recursive tree. */
  static randomTree(n: number, seed = 0): Graph {
    genSize('randomTree', genInt('randomTree', 'n', n, 0), n);
    checkSeed(seed);
    return new Graph(callNative(() => native.NativeGraph.randomTree(n, seed)));
  }
  /** Pseudofractal scale-free graph after `steps` doublings (N = 3 (3^steps + 1) / 2). */
  static pseudofractal(steps: number): Graph {
    genInt('pseudofractal', 'steps', steps, 0);
    genSize('pseudofractal', (3 * (3 ** steps + 1)) / 2, 3 ** (steps + 1));
    return new Graph(callNative(() => native.NativeGraph.pseudofractal(steps)));
  }

  get n(): number {
    return this.native.n;
  }
  /** Number of edges (undirected edges counted once). */
  get edges(): number {
    return this.native.numEdges;
  }
  get directed(): boolean {
    return this.native.directed;
  }
  /** Weakly connected component label of each node. */
  components(): Uint32Array {
    return this.native.components();
  }
  /** The largest weakly connected component, labels carried over. */
  largestComponent(): Graph {
    const nodes = this.native.largestComponentNodes();
    if (nodes.length === this.n) return this;
    return new Graph(this.native.induced(nodes), Array.from(nodes, (i) => this.labels[i]));
  }
  /** CSR arrays (row i lists the out-neighbours of i). */
  toCsr(): { indptr: number[]; indices: Uint32Array; weights: Float64Array } {
    const c = this.native.toCsr();
    return { indptr: c.indptr, indices: Uint32Array.from(c.indices), weights: Float64Array.from(c.weights) };
  }
}
