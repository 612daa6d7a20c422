/**
 * Spike patterns for tensor-train (MPS) work: loading activity as a pattern matrix (one row per
 * time bin, one column per site) and choosing the site order (identity, seeded random, the
 * community-based ordering of a graph inferred from the same data or given, or a permutation
 * file). Shared by `diffrg mps fit` and `diffrg dtnr`. See docs/mps.md ("Input and site order").
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, IoError, ParseError } from './errors';
import { readActivity, type ReadActivityOptions, type SpikeTrains, type Raster } from './io/activity';
import { readPatternsAsync, randomOrder, type MpsInput, type MpsModel, type PatternMatrix } from './mps';
import { inferSpikes, type InferMethod, type SpikeTable } from './infer';
import { binSpikeTimes, OUTSIDE } from './spikes';
import { Graph } from './graph';
import { communityOrdering, leiden, encodeLabels } from './community';
import { checkSeed, type RunOptions } from './run';
import { noteInput } from './io/guard';

/** Parses a bin width: `5ms`, `0.005s`, `500us`, or a number (seconds). Returns seconds. */
export function parseBin(value: string | number, field = 'bin'): number {
  let v: number;
  if (typeof value === 'number') v = value;
  else {
    const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(ms|s|us|µs)?\s*$/i.exec(value);
    if (!m) throw new InvalidInputError(`${field} must be a duration like 5ms, 0.005s or 500us (got '${value}')`);
    v = Number(m[1]) * ({ ms: 1e-3, s: 1, us: 1e-6, 'µs': 1e-6 }[(m[2] ?? 's').toLowerCase()] ?? 1);
  }
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidInputError(`${field} must be a positive duration (got '${value}')`);
  return v;
}

/** What the input file holds. */
export type PatternInput = 'auto' | 'patterns' | 'activity';

export interface LoadPatternsOptions extends Pick<ReadActivityOptions, 'units' | 'key' | 'nwb' | 'series' | 'neurons'> {
  /**
   * `patterns`: a 0/1 (or count) matrix, CSV or NPY, rows = patterns, columns = sites.
   * `activity`: spike times (CSV/TSV spike table, NPY/NPZ, NWB) or a count raster, binned.
   * `auto`: activity when `bin` is given, for .npz/.nwb/.h5, and for a CSV/TSV whose header
   * names a time column (time, time_s, time_ms, t, times, spike_time); otherwise patterns.
   * @default 'auto'
   */
  input?: PatternInput;
  /** Bin width (seconds or a string like '5ms') for activity input. @default 0.005 */
  bin?: number | string;
  /**
   * Largest value per site: spike counts per bin are capped at `cap` (1 = binary patterns).
   * Pattern matrices are capped only when `cap` is given. @default 1
   */
  cap?: number;
  /** Recording start (s) of the first bin. @default 0 */
  start?: number;
  /** Recording end (s). @default last spike + one bin */
  end?: number;
}

/** A pattern matrix with the provenance of its columns. */
export interface LoadedPatterns {
  patterns: PatternMatrix;
  /** Id of each site (column): neuron ids for activity, column indices for a pattern matrix. */
  ids: number[];
  /** What the file held. */
  source: 'patterns' | 'spikes' | 'raster';
  /** Bin width in seconds (activity input). */
  binSeconds?: number;
  start?: number;
  end?: number;
  /** Largest value of any site (1 = binary). */
  cap: number;
  /** Spike events by site index (spike input), for graph inference on the same data. */
  spikes?: SpikeTable;
  /** What loading assumed (an array's layout or orientation, a bin width it could not apply); the CLI prints each as a warning. */
  warnings?: string[];
}

const TIME_HEADER = /(^|[,\t; ])\s*"?(time|time_s|time_ms|time_us|t|times|spike_time|spike_times)"?\s*($|[,\t; ])/i;

/** First non-empty, non-comment line of a text file (for format sniffing). */
function firstLine(file: string): string {
  let text: string;
  try {
    const buf = readFileSync(file);
    text = buf.subarray(0, Math.min(buf.length, 65536)).toString('utf8');
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) return line;
  }
  return '';
}

