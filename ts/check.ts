/**
 * Argument types at the public API. Every function the package exports is wrapped by {@link api}
 * with the kinds of its arguments, so that a wrong type is an `InvalidInputError`
 * (ERR_INVALID_INPUT) naming the function, the argument or option and what was received, e.g.
 * `sampleMps: count: expected a number, got the string "200"`, before anything reaches the
 * native addon. Ranges and shapes stay with the functions themselves; this layer only checks
 * types. Errors that still escape as a JavaScript `TypeError` or a napi conversion error are
 * mapped to the same typed error as a backstop.
 */
import { DiffrgError, InvalidInputError } from './errors';

/** How a received value reads in a message: `the string "200"`, `null`, `an array of length 3`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${v}`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

type Check = {
  what: string;
  ok: (v: unknown) => boolean;
  /** An object's fields, checked one by one so the message names the wrong one (`patterns.data`). */
  fields?: Record<string, string>;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumericView = (v: unknown): boolean => ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
const isNumbers = (v: unknown): boolean => isNumericView(v) || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
const isLabels = (v: unknown): boolean => isNumericView(v) || (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'string'));

/** An object kind: `fields` maps each field to a leaf kind (`kind?` when it may be undefined). */
function shape(what: string, fields: Record<string, string>): Check {
  return { what, fields, ok: (v) => isObject(v) && Object.entries(fields).every(([k, spec]) => leafOk(spec, v[k])) };
}

const LEAF_NAMES = ['number', 'string', 'boolean', 'function', 'object', 'options', 'map', 'array', 'numbers', 'float64', 'labels', 'bytes', 'text', 'signal', 'arrays', 'graph'] as const;
type Leaf = (typeof LEAF_NAMES)[number];
/** The kinds of value an argument or option can be (see KINDS). */
export type Kind = Leaf | 'patterns' | 'model' | 'loaded' | 'spikeTrains' | 'raster' | 'activity' | 'spikeTable' | 'npyArray' | 'trajectory' | 'scanResult' | 'simulation' | 'edgeList' | 'csr' | 'shard';

const LEAVES: Record<string, Check> = {
  number: { what: 'a number', ok: (v) => typeof v === 'number' },
  string: { what: 'a string', ok: (v) => typeof v === 'string' },
  boolean: { what: 'a boolean', ok: (v) => typeof v === 'boolean' },
  function: { what: 'a function', ok: (v) => typeof v === 'function' },
  object: { what: 'an object', ok: isObject },
  options: { what: 'an options object', ok: isObject },
  map: { what: 'a Map', ok: (v) => v instanceof Map },
  array: { what: 'an array', ok: Array.isArray },
  numbers: { what: 'an array or typed array of numbers', ok: isNumbers },
  float64: { what: 'a Float64Array', ok: (v) => v instanceof Float64Array },
  labels: { what: 'an array of numbers or strings (or a typed array)', ok: isLabels },
  bytes: { what: 'a Uint8Array', ok: (v) => v instanceof Uint8Array },
  text: { what: 'a string or a Uint8Array', ok: (v) => typeof v === 'string' || v instanceof Uint8Array },
  signal: { what: 'an AbortSignal', ok: (v) => v instanceof AbortSignal },
  arrays: { what: 'an array of arrays', ok: (v) => Array.isArray(v) && v.every((x) => Array.isArray(x) || isNumericView(x)) },
  graph: { what: 'a Graph', ok: (v) => isObject(v) && isObject(v.native) && typeof v.n === 'number' },
};

function leafOk(spec: string, v: unknown): boolean {
  if (spec.endsWith('?')) return v === undefined || leafOk(spec.slice(0, -1), v);
  return (LEAVES[spec] ?? KINDS[spec as Kind]).ok(v);
}

