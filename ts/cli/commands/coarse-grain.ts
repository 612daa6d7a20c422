/**
 * `diffrg coarse-grain <graph> --tau T [--rule real-space|mode-count|equilibrium] [--steps K]
 * [--json] [--out dir]`: Laplacian-RG supernodes and flows (docs/laplacian-rg-supernodes.md).
 *
 * `--json` prints `{ labels[], steps: [{ n, edges, tau, assignment[] }] }`: `labels[i]` is the
 * id of node i of the loaded graph (after the graph options) and `assignment[i]` its supernode
 * after that step.
 */
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { Graph } from '../../graph';
import { InvalidInputError } from '../../errors';
import { collapseWarning, rgFlow, type RgFlowResult, type RgRule, type RgMethod, type TauPolicy } from '../../rg';
import type { LaplacianKind } from '../../spectral';
import { writeFilesAtomic } from '../../io/atomic';
import { addCommonOptions, info, intOption, numberOption, jsonText, printJson, UsageError, warn, withProgress } from '../common';
import { addGraphOptions, loadGraphFromCli, type GraphCliOptions } from '../graph-options';
import { LIMITS } from '../../limits';

interface Opts extends GraphCliOptions {
  tau?: number;
  rule: RgRule;
  steps: number;
  laplacian: LaplacianKind;
  method: RgMethod;
  policy: TauPolicy;
  fraction?: number;
  weighted?: boolean;
  json?: boolean;
  out?: string;
  threads?: number;
}

const GENERATORS: Record<string, (a: number[]) => Graph> = {
  ring: ([n]) => Graph.ring(n),
  torus: ([side, dims = 2]) => Graph.torus(side, dims),
  ba: ([n, m = 2, seed = 1]) => Graph.barabasiAlbert(n, m, seed),
  er: ([n, k = 4, seed = 1]) => Graph.erdosRenyi(n, k, seed),
  tree: ([n, seed = 1]) => Graph.randomTree(n, seed),
  pseudofractal: ([steps]) => Graph.pseudofractal(steps),
};

/**
 * Loads `<graph>`: a generated graph `gen:<family>:<args>` (ring:N, torus:SIDE[:DIMS],
 * ba:N[:M[:SEED]], er:N[:K[:SEED]], tree:N[:SEED], pseudofractal:STEPS), or a graph file through
 * the shared graph readers (the same loader and options as `diffrg scan`).
 */
async function loadGraph(spec: string, o: Opts): Promise<Graph> {
  if (spec.startsWith('gen:')) {
    const [family, ...rest] = spec.slice(4).split(':');
    const make = GENERATORS[family];
    const args = rest.map(Number);
    if (!make || args.some((x) => !Number.isFinite(x)) || args.length === 0) {
      throw new UsageError(`<graph> '${spec}': expected gen:<family>:<args> with family one of ${Object.keys(GENERATORS).join(', ')}`);
    }
    // Generated graphs are undirected and unweighted: --unweighted/--symmetrize change nothing.
    let g: Graph;
    try {
      g = make(args);
    } catch (err) {
      // bad sizes are usage errors naming the spec; too-large graphs stay TooLargeError (exit 1)
      if (err instanceof InvalidInputError) throw new UsageError(`<graph> '${spec}': ${err.message}`);
      throw err;
    }
    return o.largestComponent ? g.largestComponent() : g;
  }
  return (await loadGraphFromCli(spec, o)).graph;
}

