/**
 * `diffrg mps fit` and `diffrg mps logprob`: tensor-train (Born machine) models of joint
 * spike-pattern probabilities. See docs/mps.md.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { fitMps, loadMps, mpsLogProb, reorderPatterns, saveMps, type MpsKind } from '../../mps';
import { loadPatternsForModel, siteOrder } from '../../patterns';
import { loadCliPatterns, patternLoadOptions, type PatternCliOptions } from '../pattern-options';
import { readGraph } from '../../io/graph';
import { InvalidInputError } from '../../errors';
import { addCommonOptions, info, intOption, numberOption, printJson, UsageError, seedOption, warn, withProgress } from '../common';
import { DEFAULTS } from '../../defaults';

const D = DEFAULTS.mpsFit;
import { LIMITS } from '../../limits';

interface FitOpts extends PatternCliOptions {
  order: string;
  graph?: string;
  chi: number;
  seed: number;
  validation: number;
  heldout: number;
  initMix?: number;
  smoothing?: number[];
  grow: boolean;
  kind: string;
  pseudocounts?: number[];
  restarts?: number;
  components?: number;
  bornChi?: number;
  latentClasses?: number;
  resample: boolean;
  baselines: boolean;
  out: string;
  json?: boolean;
  threads?: number;
}

/** A comma-separated list of finite numbers >= 0 for the option `flag`. */
function gridOption(flag: string): (value: string) => number[] {
  return (value) => {
    const vals = value.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
    if (vals.length === 0 || vals.some((v) => !Number.isFinite(v) || v < 0)) {
      throw new UsageError(`${flag} must be comma-separated numbers >= 0 (got '${value}')`);
    }
    return vals;
  };
}

