/**
 * The JSON records an analysis leaves in `DIR/stages/<stage>.json`, one per stage. `diffrg
 * analyze` and `diffrg demo --out DIR` write them; `diffrg report DIR` reads them. Node indices
 * are positions in the inferred graph (0..n-1); `ids` maps them to the recording's neuron ids.
 * Builders turn facade results into records, so both writers share one shape.
 */
import type { Activity } from '../io/activity';
import type { InferResult } from '../infer';
import type { ScanResult } from '../spectral';
import type { RgFlowResult } from '../rg';
import type { MpsFitResult } from '../mps';
import type { DtnrResult } from '../dtnr';

/** Largest number of spikes (or raster cells) kept for the raster figure. */
export const PREVIEW_MAX = 5_000;

export interface SpikePreview {
  kind: 'spikes';
  /** Time window shown (s). */
  window: [number, number];
  /** Neuron id and time (s) of each spike shown. */
  neuron: number[];
  time: number[];
  /** Spikes in the recording left out (outside the window). */
  omitted: number;
}

export interface RasterPreview {
  kind: 'raster';
  /** Neuron id per row. */
  ids: number[];
  /** Columns after averaging groups of `group` samples. */
  cols: number;
  group: number;
  /** Seconds per column (null: no sampling rate known; columns are sample groups). */
  colSeconds: number | null;
  /** rows x cols, row-major, z-scored per neuron. */
  values: number[];
}

export interface ActivityRecord {
  source: string;
  kind: 'spikes' | 'raster';
  neurons: number;
  ids: number[];
  spikes: number | null;
  samples: number | null;
  /** Recording length (s); null for a raster without a rate. */
  duration: number | null;
  preview: SpikePreview | RasterPreview;
}

export interface InferRecord {
  method: string;
  input: 'spikes' | 'dense';
  n: number;
  ids: number[];
  nBins: number;
  binSeconds: number;
  /** n x n row-major signed coupling, entry [a * n + b]: node a influences node b. */
  weight: number[];
  /** n x n ranking score (what `InferResult.edges` sorts by). */
  score: number[];
  alpha: number;
  significantEdges: number;
  hiddenRank: number;
  lambda: number;
  mu: number;
  converged: boolean;
}

export interface NegativePolicy {
  policy: 'abs' | 'drop';
  reason: string;
  /** Kept couplings that were negative (made positive or dropped). */
  negativeEdges: number;
  keptEdges: number;
}

export interface CommunitiesRecord {
  n: number;
  ids: number[];
  /** The undirected graph used downstream (node indices, weights after the negative policy). */
  edges: { source: number[]; target: number[]; weight: number[] };
  negative: NegativePolicy;
  labels: number[];
  count: number;
  modularity: number;
  /** Node indices in community order. */
  order: number[];
}

export interface ScanRecord {
  /** Node indices of the largest connected component that was scanned. */
  nodes: number[];
  n: number;
  edges: number;
  method: string;
  probes: number;
  steps: number;
  tau: number[];
  entropyNormalized: number[];
  specificHeat: number[];
  entropyStderr: number[] | null;
  specificHeatStderr: number[] | null;
  transitions: { tau: number; specificHeat: number }[];
  plateau: { level: number; decades: number; tauStart: number; tauEnd: number };
}

export interface FlowRecord {
  /** Node indices of the component (the flow's nodes 0..). */
  nodes: number[];
  rule: string;
  fraction: number;
  steps: { n: number; edges: number; tau: number; assignment: number[] }[];
  stopped: string | null;
}

export interface MpsOrdering {
  name: string;
  nllHeldout: number;
  nllTrain: number;
  bondEntropies: number[];
}

export interface MpsRecord {
  /** Node index of each site (in the recording's id order). */
  sites: number[];
  binSeconds: number | null;
  patterns: number;
  chi: number;
  /** How activity became binary patterns. */
  binarize: string;
  orderings: MpsOrdering[];
  nllIndependent: number;
  nllIsing: number;
}

export interface DtnrRecord {
  chi: number;
  flowStopped: string | null;
  scales: {
    variables: number;
    entropyBits: number;
    entropyCiLow: number;
    entropyCiHigh: number;
    entropyPerVariable: number;
    multiInformationBits: number;
    multiInformationCiLow: number;
    multiInformationCiHigh: number;
    nllHeldout: number;
    nllDirectHeldout: number;
    truncationError: number;
  }[];
}

/** Meso-scale dynamics per RG scale (written once the dynamics family is merged). */
export interface DynamicsRecord {
  scales: { variables: number; entropyProduction: number; entropyProductionStderr?: number; timescales: number[] }[];
}

/** What each stage file holds. */
export interface StageRecords {
  activity: ActivityRecord;
  infer: InferRecord;
  communities: CommunitiesRecord;
  scan: ScanRecord;
  flow: FlowRecord;
  mps: MpsRecord;
  dtnr: DtnrRecord;
  dynamics: DynamicsRecord;
}

const arr = (a: ArrayLike<number>) => Array.from(a);