export function register(program: Command): void {
  const cmd = program
    .command('coarse-grain')
    .description('Laplacian-RG supernodes: coarse-grain a graph K times and report the assignments')
    .argument('<graph>', 'graph file, or gen:<family>:<args> (ring, torus, ba, er, tree, pseudofractal)')
    .addOption(new Option('--tau <t>', 'diffusion time tau (required with --policy fixed)').argParser(numberOption('--tau')))
    .addOption(new Option('--rule <rule>', 'supernode rule').choices(['real-space', 'mode-count', 'equilibrium']).default('real-space'))
    .addOption(new Option('--steps <k>', 'number of coarse-graining steps').argParser(intOption('--steps', 1, LIMITS.rgSteps)).default(1))
    .addOption(new Option('--laplacian <kind>', 'Laplacian').choices(['combinatorial', 'normalized', 'random-walk']).default('combinatorial'))
    .addOption(new Option('--method <m>', 'kernel entries: dense, local (sparse, real-space) or auto').choices(['auto', 'dense', 'local']).default('auto'))
    .addOption(new Option('--policy <p>', 'tau per step').choices(['fixed', 'strongest-transition', 'fraction']).default('fixed'))
    .addOption(new Option('--fraction <f>', 'with --policy fraction: keep at most round(f N) supernodes per step').argParser(numberOption('--fraction', true)))
    .option('--weighted', 'feed the next step the contracted graph with summed weights (default: unweighted, as in Villegas et al. 2023)')
    .option('--out <dir>', 'write flow.json (all steps, degree histograms, C(tau) curves) and assignments.csv into this directory');
  addGraphOptions(cmd);
  addCommonOptions(cmd).action(async (spec: string, o: Opts) => {
    if (o.policy === 'fixed' && o.tau === undefined) throw new UsageError('--tau is required (or choose --policy strongest-transition|fraction)');
    if (o.tau !== undefined && o.tau < 0) throw new UsageError(`--tau must be >= 0 (got ${o.tau})`);
    if (o.policy === 'fraction' && !(o.fraction !== undefined && o.fraction > 0 && o.fraction < 1)) {
      throw new UsageError('--policy fraction needs --fraction in (0, 1)');
    }
    const g = await loadGraph(spec, o);
    const r = await withProgress('coarse-graining', (onProgress) =>
      rgFlow(g, {
        tau: o.tau,
        rule: o.rule,
        steps: o.steps,
        laplacian: o.laplacian,
        method: o.method,
        policy: o.policy,
        fraction: o.fraction,
        unweighted: !o.weighted,
        curvePoints: o.out ? 100 : 0,
        threads: o.threads,
        onProgress,
      }),
    );
    const collapsed = collapseWarning([r.initial.n, ...r.steps.map((s) => s.n)], r.steps.map((s) => s.tau));
    if (collapsed) warn(collapsed);
    const labels = g.labels;
    if (o.out) await writeOut(o.out, labels, r);
    if (o.json) {
      printJson({ labels, steps: r.steps.map((s) => ({ n: s.n, edges: s.edges, tau: s.tau, assignment: s.assignment })) });
      return;
    }
    info(`diffrg coarse-grain: ${spec} (N = ${r.initial.n}, edges = ${r.initial.edges}), rule ${o.rule}`);
    console.log(['step', 'N', 'edges', '<k>', 'tau'].map((s, k) => s.padEnd([6, 10, 10, 10, 12][k])).join(''));
    console.log(['0', String(r.initial.n), String(r.initial.edges), r.initial.meanDegree.toFixed(3), '-'].map((s, k) => s.padEnd([6, 10, 10, 10, 12][k])).join(''));
    r.steps.forEach((s, i) =>
      console.log([String(i + 1), String(s.n), String(s.edges), s.meanDegree.toFixed(3), s.tau.toPrecision(4)].map((x, k) => x.padEnd([6, 10, 10, 10, 12][k])).join('')),
    );
    if (r.stopped) info(`stopped early: ${r.stopped}`);
  });
}

async function writeOut(dir: string, labels: string[], r: RgFlowResult): Promise<void> {
  const header = ['node', ...r.steps.map((_, k) => `step${k + 1}`)].join(',');
  const rows = labels.map((l, i) => [csvField(l), ...r.steps.map((s) => String(s.assignment[i]))].join(','));
  // one set: a failure writes neither file
  await writeFilesAtomic([
    { file: path.join(dir, 'assignments.csv'), data: [header, ...rows].join('\n') + '\n' },
    { file: path.join(dir, 'flow.json'), data: jsonText({ labels, ...r }) },
  ]);
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
