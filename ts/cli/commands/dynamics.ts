/**
 * `diffrg dynamics <activity> [--graph g.csv | --partition labels.csv | --pca K] [--bin 10ms]
 * [--estimators ou,var,spectral,sfi,states] [--bootstrap B] [--seed S] [--json] [--out DIR]`:
 * effective linear (Ornstein-Uhlenbeck) dynamics and entropy production of activity at every
 * scale of a coarse-graining (docs/dynamics.md). Scale 0 is the input's rows; `--graph` adds
 * the scales of its Laplacian RG flow, `--partition` one scale of `neuron,group` groups,
 * `--pca` one scale of the top-K principal components.
 */
import { type Command, Option } from 'commander';
import * as path from 'node:path';
import { DEFAULT_BIN_SECONDS, effectiveDynamics, dynamicsJson, ESTIMATORS, type Estimator, type DynamicsResult } from '../../dynamics';
import { readActivity, activityIds } from '../../io/activity';
import { readLabels } from '../../community';
import type { Graph } from '../../graph';
import { InvalidInputError } from '../../errors';
import { writeFilesAtomic } from '../../io/atomic';
import { addGraphOptions, activityGraphFromCli, type GraphCliOptions } from '../graph-options';
import { addCommonOptions, info, intOption, numberOption, jsonText, printJson, UsageError, seedOption, warn, warnActivityGuesses, withProgress } from '../common';
import { parseDuration } from './infer';

interface Opts extends GraphCliOptions {
  graph?: string;
  partition?: string;
  pca?: number;
  bin?: number;
  estimators: string;
  states?: number;
  bootstrap?: number;
  seed?: number;
  smoothing?: number;
  reduce: 'sum' | 'mean';
  steps: number;
  fraction: number;
  horizon?: number;
  out?: string;
  json?: boolean;
  threads?: number;
}

function parseEstimators(s: string): Estimator[] {
  const list = s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const e of list) if (!ESTIMATORS.includes(e as Estimator)) throw new UsageError(`--estimators: unknown estimator '${e}' (${ESTIMATORS.join(', ')})`);
  if (list.length === 0) throw new UsageError('--estimators: name at least one estimator');
  return [...new Set(list)] as Estimator[];
}

function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toPrecision(digits);
}

function summary(r: DynamicsResult, estimators: Estimator[]): string {
  const lines = [`scale  vars  PR      R2(VAR) R2(diag) slowest(s) ${estimators.map((e) => `${e}(nats/s) [CI]`.padEnd(30)).join(' ')}`];
  r.scales.forEach((s, k) => {
    const eps = estimators.map((e) => {
      const v = s.entropyProduction[e];
      return (v ? `${fmt(v.rate)} [${fmt(v.ci[0], 3)}, ${fmt(v.ci[1], 3)}]` : '-').padEnd(30);
    });
    lines.push(`${String(k).padEnd(6)} ${String(s.variables).padEnd(5)} ${fmt(s.participationRatio, 3).padEnd(7)} ${fmt(s.predictionR2, 3).padEnd(7)} ${fmt(s.predictionR2Diagonal, 3).padEnd(8)} ${fmt(s.timescales?.[0], 3).padEnd(10)} ${eps.join(' ')}`);
    for (const d of s.diagnostics) lines.push(`       note: ${d}`);
  });
  return lines.join('\n');
}