/** The activity summary and the raster figure's preview (at most {@link PREVIEW_MAX} marks). */
export function activityRecord(act: Activity, source: string): ActivityRecord {
  if (act.kind === 'spikes') {
    const total = act.times.reduce((s, t) => s + t.length, 0);
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const ts of act.times) if (ts.length) (t0 = Math.min(t0, ts[0])), (t1 = Math.max(t1, ts[ts.length - 1]));
    if (!Number.isFinite(t0)) (t0 = 0), (t1 = 0);
    // the first stretch of the recording holding ~PREVIEW_MAX spikes (a uniform-rate estimate)
    const end = total <= PREVIEW_MAX ? t1 : t0 + ((t1 - t0) * PREVIEW_MAX) / total;
    const neuron: number[] = [];
    const time: number[] = [];
    act.times.forEach((ts, k) => {
      for (const t of ts) {
        if (t > end || neuron.length >= PREVIEW_MAX) break;
        neuron.push(act.ids[k]);
        time.push(t);
      }
    });
    return {
      source,
      kind: 'spikes',
      neurons: act.ids.length,
      ids: act.ids.slice(),
      spikes: total,
      samples: null,
      duration: t1 - Math.min(0, t0),
      preview: { kind: 'spikes', window: [t0, end], neuron, time, omitted: total - neuron.length },
    };
  }
  const { neurons: n, samples } = act;
  const ids = act.ids ?? Array.from({ length: n }, (_, i) => i);
  const cols = Math.max(1, Math.min(samples, Math.floor(PREVIEW_MAX / Math.max(1, n))));
  const group = Math.ceil(samples / cols);
  const nc = Math.ceil(samples / group);
  const values: number[] = new Array(n * nc).fill(0);
  for (let i = 0; i < n; i++) {
    let m = 0;
    let q = 0;
    for (let s = 0; s < samples; s++) (m += act.data[i * samples + s]), (q += act.data[i * samples + s] ** 2);
    m /= samples || 1;
    const sd = Math.sqrt(Math.max(0, q / (samples || 1) - m * m)) || 1;
    for (let c = 0; c < nc; c++) {
      let sum = 0;
      const hi = Math.min(samples, (c + 1) * group);
      for (let s = c * group; s < hi; s++) sum += act.data[i * samples + s];
      values[i * nc + c] = (sum / (hi - c * group) - m) / sd;
    }
  }
  const dt = act.rate ? 1 / act.rate : act.times && act.times.length > 1 ? act.times[1] - act.times[0] : null;
  return {
    source,
    kind: 'raster',
    neurons: n,
    ids,
    spikes: null,
    samples,
    duration: dt === null ? null : dt * samples,
    preview: { kind: 'raster', ids, cols: nc, group, colSeconds: dt === null ? null : dt * group, values },
  };
}

export function inferRecord(r: InferResult, input: 'spikes' | 'dense', alpha: number): InferRecord {
  return {
    method: r.method,
    input,
    n: r.n,
    ids: r.ids.slice(),
    nBins: r.nBins,
    binSeconds: r.binSeconds,
    weight: arr(r.weight),
    score: arr(r.score),
    alpha,
    significantEdges: r.edges(alpha).length,
    hiddenRank: r.hidden.rank,
    lambda: r.lambda,
    mu: r.mu,
    converged: r.converged,
  };
}

export function scanRecord(r: ScanResult, nodes: number[]): ScanRecord {
  return {
    nodes,
    n: r.n,
    edges: r.edges,
    method: r.method,
    probes: r.probes,
    steps: r.steps,
    tau: r.tau,
    entropyNormalized: r.entropyNormalized,
    specificHeat: r.specificHeat,
    entropyStderr: r.entropyStderr ?? null,
    specificHeatStderr: r.specificHeatStderr ?? null,
    transitions: r.transitions.map((t) => ({ tau: t.tau, specificHeat: t.specificHeat })),
    plateau: { ...r.plateau },
  };
}

export function flowRecord(r: RgFlowResult, nodes: number[], rule: string, fraction: number): FlowRecord {
  return {
    nodes,
    rule,
    fraction,
    steps: r.steps.map((s) => ({ n: s.n, edges: s.edges, tau: s.tau, assignment: arr(s.assignment) })),
    stopped: r.stopped ?? null,
  };
}

export function mpsOrdering(name: string, r: MpsFitResult): MpsOrdering {
  return { name, nllHeldout: r.nllHeldout, nllTrain: r.nllTrain, bondEntropies: arr(r.bondEntropies) };
}

export function dtnrRecord(r: DtnrResult, chi: number): DtnrRecord {
  return {
    chi,
    flowStopped: r.flowStopped ?? null,
    scales: r.scales.map((s) => ({
      variables: s.variables,
      entropyBits: s.entropyBits,
      entropyCiLow: s.entropyCiLow,
      entropyCiHigh: s.entropyCiHigh,
      entropyPerVariable: s.entropyPerVariable,
      multiInformationBits: s.multiInformationBits,
      multiInformationCiLow: s.multiInformationCiLow,
      multiInformationCiHigh: s.multiInformationCiHigh,
      nllHeldout: s.nllHeldout,
      nllDirectHeldout: s.nllDirectHeldout,
      truncationError: s.truncationError,
    })),
  };
}
