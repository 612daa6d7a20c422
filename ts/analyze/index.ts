/**
 * `diffrg analyze`: from a recording to a report, one cached stage at a time.
 *
 *   activity -> infer (LGD) -> communities (graph, Leiden, ordering) -> scan (S, C, transitions)
 *   -> flow (Laplacian RG) -> mps (orderings vs baselines) -> dtnr (along the flow)
 *   -> dynamics (when the facade exports effectiveDynamics) -> report
 *
 * Each stage reads the records of the stages it depends on (UPSTREAM) and writes its own record;
 * its hash covers the input checksum, its options, diffrg's version and its upstream hashes, so
 * changing one stage's options recomputes that stage and the stages downstream of it only.
 */
import { effectiveDynamics, type DynamicsOptions, type DynamicsResult } from '../dynamics';
import * as path from 'node:path';
import { Graph } from '../graph';
import { readActivity, type Activity, type ReadActivityOptions } from '../io/activity';
import { inferDense, inferSpikes } from '../infer';
import { communityOrdering, leiden } from '../community';
import { spectralScan } from '../spectral';
import { rgFlow } from '../rg';
import { fitMps, reorderPatterns, type PatternMatrix } from '../mps';
import { dtnr } from '../dtnr';
import { binSpikes, siteSubgraph } from '../patterns';
import { progressStage, type RunOptions } from '../run';
import { InvalidInputError, AbortError, IoError } from '../errors';
import { existsSync, statSync } from 'node:fs';
import { canonicalJson, filesIntact, MANIFEST_FORMAT, readManifest, readRecord, writeManifest, writeRecord, type Manifest, type StageEntry } from './cache';
import { fileChecksum, sha256 } from '../io/checksum';
import { mergeConfig, type AnalyzeConfig, type StageName } from './config';
import {
  activityRecord,
  dtnrRecord,
  flowRecord,
  inferRecord,
  mpsOrdering,
  scanRecord,
  type CommunitiesRecord,
  type DynamicsRecord,
  type InferRecord,
  type MpsRecord,
  type NegativePolicy,
  type StageRecords,
} from './records';
import { writeReport } from '../report';

export { defaultConfig, mergeConfig, readConfig, type AnalyzeConfig, type StageName } from './config';
export * from './records';

/** The stages in order, and what each one reads. */
export const STAGES: StageName[] = ['activity', 'infer', 'communities', 'scan', 'flow', 'mps', 'dtnr', 'dynamics', 'report'];
export const UPSTREAM: Record<StageName, StageName[]> = {
  activity: [],
  infer: ['activity'],
  communities: ['infer'],
  scan: ['communities'],
  flow: ['communities'],
  mps: ['activity', 'communities'],
  dtnr: ['activity', 'communities', 'mps'],
  dynamics: ['activity', 'flow'],
  report: ['activity', 'infer', 'communities', 'scan', 'flow', 'mps', 'dtnr', 'dynamics'],
};

export interface AnalyzeOptions extends RunOptions {
  /** Output directory (created). */
  out: string;
  /** Stage options (merged over the defaults). */
  config?: Partial<{ [K in StageName]: Partial<AnalyzeConfig[K]> }> | AnalyzeConfig;
  /** Recompute every stage. @default false */
  force?: boolean;
  /** Called when a stage starts (index in STAGES) and when it ends. */
  onStage?: (event: { stage: StageName; index: number; total: number; state: 'start' | 'done' | 'cached' | 'skipped' }) => void;
}

export interface StageSummary {
  stage: StageName;
  /** 'ran' (computed now), 'cached' (unchanged, not recomputed) or 'skipped' (does not apply). */
  status: 'ran' | 'cached' | 'skipped';
  hash: string;
  seconds: number;
  reason?: string;
}

export interface AnalyzeSummary {
  input: string;
  out: string;
  version: string;
  stages: StageSummary[];
  /** Stages computed in this run. */
  ran: StageName[];
  negativePolicy: NegativePolicy | null;
  report: string;
  figures: Record<string, { svg: string; png?: string }>;
  manifest: string;
  seconds: number;
  /** What reading the recording assumed in this run (see `Activity.guessed`); empty when the activity was not read (all cached). */
  warnings: string[];
}

const VERSION: string = require('../../package.json').version;

/** Thrown by a stage that does not apply (recorded as 'skipped' with the reason). */
class SkipStage extends Error {}

