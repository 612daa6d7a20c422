/**
 * `diffrg dtnr`: the RG flow of a tensor-train model of joint spike-pattern probabilities along
 * the supernodes of a Laplacian RG flow of the graph. See docs/dtnr.md.
 */
import type { Command } from 'commander';
import * as path from 'node:path';
import { dtnr, type DtnrBlock, type DtnrResult } from '../../dtnr';
import { encodeMps, type MpsKind } from '../../mps';
import { collapseWarning } from '../../rg';
import { inferPatternGraph, siteSubgraph } from '../../patterns';
import { loadCliPatterns, patternLoadOptions, type PatternCliOptions } from '../pattern-options';
import { readGraph } from '../../io/graph';
import type { Graph } from '../../graph';
import { InvalidInputError } from '../../errors';
import { writeFilesAtomic } from '../../io/atomic';
import { addCommonOptions, info, intOption, numberOption, jsonText, printJson, UsageError, seedOption, warn, withProgress } from '../common';
import { DEFAULTS } from '../../defaults';

const D = DEFAULTS.dtnr;
import { LIMITS } from '../../limits';

interface DtnrCliOpts extends PatternCliOptions {
  graph?: string;
  chi: number;
  block: string;
  blockCap: number;
  steps: number;
  fraction: number;
  heldout: number;
  samples: number;
  seed: number;
  direct: boolean;
  kind: string;
  out?: string;
  json?: boolean;
  threads?: number;
}

/** The per-scale record of the JSON contract (stable names first). */
function scaleJson(r: DtnrResult) {
  return r.scales.map((s, t) => ({
    scale: s.scale,
    variables: s.variables,
    entropyBits: s.entropyBits,
    entropyPerVariable: s.entropyPerVariable,
    multiInformationBits: s.multiInformationBits,
    nllHeldout: s.nllHeldout,
    truncationError: s.truncationError,
    nllDirect: s.nllDirectHeldout,
    nllIndependent: s.nllIndependent,
    nllTrain: s.nllTrain,
    nllDirectTrain: s.nllDirectTrain,
    heldoutFloored: s.heldoutFloored,
    entropyExact: s.entropyExact,
    entropyStderr: s.entropyStderr,
    entropyStdError: s.entropyStdError,
    entropyCi: [s.entropyCiLow, s.entropyCiHigh],
    multiInformationCi: [s.multiInformationCiLow, s.multiInformationCiHigh],
    stateSpaceLog2: s.stateSpaceLog2,
    parameters: s.parameters,
    bondDims: s.bondDims,
    bondDimsBefore: s.bondDimsBefore,
    bondEntropies: s.bondEntropies,
    negativeMass: s.negativeMass,
    negativeMassStderr: s.negativeMassStderr,
    negativeMassStdError: s.negativeMassStdError,
    negativeMassLowerBound: s.negativeMassLowerBound,
    negativeMassEstimated: s.negativeMassEstimated,
    siteEntropies: s.siteEntropies,
    distinctTrain: s.distinctTrain,
    tau: t === 0 ? null : r.taus?.[t - 1] ?? null,
    members: s.members,
  }));
}

const CSV_FIELDS = [
  'scale', 'variables', 'stateSpaceLog2', 'parameters', 'entropyBits', 'entropyStdError', 'entropyExact', 'entropyPerVariable', 'multiInformationBits',
  'truncationError', 'negativeMass', 'negativeMassLowerBound', 'negativeMassEstimated', 'nllTrain', 'nllHeldout', 'nllDirect', 'nllIndependent', 'heldoutFloored', 'maxBondEntropy',
] as const;

function csv(rows: ReturnType<typeof scaleJson>): string {
  const lines = [CSV_FIELDS.join(',')];
  for (const r of rows) {
    const rec: Record<string, unknown> = { ...r, maxBondEntropy: Math.max(0, ...r.bondEntropies) };
    lines.push(CSV_FIELDS.map((f) => {
      const v = rec[f];
      return typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
    }).join(','));
  }
  return lines.join('\n') + '\n';
}

