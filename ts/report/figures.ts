/**
 * The report's figures as Vega-Lite specifications, built from the stage records
 * (ts/analyze/records.ts). Each builder returns the spec and a caption saying what was computed
 * and with which options; ts/report/render.ts draws them.
 */
import type { ScanResult } from '../spectral';
import type {
  ActivityRecord,
  CommunitiesRecord,
  DtnrRecord,
  DynamicsRecord,
  FlowRecord,
  InferRecord,
  MpsRecord,
  ScanRecord,
  StageRecords,
} from '../analyze/records';
import type { FigureSpec } from './render';

export interface Figure {
  /** File stem: figures/<name>.svg. */
  name: string;
  title: string;
  caption: string;
  spec: FigureSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Number(x.toPrecision(d)).toString());
const opts = (o: unknown) => (o && typeof o === 'object' && Object.keys(o).length ? JSON.stringify(o).replace(/"/g, '').replace(/,/g, ', ') : 'defaults');

/** Position of each node index in community order (identity when there is no ordering). */
function positions(n: number, comm?: CommunitiesRecord): number[] {
  const pos = Array.from({ length: n }, (_, i) => i);
  if (comm) comm.order.forEach((node, p) => (pos[node] = p));
  return pos;
}

/** Raster of the recording, neurons in community order (spikes: dots; dense: z-scored heat map). */
export function rasterFigure(act: ActivityRecord, inf?: InferRecord, comm?: CommunitiesRecord): Figure {
  // neuron id -> row: community-order position of its graph node; neurons outside the graph after them
  const nodeOf = new Map((inf?.ids ?? act.ids).map((id, k) => [id, k]));
  const pos = positions(nodeOf.size, comm);
  const row = new Map<number, number>();
  let extra = nodeOf.size;
  for (const id of act.ids) row.set(id, nodeOf.has(id) ? pos[nodeOf.get(id)!] : extra++);
  const community = (id: number) => (comm && nodeOf.has(id) ? comm.labels[nodeOf.get(id)!] : -1);
  const order = comm ? 'community order (Leiden)' : 'id order';
  const rows = act.ids.length;
  if (act.preview.kind === 'spikes') {
    const p = act.preview;
    const values = p.neuron.map((id, k) => ({ t: Number(p.time[k].toFixed(4)), row: row.get(id) ?? 0, community: community(id) }));
    return {
      name: 'raster',
      title: 'Spike raster',
      caption:
        `Spikes of the ${rows} neurons of ${act.source}, one row per neuron in ${order}, coloured by community (-1: not in the inferred graph). ` +
        `Shown: ${p.neuron.length} spikes in ${fmt(p.window[0])}..${fmt(p.window[1])} s` +
        (p.omitted ? ` (${p.omitted} later spikes of ${act.spikes} omitted to keep the figure small).` : ` (all ${act.spikes} spikes).`),
      spec: {
        $schema: SCHEMA,
        width: 640,
        height: Math.min(420, Math.max(160, rows * 3)),
        data: { values },
        mark: { type: 'tick', orient: 'horizontal', thickness: 1.2 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'time (s)', scale: { zero: false, nice: false } },
          y: { field: 'row', type: 'quantitative', title: `neuron (${order})`, scale: { domain: [-0.5, rows - 0.5], reverse: true, nice: false }, axis: { tickMinStep: 1 } },
          color: { field: 'community', type: 'nominal', title: 'community', scale: { scheme: 'tableau20' }, legend: values.length && comm && comm.count > 20 ? null : {} },
        },
      },
    };
  }
  const p = act.preview;
  const values: { c: number; t: number; row: number; z: number }[] = [];
  p.ids.forEach((id, i) => {
    for (let c = 0; c < p.cols; c++) values.push({ c, t: p.colSeconds === null ? c * p.group : c * p.colSeconds, row: row.get(id) ?? i, z: Number(p.values[i * p.cols + c].toFixed(3)) });
  });
  const xTitle = p.colSeconds === null ? 'sample' : 'time (s)';
  const step = p.colSeconds === null ? p.group : p.colSeconds;
  return {
    name: 'raster',
    title: 'Activity raster',
    caption: `Dense activity of the ${rows} neurons of ${act.source} (z-scored per neuron; mean over groups of ${p.group} samples), one row per neuron in ${order}.`,
    spec: {
      $schema: SCHEMA,
      width: 640,
      height: Math.min(420, Math.max(160, rows * 3)),
      data: { values },
      transform: [{ calculate: `datum.t + ${step}`, as: 't2' }],
      mark: { type: 'rect', strokeWidth: 0 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: xTitle, scale: { zero: false, nice: false }, axis: { grid: false } },
        x2: { field: 't2' },
        y: { field: 'row', type: 'ordinal', title: `neuron (${order})`, scale: { paddingInner: 0, paddingOuter: 0 }, axis: { labels: false, ticks: false, grid: false } },
        color: { field: 'z', type: 'quantitative', title: 'z-score', scale: { scheme: 'viridis', domain: [-1, 4], clamp: true } },
      },
    },
  };
}

