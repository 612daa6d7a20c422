/**
 * Tensor trains (matrix product states) over spike patterns: Born machines learned from data,
 * probability trains, batched log-probabilities, compression, sampling, marginals, entropies,
 * and a numpy-readable NPZ file format. See docs/mps.md.
 */
import native = require('./native');
import { runNative, callNative, checkInteger, checkSeed, type RunOptions } from './run';
import { InvalidInputError, NotFiniteError, ParseError } from './errors';
import { encodeNpz, parseNpy, parseNpz, readFileBytes, type NpyArray } from './io/npy';
import { writeFileAtomic } from './io/atomic';
import { LIMITS } from './limits';
import { ensureBudget } from './io/guard';
import { runSteps, runStepsAsync, STEP, type Steps } from './io/steps';

export type MpsKind = 'born' | 'probability';

/**
 * A tensor train as flat arrays: core k has shape (bondDims[k], dims[k], bondDims[k+1]),
 * row-major, concatenated in `data`. `born`: P = T^2 / Z; `probability`: P = T / Z.
 */
export interface MpsModel {
  kind: MpsKind;
  dims: number[];
  bondDims: number[];
  data: Float64Array;
  /** What each site is, for scoring new data the same way (set by `mps fit`, kept in the file). */
  input?: MpsInput;
}

/**
 * How a fitted model's sites map to input data, stored in its file (format version 2): scoring
 * selects and orders the data's columns by `ids` and bins activity with `binSeconds` and `cap`,
 * so a model fitted with `--order random` scores the columns it was fitted on.
 */
export interface MpsInput {
  /** Id of the input site at each position of the train: neuron ids for activity, column indices for a pattern matrix. */
  ids: number[];
  /** What the model was fitted on. */
  source: 'patterns' | 'spikes' | 'raster';
  /** Bin width in seconds (activity input). */
  binSeconds?: number;
  /** The cap on counts per bin and site the fit was given (absent: the loader's default). */
  cap?: number;
  /** The site order it was fitted with: identity, random, community or an order file's name. */
  order?: string;
}

/** A pattern matrix: `rows` patterns of `sites` values (0..255), row-major. */
export interface PatternMatrix {
  rows: number;
  sites: number;
  data: Uint8Array;
}

/** Native arguments of a model: kind, dims, bond dims and the core data as a Float64Array. */
function args(m: MpsModel): [string, number[], number[], Float64Array] {
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data as ArrayLike<number>);
  return [m.kind, m.dims, m.bondDims, data];
}

/** The native model's `data` is already a Float64Array (handed over without a copy). */
export function fromNative(m: native.MpsModel): MpsModel {
  return { kind: m.kind as MpsKind, dims: m.dims, bondDims: m.bondDims, data: m.data };
}

function checkPatterns(p: PatternMatrix, field = 'patterns'): void {
  if (!Number.isInteger(p.sites) || p.sites < 1) throw new InvalidInputError(`${field}.sites must be a positive integer (got ${p.sites})`);
  if (!Number.isInteger(p.rows) || p.rows < 0 || p.data.length !== p.rows * p.sites) {
    throw new InvalidInputError(`${field}.data has ${p.data.length} values but rows x sites = ${p.rows} x ${p.sites}`);
  }
}