interface Ctx {
  input: string;
  cfg: AnalyzeConfig;
  run: RunOptions;
  get<K extends keyof StageRecords>(stage: K): StageRecords[K];
  activity(): Promise<Activity>;
}

function readOptions(cfg: AnalyzeConfig): ReadActivityOptions {
  const a = cfg.activity;
  return { units: a.units, nwb: a.nwb ?? undefined, series: a.series ?? undefined, key: a.key ?? undefined };
}

/** The symmetrised |w| (or w > 0) graph of a communities record; node labels are node indices. */
export function recordGraph(c: Pick<CommunitiesRecord, 'n' | 'edges'>): Graph {
  return Graph.fromEdges(
    { n: c.n, sources: c.edges.source, targets: c.edges.target, weights: c.edges.weight, labels: Array.from({ length: c.n }, (_, k) => String(k)) },
    { directed: true, symmetrize: true },
  );
}

/**
 * The graph downstream stages use: the `perNode * n` strongest couplings of an inference record
 * (by its significance score, as `InferResult.edges` ranks them), with the negative-weight
 * policy. 'auto' chooses |w| (see docs/report.md) and says why.
 */
export function couplingGraph(inf: Pick<InferRecord, 'n' | 'weight' | 'score'>, perNode: number, negative: 'auto' | 'abs' | 'drop'): { edges: CommunitiesRecord['edges']; negative: NegativePolicy } {
  const n = inf.n;
  const ranked: { a: number; b: number; w: number; s: number }[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const w = inf.weight[a * n + b];
      if (a !== b && Number.isFinite(w) && w !== 0) ranked.push({ a, b, w, s: inf.score[a * n + b] });
    }
  }
  ranked.sort((x, y) => y.s - x.s || x.a - y.a || x.b - y.b);
  const kept = ranked.slice(0, Math.round(perNode * n));
  const negatives = kept.filter((e) => e.w < 0).length;
  const policy = negative === 'drop' ? 'drop' : 'abs';
  const reason =
    negative === 'auto'
      ? 'chosen by analyze: diffusion needs non-negative weights, and a negative (inhibitory-like) coupling is still a coupling, so its strength |w| is kept rather than the edge dropped'
      : `set in the config (communities.negative = ${negative})`;
  const use = policy === 'drop' ? kept.filter((e) => e.w > 0) : kept;
  return {
    edges: { source: use.map((e) => e.a), target: use.map((e) => e.b), weight: use.map((e) => Math.abs(e.w)) },
    negative: { policy, reason, negativeEdges: negatives, keptEdges: kept.length },
  };
}

/** Binary patterns of the chosen graph nodes (columns in node order) and how they were made. */
function sitePatterns(act: Activity, inf: InferRecord, sites: number[], cfg: AnalyzeConfig): { patterns: PatternMatrix; binSeconds: number | null; binarize: string } {
  const ids = sites.map((k) => inf.ids[k]);
  if (act.kind === 'spikes') {
    const row = new Map(act.ids.map((id, r) => [id, r]));
    const sub = { kind: 'spikes' as const, ids, times: ids.map((id) => act.times[row.get(id)!]) };
    const p = binSpikes(sub, cfg.mps.binSeconds, { cap: 1 });
    return { patterns: p.patterns, binSeconds: cfg.mps.binSeconds, binarize: `spikes in ${cfg.mps.binSeconds * 1e3} ms bins, 1 = at least one spike` };
  }
  const { samples } = act;
  const rowOf = new Map((act.ids ?? Array.from({ length: act.neurons }, (_, i) => i)).map((id, r) => [id, r]));
  const data = new Uint8Array(samples * ids.length);
  ids.forEach((id, col) => {
    const r = rowOf.get(id)!;
    let m = 0;
    let q = 0;
    for (let s = 0; s < samples; s++) (m += act.data[r * samples + s]), (q += act.data[r * samples + s] ** 2);
    m /= samples;
    const sd = Math.sqrt(Math.max(0, q / samples - m * m));
    for (let s = 0; s < samples; s++) if (sd > 0 && (act.data[r * samples + s] - m) / sd > cfg.mps.threshold) data[s * ids.length + col] = 1;
  });
  const dt = act.rate ? 1 / act.rate : null;
  return { patterns: { rows: samples, sites: ids.length, data }, binSeconds: dt, binarize: `dense samples, 1 = z-score above ${cfg.mps.threshold}` };
}

