/**
 * `diffrg infer <activity> [--bin 5ms] [--method lgd|correlation|partial-correlation|var]
 * [--max-lag P] --out graph.csv [--json]`: directed graph from a spike table.
 * `graph.csv` has `source,target,weight,pvalue` (`source` influences `target`), written
 * atomically; by default only edges significant at FDR `--alpha` are listed (`--all`: every pair).
 */
import { Command, Option } from 'commander';
import { inferSpikes, readSpikeTable, writeGraphCsv, type InferMethod } from '../../infer';
import { addCommonOptions, info, intOption, numberOption, printJson, UsageError } from '../common';

const METHODS: InferMethod[] = ['lgd', 'correlation', 'partial-correlation', 'var'];

/** Parses `5ms`, `0.005s`, `500us` or a bare number of seconds. */
export function parseDuration(value: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(ms|s|us|µs)?\s*$/i.exec(value);
  if (!m) throw new UsageError(`--bin must be a duration like 5ms, 0.005s or 500us (got '${value}')`);
  const v = Number(m[1]) * ({ ms: 1e-3, s: 1, us: 1e-6, 'µs': 1e-6 }[(m[2] ?? 's').toLowerCase()] ?? 1);
  if (!(v > 0) || !Number.isFinite(v)) throw new UsageError(`--bin must be positive (got '${value}')`);
  return v;
}

interface Opts {
  bin: number;
  method: InferMethod;
  maxLag?: number;
  out: string;
  alpha: number;
  all?: boolean;
  surrogates?: number;
  seed?: number;
  generator: boolean;
  json?: boolean;
  threads?: number;
}

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('infer')
      .description('infer a signed directed graph (source influences target) from spike activity')
      .argument('<activity>', 'spike table: CSV/TSV with neuron,time_s columns, or an (n, 2) NPY [neuron, time_s]')
      .addOption(new Option('--bin <duration>', 'bin width (5ms, 0.005s, 500us)').default(0.005, '5ms').argParser(parseDuration))
      .addOption(new Option('--method <method>', 'inference method').choices(METHODS).default('lgd'))
      .addOption(new Option('--max-lag <p>', 'VAR order in bins (lgd, var)').argParser(intOption('--max-lag')))
      .requiredOption('--out <file>', 'output graph CSV (source,target,weight,pvalue)')
      .addOption(new Option('--alpha <q>', 'FDR level of the listed edges').default(0.05).argParser(numberOption('--alpha', true)))
      .option('--all', 'list every ordered pair, not only significant edges')
      .addOption(new Option('--surrogates <m>', 'circular time-shift surrogates').argParser(intOption('--surrogates', 2)))
      .addOption(new Option('--seed <s>', 'seed').argParser(intOption('--seed', 0)))
      .option('--no-generator', 'skip the continuous-time generator (matrix logarithm)'),
  ).action(async (activity: string, opts: Opts) => {
    if (opts.alpha > 1) throw new UsageError(`--alpha must be in (0, 1] (got ${opts.alpha})`);
    const spikes = readSpikeTable(activity);
    const r = await inferSpikes(spikes, {
      method: opts.method,
      binSeconds: opts.bin,
      maxLag: opts.maxLag,
      surrogates: opts.surrogates,
      seed: opts.seed,
      alpha: opts.alpha,
      generator: opts.generator,
      threads: opts.threads,
    });
    const edges = r.edges(opts.all ? 1 : opts.alpha);
    await writeGraphCsv(opts.out, edges);
    const significant = opts.all ? r.edges(opts.alpha).length : edges.length;
    const summary = {
      method: r.method,
      directed: r.directed,
      neurons: r.n,
      bins: r.nBins,
      binSeconds: r.binSeconds,
      spikes: r.totalSpikes,
      edgesWritten: edges.length,
      significantEdges: significant,
      alpha: opts.alpha,
      hiddenRank: r.hidden.rank,
      lambda: r.lambda,
      mu: r.mu,
      converged: r.converged,
      generatorDefined: r.generator?.defined ?? null,
      generatorReason: r.generator?.reason ?? null,
      out: opts.out,
    };
    if (opts.json) {
      printJson(summary);
      return;
    }
    info(
      `diffrg infer (${r.method}): ${r.n} neurons, ${r.nBins} bins of ${r.binSeconds * 1e3} ms, ${r.totalSpikes} spikes\n` +
        `${significant} edges significant at FDR ${opts.alpha}` +
        (r.method === 'lgd' ? `; hidden low-rank modes: ${r.hidden.rank}` : '') +
        `\nwrote ${edges.length} edges to ${opts.out}`,
    );
  });
}