export interface MpsFitOptions extends RunOptions {
  /** Maximum bond dimension. @default 32 */
  chi?: number;
  /** Alphabet size per site. @default max value + 1 per site (at least 2) */
  dims?: number[];
  /** Fraction of the patterns in the test split: never used for fitting, early stopping or
   * selection; `nllHeldout`, `nllIndependent` and `nllIsing` are measured on it. @default 0.2 */
  heldout?: number;
  /** Fraction of the remaining patterns in the validation split (early stopping and the choice
   * of the initial mixing weight). @default 0.2 */
  validation?: number;
  /** Seed of the splits and of the AIS estimate of the Ising partition function. @default 0 */
  seed?: number;
  /** Fixed weight of the independent-site amplitude mixed into the exact initial state (turns
   * the validation selection off). @default chosen on the validation split from `initMixGrid` */
  initMix?: number;
  /** Candidate mixing weights chosen on the validation split; 1 = product-state (independent
   * model) start. @default [1, 0.3, 0.1, 0.03, 0.01, 0.001] */
  initMixGrid?: number[];
  /** Maximum half-sweeps of two-site DMRG. @default 12 */
  maxHalfSweeps?: number;
  /** Early-stopping patience in half-sweeps. @default 2 */
  patience?: number;
  /** Relative discarded-weight cutoff of every SVD. @default 1e-10 */
  cutoff?: number;
  /** Grow the bond dimension along the ladder 2, 4, 8, ..., chi, each rung kept only when it
   * lowers the validation NLL (docs/mps.md, "Learning with few patterns"). @default true */
  grow?: boolean;
  /** Candidate weights of the smoothing pseudo-data (patterns of the independent model, weight
   * relative to the training data) chosen on the validation split; 0 = none. @default [0, 0.1, 0.3] */
  smoothingGrid?: number[];
  /** Initial line-search step of the two-site updates. @default 0.5 */
  learningRate?: number;
  /** Gradient steps per bond. @default 2 */
  stepsPerBond?: number;
  /** Soft threshold of the singular values of every split, relative to the leading one. @default 0 */
  shrink?: number;
  /** Also fit the independent and pairwise (Ising, pseudo-likelihood) baselines. @default true */
  baselines?: boolean;
  /** 'born': Born machine by two-site sweeps; 'probability': non-negative train learned by EM
   * with smoothed counts along the same bond ladder; 'mixture': `components` bagged probability
   * trains, a latent-class model (up to `latentClasses` classes) and a Born machine at `bornChi`,
   * weights fitted on the validation split, returned as one probability train (docs/mps.md).
   * @default 'born' */
  kind?: MpsKind | 'mixture';
  /** Mixtures: bagged probability trains, each on a bootstrap resample. @default 4 */
  components?: number;
  /** Mixtures: fit each probability train on a bootstrap resample of the training set (false:
   * the full set, seeds only). @default true */
  resample?: boolean;
  /** Mixtures: bond dimension of the added Born machine (0: none). @default 2 */
  bornChi?: number;
  /** Mixtures: largest class count of the latent-class component (a mixture of independent-site
   * models, order-free correlations; also capped by `chi`; 0: none). @default 32 */
  latentClasses?: number;
  /** Probability trains: candidate Dirichlet masses per hidden state, chosen on the validation
   * split. @default [1, 10] */
  pseudocounts?: number[];
  /** Probability trains: ladders with different seeds per pseudocount, best by validation. @default 1 */
  restarts?: number;
  /** Probability trains: relative noise on the split hidden states (in [0, 1)). @default 0.5 */
  noise?: number;
  /** Probability trains: EM iterations per ladder rung at most (`patience`: 8 by default). @default 200 */
  maxIters?: number;
}

/** Fit result; every NLL is in bits per pattern (NaN when not computed). */
export interface MpsFitResult {
  model: MpsModel;
  sites: number;
  chi: number;
  nTrain: number;
  /** Test-split size (never used for fitting or selection). */
  nTest: number;
  /** @deprecated Alias of `nTest`, removed in the next release. */
  nHeldout: number;
  nDistinctTrain: number;
  nllTrain: number;
  /** NLL on the test split (never used for fitting or selection). */
  nllTest: number;
  /** @deprecated Alias of `nllTest`, removed in the next release. */
  nllHeldout: number;
  nValidation: number;
  /** NLL on the validation split (early stopping and selection). */
  nllValidation: number;
  /** Mixing weight of the returned model's initial state (1: product-state start). */
  initMix: number;
  /** Every candidate of the selection; NaN `nllValidation`: screened out before the sweeps. */
  initMixCandidates: { initMix: number; initNllValidation: number; nllValidation: number; nllTrain: number; smoothing: number }[];
  initNllTrain: number;
  /** Validation NLL of the returned model's initial state. */
  initNllValidation: number;
  /** @deprecated Alias of `initNllValidation`, removed in the next release. */
  initNllHeldout: number;
  nllIndependent: number;
  nllIndependentTrain: number;
  nllIsing: number;
  nllIsingTrain: number;
  /** Standard error of ln Z of the Ising model (0 when computed exactly). */
  isingLogZStderr: number;
  /** @deprecated Alias of `isingLogZStderr`, removed in the next release. */
  isingLogZSe: number;
  /** Most L-BFGS iterations a site's pseudo-likelihood regression of the Ising baseline used. */
  isingIterations: number;
  /** Whether every site's regression converged within its iteration limit. */
  isingConverged: boolean;
  /** Whether the Ising and K-pairwise baselines are exact maximum-likelihood fits (binary, at
   * most 14 sites); otherwise pseudo-likelihood. */
  isingExactMl: boolean;
  /** K-pairwise model (Tkacik et al. 2014) on the test / training split (NaN for non-binary sites). */
  nllKPairwise: number;
  nllKPairwiseTrain: number;
  /** Iterations of the K-pairwise fit's solver (0 when not fitted). */
  kPairwiseIterations: number;
  /** Whether the K-pairwise fit converged (true when not fitted). */
  kPairwiseConverged: boolean;
  /** Smoothing weight of the returned model (0: none). */
  smoothing: number;
  /** Every half-sweep of every run of the selection: validation NLL against chi and sweeps. */
  curve: MpsSweep[];
  /** Set when the model is a product state although the training data are correlated. */
  warning?: string | null;
  /** Bits, at bonds 1..N-1. */
  bondEntropies: number[];
  history: MpsSweep[];
  /** Mixtures: every component ('probability': bagged EM train, 'latent': latent-class model,
   * 'born') with its weight, own validation NLL and largest bond (empty for the other kinds). */
  components: { kind: string; weight: number; nllValidation: number; maxBond: number }[];
}

