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
 *
 * Signed graphs (`diffrg infer` output) need no flag: unless `--negative` is given, the edges are
 * weighted by the `zscore` column when the header has one (else `--weight-column`, default the
 * third column), and negative weights follow Dale's principle (`negative: 'dale'`): a node whose
 * outgoing weights sum below zero is a net-negative (inhibitory) source, forms a community of its
 * own with the other such nodes, and its out-edges are left out; Leiden runs on the positive
 * edges of the other nodes, read as undirected (W + W^T) unless `--directed` is given, after
 * the profile augmentation (`--profile`, on for such z-scored infer output unless `--no-profile`
 * or `--directed`): each z-score weight plus the cosine similarity of the two nodes' coupling
 * profiles (docs/communities.md).
 */
import { closeSync, openSync, readSync } from 'node:fs';
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
  profile?: boolean;
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
      .option('--profile', 'Leiden on the weights plus the cosine similarity of the nodes\' neighbourhood profiles (default for z-scored infer output)')
      .option('--no-profile', 'Leiden on the weights alone')
      .addOption(new Option('--seed <S>', 'random seed').argParser(seedOption()).default(42)),
  )).action(async (file: string, opts: Opts, cmd: Command) => {
    if (opts.resolution < 0) throw new UsageError(`--resolution must be >= 0 (got ${opts.resolution})`);
    if (opts.tau !== undefined && opts.method !== 'lrg') throw new UsageError('--tau applies to --method lrg only');
    const signedDefault = cmd.getOptionValueSource('negative') !== 'cli';
    const weightColumn = opts.weightColumn ?? (signedDefault && headerHasZscore(file) ? 'zscore' : undefined);
    const { graph, negativeSources } = await loadGraphFromCli(file, { ...opts, weightColumn, negative: signedDefault ? 'dale' : opts.negative });
    if (negativeSources && negativeSources.length > 0) info(`${file}: ${negativeSources.length} net-negative source(s) (outgoing weights summing below zero) form a community of their own; negative edges dropped`);
    // signed infer output (z-scores + Dale): profile augmentation unless told otherwise
    const profile = opts.profile ?? (weightColumn === 'zscore' && signedDefault && opts.method === 'leiden' && !opts.directed);
    if (profile && opts.method !== 'leiden') throw new UsageError('--profile applies to --method leiden only');
    const truth = opts.truth ? await readLabels(opts.truth) : undefined;
    const r = await withProgress('communities', (onProgress) =>
      analyzeCommunities(graph, { method: opts.method, tau: opts.tau, resolution: opts.resolution, seed: opts.seed, threads: opts.threads, truth, negativeSources, profile, onProgress }),
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

/** Whether the first non-comment line of an edge list (its header) names a `zscore` column. */
function headerHasZscore(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(1 << 16);
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    const line = text.split(/\r?\n/).find((l) => l.trim() !== '' && !/^\s*[#%]/.test(l));
    return !!line?.split(/[,;\t]/).some((f) => f.trim().replace(/^"(.*)"$/, '$1').toLowerCase() === 'zscore');
  } catch {
    return false; // the reader reports the unreadable file
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A CSV field, quoted when it holds a separator or a quote. */
function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
