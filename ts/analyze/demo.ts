/**
 * `diffrg demo --out DIR`: the demo's intermediate results as analysis records (the same layout
 * `diffrg analyze` writes), so that `diffrg report DIR` draws the demo like a recording.
 */
import type { SpikeTrains } from '../io/activity';
import type { InferResult } from '../infer';
import type { LeidenResult, Ordering } from '../community';
import type { ScanResult } from '../spectral';
import type { RgFlowResult } from '../rg';
import type { MpsFitResult } from '../mps';
import type { DtnrResult } from '../dtnr';
import type { InferredEdge } from '../infer';
import { ensureDir } from '../io/atomic';
import { MANIFEST_FORMAT, writeManifest, writeRecord, type Manifest } from './cache';
import { activityRecord, dtnrRecord, flowRecord, inferRecord, mpsOrdering, scanRecord, type CommunitiesRecord, type MpsRecord } from './records';
import { writeReport, type ReportResult } from '../report';

/** What runDemo computed, in its own terms (graph labels are simulator neuron ids). */
export interface DemoParts {
  seed: number;
  network: unknown;
  spikes: SpikeTrains;
  lgd: InferResult;
  /** The kept couplings (signed) the demo's graph was built from. */
  edges: InferredEdge[];
  comm: LeidenResult;
  order: Ordering;
  scan: ScanResult;
  /** Simulator ids of the scanned component's nodes (= the flow's nodes). */
  componentIds: number[];
  flow: RgFlowResult;
  flowOptions: { rule: string; fraction: number; steps: number };
  mps: { ids: number[]; binSeconds: number; patterns: number; chi: number; byCommunity: MpsFitResult; byIdentity: MpsFitResult; options: unknown };
  dtnr: { result: DtnrResult; chi: number; options: unknown };
}

/** Writes DIR/stages/*.json, DIR/manifest.json and the report of a demo run. */
export async function writeDemoRecords(out: string, p: DemoParts, options: { png?: boolean } = {}): Promise<ReportResult> {
  await ensureDir(out);
  const version: string = require('../../package.json').version;
  const node = new Map(p.lgd.ids.map((id, k) => [id, k]));
  const comm: CommunitiesRecord = {
    n: p.lgd.n,
    ids: p.lgd.ids.slice(),
    edges: { source: p.edges.map((e) => node.get(e.source)!), target: p.edges.map((e) => node.get(e.target)!), weight: p.edges.map((e) => Math.abs(e.weight)) },
    negative: { policy: 'abs', reason: 'the demo keeps |w| of its strongest couplings', negativeEdges: p.edges.filter((e) => e.weight < 0).length, keptEdges: p.edges.length },
    labels: Array.from(p.comm.labels),
    count: p.comm.communities,
    modularity: p.comm.modularity,
    order: Array.from(p.order.order),
  };
  const nodes = p.componentIds.map((id) => node.get(id)!);
  const mps: MpsRecord = {
    sites: p.mps.ids.map((id) => node.get(id)!),
    binSeconds: p.mps.binSeconds,
    patterns: p.mps.patterns,
    chi: p.mps.chi,
    binarize: `spikes in ${p.mps.binSeconds * 1e3} ms bins, 1 = at least one spike`,
    orderings: [mpsOrdering('community', p.mps.byCommunity), mpsOrdering('identity', p.mps.byIdentity)],
    nllIndependent: p.mps.byCommunity.nllIndependent,
    nllIsing: p.mps.byCommunity.nllIsing,
  };
  const records: [string, unknown, unknown][] = [
    ['activity', activityRecord(p.spikes, `diffrg demo (seed ${p.seed}), observed neurons`), {}],
    ['infer', inferRecord(p.lgd, 'spikes', 0.05), { method: 'lgd', binSeconds: p.lgd.binSeconds }],
    ['communities', comm, { edgesPerNeuron: 4, negative: 'abs' }],
    ['scan', scanRecord(p.scan, nodes), { tauCount: p.scan.tau.length }],
    ['flow', flowRecord(p.flow, nodes, p.flowOptions.rule, p.flowOptions.fraction), p.flowOptions],
    ['mps', mps, p.mps.options],
    ['dtnr', dtnrRecord(p.dtnr.result, p.dtnr.chi), p.dtnr.options],
  ];
  const manifest: Manifest = { format: MANIFEST_FORMAT, tool: 'diffrg', version, kind: 'demo', input: { simulation: { seed: p.seed, network: p.network } }, stages: {} };
  for (const [stage, record, opts] of records) {
    const files = await writeRecord(out, stage, record);
    manifest.stages[stage] = { hash: Object.values(files)[0], options: opts, upstream: {}, files, status: 'done', seconds: 0, finishedAt: new Date().toISOString() };
  }
  manifest.stages.dynamics = { hash: '', options: {}, upstream: {}, files: {}, status: 'skipped', reason: 'the demo does not run the dynamics stage', seconds: 0, finishedAt: new Date().toISOString() };
  await writeManifest(out, manifest);
  const rep = await writeReport(out, options);
  manifest.stages.report = { hash: '', options, upstream: {}, files: rep.files, status: 'done', seconds: 0, finishedAt: new Date().toISOString() };
  await writeManifest(out, manifest);
  return rep;
}