/** The inferred coupling matrix in community order with the community boundaries. */
export function couplingFigure(inf: InferRecord, comm: CommunitiesRecord | undefined, options?: unknown): Figure {
  const n = inf.n;
  const pos = positions(n, comm);
  // the strongest couplings (10 per node): a dense n x n heat map would make a large SVG
  const entries: { a: number; b: number; w: number }[] = [];
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b && inf.weight[a * n + b] !== 0) entries.push({ a, b, w: inf.weight[a * n + b] });
  entries.sort((x, y) => Math.abs(y.w) - Math.abs(x.w));
  const shown = entries.slice(0, 10 * n);
  const values = shown.map((e) => ({ x: pos[e.a], y: pos[e.b], w: Number(e.w.toPrecision(4)) }));
  const wmax = Math.max(1e-12, ...values.map((v) => Math.abs(v.w)));
  const bounds: { at: number }[] = [];
  if (comm) {
    const sizes = new Map<number, number>();
    for (const l of comm.labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
    let at = 0;
    let prev = -1;
    for (const node of comm.order) {
      const l = comm.labels[node];
      if (prev !== -1 && l !== prev) bounds.push({ at: at - 0.5 });
      prev = l;
      at++;
    }
  }
  const axis = (title: string) => ({ type: 'quantitative' as const, title, scale: { domain: [-0.5, n - 0.5], nice: false, zero: false }, axis: { tickMinStep: 1 } });
  return {
    name: 'coupling',
    title: 'Inferred coupling matrix',
    caption:
      `${inf.method.toUpperCase()} couplings among ${n} neurons (${inf.input === 'dense' ? 'dense activity' : `${fmt(inf.binSeconds * 1e3)} ms bins`}, ${inf.nBins} bins; ${inf.significantEdges} edges significant at FDR ${inf.alpha}), ` +
      `rows and columns in ${comm ? `community order (${comm.count} Leiden communities, lines at their boundaries)` : 'id order'}. ` +
      `Shown: the ${shown.length} strongest |w| of ${entries.length} non-zero entries; red excitatory-like (w > 0), blue inhibitory-like (w < 0). Options: ${opts(options)}.`,
    spec: {
      $schema: SCHEMA,
      width: 420,
      height: 420,
      layer: [
        {
          data: { values },
          mark: { type: 'square', size: Math.max(4, Math.min(60, (420 / Math.max(1, n)) ** 2)) },
          encoding: {
            x: { field: 'x', ...axis('source neuron (position in order)') },
            y: { field: 'y', ...axis('target neuron (position in order)'), sort: 'descending' },
            color: { field: 'w', type: 'quantitative', title: 'coupling w (per bin)', scale: { scheme: 'redblue', reverse: true, domain: [-wmax, wmax] } },
          },
        },
        ...(bounds.length
          ? [
              { data: { values: bounds }, mark: { type: 'rule', color: '#444', strokeWidth: 0.7 }, encoding: { x: { field: 'at', type: 'quantitative' } } },
              { data: { values: bounds }, mark: { type: 'rule', color: '#444', strokeWidth: 0.7 }, encoding: { y: { field: 'at', type: 'quantitative' } } },
            ]
          : []),
      ],
      resolve: { scale: { x: 'shared', y: 'shared' } },
    },
  };
}

/** S(tau)/ln N and C(tau) panels with error bands, transitions and the plateau. */
/** What {@link scanSpec} draws: a `ScanResult` or a stage's `ScanRecord`. */
export type ScanLike = Pick<ScanResult, 'n' | 'tau' | 'entropyNormalized' | 'specificHeat' | 'plateau'> & {
  transitions: { tau: number; specificHeat: number }[];
  entropyStderr?: number[] | null;
  specificHeatStderr?: number[] | null;
};