/** One half-sweep: NLLs in bits (nllValidation: on the validation split), the largest bond,
 * the ladder rung (bond limit), the smoothing weight and the initial mixing weight of its run. */
export interface MpsSweep {
  nllTrain: number;
  nllValidation: number;
  /** @deprecated Alias of `nllValidation` (on the validation split), removed in the next release. */
  nllHeldout: number;
  maxBond: number;
  chi: number;
  smoothing: number;
  initMix: number;
  /** Mixtures: index into `components` of the fit this record belongs to (0 for the other kinds). */
  component: number;
}

/** Learns a Born machine (exact empirical initialisation + two-site DMRG sweeps). */
export async function fitMps(patterns: PatternMatrix, options: MpsFitOptions = {}): Promise<MpsFitResult> {
  checkPatterns(patterns);
  checkSeed(options.seed);
  checkInteger('chi', options.chi, 1, LIMITS.chi);
  checkInteger('maxHalfSweeps', options.maxHalfSweeps, 0, 1_000_000);
  checkInteger('patience', options.patience, 0, 1_000_000);
  checkInteger('stepsPerBond', options.stepsPerBond, 1, 1000);
  checkInteger('restarts', options.restarts, 1, 1000);
  checkInteger('maxIters', options.maxIters, 0, 1_000_000);
  checkInteger('components', options.components, 0, 1000);
  checkInteger('bornChi', options.bornChi, 0, LIMITS.chi);
  checkInteger('latentClasses', options.latentClasses, 0, LIMITS.chi);
  const { signal: _s, onProgress: _p, ...rest } = options;
  const r = await runNative(options, (token) => native.mpsFit(patterns.data, patterns.sites, rest, token));
  return { ...r, model: fromNative(r.model) };
}

/** log2 P of every pattern row. */
export async function mpsLogProb(model: MpsModel, patterns: PatternMatrix, options: RunOptions = {}): Promise<Float64Array> {
  checkPatterns(patterns);
  if (patterns.sites !== model.dims.length) {
    throw new InvalidInputError(`patterns have ${patterns.sites} columns but the model has ${model.dims.length} sites`);
  }
  const r = await runNative(options, (token) => native.mpsLogProb(...args(model), patterns.data, { threads: options.threads }, token));
  const out = Float64Array.from(r);
  // -Infinity is a legitimate answer (a pattern the model gives probability 0); NaN or +Infinity
  // means the model itself is broken (a zero or non-finite core: its normalisation is 0 or inf)
  const bad = out.findIndex((v) => Number.isNaN(v) || v === Infinity);
  if (bad >= 0) {
    throw new NotFiniteError(`log2 P of pattern row ${bad} is ${out[bad]}: the model's normalisation is zero or not finite (check its cores for all-zero or non-finite entries)`);
  }
  return out;
}

export interface MpsCompressOptions extends RunOptions {
  /** Maximum bond dimension (0 = unlimited). @default 32 */
  maxBond?: number;
  /** Relative per-bond discarded-weight cutoff. @default 0 */
  cutoff?: number;
}

/**
 * Compresses a model; `totalDiscarded` = ||T - T~||^2 / ||T||^2 exactly. The native job reads
 * `model.data` in place (no copy of the cores): do not modify or transfer that buffer until
 * the promise settles.
 */