/** Decides whether `file` is a pattern matrix or activity (see {@link LoadPatternsOptions.input}). */
export function detectPatternInput(file: string, options: Pick<LoadPatternsOptions, 'input' | 'bin'> = {}): 'patterns' | 'activity' {
  const input = options.input ?? 'auto';
  if (input !== 'auto' && input !== 'patterns' && input !== 'activity') {
    throw new InvalidInputError(`input must be auto, patterns or activity (got '${input as string}')`);
  }
  if (input !== 'auto') return input;
  if (options.bin !== undefined) return 'activity';
  const ext = path.extname(file).toLowerCase();
  if (['.npz', '.nwb', '.h5', '.hdf5'].includes(ext)) return 'activity';
  if (ext === '.npy') return 'patterns';
  return TIME_HEADER.test(firstLine(file)) ? 'activity' : 'patterns';
}

function checkCap(cap: number): void {
  if (!Number.isInteger(cap) || cap < 1 || cap > 255) throw new InvalidInputError(`cap must be an integer in 1..255 (got ${cap})`);
}

/**
 * Bins spike trains: entry (t, k) = min(#spikes of site k in [start + t bin, start + (t+1) bin), cap).
 * `end` defaults to the last spike + one bin (the same convention as graph inference).
 */
export function binSpikes(spikes: SpikeTrains, binSeconds: number, options: { cap?: number; start?: number; end?: number; file?: string } = {}): LoadedPatterns {
  const cap = options.cap ?? 1;
  checkCap(cap);
  if (typeof binSeconds !== 'number' || !Number.isFinite(binSeconds) || binSeconds <= 0) throw new InvalidInputError(`binSeconds must be a positive finite number (got ${binSeconds})`);
  const file = options.file ?? '<spikes>';
  const n = spikes.ids.length;
  if (n === 0) throw new InvalidInputError(`${file}: no neurons`);
  let total = 0;
  spikes.times.forEach((ts) => (total += ts.length));
  const flat = new Float64Array(total);
  let e = 0;
  spikes.times.forEach((ts) => {
    flat.set(ts, e);
    e += ts.length;
  });
  // The core's binning rule (activity::bin_events; docs/activity-io.md, "Binning").
  const { bins, start, end, index } = binSpikeTimes(flat, binSeconds, options.start, options.end);
  if (bins * n > 2 ** 31) throw new InvalidInputError(`${file}: ${bins} bins x ${n} sites is too large; use a larger bin`);
  const data = new Uint8Array(bins * n);
  const evNeuron = new Float64Array(total);
  const evTime = new Float64Array(total);
  e = 0;
  let k0 = 0;
  spikes.times.forEach((ts, k) => {
    for (let j = 0; j < ts.length; j++) {
      const b = index[k0 + j];
      if (b === OUTSIDE) continue;
      const idx = b * n + k;
      if (data[idx] < cap) data[idx]++;
      evNeuron[e] = k;
      evTime[e++] = ts[j];
    }
    k0 += ts.length;
  });
  return {
    patterns: { rows: bins, sites: n, data },
    ids: spikes.ids.slice(),
    source: 'spikes',
    binSeconds,
    start,
    end,
    cap,
    spikes: { neurons: evNeuron.subarray(0, e), times: evTime.subarray(0, e) },
  };
}

/**
 * Patterns from a count raster (neurons x samples of non-negative integer counts, e.g. binned
 * spikes): samples are merged into bins of `binSeconds` when the sampling rate is known, then
 * capped. Calcium traces (non-integer values) are rejected: they need event detection first.
 */