export function scanSpec(scan: ScanLike, title?: string): FigureSpec {
  const lnN = Math.log(Math.max(2, scan.n));
  const values = scan.tau.map((tau, i) => {
    const se = scan.entropyStderr?.[i];
    const sc = scan.specificHeatStderr?.[i];
    return {
      tau,
      s: scan.entropyNormalized[i],
      sLo: se === undefined ? null : scan.entropyNormalized[i] - (2 * se) / lnN,
      sHi: se === undefined ? null : scan.entropyNormalized[i] + (2 * se) / lnN,
      c: scan.specificHeat[i],
      cLo: sc === undefined ? null : scan.specificHeat[i] - 2 * sc,
      cHi: sc === undefined ? null : scan.specificHeat[i] + 2 * sc,
    };
  });
  const bands = scan.entropyStderr != null;
  const x = { field: 'tau', type: 'quantitative', title: 'diffusion time τ (units of 1 / Laplacian eigenvalue)', scale: { type: 'log', nice: false }, axis: { format: '~g' } };
  const plateau = scan.plateau.decades > 0 ? [{ a: scan.plateau.tauStart, b: scan.plateau.tauEnd }] : [];
  const marks = (y: string, lo: string, hi: string, color: string, yTitle: string) => ({
    width: 640,
    height: 190,
    layer: [
      ...(plateau.length ? [{ data: { values: plateau }, mark: { type: 'rect', color: '#fde9c8' }, encoding: { x: { field: 'a', type: 'quantitative', scale: { type: 'log', nice: false } }, x2: { field: 'b' } } }] : []),
      ...(bands ? [{ data: { values }, mark: { type: 'area', color, opacity: 0.25 }, encoding: { x, y: { field: lo, type: 'quantitative' }, y2: { field: hi } } }] : []),
      { data: { values }, mark: { type: 'line', color, strokeWidth: 2 }, encoding: { x, y: { field: y, type: 'quantitative', title: yTitle } } },
      ...(scan.transitions.length ? [{ data: { values: scan.transitions }, mark: { type: 'rule', color: '#555', strokeDash: [4, 3] }, encoding: { x: { field: 'tau', type: 'quantitative' } } }] : []),
    ],
  });
  return {
    $schema: SCHEMA,
    ...(title ? { title } : {}),
    vconcat: [marks('s', 'sLo', 'sHi', '#1f5fbf', 'entropy S / ln N'), marks('c', 'cLo', 'cHi', '#c0392b', 'specific heat C = -dS/d ln τ')],
    resolve: { scale: { x: 'shared' } },
  };
}

export function scanFigure(scan: ScanRecord, options?: unknown): Figure {
  return {
    name: 'scan',
    title: 'Spectral scan: S(τ) and C(τ)',
    caption:
      `Von Neumann entropy of the network density matrix ρ(τ) = e^{-τL}/Z (normalised by ln N) and specific heat C(τ) of the largest component (N = ${scan.n}, ${scan.edges} edges), ` +
      `${scan.method === 'slq' ? `stochastic Lanczos quadrature (${scan.probes} probes x ${scan.steps} steps; bands ±2 standard errors)` : 'exact eigendecomposition (no error bands needed)'}. ` +
      `Dashed lines: entropy transitions (C peaks${scan.transitions.length ? ` at τ = ${scan.transitions.map((t) => fmt(t.tau)).join(', ')}` : ': none'}); shaded: the C plateau (level ${fmt(scan.plateau.level)} over ${fmt(scan.plateau.decades, 2)} decades). Options: ${opts(options)}.`,
    spec: scanSpec(scan),
  };
}

