/**
 * `diffrg communities <graph> [--method leiden] [--resolution R] [--truth labels.csv] [--json]`
 *
 * Leiden communities of a graph file (edge list `source,target[,weight,...]` or a square
 * adjacency matrix CSV), a community-based node ordering, modularity, and ARI/NMI against
 * reference labels (`node,label` CSV). `--json` prints
 * `{ labels[], community[], order[], modularity, ari?, nmi? }` (plus a few diagnostics):
 * `labels[k]` is the id of node k, `community[k]` its community, `order` a permutation of node
 * indices. `--method lrg` uses Laplacian-RG supernodes (real-space rule) just past the
 * strongest entropy transition (`--tau` overrides the diffusion time).
 */
import { type Command, Option } from 'commander';
import { analyzeCommunities, readLabels } from '../../community';
import { InvalidInputError } from '../../errors';
import { writeFileAtomic } from '../../io/atomic';
import { addGraphOptions, loadGraphFromCli, type GraphCliOptions } from '../graph-options';
import { addCommonOptions, info, numberOption, printJson, UsageError, seedOption, warn, withProgress } from '../common';

interface Opts extends GraphCliOptions {
  method: 'leiden' | 'lrg';
  tau?: number;
  resolution: number;
  truth?: string;
  out?: string;
  seed: number;
  json?: boolean;
  threads?: number;
}

export function register(program: Command): void {
  addCommonOptions(addGraphOptions(
    program
      .command('communities')
      .description('Leiden communities, community-based node order, modularity and agreement with reference labels')
      .argument('<graph>', 'graph file: edge list CSV/TSV (source,target[,weight,...]) or square adjacency matrix CSV')
      .addOption(new Option('--method <method>', 'leiden (modularity) or lrg (Laplacian-RG supernodes at the entropy transition)').choices(['leiden', 'lrg']).default('leiden'))
      .addOption(new Option('--tau <T>', 'lrg: diffusion time (default: just past the strongest entropy transition, see docs/communities.md)').argParser(numberOption('--tau', true)))
      .addOption(new Option('--resolution <R>', 'modularity resolution (>= 0; larger gives more communities)').argParser(numberOption('--resolution')).default(1))
      .option('--truth <labels.csv>', 'reference labels (node,label) to compare with (ARI, NMI)')
      .option('--out <labels.csv>', 'write node,community,rank (rank = position in the community order), readable by --truth and --partition')
      .addOption(new Option('--seed <S>', 'random seed').argParser(seedOption()).default(42)),
  )).action(async (file: string, opts: Opts) => {
    if (opts.resolution < 0) throw new UsageError(`--resolution must be >= 0 (got ${opts.resolution})`);
    if (opts.tau !== undefined && opts.method !== 'lrg') throw new UsageError('--tau applies to --method lrg only');
    const { graph } = await loadGraphFromCli(file, opts);
    const truth = opts.truth ? await readLabels(opts.truth) : undefined;
    const r = await withProgress('communities', (onProgress) =>
      analyzeCommunities(graph, { method: opts.method, tau: opts.tau, resolution: opts.resolution, seed: opts.seed, threads: opts.threads, truth, onProgress }),
    ).catch((err: unknown) => {
      // name the labels file when none of its ids matches a graph node
      if (err instanceof InvalidInputError && /reference label/.test(err.message)) throw new InvalidInputError(`${opts.truth} vs ${file}: ${err.message}`, { cause: err });
      throw err;
    });
    if (r.communities === 1 && graph.n > 1) warn(`all ${graph.n} nodes fell into one community (try a larger --resolution)`);
    if (opts.out) {
      const rank = new Array<number>(r.labels.length);
      r.order.forEach((node, k) => (rank[node] = k));
      const rows = r.labels.map((id, k) => `${csvField(id)},${r.community[k]},${rank[k]}`);
      await writeFileAtomic(opts.out, `node,community,rank\n${rows.join('\n')}\n`);
    }
    if (opts.json) {
      printJson(r);
      return;
    }
    const counts = new Array<number>(r.communities).fill(0);
    for (const c of r.community) counts[c]++;
    const sizes = counts; // communities are numbered by decreasing size
    info(`graph: ${graph.n} nodes, ${graph.edges} edges (${graph.directed ? 'directed' : 'undirected'})`);
    console.log(`communities: ${r.communities} (sizes ${sizes.slice(0, 20).join(', ')}${sizes.length > 20 ? ', ...' : ''})`);
    console.log(`modularity (resolution ${r.resolution}): ${r.modularity.toFixed(4)}`);
    if (r.ari !== undefined) console.log(`vs ${opts.truth} (${r.compared} nodes): ARI ${r.ari.toFixed(4)}, NMI ${r.nmi!.toFixed(4)}`);
  });
}

/** A CSV field, quoted when it holds a separator or a quote. */
function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