export function binRaster(raster: Raster, binSeconds: number | undefined, options: { cap?: number; file?: string } = {}): LoadedPatterns {
  const cap = options.cap ?? 1;
  checkCap(cap);
  const file = options.file ?? '<raster>';
  const { neurons: n, samples } = raster;
  const bad = raster.data.findIndex((v) => !(v >= 0) || !Number.isInteger(v));
  if (bad >= 0) {
    throw new InvalidInputError(
      `${file}: raster element [${Math.floor(bad / samples)}, ${bad % samples}] = ${raster.data[bad]} is not a non-negative integer count (continuous traces need event detection before pattern models)`,
    );
  }
  let group = 1;
  if (binSeconds !== undefined && raster.rate !== undefined) group = Math.max(1, Math.round(binSeconds * raster.rate));
  else if (binSeconds !== undefined && raster.times && raster.times.length > 1) group = Math.max(1, Math.round(binSeconds / (raster.times[1] - raster.times[0])));
  const bins = Math.ceil(samples / group);
  const data = new Uint8Array(bins * n);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < samples; s++) {
      const idx = Math.floor(s / group) * n + i;
      data[idx] = Math.min(cap, data[idx] + raster.data[i * samples + s]);
    }
  }
  const ids = raster.ids ? raster.ids.slice() : Array.from({ length: n }, (_, i) => i);
  const sampleSeconds = raster.rate ? 1 / raster.rate : raster.times && raster.times.length > 1 ? raster.times[1] - raster.times[0] : undefined;
  return { patterns: { rows: bins, sites: n, data }, ids, source: 'raster', binSeconds: sampleSeconds !== undefined ? sampleSeconds * group : undefined, cap };
}

/**
 * Loads `<activity>` for MPS work: a pattern matrix as is, or activity binned into patterns
 * (see {@link LoadPatternsOptions}). Errors name the file (and line for text formats).
 */
export async function loadPatterns(file: string, options: LoadPatternsOptions = {}): Promise<LoadedPatterns> {
  if (options.cap !== undefined) checkCap(options.cap);
  const kind = detectPatternInput(file, options);
  if (kind === 'patterns') {
    const p = await readPatternsAsync(file);
    if (options.cap !== undefined) for (let i = 0; i < p.data.length; i++) if (p.data[i] > options.cap) p.data[i] = options.cap;
    let max = 1;
    for (let i = 0; i < p.data.length; i++) if (p.data[i] > max) max = p.data[i];
    return { patterns: p, ids: Array.from({ length: p.sites }, (_, i) => i), source: 'patterns', cap: max, spikes: patternEvents(p) };
  }
  const bin = parseBin(options.bin ?? 0.005);
  const { input: _i, bin: _b, cap, start, end, ...read } = options;
  const act = await readActivity(file, read);
  const warnings = [...(act.guessed ?? [])];
  let loaded: LoadedPatterns;
  if (act.kind === 'spikes') loaded = binSpikes(act, bin, { cap, start, end, file });
  else {
    if (options.bin !== undefined && act.rate === undefined && !(act.times && act.times.length > 1)) {
      warnings.push(`${file}: dense data without a sampling rate: the bin width ${bin} s cannot be applied, one sample per bin`);
    }
    loaded = binRaster(act, options.bin === undefined ? undefined : bin, { cap, file });
  }
  return warnings.length ? { ...loaded, warnings } : loaded;
}

/**
 * Loads data to score under a fitted model: the loader options of the fit (bin width, cap) stored
 * in `model.input` fill in what `options` leave out, then {@link alignToModel} picks the model's
 * sites. Returns the aligned patterns and warnings (stored order missing, sites missing or extra,
 * a different bin width).
 */
export async function loadPatternsForModel(file: string, model: MpsModel, options: LoadPatternsOptions = {}): Promise<{ loaded: LoadedPatterns; patterns: PatternMatrix; warnings: string[] }> {
  const input = model.input;
  const warnings: string[] = [];
  const kind = detectPatternInput(file, options);
  const fitted = input?.binSeconds;
  let bin = options.bin;
  if (kind === 'activity' && fitted !== undefined) {
    if (bin === undefined) bin = fitted;
    else if (Math.abs(parseBin(bin) - fitted) > 1e-12 * fitted) warnings.push(`${file}: binned at ${parseBin(bin)} s, but the model was fitted on bins of ${fitted} s`);
  }
  const loaded = await loadPatterns(file, { ...options, input: kind, bin, cap: options.cap ?? input?.cap });
  const aligned = alignToModel(loaded, input, model.dims.length, file);
  return { loaded, patterns: aligned.patterns, warnings: [...warnings, ...(loaded.warnings ?? []), ...aligned.warnings] };
}

