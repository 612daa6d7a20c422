/**
 * Options of every `diffrg analyze` stage, with their defaults (`diffrg analyze --print-config`
 * writes this object). `null` means "the library's default" (owned by the Rust core and
 * documented on the option in the facade). The numbers here are pipeline choices, the same as
 * `diffrg demo` uses (see docs/report.md).
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError, IoError, ParseError } from '../errors';

export interface AnalyzeConfig {
  activity: {
    /** Time unit of spike tables and spike NPY arrays without a unit. */
    units: 's' | 'ms' | 'us';
    /** NWB: 'units' (spike times) or 'series' (dense traces); null: Units when present. */
    nwb: 'units' | 'series' | null;
    /** NWB: path of the TimeSeries/RoiResponseSeries; null: the first one. */
    series: string | null;
    /** NPZ member holding the array; null: the only or first one. */
    key: string | null;
  };
  infer: {
    method: 'lgd' | 'correlation' | 'partial-correlation' | 'var';
    /** Bin width (s) of spikes; the sample period of dense data without a rate. */
    binSeconds: number;
    maxLag: number | null;
    surrogates: number | null;
    /** FDR level of the "significant" edges reported. */
    alpha: number;
    seed: number;
  };
  communities: {
    /** Strongest couplings kept per neuron for the graph (|score| order), symmetrised. */
    edgesPerNeuron: number;
    /** Negative couplings: 'auto' (chosen by analyze and recorded), 'abs' (|w|) or 'drop'. */
    negative: 'auto' | 'abs' | 'drop';
    resolution: number | null;
    seed: number;
  };
  scan: {
    method: 'auto' | 'exact' | 'slq';
    laplacian: 'combinatorial' | 'normalized' | 'random-walk';
    tauCount: number;
    probes: number | null;
    steps: number | null;
    seed: number;
  };
  flow: {
    rule: 'real-space' | 'mode-count' | 'equilibrium';
    /** Fraction of nodes kept per step (tau chosen by bisection). */
    fraction: number;
    steps: number;
  };
  mps: {
    /** Most active neurons modelled (sites of the chain). */
    sites: number;
    /** Pattern bin width (s) for spikes; dense data keep their samples. */
    binSeconds: number;
    /** Dense data: a sample is active when its z-score (per neuron) exceeds this. */
    threshold: number;
    chi: number;
    maxHalfSweeps: number;
    seed: number;
  };
  dtnr: {
    chi: number;
    samples: number;
    maxHalfSweeps: number;
    seed: number;
  };
  /** Meso-scale dynamics along the flow (runs once `effectiveDynamics` is exported). */
  dynamics: Record<string, unknown>;
  report: {
    /** Also write PNG figures. */
    png: boolean;
  };
}

export type StageName = keyof AnalyzeConfig;

/** The defaults of every stage (the single owner of analyze's own choices). */
export function defaultConfig(): AnalyzeConfig {
  return {
    activity: { units: 's', nwb: null, series: null, key: null },
    infer: { method: 'lgd', binSeconds: 0.005, maxLag: null, surrogates: null, alpha: 0.05, seed: 0 },
    communities: { edgesPerNeuron: 4, negative: 'auto', resolution: null, seed: 0 },
    scan: { method: 'auto', laplacian: 'combinatorial', tauCount: 120, probes: null, steps: null, seed: 0 },
    flow: { rule: 'real-space', fraction: 0.5, steps: 3 },
    mps: { sites: 40, binSeconds: 0.01, threshold: 2, chi: 8, maxHalfSweeps: 4, seed: 0 },
    dtnr: { chi: 8, samples: 5000, maxHalfSweeps: 4, seed: 0 },
    dynamics: {},
    report: { png: false },
  };
}