/** The files `dtnr --out DIR` writes (an earlier run's ones that a new run does not write are removed). */
const DTNR_OUTPUTS = [/^(model|direct)-scale\d+\.npz$/, /^scales\.(json|csv)$/, /^order\.csv$/];

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('dtnr <activity>')
      .description('RG flow of a tensor-train model of joint spike-pattern probabilities along Laplacian-RG supernodes (activity: spike table / NPY / NPZ / NWB, or a 0/1 pattern matrix)')
      .option('--graph <file>', 'graph over the neurons (node ids = neuron ids / column indices); default: inferred from the same data (correlation)')
      .option('--bin <width>', 'bin width for activity input (5ms, 0.005s, 500us)')
      .option('--cap <n>', 'largest count per bin and site of the input (default 1 = binary)', intOption('--cap'))
      .option('--input <kind>', 'auto | patterns | activity', 'auto')
      .option('--chi <n>', 'bond-dimension limit of the fits and of every recompression', intOption('--chi', 1, LIMITS.chi), D.chi)
      .option('--block <map>', 'block variable: any (any spike in the block) | count (spike count, capped at --block-cap)', D.block)
      .option('--block-cap <n>', 'cap of the count block map', intOption('--block-cap'), D.cap)
      .option('--steps <n>', 'RG flow steps (stops early at one supernode)', intOption('--steps', 1, LIMITS.rgSteps), D.flowSteps)
      .option('--fraction <f>', 'supernodes kept per RG step (tau by bisection)', numberOption('--fraction'), D.flowFraction)
      .option('--heldout <f>', 'held-out fraction of the consistency check', numberOption('--heldout'), D.heldout)
      .option('--samples <n>', 'samples of the sampled entropy / negative-mass estimates', intOption('--samples', 2, LIMITS.samples), D.samples)
      .option('--seed <s>', 'seed of the splits and estimates', seedOption(), D.seed)
      .option('--no-direct', 'skip the direct fits of the consistency check')
      .option('--kind <kind>', 'model of scale 0 and of the direct fits: born (Born machine) | probability (non-negative train learned by EM) | mixture (EM trains + latent classes + Born machine, as in mps fit)', D.kind)
      .option('--out <dir>', 'write scales.json, scales.csv, order.csv and the models (NPZ) into this directory'),
  ).action(async (activity: string, opts: DtnrCliOpts, cmd: Command) => {
    if (!['born', 'probability', 'mixture'].includes(opts.kind)) throw new UsageError(`--kind must be born, probability or mixture (got '${opts.kind}')`);
    if (opts.block !== 'any' && opts.block !== 'count') throw new UsageError(`--block must be any or count (got '${opts.block}')`);
    if (opts.block !== 'count' && cmd.getOptionValueSource('blockCap') === 'cli') throw new UsageError('--block-cap applies to --block count only');
    if (!(opts.fraction > 0 && opts.fraction < 1)) throw new UsageError(`--fraction must be in (0, 1) (got ${opts.fraction})`);
    if (!(opts.heldout > 0 && opts.heldout < 1)) throw new UsageError(`--heldout must be in (0, 1) (got ${opts.heldout})`);
    if (opts.blockCap > 255) throw new UsageError(`--block-cap must be at most 255 (got ${opts.blockCap})`);
    const loadOptions = patternLoadOptions(opts);
    const loaded = await loadCliPatterns(activity, loadOptions);
    let graph: Graph;
    let graphSource: 'given' | 'inferred';
    if (opts.graph !== undefined) {
      const sub = siteSubgraph(readGraph(opts.graph, { negative: 'abs' }).graph, loaded.ids);
      if (sub.matched === 0) throw new InvalidInputError(`${opts.graph}: none of the graph's node ids matches a site id of ${activity}`);
      graph = sub.graph;
      graphSource = 'given';
    } else {
      graph = await inferPatternGraph(loaded, { seed: opts.seed, threads: opts.threads }).catch((err: unknown) => {
        if (err instanceof InvalidInputError) throw new InvalidInputError(`${activity}: ${err.message} with --graph`, { cause: err });
        throw err;
      });
      graphSource = 'inferred';
    }
    const r = await withProgress('dtnr', (onProgress) =>
      dtnr(loaded.patterns, graph, {
        chi: opts.chi,
        block: opts.block as DtnrBlock,
        cap: opts.blockCap,
        heldout: opts.heldout,
        samples: opts.samples,
        seed: opts.seed,
        direct: opts.direct,
        kind: opts.kind as MpsKind | 'mixture',
        flow: { policy: 'fraction', fraction: opts.fraction, steps: opts.steps, curvePoints: 0 },
        threads: opts.threads,
        onProgress,
      }),
    );
    const scales = scaleJson(r);
    const collapsed = collapseWarning(scales.map((s) => s.variables));
    if (collapsed) warn(collapsed);
    const siteIds = r.order.map((k) => loaded.ids[k]);
    const out = {
      scales,
      sites: loaded.patterns.sites,
      patterns: loaded.patterns.rows,
      nTrain: r.nTrain,
      nValidation: r.nValidation,
      nHeldout: r.nHeldout,
      chi: opts.chi,
      block: opts.block,
      blockCap: opts.block === 'count' ? opts.blockCap : null,
      graph: graphSource,
      graphEdges: graph.edges,
      order: siteIds,
      ...(r.flowStopped ? { flowStopped: r.flowStopped } : {}),
      ...(opts.out ? { out: opts.out } : {}),
    };
    if (opts.out) {
      const dir = opts.out;
      // one set, scales.json (the record that lists the run) last: a run that fails while writing
      // writes nothing, and the models of an earlier run into the same directory that this run
      // does not replace (a longer flow's model-scale7.npz) are removed
      await writeFilesAtomic(
        [
          ...r.models.map((m, t) => ({ file: path.join(dir, `model-scale${t}.npz`), data: encodeMps(m) })),
          ...r.direct.map((m, t) => ({ file: path.join(dir, `direct-scale${t}.npz`), data: encodeMps(m) })),
          { file: path.join(dir, 'scales.csv'), data: csv(scales) },
          { file: path.join(dir, 'order.csv'), data: 'site,id\n' + siteIds.map((id, p) => `${p},${id}`).join('\n') + '\n' },
          { file: path.join(dir, 'scales.json'), data: jsonText(out) },
        ],
        { dir, own: DTNR_OUTPUTS },
      );
    }
    if (opts.json) {
      printJson(out);
      return;
    }
    const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '-');
    info(`${loaded.patterns.sites} sites, ${loaded.patterns.rows} patterns (train ${r.nTrain}, validation ${r.nValidation}, held-out ${r.nHeldout}); graph ${graphSource} (${graph.edges} edges); chi ${opts.chi}, block ${opts.block}`);
    console.log('scale  vars  log2|S|  params   H (bits)      H/var   MI (bits)  trunc.err  neg.mass  NLL flowed  NLL direct  NLL indep');
    for (const s of scales) {
      const h = s.entropyExact ? f(s.entropyBits) : `${f(s.entropyBits)}±${f(1.96 * s.entropyStdError, 2)}`;
      console.log(
        `${String(s.scale).padStart(5)} ${String(s.variables).padStart(5)} ${f(s.stateSpaceLog2, 0).padStart(8)} ${String(s.parameters).padStart(7)} ${h.padStart(12)} ${f(s.entropyPerVariable).padStart(8)} ${f(s.multiInformationBits).padStart(10)} ${s.truncationError.toExponential(2).padStart(10)} ${((s.negativeMassEstimated ? '~' : '') + s.negativeMass.toExponential(1)).padStart(9)} ${f(s.nllHeldout).padStart(11)} ${f(s.nllDirect).padStart(11)} ${f(s.nllIndependent).padStart(10)}`,
      );
    }
    if (scales.some((s) => s.negativeMassEstimated)) info('~ negative mass estimated by importance sampling (state space above 2^20); the marginal lower bound is in --json');
    if (r.flowStopped) info(`RG flow ended early: ${r.flowStopped}`);
    if (opts.out) info(`records and models written to ${opts.out}`);
  });
}