/** The kinds of value an argument or option can be. */
const KINDS: Record<Kind, Check> = {
  ...(LEAVES as Record<Leaf, Check>),
  patterns: shape('a pattern matrix { rows, sites, data }', { rows: 'number', sites: 'number', data: 'numbers' }),
  model: shape('an MPS model { kind, dims, bondDims, data }', { kind: 'string', dims: 'numbers', bondDims: 'numbers', data: 'numbers', input: 'object?' }),
  loaded: shape('loaded patterns { patterns, ids } (see loadPatterns)', { patterns: 'object', ids: 'labels' }),
  spikeTrains: shape("spike trains { kind: 'spikes', ids, times }", { ids: 'numbers', times: 'arrays' }),
  raster: shape('a raster { neurons, samples, data }', { neurons: 'number', samples: 'number', data: 'numbers', rate: 'number?', ids: 'numbers?' }),
  activity: { what: "activity (spike trains { kind: 'spikes', ids, times } or a raster { kind: 'raster', neurons, samples, data })", ok: (v): boolean => KINDS.spikeTrains.ok(v) || KINDS.raster.ok(v) },
  spikeTable: shape('a spike table { neurons, times }', { neurons: 'numbers', times: 'numbers' }),
  npyArray: shape('an NPY array { dtype, shape, data }', { dtype: 'string', shape: 'numbers', data: 'object' }),
  trajectory: shape('a trajectory { data, frames, vars, dt }', { data: 'numbers', frames: 'number', vars: 'number', dt: 'number' }),
  scanResult: shape('a scan result (see spectralScan)', { tau: 'numbers' }),
  simulation: shape('a LIF simulation (see simulateLif)', { spikeOffsets: 'numbers', spikeTimes: 'numbers' }),
  edgeList: shape('an edge list { n, sources, targets, weights?, labels? }', { n: 'number', sources: 'numbers', targets: 'numbers', weights: 'numbers?', labels: 'labels?' }),
  csr: shape('a CSR matrix { n, indptr, indices, weights?, directed?, labels? }', { n: 'number', indptr: 'numbers', indices: 'numbers', weights: 'numbers?', directed: 'boolean?', labels: 'labels?' }),
  shard: shape('a shard { index, count }', { index: 'number', count: 'number' }),
};
/** An argument's kind, `kind?` when it may be undefined, or several kinds (any of them). */
export type Spec = Kind | `${Kind}?` | readonly (Kind | 'undefined')[];

/**
 * The type of each option name used across the API (an option object's other fields are not
 * checked here). Names mean the same thing in every function that takes them (STYLE.md:
 * consistent vocabulary), which is what lets one table serve them all.
 */
const OPTION_KINDS: Record<string, readonly Kind[]> = {};
for (const k of [
  'alpha', 'binSeconds', 'blocks', 'bootstrap', 'cap', 'chi', 'chunkFrames', 'clusters', 'curvePoints', 'cutoff', 'delayMax', 'delayMin',
  'denseMax', 'dt', 'duration', 'edgesPerSite', 'end', 'exactLimit', 'excFraction', 'extRateExc', 'extRateInh', 'fraction', 'heldout',
  'horizon', 'inFraction', 'initMix', 'jobs', 'kExc', 'kInh', 'limit', 'maxBond', 'maxHalfSweeps', 'maxIter', 'maxIterations', 'maxLag',
  'minShiftBins', 'neurons', 'observe', 'pRatio', 'pRatioInh', 'patience', 'pca', 'plateauTolerance', 'probes', 'progressIntervalMs',
  'prominence', 'rate', 'resolution', 'ridge', 'samples', 'seed', 'shards', 'smoothing', 'start', 'steps', 'surrogates', 'tRef',
  'targetSize', 'tau', 'tauCount', 'tauMExc', 'tauMInh', 'tauMax', 'tauMin', 'tauSynExc', 'tauSynInh', 'testFraction', 'theta', 'threads',
  'tieTolerance', 'trainFraction', 'vReset', 'vThreshold', 'validation', 'wEe', 'wEi', 'wExt', 'wIe', 'wIi', 'wRatio',
]) OPTION_KINDS[k] = ['number'];
for (const k of ['anchored', 'baselines', 'clusterInhibitory', 'direct', 'directed', 'dropSelfLoops', 'force', 'generator', 'largestComponent', 'linearOnly', 'png', 'resample', 'shuffleIds', 'symmetrize', 'unweighted']) {
  OPTION_KINDS[k] = ['boolean'];
}
for (const k of ['block', 'delimiter', 'format', 'input', 'key', 'laplacian', 'layout', 'method', 'negative', 'nwb', 'observeMode', 'policy', 'reduce', 'reorth', 'rule', 'series', 'units']) {
  OPTION_KINDS[k] = ['string'];
}
for (const k of ['bin', 'sourceColumn', 'targetColumn', 'weightColumn', 'neuronColumn', 'timeColumn']) OPTION_KINDS[k] = ['number', 'string'];
for (const k of ['onProgress', 'onStage', 'onTask']) OPTION_KINDS[k] = ['function'];
for (const k of ['dims', 'taus', 'initMixGrid', 'weights']) OPTION_KINDS[k] = ['numbers'];
OPTION_KINDS.header = ['boolean', 'string'];
OPTION_KINDS.signal = ['signal'];
OPTION_KINDS.graph = ['graph'];
OPTION_KINDS.labels = ['labels'];
OPTION_KINDS.estimators = ['array'];
OPTION_KINDS.evidence = ['array'];
OPTION_KINDS.assignments = ['arrays'];
OPTION_KINDS.truth = ['map'];
OPTION_KINDS.flow = ['object'];
OPTION_KINDS.repeats = ['number'];