/** The `count` most active graph nodes (spike count, or summed positive z-score), in node order. */
function activeSites(act: Activity, inf: InferRecord, count: number): number[] {
  const activity = new Map<number, number>();
  if (act.kind === 'spikes') act.ids.forEach((id, r) => activity.set(id, act.times[r].length));
  else {
    const ids = act.ids ?? Array.from({ length: act.neurons }, (_, i) => i);
    ids.forEach((id, r) => {
      let v = 0;
      for (let s = 0; s < act.samples; s++) v += act.data[r * act.samples + s];
      activity.set(id, v);
    });
  }
  return inf.ids
    .map((id, k) => ({ k, a: activity.get(id) ?? 0 }))
    .sort((x, y) => y.a - x.a || x.k - y.k)
    .slice(0, Math.min(count, inf.n))
    .map((s) => s.k)
    .sort((a, b) => a - b);
}

type StageFn = (ctx: Ctx) => Promise<unknown>;

/** The largest connected component of the graph; a skip when it is too small to renormalise. */
function componentOf(c: CommunitiesRecord): Graph {
  const lc = recordGraph(c).largestComponent();
  if (lc.n < 3) throw new SkipStage(`the inferred graph's largest connected component has ${lc.n} node(s) (${c.edges.source.length} couplings kept): nothing to renormalise`);
  return lc;
}

const RUN: Record<Exclude<StageName, 'report'>, StageFn> = {
  async activity(ctx) {
    const act = await ctx.activity();
    if (act.kind === 'spikes' && act.times.every((t) => t.length === 0)) throw new InvalidInputError(`${ctx.input}: no spikes`);
    return activityRecord(act, path.basename(ctx.input));
  },
  async infer(ctx) {
    const act = await ctx.activity();
    const o = ctx.cfg.infer;
    const common = { ...ctx.run, method: o.method, binSeconds: o.binSeconds, maxLag: o.maxLag ?? undefined, surrogates: o.surrogates ?? undefined, alpha: o.alpha, seed: o.seed, generator: false };
    if (act.kind === 'raster') return inferRecord(await inferDense(act, common), 'dense', o.alpha);
    const total = act.times.reduce((a, t) => a + t.length, 0);
    const neurons = new Float64Array(total);
    const times = new Float64Array(total);
    let k = 0;
    act.ids.forEach((id, row) => {
      for (const t of act.times[row]) (neurons[k] = id), (times[k++] = t);
    });
    return inferRecord(await inferSpikes({ neurons, times }, common), 'spikes', o.alpha);
  },
  async communities(ctx) {
    const inf = ctx.get('infer');
    const o = ctx.cfg.communities;
    const g = couplingGraph(inf, o.edgesPerNeuron, o.negative);
    const graph = recordGraph({ n: inf.n, edges: g.edges });
    const comm = await leiden(graph, { ...ctx.run, seed: o.seed, resolution: o.resolution ?? undefined });
    const order = await communityOrdering(graph, comm.labels, ctx.run);
    const rec: CommunitiesRecord = {
      n: inf.n,
      ids: inf.ids,
      edges: g.edges,
      negative: g.negative,
      labels: Array.from(comm.labels),
      count: comm.communities,
      modularity: comm.modularity,
      order: Array.from(order.order),
    };
    return rec;
  },
  async scan(ctx) {
    const lc = componentOf(ctx.get('communities'));
    const o = ctx.cfg.scan;
    const r = await spectralScan(lc, { ...ctx.run, method: o.method, laplacian: o.laplacian, tauCount: o.tauCount, probes: o.probes ?? undefined, steps: o.steps ?? undefined, seed: o.seed });
    return scanRecord(r, lc.labels.map(Number));
  },
  async flow(ctx) {
    const lc = componentOf(ctx.get('communities'));
    const o = ctx.cfg.flow;
    const r = await rgFlow(lc, { ...ctx.run, policy: 'fraction', fraction: o.fraction, rule: o.rule, steps: o.steps });
    return flowRecord(r, lc.labels.map(Number), o.rule, o.fraction);
  },
  async mps(ctx) {
    const act = await ctx.activity();
    const inf = ctx.get('infer');
    const comm = ctx.get('communities');
    const o = ctx.cfg.mps;
    const sites = activeSites(act, inf, o.sites);
    if (sites.length < 2) throw new SkipStage(`fewer than 2 neurons in the inferred graph`);
    const { patterns, binSeconds, binarize } = sitePatterns(act, inf, sites, ctx.cfg);
    const col = new Map(sites.map((k, c) => [k, c]));
    const communityOrder = comm.order.filter((k) => col.has(k)).map((k) => col.get(k)!);
    const fit = { chi: o.chi, seed: o.seed, maxHalfSweeps: o.maxHalfSweeps, ...ctx.run };
    const byCommunity = await fitMps(reorderPatterns(patterns, communityOrder), { ...fit, baselines: true, onProgress: progressStage(ctx.run.onProgress, 0, 0.5) });
    const byIdentity = await fitMps(patterns, { ...fit, onProgress: progressStage(ctx.run.onProgress, 0.5, 1) });
    const rec: MpsRecord = {
      sites,
      binSeconds,
      patterns: patterns.rows,
      chi: o.chi,
      binarize,
      orderings: [mpsOrdering('community', byCommunity), mpsOrdering('identity', byIdentity)],
      nllIndependent: byCommunity.nllIndependent,
      nllIsing: byCommunity.nllIsing,
    };
    return rec;
  },
  async dtnr(ctx) {
    const act = await ctx.activity();
    const inf = ctx.get('infer');
    const sites = ctx.get('mps').sites;
    const o = ctx.cfg.dtnr;
    const { patterns } = sitePatterns(act, inf, sites, ctx.cfg);
    const sub = siteSubgraph(recordGraph(ctx.get('communities')), sites).graph;
    const r = await dtnr(patterns, sub, { ...ctx.run, chi: o.chi, seed: o.seed, maxHalfSweeps: o.maxHalfSweeps, samples: o.samples });
    return dtnrRecord(r, o.chi);
  },
  async dynamics(ctx) {
    const flow = ctx.get('flow');
    const inf = ctx.get('infer');
    const act = await ctx.activity();
    // the flow's supernodes as groups of the activity's rows; rows outside the flow's component
    // are left out of the coarse scales (-1)
    const rowIds = act.kind === 'spikes' ? act.ids : (act.ids ?? Array.from({ length: act.neurons }, (_, i) => i));
    const rowOf = new Map(rowIds.map((id, r) => [id, r]));
    const assignments = flow.steps.map((s) => {
      const a = new Array<number>(rowIds.length).fill(-1);
      flow.nodes.forEach((node, k) => {
        const r = rowOf.get(inf.ids[node]);
        if (r !== undefined) a[r] = s.assignment[k];
      });
      return a;
    });
    const r = await effectiveDynamics(act, { ...ctx.run, ...(ctx.cfg.dynamics as DynamicsOptions), assignments });
    return dynamicsRecord(r);
  },
};