/** Supernode sizes per RG step and a tree view of the assignments across scales. */
export function flowFigure(flow: FlowRecord, comm: CommunitiesRecord | undefined, options?: unknown): Figure {
  const n = flow.nodes.length;
  const pos = comm ? positions(comm.n, comm) : undefined;
  const y0 = flow.nodes.map((node, k) => (pos ? pos[node] : k));
  const sizes: { step: string; k: number; size: number }[] = [];
  const tree: { node: number; k: number; y: number; community: number }[] = [];
  flow.nodes.forEach((node, k) => tree.push({ node: k, k: 0, y: y0[k], community: comm ? comm.labels[node] : 0 }));
  flow.steps.forEach((s, i) => {
    const count = new Map<number, number>();
    const ysum = new Map<number, number>();
    s.assignment.forEach((a, k) => (count.set(a, (count.get(a) ?? 0) + 1), ysum.set(a, (ysum.get(a) ?? 0) + y0[k])));
    const label = `${i + 1}: N=${s.n}`;
    for (const c of count.values()) sizes.push({ step: label, k: i + 1, size: c });
    s.assignment.forEach((a, k) => tree.push({ node: k, k: i + 1, y: Number((ysum.get(a)! / count.get(a)!).toFixed(2)), community: comm ? comm.labels[flow.nodes[k]] : 0 }));
  });
  return {
    name: 'flow',
    title: 'Laplacian RG flow across scales',
    caption:
      `Real-space Laplacian RG of the largest component (N = ${n}): ${flow.rule} rule, τ per step chosen to keep ${fmt(flow.fraction)} of the nodes; ` +
      `N ${[n, ...flow.steps.map((s) => s.n)].join(' → ')} at τ ${flow.steps.map((s) => fmt(s.tau)).join(', ')}${flow.stopped ? ` (stopped: ${flow.stopped})` : ''}. ` +
      `Left: sizes of the supernodes (neurons per supernode) per step. Right: each neuron's path through the supernodes; a supernode sits at the mean community-order position of its neurons, colours are Leiden communities. Options: ${opts(options)}.`,
    spec: {
      $schema: SCHEMA,
      hconcat: [
        {
          width: 260,
          height: 300,
          data: { values: sizes },
          mark: { type: 'circle', opacity: 0.7 },
          encoding: {
            x: { field: 'step', type: 'ordinal', title: 'RG step (supernodes)', sort: { field: 'k' }, axis: { labelAngle: 0 } },
            y: { field: 'size', type: 'quantitative', title: 'supernode size (neurons)', scale: { type: 'log' } },
            size: { aggregate: 'count', type: 'quantitative', title: 'supernodes' },
          },
        },
        {
          width: 380,
          height: 300,
          data: { values: tree },
          mark: { type: 'line', opacity: 0.35, strokeWidth: 1, interpolate: 'monotone' },
          encoding: {
            x: { field: 'k', type: 'quantitative', title: 'RG step', axis: { tickMinStep: 1, format: 'd' } },
            y: { field: 'y', type: 'quantitative', title: 'position (community order)', scale: { reverse: true, nice: false, zero: false } },
            detail: { field: 'node', type: 'nominal' },
            color: { field: 'community', type: 'nominal', scale: { scheme: 'tableau20' }, legend: null },
          },
        },
      ],
    },
  };
}