export function register(program: Command): void {
  const mps = program.command('mps').description('tensor-train (Born machine) models of joint spike-pattern probabilities');

  addCommonOptions(
    mps
      .command('fit <activity>')
      .description('fit a Born machine to spike activity binned into patterns (CSV spike table, NPY/NPZ, NWB) or to a 0/1 (or count) pattern matrix (CSV or NPY; rows = patterns, columns = sites)')
      .option('--bin <width>', 'bin width for activity input (5ms, 0.005s, 500us); given => the input is activity (default 5ms for spike tables)')
      .option('--cap <n>', 'largest count per bin and site (default 1 = binary patterns for activity; pattern matrices are capped only when given)', intOption('--cap'))
      .option('--input <kind>', 'auto | patterns | activity', 'auto')
      .option('--order <order>', 'site order: identity | random | community | FILE (permutation of 0-based site indices)', 'identity')
      .option('--graph <file>', 'graph (node ids = neuron ids / column indices) for --order community instead of inferring one from the data')
      .option('--chi <n>', 'maximum bond dimension', intOption('--chi', 1, LIMITS.chi), D.chi)
      .option('--seed <s>', 'seed of the split, the random order, Leiden and AIS', seedOption(), D.seed)
      .option('--heldout <f>', 'test fraction (never used for fitting or selection; held-out NLLs are measured on it)', numberOption('--heldout'), D.heldout)
      .option('--validation <f>', 'validation fraction of the remaining patterns (early stopping, choice of the initial mixing weight)', numberOption('--validation'), D.validation)
      .option('--init-mix <eps>', 'fixed weight of the independent model in the initial state (default: chosen on the validation split)', numberOption('--init-mix'))
      .option('--smoothing <alphas>', `candidate weights of the smoothing pseudo-data, comma-separated, chosen on the validation split (0 = none) (default: ${D.smoothingGrid.join(',')})`, gridOption('--smoothing'))
      .option('--no-grow', 'fit at --chi directly instead of growing the bond dimension 2, 4, 8, ... on the validation split')
      .option('--kind <kind>', 'born (Born machine, two-site sweeps) | probability (non-negative train learned by EM with smoothed counts) | mixture (bagged probability trains + a latent-class model + a Born machine, weights on the validation split; one probability train)', D.kind)
      .option('--pseudocounts <lambdas>', `probability trains: Dirichlet masses per hidden state, comma-separated, chosen on the validation split (default: ${D.pseudocounts.join(',')})`, gridOption('--pseudocounts'))
      .option('--restarts <n>', `probability trains: ladders with different seeds per pseudocount, best by validation (default ${D.restarts})`, intOption('--restarts', 1, 1000))
      .option('--components <n>', `mixture: bagged probability trains (default ${D.components})`, intOption('--components', 0, 1000))
      .option('--born-chi <n>', `mixture: bond dimension of the Born-machine component, 0 = none (default ${D.bornChi})`, intOption('--born-chi', 0, LIMITS.chi))
      .option('--latent-classes <n>', `mixture: largest class count of the latent-class component (also capped by --chi), 0 = none (default ${D.latentClasses})`, intOption('--latent-classes', 0, LIMITS.chi))
      .option('--no-resample', 'mixture: fit every bagged train on the full training split (seeds differ only) instead of a bootstrap resample')
      .option('--no-baselines', 'skip the independent, Ising and K-pairwise baselines')
      .requiredOption('--out <model.npz>', 'where to write the model (NPZ)'),
  ).action(async (activity: string, opts: FitOpts) => {
    if (!(opts.validation >= 0 && opts.validation < 1)) throw new UsageError(`--validation must be in [0, 1) (got ${opts.validation})`);
    if (!(opts.heldout >= 0 && opts.heldout < 1)) throw new UsageError(`--heldout must be in [0, 1) (got ${opts.heldout})`);
    if (opts.initMix !== undefined && !(opts.initMix >= 0 && opts.initMix < 1)) throw new UsageError(`--init-mix must be in [0, 1) (got ${opts.initMix})`);
    if (!['born', 'probability', 'mixture'].includes(opts.kind)) throw new UsageError(`--kind must be born, probability or mixture (got '${opts.kind}')`);
    const loadOptions = patternLoadOptions(opts);
    if (!['identity', 'random', 'community'].includes(opts.order) && !existsSync(opts.order)) {
      throw new UsageError(`--order must be identity, random, community or a readable FILE (got '${opts.order}')`);
    }
    if (opts.graph !== undefined && opts.order !== 'community') throw new UsageError('--graph applies to --order community only');
    const mixtureFlags = [opts.components !== undefined && '--components', opts.bornChi !== undefined && '--born-chi', opts.latentClasses !== undefined && '--latent-classes', !opts.resample && '--no-resample'].filter(Boolean);
    if (mixtureFlags.length > 0 && opts.kind !== 'mixture') throw new UsageError(`${mixtureFlags.join(', ')} appl${mixtureFlags.length > 1 ? 'y' : 'ies'} to --kind mixture only`);
    const loaded = await loadCliPatterns(activity, loadOptions);
    const graph = opts.graph !== undefined ? readGraph(opts.graph, { negative: 'abs' }).graph : undefined;
    const so = await siteOrder(opts.order, loaded, { seed: opts.seed, graph, threads: opts.threads }).catch((err: unknown) => {
      if (err instanceof InvalidInputError && /cannot infer a site graph/.test(err.message)) throw new InvalidInputError(`${activity}: ${err.message} with --graph`, { cause: err });
      throw err;
    });
    const { order } = so;
    const name = so.name;
    const raw = loaded.patterns;
    const patterns = reorderPatterns(raw, order);
    const r = await withProgress('fitting', (onProgress) =>
      fitMps(patterns, {
        chi: opts.chi,
        seed: opts.seed,
        heldout: opts.heldout,
        validation: opts.validation,
        initMix: opts.initMix,
        smoothingGrid: opts.smoothing,
        grow: opts.grow,
        kind: opts.kind as MpsKind | 'mixture',
        pseudocounts: opts.pseudocounts,
        restarts: opts.restarts,
        components: opts.components,
        bornChi: opts.bornChi,
        latentClasses: opts.latentClasses,
        resample: opts.resample,
        baselines: opts.baselines,
        threads: opts.threads,
        onProgress,
      }),
    );
    // the file keeps what each site is, so that `mps logprob` scores the same columns
    const fitted = { ...r.model, input: { ids: order.map((k) => loaded.ids[k]), source: loaded.source, ...(loaded.binSeconds !== undefined ? { binSeconds: loaded.binSeconds } : {}), ...(opts.cap !== undefined ? { cap: opts.cap } : {}), order: name } };
    await saveMps(opts.out, fitted);
    const out = {
      sites: r.sites,
      kind: r.model.kind,
      chi: r.chi,
      nllTrain: r.nllTrain,
      nllTest: r.nllTest,
      nllHeldout: r.nllHeldout,
      nllIndependent: r.nllIndependent,
      nllIsing: r.nllIsing,
      bondEntropies: r.bondEntropies,
      order: name,
      siteOrder: order,
      siteIds: order.map((k) => loaded.ids[k]),
      ...(so.communities ? { communities: order.map((k) => so.communities![k]), graphSource: so.graphSource, graphEdges: so.graphEdges } : {}),
      input: loaded.source,
      ...(loaded.binSeconds !== undefined ? { binSeconds: loaded.binSeconds } : {}),
      patterns: raw.rows,
      nTrain: r.nTrain,
      nTest: r.nTest,
      nHeldout: r.nHeldout,
      nValidation: r.nValidation,
      nllValidation: r.nllValidation,
      initMix: r.initMix,
      initMixCandidates: r.initMixCandidates,
      ...(r.components.length ? { components: r.components } : {}),
      nDistinctTrain: r.nDistinctTrain,
      nllIndependentTrain: r.nllIndependentTrain,
      nllIsingTrain: r.nllIsingTrain,
      isingLogZStderr: r.isingLogZStderr,
      isingLogZSe: r.isingLogZSe,
      isingIterations: r.isingIterations,
      isingConverged: r.isingConverged,
      isingExactMl: r.isingExactMl,
      nllKPairwise: r.nllKPairwise,
      nllKPairwiseTrain: r.nllKPairwiseTrain,
      kPairwiseIterations: r.kPairwiseIterations,
      kPairwiseConverged: r.kPairwiseConverged,
      halfSweeps: r.history.length,
      maxBond: Math.max(...r.model.bondDims),
      bondDims: r.model.bondDims.slice(1, -1),
      smoothing: r.smoothing,
      curve: r.curve,
      ...(r.warning ? { warning: r.warning } : {}),
      out: opts.out,
    };
    if (r.warning) warn(r.warning);
    if (opts.json) {
      printJson(out);
      return;
    }
    const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '-');
    console.log(`sites ${r.sites}, patterns ${raw.rows} (train ${r.nTrain}, validation ${r.nValidation}, test ${r.nHeldout}, distinct train ${r.nDistinctTrain}), order ${name}, chi ${r.chi}, initial mix ${r.initMix}`);
    console.log('NLL (bits/pattern)      train  held-out (test split)');
    console.log(`${r.model.kind === 'born' ? 'MPS (Born machine)' : 'MPS (probability) '}  ${f(r.nllTrain).padStart(10)} ${f(r.nllHeldout).padStart(12)}`);
    console.log(`independent         ${f(r.nllIndependentTrain).padStart(10)} ${f(r.nllIndependent).padStart(12)}`);
    console.log(`Ising (${r.isingExactMl ? 'ML' : 'PL'})          ${f(r.nllIsingTrain).padStart(10)} ${f(r.nllIsing).padStart(12)}`);
    if (Number.isFinite(r.nllKPairwise)) console.log(`K-pairwise (${r.isingExactMl ? 'ML' : 'PL'})     ${f(r.nllKPairwiseTrain).padStart(10)} ${f(r.nllKPairwise).padStart(12)}`);
    console.log(`bond dimensions: max ${Math.max(...r.model.bondDims)} (${r.model.bondDims.slice(1, -1).join(' ')}); smoothing ${r.smoothing}`);
    console.log(`max bond entropy ${f(Math.max(...r.bondEntropies, 0))} bits; model written to ${opts.out}`);
  });

  addCommonOptions(
    mps
      .command('logprob <model> <data>')
      .description("print log2 P of every pattern under a saved model: a pattern matrix (CSV or NPY) or activity binned like the model's fit; the sites are taken in the model's stored order")
      .option('--bin <width>', "bin width for activity input (default: the model's, else 5ms)")
      .option('--cap <n>', "largest count per bin and site (default: the model's)", intOption('--cap'))
      .option('--input <kind>', 'auto | patterns | activity', 'auto'),
  ).action(async (modelFile: string, dataFile: string, opts: PatternCliOptions & { json?: boolean; threads?: number }) => {
    const loadOptions = patternLoadOptions(opts);
    const model = loadMps(modelFile);
    const { patterns, warnings } = await loadPatternsForModel(dataFile, model, { ...loadOptions, bin: opts.bin === undefined ? undefined : loadOptions.bin });
    for (const w of warnings) warn(w);
    const lp = await mpsLogProb(model, patterns, { threads: opts.threads });
    if (opts.json) {
      printJson({ rows: patterns.rows, log2Prob: Array.from(lp), siteIds: model.input?.ids ?? null, warnings });
      return;
    }
    info(`${patterns.rows} patterns, log2 P:`);
    process.stdout.write(Array.from(lp, (v) => (Number.isFinite(v) ? v.toPrecision(10) : String(v))).join('\n') + '\n');
  });
}