function dynamicsRecord(r: DynamicsResult): DynamicsRecord {
  return {
    scales: r.scales.map((s) => {
      const est = Object.values(s.entropyProduction).find((e) => e && Number.isFinite(e.rate));
      return { variables: s.variables, entropyProduction: est?.rate ?? NaN, timescales: s.timescales ?? [] };
    }),
  };
}

/**
 * Runs (or resumes) the analysis of `input` into `options.out`. Stages whose inputs, options and
 * upstream results did not change are not recomputed.
 */
export async function analyze(input: string, options: AnalyzeOptions): Promise<AnalyzeSummary> {
  const t0 = Date.now();
  const out = options.out;
  const cfg = mergeConfig(options.config);
  // created by the first record written: a run that fails before any stage leaves nothing
  if (existsSync(out) && !statSync(out).isDirectory()) throw new IoError(`cannot use ${out} as the output directory: it exists and is not a directory`);
  const checksum = fileChecksum(input);
  const old = options.force ? undefined : readManifest(out);
  const reusable = old && old.format === MANIFEST_FORMAT && old.kind === 'analyze' ? old : undefined;
  const manifest: Manifest = { format: MANIFEST_FORMAT, tool: 'diffrg', version: VERSION, kind: 'analyze', input: { file: path.resolve(input), ...checksum }, stages: {} };
  const memo = new Map<string, unknown>();
  let activity: Promise<Activity> | undefined;
  const run: RunOptions = { threads: options.threads, signal: options.signal };
  const ctx: Ctx = {
    input,
    cfg,
    run,
    get(stage) {
      if (!memo.has(stage)) memo.set(stage, readRecord(out, stage));
      const r = memo.get(stage);
      if (r === undefined) throw new InvalidInputError(`${out}: the ${stage} stage has no record`);
      return r as StageRecords[typeof stage];
    },
    activity: () => (activity ??= readActivity(input, readOptions(cfg))),
  };
  const summaries: StageSummary[] = [];
  let figures: AnalyzeSummary['figures'] = {};
  for (const [index, stage] of STAGES.entries()) {
    if (options.signal?.aborted) throw new AbortError();
    const upstream = Object.fromEntries(UPSTREAM[stage].map((s) => [s, manifest.stages[s]?.hash ?? 'absent']));
    const stageOpts = stage === 'activity' ? cfg.activity : cfg[stage];
    const hash = sha256(canonicalJson({ stage, format: MANIFEST_FORMAT, version: VERSION, input: stage === 'activity' ? checksum.sha256 : undefined, options: stageOpts, upstream }));
    const prev = reusable?.stages[stage];
    const event = (state: 'start' | 'done' | 'cached' | 'skipped') => options.onStage?.({ stage, index, total: STAGES.length, state });
    if (prev && prev.hash === hash && filesIntact(out, prev.files)) {
      manifest.stages[stage] = prev;
      summaries.push({ stage, status: 'cached', hash, seconds: 0, ...(prev.reason ? { reason: prev.reason } : {}) });
      if (stage === 'report') figures = figurePaths(out, prev.files);
      event('cached');
      continue;
    }
    event('start');
    const s0 = Date.now();
    let entry: StageEntry;
    const base = { hash, options: stageOpts, upstream };
    const upstreamSkipped = UPSTREAM[stage].find((s) => manifest.stages[s]?.status === 'skipped' && stage !== 'report');
    try {
      if (upstreamSkipped) throw new SkipStage(`the ${upstreamSkipped} stage was skipped`);
      if (stage === 'report') {
        await writeManifest(out, manifest); // the report reads the finished stages from it
        const rep = await writeReport(out, { png: cfg.report.png });
        figures = rep.figures;
        entry = { ...base, files: rep.files, status: 'done', seconds: (Date.now() - s0) / 1000, finishedAt: new Date().toISOString() };
      } else {
        const record = await RUN[stage]({ ...ctx, run: { ...run, onProgress: options.onProgress } });
        memo.set(stage, record);
        const files = await writeRecord(out, stage, record);
        entry = { ...base, files, status: 'done', seconds: (Date.now() - s0) / 1000, finishedAt: new Date().toISOString() };
        // choices analyze made itself are recorded next to the options that asked for them
        if (stage === 'communities') entry.decisions = { negative: (record as CommunitiesRecord).negative };
      }
    } catch (err) {
      if (!(err instanceof SkipStage)) throw err;
      entry = { ...base, files: {}, status: 'skipped', reason: err.message, seconds: (Date.now() - s0) / 1000, finishedAt: new Date().toISOString() };
    }
    manifest.stages[stage] = entry;
    // the record is on disk before the manifest names it: an interrupted run resumes here
    await writeManifest(out, manifest);
    summaries.push({ stage, status: entry.status === 'skipped' ? 'skipped' : 'ran', hash, seconds: entry.seconds, ...(entry.reason ? { reason: entry.reason } : {}) });
    event(entry.status === 'skipped' ? 'skipped' : 'done');
  }
  await writeManifest(out, manifest);
  const comm = manifest.stages.communities?.status === 'done' ? readRecord<CommunitiesRecord>(out, 'communities') : undefined;
  return {
    input,
    out,
    version: VERSION,
    stages: summaries,
    ran: summaries.filter((s) => s.status === 'ran').map((s) => s.stage),
    negativePolicy: comm?.negative ?? null,
    report: path.join(out, 'report.html'),
    figures,
    manifest: path.join(out, 'manifest.json'),
    seconds: (Date.now() - t0) / 1000,
    warnings: (activity ? (await activity.catch(() => undefined))?.guessed : undefined) ?? [],
  };
}

function figurePaths(out: string, files: Record<string, string>): AnalyzeSummary['figures'] {
  const figs: AnalyzeSummary['figures'] = {};
  for (const rel of Object.keys(files)) {
    const m = /^figures\/(.+)\.(svg|png)$/.exec(rel);
    if (!m) continue;
    figs[m[1]] ??= { svg: path.join(out, 'figures', `${m[1]}.svg`) };
    if (m[2] === 'png') figs[m[1]].png = path.join(out, rel);
  }
  return figs;
}