/** MPS bond entropies per site ordering and the held-out NLL against the baselines. */
export function mpsFigure(mps: MpsRecord, options?: unknown): Figure {
  const bonds = mps.orderings.flatMap((o) => o.bondEntropies.map((s, b) => ({ ordering: o.name, bond: b + 1, s })));
  const nll = [
    ...mps.orderings.map((o) => ({ model: `MPS, ${o.name} order`, nll: o.nllHeldout, kind: 'MPS' })),
    { model: 'independent', nll: mps.nllIndependent, kind: 'baseline' },
    { model: 'pairwise Ising', nll: mps.nllIsing, kind: 'baseline' },
  ].filter((d) => Number.isFinite(d.nll));
  return {
    name: 'mps',
    title: 'Tensor-train (MPS) model of the joint spike patterns',
    caption:
      `Born-machine MPS (χ = ${mps.chi}) of ${mps.sites.length} neurons' binary patterns (${mps.patterns} patterns; ${mps.binarize}). ` +
      `Left: entanglement (bond) entropy at each cut of the chain, per site ordering. Right: held-out negative log-likelihood in bits per pattern (lower is better) against the independent and pairwise Ising baselines. Options: ${opts(options)}.`,
    spec: {
      $schema: SCHEMA,
      hconcat: [
        {
          width: 340,
          height: 240,
          data: { values: bonds },
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'bond', type: 'quantitative', title: 'bond (cut after site k)', axis: { tickMinStep: 1 } },
            y: { field: 's', type: 'quantitative', title: 'bond entropy (bits)' },
            color: { field: 'ordering', type: 'nominal', title: 'site order' },
          },
        },
        {
          width: 260,
          height: 160,
          data: { values: nll },
          mark: { type: 'point', filled: true, size: 90 },
          encoding: {
            y: { field: 'model', type: 'nominal', title: null, sort: null },
            x: { field: 'nll', type: 'quantitative', title: 'held-out NLL (bits / pattern)', scale: { zero: false } },
            color: { field: 'kind', type: 'nominal', title: null, scale: { range: ['#1f5fbf', '#999999'] } },
          },
        },
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}

/** DTNR entropy and multi-information per RG scale. */
export function dtnrFigure(d: DtnrRecord, options?: unknown): Figure {
  const values = d.scales.map((s, i) => ({
    scale: `${i}: ${s.variables} var`,
    i,
    h: s.entropyPerVariable,
    hLo: s.entropyCiLow / s.variables,
    hHi: s.entropyCiHigh / s.variables,
    mi: s.multiInformationBits,
    miLo: s.multiInformationCiLow,
    miHi: s.multiInformationCiHigh,
  }));
  const panel = (y: string, lo: string, hi: string, title: string) => ({
    width: 300,
    height: 220,
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x: { field: 'scale', type: 'ordinal', title: 'RG scale (variables)', sort: { field: 'i' }, axis: { labelAngle: 0 } }, y: { field: y, type: 'quantitative', title } } },
      { mark: { type: 'errorbar', thickness: 1.5 }, encoding: { x: { field: 'scale', type: 'ordinal', sort: { field: 'i' } }, y: { field: lo, type: 'quantitative', title }, y2: { field: hi } } },
    ],
  });
  return {
    name: 'dtnr',
    title: 'Diffusion tensor network renormalization',
    caption:
      `The MPS model coarse-grained along the Laplacian RG flow (block variable = any spike in the supernode; χ = ${d.chi})${d.flowStopped ? `; flow ended: ${d.flowStopped}` : ''}. ` +
      `Left: entropy per variable (bits); right: multi-information Σ H(x_i) - H(x) (bits); bars: confidence intervals of the Monte-Carlo estimates (exact where the state space is small). Options: ${opts(options)}.`,
    spec: { $schema: SCHEMA, hconcat: [panel('h', 'hLo', 'hHi', 'entropy per variable (bits)'), panel('mi', 'miLo', 'miHi', 'multi-information (bits)')] },
  };
}

/** Entropy production and timescales per scale (the dynamics family). */
export function dynamicsFigure(d: DynamicsRecord, options?: unknown): Figure {
  const ep = d.scales.map((s, i) => ({ scale: `${i}: ${s.variables} var`, i, ep: s.entropyProduction }));
  const ts = d.scales.flatMap((s, i) => s.timescales.map((t) => ({ scale: `${i}: ${s.variables} var`, i, t })));
  return {
    name: 'dynamics',
    title: 'Meso-scale dynamics along the flow',
    caption: `Entropy production rate and relaxation timescales of the coarse-grained dynamics at each RG scale. Options: ${opts(options)}.`,
    spec: {
      $schema: SCHEMA,
      hconcat: [
        { width: 300, height: 220, data: { values: ep }, mark: { type: 'line', point: true }, encoding: { x: { field: 'scale', type: 'ordinal', sort: { field: 'i' }, title: 'RG scale (variables)', axis: { labelAngle: 0 } }, y: { field: 'ep', type: 'quantitative', title: 'entropy production (bits / s)' } } },
        { width: 300, height: 220, data: { values: ts }, mark: { type: 'circle' }, encoding: { x: { field: 'scale', type: 'ordinal', sort: { field: 'i' }, title: 'RG scale (variables)' }, y: { field: 't', type: 'quantitative', title: 'timescale (s)', scale: { type: 'log' } } } },
      ],
    },
  };
}

/** Every figure the records allow, in reading order. `options` are the stages' options (captions). */
export function buildFigures(r: Partial<StageRecords>, options: Partial<Record<keyof StageRecords, unknown>> = {}): Figure[] {
  const out: Figure[] = [];
  if (r.activity) out.push(rasterFigure(r.activity, r.infer, r.communities));
  if (r.infer) out.push(couplingFigure(r.infer, r.communities, options.infer));
  if (r.scan) out.push(scanFigure(r.scan, options.scan));
  if (r.flow) out.push(flowFigure(r.flow, r.communities, options.flow));
  if (r.mps) out.push(mpsFigure(r.mps, options.mps));
  if (r.dtnr) out.push(dtnrFigure(r.dtnr, options.dtnr));
  if (r.dynamics) out.push(dynamicsFigure(r.dynamics, options.dynamics));
  return out;
}