export async function compressMps(
  model: MpsModel,
  options: MpsCompressOptions = {},
): Promise<{ model: MpsModel; discarded: number[]; totalDiscarded: number }> {
  const { signal: _s, onProgress: _p, ...rest } = options;
  const r = await runNative(options, (token) => native.mpsCompress(...args(model), rest, token));
  return { ...r, model: fromNative(r.model) };
}

/** A seeded random model with bond dimension `chi` (Gaussian for born, positive for probability). */
export function randomMps(kind: MpsKind, dims: number[], chi: number, seed = 0): MpsModel {
  return fromNative(callNative(() => native.mpsRandom(kind, dims, chi, seed)));
}

/** Exact samples; `log2Prob` is log2 P of each sample. */
export async function sampleMps(
  model: MpsModel,
  count: number,
  options: RunOptions & { seed?: number } = {},
): Promise<{ patterns: PatternMatrix; log2Prob: Float64Array; clipped: number }> {
  checkInteger('count', count, 0, LIMITS.samples);
  ensureBudget(`${count} sampled patterns of ${model.dims.length} sites`, count * (model.dims.length + 8));
  const r = await runNative(options, (token) => native.mpsSample(...args(model), count, options.seed ?? 0, { threads: options.threads }, token));
  return { patterns: { rows: count, sites: model.dims.length, data: Uint8Array.from(r.patterns) }, log2Prob: Float64Array.from(r.log2Prob), clipped: r.clipped };
}

/** Single-site (and optionally all pairwise) marginals given evidence `[[site, value], ...]`. */
export async function mpsMarginals(
  model: MpsModel,
  options: RunOptions & { evidence?: [number, number][]; pairs?: boolean } = {},
): Promise<{ single: number[][]; pairs: { i: number; j: number; table: number[] }[] }> {
  const ev = (options.evidence ?? []).flat();
  const r = await runNative(options, (token) => native.mpsMarginals(...args(model), ev, options.pairs ?? false, { threads: options.threads }, token));
  return { single: r.single, pairs: r.pairI.map((i: number, k: number) => ({ i, j: r.pairJ[k], table: r.pairTables[k] })) };
}

/** Bond entropies, exact Renyi-2 and the sampled Shannon entropy (bits) with a 95% interval. */
export async function mpsEntropies(model: MpsModel, options: RunOptions & { samples?: number; seed?: number } = {}) {
  const { signal: _s, onProgress: _p, ...rest } = options;
  return runNative(options, (token) => native.mpsEntropies(...args(model), rest, token));
}

// ---------------------------------------------------------------------------------------------
// File format: NPZ with core_0000.npy ... (float64, shape (left, dim, right)) and meta.npy, a
// uint8 array holding UTF-8 JSON { format: 'diffrg-mps', version, kind, sites, dims, bondDims,
// input? }. Version 2 adds `input` (MpsInput: site ids, source, binning); version-1 files have no
// `input`, and their sites are the data's columns in file order.
// numpy: z = np.load(f); meta = json.loads(z['meta'].tobytes()); cores = [z[f'core_{k:04d}'] ...]

/** Encodes a model as NPZ bytes. */
export function encodeMps(model: MpsModel): Uint8Array {
  const arrays: Record<string, NpyArray> = {};
  const meta = {
    format: 'diffrg-mps',
    version: model.input ? 2 : 1,
    kind: model.kind,
    sites: model.dims.length,
    dims: model.dims,
    bondDims: model.bondDims,
    ...(model.input ? { input: model.input } : {}),
  };
  arrays.meta = { dtype: 'uint8', shape: [0], data: new TextEncoder().encode(JSON.stringify(meta)) } as NpyArray;
  (arrays.meta as NpyArray).shape = [(arrays.meta.data as Uint8Array).length];
  let off = 0;
  model.dims.forEach((d, k) => {
    const l = model.bondDims[k];
    const r = model.bondDims[k + 1];
    const len = l * d * r;
    arrays[`core_${String(k).padStart(4, '0')}`] = { dtype: 'float64', shape: [l, d, r], data: model.data.slice(off, off + len) } as NpyArray;
    off += len;
  });
  return encodeNpz(arrays);
}