/**
 * The columns of `loaded` in the order of a model's sites: position p takes the site whose id is
 * `input.ids[p]`. A neuron of a spike model that has no spike in the data is a silent column;
 * any other missing site is an error. Without `input` (a model file written before format
 * version 2) the columns are taken in file order, and a warning says so.
 */
export function alignToModel(loaded: LoadedPatterns, input: MpsInput | undefined, sites: number, file = '<data>'): { patterns: PatternMatrix; warnings: string[] } {
  const p = loaded.patterns;
  if (!input) {
    if (p.sites !== sites) throw new InvalidInputError(`${file}: the data has ${p.sites} sites but the model has ${sites}`);
    return { patterns: p, warnings: ['the model file stores no site order (format version 1, written before diffrg stored it): the data\'s columns are scored in file order'] };
  }
  const column = new Map<number, number>();
  loaded.ids.forEach((id, k) => column.set(id, k));
  const what = loaded.source === 'patterns' ? 'column' : 'neuron';
  const cols = input.ids.map((id) => {
    const k = column.get(id);
    if (k === undefined && loaded.source !== 'spikes') throw new InvalidInputError(`${file}: the model's site ${input.ids.indexOf(id)} is ${what} ${id}, which the data (${p.sites} ${what}s) does not have`);
    return k ?? -1;
  });
  const warnings: string[] = [];
  const silent = input.ids.filter((_, q) => cols[q] < 0);
  if (silent.length) warnings.push(`${file}: ${silent.length} of the model's ${sites} neurons have no spike in the data and are scored as silent (${silent.slice(0, 10).join(', ')}${silent.length > 10 ? ', ...' : ''})`);
  const extra = p.sites - (sites - silent.length);
  if (extra > 0) warnings.push(`${file}: ${extra} ${what}(s) of the data are not in the model and are ignored`);
  if ((input.source === 'patterns') !== (loaded.source === 'patterns')) {
    warnings.push(`${file}: the model was fitted on ${input.source === 'patterns' ? 'a pattern matrix' : 'activity'} but the data is ${loaded.source === 'patterns' ? 'a pattern matrix' : 'activity'}; sites are matched by ${what} id`);
  }
  const data = new Uint8Array(p.rows * sites);
  for (let r = 0; r < p.rows; r++) for (let q = 0; q < sites; q++) if (cols[q] >= 0) data[r * sites + q] = p.data[r * p.sites + cols[q]];
  return { patterns: { rows: p.rows, sites, data }, warnings };
}

/**
 * Spike events of a pattern matrix for graph inference: value v at (row t, site k) becomes v
 * events of site k at time t + 0.5 (bin width 1).
 */
export function patternEvents(p: PatternMatrix): SpikeTable {
  let total = 0;
  for (let i = 0; i < p.data.length; i++) total += p.data[i];
  const neurons = new Float64Array(total);
  const times = new Float64Array(total);
  let e = 0;
  for (let t = 0; t < p.rows; t++) {
    for (let k = 0; k < p.sites; k++) {
      for (let c = p.data[t * p.sites + k]; c > 0; c--) {
        neurons[e] = k;
        times[e++] = t + 0.5;
      }
    }
  }
  return { neurons, times };
}

// ---------------------------------------------------------------------------------------------
// Site orders.