export function register(program: Command): void {
  addGraphOptions(
    addCommonOptions(
      program
        .command('dynamics')
        .description('effective Ornstein-Uhlenbeck dynamics and entropy production of activity across coarse-graining scales')
        .argument('<activity>', 'activity: CSV/TSV spike table (neuron,time), NPY/NPZ spike array or dense raster (neurons x samples), NWB Units table or RoiResponseSeries/TimeSeries')
        .option('--graph <file>', 'graph over the neurons (node ids = neuron ids): its Laplacian RG flow gives the scales')
        .option('--partition <file>', 'neuron,group CSV: one coarse scale of groups (neurons absent from the file are left out)')
        .addOption(new Option('--pca <k>', 'one coarse scale of the top-K principal components').argParser(intOption('--pca')))
        .addOption(new Option('--bin <duration>', 'bin width for spikes; sample period of dense data without a rate (10ms, 0.01s, 500us)').argParser(parseDuration))
        .option('--estimators <list>', `comma-separated estimators (${ESTIMATORS.join(', ')})`, 'ou,var,spectral')
        .addOption(new Option('--states <k>', 'number of discrete states of the states estimator').argParser(intOption('--states', 2)))
        .addOption(new Option('--bootstrap <b>', 'block-bootstrap replicates of the intervals (0: none; default 100)').argParser(intOption('--bootstrap', 0)))
        .addOption(new Option('--seed <s>', 'seed of the bootstrap').argParser(seedOption()))
        .addOption(new Option('--smoothing <duration>', 'causal exponential smoothing time constant (10ms, 0.1s)').argParser(parseDuration))
        .addOption(new Option('--reduce <how>', 'a group is the sum or the mean of its neurons').choices(['sum', 'mean']).default('sum'))
        .addOption(new Option('--horizon <k>', 'frames ahead of the held-out prediction (default 1)').argParser(intOption('--horizon')))
        .option('--steps <n>', 'RG flow steps (--graph)', intOption('--steps', 1, 0xffffffff), 8)
        .option('--fraction <f>', 'supernodes kept per RG step (--graph)', numberOption('--fraction'), 0.5)
        .option('--out <dir>', 'write dynamics.json and scales.csv into this directory'),
    ),
  ).action(async (activity: string, opts: Opts, cmd: Command) => {
    const given = [opts.graph, opts.partition, opts.pca].filter((x) => x !== undefined).length;
    if (given > 1) throw new UsageError('--graph, --partition and --pca are alternatives: give at most one');
    if (opts.bootstrap === 1) throw new UsageError('--bootstrap must be 0 or at least 2');
    if (!(opts.fraction > 0 && opts.fraction < 1)) throw new UsageError(`--fraction must be in (0, 1) (got ${opts.fraction})`);
    const estimators = parseEstimators(opts.estimators);
    if (opts.states !== undefined && !estimators.includes('states')) warn('--states applies to the states estimator only');
    const act = await readActivity(activity);
    warnActivityGuesses(act, activity, opts.bin ?? DEFAULT_BIN_SECONDS, opts.bin !== undefined);
    const ids = activityIds(act);
    let assignments: number[][] | undefined;
    let graph: Graph | undefined;
    if (opts.partition !== undefined) {
      const labels = await readLabels(opts.partition);
      const known = new Set(ids.map(String));
      for (const id of labels.keys()) if (!known.has(id)) throw new InvalidInputError(`${opts.partition}: neuron '${id}' is not in ${activity}`);
      const groups = new Map<string, number>();
      assignments = [ids.map((id) => {
        const g = labels.get(String(id));
        if (g === undefined) return -1;
        if (!groups.has(g)) groups.set(g, groups.size);
        return groups.get(g)!;
      })];
    } else if (opts.graph !== undefined) {
      graph = await activityGraphFromCli(opts.graph, opts, cmd, ids, activity);
    }
    const r = await withProgress('dynamics', (onProgress) =>
      effectiveDynamics(act, {
        binSeconds: opts.bin,
        estimators,
        bootstrap: opts.bootstrap,
        seed: opts.seed,
        smoothing: opts.smoothing,
        reduce: opts.reduce,
        horizon: opts.horizon,
        assignments,
        graph,
        flow: { policy: 'fraction', fraction: opts.fraction, steps: opts.steps, curvePoints: 0 },
        pca: opts.pca,
        states: opts.states,
        threads: opts.threads,
        onProgress,
      }),
    );
    const json = dynamicsJson(r);
    if (opts.out) {
      const head = ['scale', 'variables', 'frames', 'binSeconds', 'participationRatio', 'predictionR2', 'predictionR2Diagonal', 'slowestTimescale', ...estimators.flatMap((e) => [e, `${e}CiLow`, `${e}CiHigh`])];
      const rows = r.scales.map((s, k) => [k, s.variables, s.frames, s.binSeconds, s.participationRatio, s.predictionR2, s.predictionR2Diagonal, s.timescales?.[0] ?? null, ...estimators.flatMap((e) => {
        const v = s.entropyProduction[e];
        return v ? [v.rate, v.ci[0], v.ci[1]] : [null, null, null];
      })].map((x) => (x === null || (typeof x === 'number' && !Number.isFinite(x)) ? '' : String(x))).join(','));
      await writeFilesAtomic([
        { file: path.join(opts.out, 'scales.csv'), data: [head.join(','), ...rows].join('\n') + '\n' },
        { file: path.join(opts.out, 'dynamics.json'), data: jsonText({ ...json, ids: r.ids, assignments: r.assignments, taus: r.taus ?? null, flowStopped: r.flowStopped ?? null }) },
      ]);
    }
    if (opts.json) {
      printJson(json);
      return;
    }
    info(`diffrg dynamics: ${r.scales[0].variables} variables, ${r.scales[0].frames} frames of ${r.scales[0].binSeconds * 1e3} ms, ${r.scales.length} scale(s)${r.flowStopped ? ` (flow: ${r.flowStopped})` : ''}\n${summary(r, estimators)}${opts.out ? `\nwrote ${opts.out}/dynamics.json and scales.csv` : ''}`);
  });
}