/** Decodes NPZ bytes written by {@link encodeMps} (or by numpy following the same layout). */
export function decodeMps(bytes: Uint8Array, file = '<npz>'): MpsModel {
  const z = parseNpz(bytes, file);
  const metaArr = z.get('meta');
  if (!metaArr) throw new ParseError("missing 'meta' entry (not a diffrg MPS file)", { file });
  let meta: { format?: string; kind?: string; dims?: number[]; bondDims?: number[]; input?: unknown };
  try {
    meta = JSON.parse(new TextDecoder().decode(metaArr.data as Uint8Array));
  } catch (err) {
    throw new ParseError("'meta' is not valid JSON", { file }, { cause: err });
  }
  if (meta.format !== 'diffrg-mps' || (meta.kind !== 'born' && meta.kind !== 'probability') || !Array.isArray(meta.dims) || !Array.isArray(meta.bondDims)) {
    throw new ParseError("'meta' must hold format 'diffrg-mps', kind, dims and bondDims", { file });
  }
  const total = meta.dims.reduce((acc, d, k) => acc + meta.bondDims![k] * d * meta.bondDims![k + 1], 0);
  const data = new Float64Array(total);
  let off = 0;
  meta.dims.forEach((d, k) => {
    const key = `core_${String(k).padStart(4, '0')}`;
    const c = z.get(key);
    const want = [meta.bondDims![k], d, meta.bondDims![k + 1]];
    if (!c) throw new ParseError(`missing '${key}'`, { file });
    if (c.shape.length !== 3 || c.shape.some((v, i) => v !== want[i])) {
      throw new ParseError(`'${key}' has shape (${c.shape.join(', ')}), expected (${want.join(', ')})`, { file });
    }
    const cd = c.data as ArrayLike<number | bigint>;
    for (let i = 0; i < cd.length; i++) data[off + i] = Number(cd[i]);
    off += cd.length;
  });
  const input = meta.input === undefined ? undefined : checkMpsInput(meta.input, meta.dims.length, file);
  return { kind: meta.kind, dims: meta.dims, bondDims: meta.bondDims, data, ...(input ? { input } : {}) };
}

/** Validates the `input` entry of a model file's meta (see {@link MpsInput}). */
function checkMpsInput(v: unknown, sites: number, file: string): MpsInput {
  const bad = (what: string) => new ParseError(`'meta.input' ${what}`, { file });
  if (typeof v !== 'object' || v === null) throw bad('must be an object');
  const o = v as Record<string, unknown>;
  const ids = o.ids;
  if (!Array.isArray(ids) || ids.length !== sites || !ids.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
    throw bad(`.ids must list ${sites} non-negative integer site ids`);
  }
  if (new Set(ids).size !== ids.length) throw bad('.ids must not repeat an id');
  if (o.source !== 'patterns' && o.source !== 'spikes' && o.source !== 'raster') throw bad(".source must be 'patterns', 'spikes' or 'raster'");
  if (o.binSeconds !== undefined && !(typeof o.binSeconds === 'number' && o.binSeconds > 0 && Number.isFinite(o.binSeconds))) throw bad('.binSeconds must be a positive number');
  if (o.cap !== undefined && !(Number.isInteger(o.cap) && (o.cap as number) >= 1 && (o.cap as number) <= 255)) throw bad('.cap must be an integer in 1..255');
  if (o.order !== undefined && typeof o.order !== 'string') throw bad('.order must be a string');
  return {
    ids: ids as number[],
    source: o.source,
    ...(o.binSeconds !== undefined ? { binSeconds: o.binSeconds as number } : {}),
    ...(o.cap !== undefined ? { cap: o.cap as number } : {}),
    ...(o.order !== undefined ? { order: o.order as string } : {}),
  };
}

export async function saveMps(file: string, model: MpsModel): Promise<void> {
  await writeFileAtomic(file, encodeMps(model));
}

export function loadMps(file: string): MpsModel {
  return decodeMps(readFileBytes(file), file);
}


// ---------------------------------------------------------------------------------------------
// Pattern matrices from CSV or NPY.

/** Parses a CSV/whitespace-separated integer matrix (values 0..255); a non-numeric first row is a header. */
export function parsePatternCsv(text: string, file = '<csv>'): PatternMatrix {
  return runSteps(patternCsvSteps(text, file));
}