/** Reads a permutation file: site indices (0-based), one per line or separated by , ; or spaces. */
export function readOrderFile(file: string, sites: number): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    noteInput(file);
  } catch (err) {
    throw new IoError(`cannot read order file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const order: number[] = [];
  const seenAt = new Map<number, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    for (const tok of line.split(/[\s,;]+/)) {
      if (tok === '') continue;
      const v = Number(tok);
      if (!/^\d+$/.test(tok) || !Number.isInteger(v)) throw new ParseError(`'${tok}' is not a non-negative integer site index`, { file, line: i + 1 });
      if (v >= sites) throw new InvalidInputError(`${file}:${i + 1}: site index ${v} out of range (${sites} sites, indices 0..${sites - 1})`);
      if (seenAt.has(v)) throw new InvalidInputError(`${file}:${i + 1}: site index ${v} repeated (first on line ${seenAt.get(v)})`);
      seenAt.set(v, i + 1);
      order.push(v);
    }
  });
  if (order.length !== sites) {
    const missing = Array.from({ length: sites }, (_, k) => k).filter((k) => !seenAt.has(k));
    throw new InvalidInputError(`${file}: the order lists ${order.length} of ${sites} sites (missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''})`);
  }
  return order;
}

export interface PatternGraphOptions extends RunOptions {
  /** Inference method on the same data. @default 'correlation' (equal-time co-activity, what the pattern model sees) */
  method?: InferMethod;
  /** Strongest couplings kept, per site (|weight|, symmetrised). @default 4 */
  edgesPerSite?: number;
  /** Seed of the inference surrogates. @default 0 */
  seed?: number;
}

/**
 * Graph over the sites (node k = site k, labelled with the site id) inferred from the same data:
 * graph inference (`inferSpikes`) on the loaded spikes (pattern matrices: one event per count,
 * bin width 1), the `edgesPerSite * sites` strongest couplings by score with weight |w|,
 * symmetrised. Sites without any spike are isolated nodes.
 */
export async function inferPatternGraph(data: LoadedPatterns, options: PatternGraphOptions = {}): Promise<Graph> {
  const n = data.patterns.sites;
  const spikes = data.spikes ?? patternEvents(data.patterns);
  const labels = data.ids.map(String);
  if (spikes.neurons.length === 0) return Graph.fromEdges({ n, sources: [], targets: [], labels });
  const binSeconds = data.source === 'spikes' ? data.binSeconds! : 1;
  const start = data.source === 'spikes' ? data.start ?? 0 : 0;
  const end = data.source === 'spikes' ? data.end : data.patterns.rows;
  const r = await inferSpikes(spikes, {
    method: options.method ?? 'correlation',
    binSeconds,
    start,
    end,
    surrogates: 2,
    minShiftBins: 1,
    generator: false,
    alpha: 1,
    seed: options.seed ?? 0,
    signal: options.signal,
    threads: options.threads,
  }).catch((err: unknown) => {
    // e.g. too few bins for the surrogate shifts: say which step failed and what to do instead
    if (err instanceof InvalidInputError) throw new InvalidInputError(`cannot infer a site graph from the data (${err.message}); give a graph instead`, { cause: err });
    throw err;
  });
  const keep = Math.max(1, Math.round((options.edgesPerSite ?? 4) * n));
  const edges = r.edges(1).filter((e) => Number.isFinite(e.weight) && e.weight !== 0).slice(0, keep);
  // inferSpikes' ids are the site indices that have spikes
  return Graph.fromEdges(
    { n, sources: edges.map((e) => e.source), targets: edges.map((e) => e.target), weights: edges.map((e) => Math.abs(e.weight)), labels },
    { directed: true, symmetrize: true },
  );
}

/**
 * The subgraph of `graph` on the sites, matched by label (graph node labels = site ids as
 * strings). Sites missing from the graph become isolated nodes; other nodes are dropped.
 */
export function siteSubgraph(graph: Graph, ids: number[]): { graph: Graph; matched: number } {
  const pos = new Map(ids.map((id, k) => [String(id), k]));
  const csr = graph.toCsr();
  const sources: number[] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  let matched = 0;
  for (let u = 0; u < graph.n; u++) {
    const a = pos.get(graph.labels[u]);
    if (a !== undefined) matched++;
    if (a === undefined) continue;
    for (let e = csr.indptr[u]; e < csr.indptr[u + 1]; e++) {
      const b = pos.get(graph.labels[csr.indices[e]]);
      if (b === undefined || b === a || (!graph.directed && b < a)) continue; // undirected CSR holds both directions
      sources.push(a);
      targets.push(b);
      weights.push(Math.abs(csr.weights[e]));
    }
  }
  return {
    graph: Graph.fromEdges({ n: ids.length, sources, targets, weights, labels: ids.map(String) }, { directed: graph.directed, symmetrize: graph.directed }),
    matched,
  };
}

/** A site order: `order[p]` is the site (column) at position p. */
export interface SiteOrder {
  /** 'identity', 'random', 'community' or the order file's path. */
  name: string;
  order: number[];
  /** Community of each site (community order only). */
  communities?: number[];
  /** Where the community graph came from. */
  graphSource?: 'inferred' | 'given';
  /** Edges of the (symmetrised) graph the ordering was computed on. */
  graphEdges?: number;
  /** Modularity of the Leiden partition (when Leiden was run). */
  modularity?: number;
}

export interface SiteOrderOptions extends PatternGraphOptions {
  /** Seed of the random order and of Leiden. @default 0 */
  seed?: number;
  /** A given graph (labels = site ids) instead of inferring one from the data. */
  graph?: Graph;
  /** Given communities per site (e.g. ground truth) instead of Leiden on the graph. */
  labels?: ArrayLike<number | string>;
  /** Leiden resolution. @default 1 */
  resolution?: number;
}

/**
 * Community-based site order: communities (Leiden on the graph, or the given labels) as
 * contiguous blocks along the spectral order of the community graph, sites inside each block
 * along their own Fiedler order (`communityOrdering`, docs/communities.md). The graph is
 * `options.graph` restricted to the sites, or inferred from the same data ({@link inferPatternGraph}).
 */
export async function communitySiteOrder(data: LoadedPatterns, options: SiteOrderOptions = {}): Promise<SiteOrder> {
  const n = data.patterns.sites;
  let graph: Graph;
  let graphSource: 'inferred' | 'given';
  if (options.graph) {
    const sub = siteSubgraph(options.graph, data.ids);
    if (sub.matched === 0) throw new InvalidInputError(`none of the graph's node ids matches a site id (sites: ${data.ids.slice(0, 5).join(', ')}${n > 5 ? ', ...' : ''})`);
    graph = sub.graph;
    graphSource = 'given';
  } else {
    graph = await inferPatternGraph(data, options);
    graphSource = 'inferred';
  }
  let labels: Uint32Array;
  let modularity: number | undefined;
  if (options.labels) {
    if (options.labels.length !== n) throw new InvalidInputError(`labels has ${options.labels.length} entries for ${n} sites`);
    labels = encodeLabels(options.labels);
  } else if (graph.edges === 0) {
    labels = new Uint32Array(n);
  } else {
    const l = await leiden(graph, { seed: options.seed ?? 0, resolution: options.resolution, signal: options.signal, threads: options.threads });
    labels = l.labels;
    modularity = l.modularity;
  }
  const o = await communityOrdering(graph, labels, { signal: options.signal, threads: options.threads });
  return { name: 'community', order: Array.from(o.order), communities: Array.from(labels), graphSource, graphEdges: graph.edges, ...(modularity !== undefined ? { modularity } : {}) };
}

/** Resolves `identity | random | community | FILE` to a site order for the loaded data. */
export async function siteOrder(spec: string, data: LoadedPatterns, options: SiteOrderOptions = {}): Promise<SiteOrder> {
  const n = data.patterns.sites;
  if (spec === 'identity') return { name: spec, order: Array.from({ length: n }, (_, i) => i) };
  checkSeed(options.seed);
  if (spec === 'random') return { name: spec, order: randomOrder(n, options.seed ?? 0) };
  if (spec === 'community') return communitySiteOrder(data, options);
  return { name: spec, order: readOrderFile(spec, n) };
}
