/**
 * `diffrg mps fit` and `diffrg mps logprob`: tensor-train (Born machine) models of joint
 * spike-pattern probabilities. See docs/mps.md.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fitMps, loadMps, mpsLogProb, randomOrder, readPatterns, reorderPatterns, saveMps } from '../../mps';
import { addCommonOptions, info, intOption, numberOption, printJson, UsageError } from '../common';

function parseOrder(spec: string, n: number, seed: number): { name: string; order: number[] } {
  if (spec === 'identity') return { name: 'identity', order: Array.from({ length: n }, (_, i) => i) };
  if (spec === 'random') return { name: 'random', order: randomOrder(n, seed) };
  if (spec === 'community') {
    throw new UsageError("--order community needs the community-ordering module, which this build does not include yet; pass --order FILE with the ordering (one site index per line or comma-separated)");
  }
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch {
    throw new UsageError(`--order must be identity, random, community or a readable FILE (got '${spec}')`);
  }
  const order = text.split(/[\s,;]+/).filter((s) => s !== '').map(Number);
  return { name: spec, order };
}

export function register(program: Command): void {
  const mps = program.command('mps').description('tensor-train (Born machine) models of joint spike-pattern probabilities');

  addCommonOptions(
    mps
      .command('fit <activity>')
      .description('fit a Born machine to a 0/1 (or count) pattern matrix (CSV or NPY; rows = patterns, columns = sites)')
      .option('--bin <width>', 'bin width for spike-time input (e.g. 5ms)')
      .option('--order <order>', 'site order: identity | random | community | FILE', 'identity')
      .option('--chi <n>', 'maximum bond dimension', intOption('--chi'), 32)
      .option('--seed <s>', 'seed of the split, the random order and AIS', intOption('--seed', 0), 0)
      .option('--validation <f>', 'held-out fraction', numberOption('--validation'), 0.2)
      .option('--no-baselines', 'skip the independent and Ising baselines')
      .requiredOption('--out <model.npz>', 'where to write the model (NPZ)'),
  ).action(async (activity: string, opts: { bin?: string; order: string; chi: number; seed: number; validation: number; baselines: boolean; out: string; json?: boolean; threads?: number }) => {
    if (opts.bin !== undefined) {
      throw new UsageError('--bin applies to spike-time activity input, which needs the activity module (not in this build); pass a pattern matrix (CSV or NPY) instead');
    }
    if (!(opts.validation >= 0 && opts.validation < 1)) throw new UsageError(`--validation must be in [0, 1) (got ${opts.validation})`);
    const raw = readPatterns(activity);
    const { name, order } = parseOrder(opts.order, raw.sites, opts.seed);
    const patterns = reorderPatterns(raw, order);
    const r = await fitMps(patterns, { chi: opts.chi, seed: opts.seed, validation: opts.validation, baselines: opts.baselines, threads: opts.threads });
    await saveMps(opts.out, r.model);
    const out = {
      sites: r.sites,
      chi: r.chi,
      nllTrain: r.nllTrain,
      nllHeldout: r.nllHeldout,
      nllIndependent: r.nllIndependent,
      nllIsing: r.nllIsing,
      bondEntropies: r.bondEntropies,
      order: name,
      siteOrder: order,
      patterns: raw.rows,
      nTrain: r.nTrain,
      nHeldout: r.nHeldout,
      nDistinctTrain: r.nDistinctTrain,
      nllIndependentTrain: r.nllIndependentTrain,
      nllIsingTrain: r.nllIsingTrain,
      isingLogZSe: r.isingLogZSe,
      halfSweeps: r.history.length,
      maxBond: Math.max(...r.model.bondDims),
      out: opts.out,
    };
    if (opts.json) {
      printJson(out);
      return;
    }
    const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '-');
    console.log(`sites ${r.sites}, patterns ${raw.rows} (train ${r.nTrain}, held-out ${r.nHeldout}, distinct train ${r.nDistinctTrain}), order ${name}, chi ${r.chi}`);
    console.log('NLL (bits/pattern)      train     held-out');
    console.log(`MPS (Born machine)  ${f(r.nllTrain).padStart(10)} ${f(r.nllHeldout).padStart(12)}`);
    console.log(`independent         ${f(r.nllIndependentTrain).padStart(10)} ${f(r.nllIndependent).padStart(12)}`);
    console.log(`Ising (PL)          ${f(r.nllIsingTrain).padStart(10)} ${f(r.nllIsing).padStart(12)}`);
    console.log(`max bond entropy ${f(Math.max(...r.bondEntropies, 0))} bits; model written to ${opts.out}`);
  });

  addCommonOptions(
    mps.command('logprob <model> <patterns>').description('print log2 P of every pattern row (CSV or NPY) under a saved model'),
  ).action(async (modelFile: string, patternFile: string, opts: { json?: boolean; threads?: number }) => {
    const model = loadMps(modelFile);
    const patterns = readPatterns(patternFile);
    const lp = await mpsLogProb(model, patterns, { threads: opts.threads });
    if (opts.json) {
      printJson({ rows: patterns.rows, log2Prob: Array.from(lp) });
      return;
    }
    info(`${patterns.rows} patterns, log2 P:`);
    process.stdout.write(Array.from(lp, (v) => (Number.isFinite(v) ? v.toPrecision(10) : String(v))).join('\n') + '\n');
  });
}