function fail(where: string, kinds: readonly (Kind | 'undefined')[], v: unknown): InvalidInputError {
  const what = kinds.filter((k) => k !== 'undefined').map((k) => KINDS[k as Kind].what);
  return new InvalidInputError(`${where}: expected ${what.join(' or ')}, got ${describeValue(v)}`);
}

/** Checks one value against a spec; `where` names it in the error (`fitMps: patterns`). */
export function checkValue(where: string, spec: Spec, v: unknown): void {
  const kinds: readonly (Kind | 'undefined')[] = typeof spec === 'string' ? (spec.endsWith('?') ? [spec.slice(0, -1) as Kind, 'undefined'] : [spec as Kind]) : (spec as readonly (Kind | 'undefined')[]);
  if (v === undefined && kinds.includes('undefined')) return;
  if (!kinds.some((k) => k !== 'undefined' && KINDS[k].ok(v))) {
    // one object kind and an object received: name the wrong field
    const only = kinds.filter((k) => k !== 'undefined');
    const fields = only.length === 1 ? (KINDS[only[0] as Kind] as Check).fields : undefined;
    if (fields && isObject(v)) {
      for (const [k, spec] of Object.entries(fields)) {
        if (!leafOk(spec, v[k])) throw fail(`${where}.${k}`, spec.endsWith('?') ? [spec.slice(0, -1) as Kind, 'undefined'] : [spec as Kind], v[k]);
      }
    }
    throw fail(where, kinds, v);
  }
  if (kinds.includes('options') && isObject(v)) checkOptions(where, v);
}

/** Checks the fields of an options object against {@link OPTION_KINDS}; undefined fields are skipped. */
export function checkOptions(where: string, options: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(options)) {
    const kinds = OPTION_KINDS[key];
    if (v === undefined || !kinds) continue;
    if (!kinds.some((k) => KINDS[k].ok(v))) throw fail(`${where}: ${key}`, kinds, v);
  }
}

/** Checks positional arguments: `names[i]` names argument i in messages. */
export function checkArgs(fn: string, names: readonly string[], specs: readonly Spec[], args: ArrayLike<unknown>): void {
  specs.forEach((spec, i) => checkValue(`${fn}: ${names[i]}`, spec, args[i]));
}

/** napi's messages for a JavaScript value it could not convert, and JavaScript's own TypeErrors. */
const CONVERSION = /^(Failed to (convert|recover|get|create reference)|Missing field|The "[^"]+" argument must be|Cannot (read|destructure|convert)|[\w.$]+ is not (a function|iterable))/;

/** The backstop: an untyped error from a wrong argument that got past the checks becomes typed. */
function typed(fn: string, err: unknown): unknown {
  if (err instanceof DiffrgError || !(err instanceof Error)) return err;
  if (err instanceof TypeError || CONVERSION.test(err.message)) {
    return new InvalidInputError(`${fn}: invalid argument (${err.message.split('\n')[0]})`, { cause: err });
  }
  return err;
}

/**
 * Wraps a public function: checks its arguments (`args`: name and spec of each, in order), and
 * maps untyped argument errors to `InvalidInputError`. An async function rejects instead of
 * throwing, as its own errors do.
 */
// biome-ignore lint/suspicious/noExplicitAny: the wrapper keeps any function's own signature
export function api<F extends (...a: any[]) => any>(name: string, args: Record<string, Spec>, fn: F): F {
  const names = Object.keys(args);
  const specs = Object.values(args);
  const isAsync = fn.constructor.name === 'AsyncFunction';
  const wrapped = function (this: unknown, ...a: unknown[]): unknown {
    try {
      checkArgs(name, names, specs, a);
      const r = fn.apply(this, a);
      return isAsync ? (r as Promise<unknown>).catch((err: unknown) => Promise.reject(typed(name, err))) : r;
    } catch (err) {
      if (isAsync) return Promise.reject(typed(name, err));
      throw typed(name, err);
    }
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped as unknown as F;
}