/** {@link parsePatternCsv} as a step generator; values go straight into a growing byte buffer. */
function* patternCsvSteps(text: string, file: string): Steps<PatternMatrix> {
  let data = new Uint8Array(1 << 16);
  let size = 0;
  let rows = 0;
  let n = -1;
  let first = true;
  for (let k = 0, pos = 0; pos <= text.length; k++) {
    if (k % STEP === 0) yield;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(/[,;\s]+/);
    // Only the first line can be a header, and only when none of its cells is a number: a data
    // row with one bad cell ('0,1,x') is an error naming its line, never dropped as a header.
    if (first) {
      first = false;
      if (cells.every((c) => c === '' || Number.isNaN(Number(c)))) continue;
    }
    if (n >= 0 && cells.length !== n) throw new ParseError(`row has ${cells.length} columns, expected ${n}`, { file, line: k + 1 });
    n = cells.length;
    if (size + n > data.length) {
      const grown = new Uint8Array(Math.max(2 * data.length, size + n));
      grown.set(data.subarray(0, size));
      data = grown;
    }
    for (let j = 0; j < n; j++) {
      const v = Number(cells[j]);
      if (!Number.isInteger(v) || v < 0 || v > 255) throw new ParseError(`column ${j + 1}: '${cells[j]}' is not an integer in 0..255`, { file, line: k + 1 });
      data[size++] = v;
    }
    rows++;
  }
  if (rows === 0) throw new ParseError('no pattern rows', { file });
  return { rows, sites: n, data: data.slice(0, size) };
}

/** The pattern array of an NPZ: the member `patterns`, else its only member. */
function npzPatterns(bytes: Uint8Array, file: string): NpyArray {
  const members = parseNpz(bytes, file);
  const a = members.get('patterns') ?? (members.size === 1 ? [...members.values()][0] : undefined);
  if (!a) throw new ParseError(`expected an array named 'patterns' or a single array, found ${[...members.keys()].join(', ') || 'none'}`, { file });
  return a;
}

/** Reads a pattern matrix from `.npy` / `.npz` (2-D integer or boolean array) or CSV. */
export function readPatterns(file: string): PatternMatrix {
  return runSteps(patternSteps(file));
}

/**
 * {@link readPatterns} that lets the event loop run about every 50 ms while it parses (what the
 * CLI's loaders use, so that a signal during the parse of a large file is handled at once).
 */
export async function readPatternsAsync(file: string): Promise<PatternMatrix> {
  return runStepsAsync(patternSteps(file));
}

function* patternSteps(file: string): Steps<PatternMatrix> {
  const bytes = readFileBytes(file);
  const lower = file.toLowerCase();
  if (lower.endsWith('.npy') || lower.endsWith('.npz')) {
    const a = lower.endsWith('.npz') ? npzPatterns(bytes, file) : parseNpy(bytes, file);
    if (a.shape.length !== 2) throw new ParseError(`expected a 2-D array (patterns x sites), got shape (${a.shape.join(', ')})`, { file });
    const [rows, sites] = a.shape;
    const data = new Uint8Array(rows * sites);
    const src = a.data as ArrayLike<number | bigint | boolean>;
    for (let i = 0; i < data.length; i++) {
      if (i % (16 * STEP) === 0) yield;
      const v = Number(src[i]);
      if (!Number.isInteger(v) || v < 0 || v > 255) throw new ParseError(`entry [${Math.floor(i / sites)}, ${i % sites}] = ${v} is not an integer in 0..255`, { file });
      data[i] = v;
    }
    return { rows, sites, data };
  }
  return yield* patternCsvSteps(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file);
}

/** Reorders columns: new column k is old column `order[k]` (a permutation of 0..sites-1). */
export function reorderPatterns(p: PatternMatrix, order: number[]): PatternMatrix {
  const n = p.sites;
  const seen = new Uint8Array(n);
  if (order.length !== n || order.some((v) => !Number.isInteger(v) || v < 0 || v >= n || seen[v]++)) {
    throw new InvalidInputError(`order must be a permutation of 0..${n - 1}`);
  }
  const data = new Uint8Array(p.data.length);
  for (let r = 0; r < p.rows; r++) for (let k = 0; k < n; k++) data[r * n + k] = p.data[r * n + order[k]];
  return { rows: p.rows, sites: n, data };
}

/** A seeded random permutation of 0..n-1 (xorshift-based Fisher-Yates). */
export function randomOrder(n: number, seed = 0): number[] {
  checkInteger('n', n, 0, 2 ** 31 - 1);
  checkSeed(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  let s = (BigInt(seed) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  const next = () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