/** Keys whose value may be null (the library default). */
const NULLABLE = new Set(['activity.nwb', 'activity.series', 'activity.key', 'infer.maxLag', 'infer.surrogates', 'communities.resolution', 'scan.probes', 'scan.steps']);
const CHOICES: Record<string, readonly string[]> = {
  'activity.units': ['s', 'ms', 'us'],
  'activity.nwb': ['units', 'series'],
  'infer.method': ['lgd', 'correlation', 'partial-correlation', 'var'],
  'communities.negative': ['auto', 'abs', 'drop'],
  'scan.method': ['auto', 'exact', 'slq'],
  'scan.laplacian': ['combinatorial', 'normalized', 'random-walk'],
  'flow.rule': ['real-space', 'mode-count', 'equilibrium'],
};
const POSITIVE = new Set(['infer.binSeconds', 'infer.alpha', 'communities.edgesPerNeuron', 'communities.resolution', 'scan.tauCount', 'flow.fraction', 'flow.steps', 'mps.sites', 'mps.binSeconds', 'mps.chi', 'mps.maxHalfSweeps', 'dtnr.chi', 'dtnr.samples', 'dtnr.maxHalfSweeps']);

/**
 * Merges a partial config (a parsed analyze.json, or overrides) over the defaults. Unknown
 * stages or keys, wrong types and values out of range are InvalidInputErrors naming the key
 * (and `file` when given).
 */
export function mergeConfig(partial: unknown, file = 'config'): AnalyzeConfig {
  const cfg = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  if (partial === undefined || partial === null) return cfg as unknown as AnalyzeConfig;
  if (typeof partial !== 'object' || Array.isArray(partial)) throw new InvalidInputError(`${file}: expected an object of stages (${Object.keys(cfg).join(', ')})`);
  for (const [stage, opts] of Object.entries(partial as Record<string, unknown>)) {
    if (!(stage in cfg)) throw new InvalidInputError(`${file}: unknown stage '${stage}' (stages: ${Object.keys(cfg).join(', ')})`);
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new InvalidInputError(`${file}: ${stage} must be an object of options`);
    for (const [key, value] of Object.entries(opts as Record<string, unknown>)) {
      const name = `${stage}.${key}`;
      if (stage === 'dynamics') {
        cfg[stage][key] = value;
        continue;
      }
      if (!(key in cfg[stage])) throw new InvalidInputError(`${file}: unknown option '${name}' (options of ${stage}: ${Object.keys(cfg[stage]).join(', ')})`);
      const def = cfg[stage][key];
      if (value === null) {
        if (!NULLABLE.has(name)) throw new InvalidInputError(`${file}: ${name} cannot be null`);
      } else if (CHOICES[name]) {
        if (typeof value !== 'string' || !CHOICES[name].includes(value)) throw new InvalidInputError(`${file}: ${name} must be one of ${CHOICES[name].join(', ')} (got ${JSON.stringify(value)})`);
      } else if (typeof def === 'boolean') {
        if (typeof value !== 'boolean') throw new InvalidInputError(`${file}: ${name} must be true or false (got ${JSON.stringify(value)})`);
      } else if (typeof def === 'number' || (def === null && NULLABLE.has(name) && name !== 'activity.series' && name !== 'activity.key')) {
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidInputError(`${file}: ${name} must be a finite number (got ${JSON.stringify(value)})`);
        if (POSITIVE.has(name) && !(value > 0)) throw new InvalidInputError(`${file}: ${name} must be positive (got ${value})`);
        if (value < 0) throw new InvalidInputError(`${file}: ${name} must be >= 0 (got ${value})`);
      } else if (typeof value !== 'string') throw new InvalidInputError(`${file}: ${name} must be a string (got ${JSON.stringify(value)})`);
      cfg[stage][key] = value;
    }
  }
  const c = cfg as unknown as AnalyzeConfig;
  if (c.flow.fraction >= 1) throw new InvalidInputError(`${file}: flow.fraction must be in (0, 1) (got ${c.flow.fraction})`);
  if (c.infer.alpha > 1) throw new InvalidInputError(`${file}: infer.alpha must be in (0, 1] (got ${c.infer.alpha})`);
  return c;
}

/** Reads and merges an analyze.json file. */
export function readConfig(file: string): AnalyzeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // JSON.parse names a position; turn it into a line for the error
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new ParseError(`invalid JSON (${(err as Error).message})`, { file, line }, { cause: err });
  }
  return mergeConfig(parsed, file);
}
