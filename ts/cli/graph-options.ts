/** Graph-file options shared by every graph command (`scan`, `coarse-grain`, ...). */
import { type Command, Option } from 'commander';
import { readGraphAsync, type GraphFormat, type LoadedGraph, type NegativePolicy } from '../io/graph';
import { UsageError, warn } from './common';
import { siteSubgraph } from '../patterns';
import type { Graph } from '../graph';
import { InvalidInputError } from '../errors';

export interface GraphCliOptions {
  unweighted?: boolean;
  symmetrize?: boolean;
  largestComponent?: boolean;
  directed?: boolean;
  keepSelfLoops?: boolean;
  format?: GraphFormat;
  header?: boolean;
  negative?: NegativePolicy;
  sourceColumn?: string;
  targetColumn?: string;
  weightColumn?: string;
}

/** Adds `--unweighted --symmetrize --largest-component --directed --keep-self-loops --negative --format --header`. */
export function addGraphOptions(cmd: Command): Command {
  return cmd
    .option('--unweighted', 'ignore edge weights (every edge weight 1)')
    .option('--symmetrize', 'treat directed edges as undirected (A + A^T)')
    .option('--largest-component', 'keep only the largest connected component')
    .option('--directed', 'read edges as directed (source -> target)')
    .option('--keep-self-loops', 'keep self-loops (dropped by default)')
    .option('--header', 'the first data line of an edge list is a header (default: detected)')
    .option('--source-column <name|index>', 'edge lists: the source column, by header name or 0-based index (default 0)')
    .option('--target-column <name|index>', 'edge lists: the target column (default 1)')
    .option('--weight-column <name|index>', 'edge lists: the weight column, e.g. `count` of a pre,post,type,count connectome (default 2, when present)')
    .addOption(new Option('--negative <how>', 'negative weights (signed graphs such as `diffrg infer` output): error, abs (use |w|) or drop').choices(['error', 'abs', 'drop']).default('error'))
    .addOption(new Option('--format <format>', 'input format (default: from the extension and contents)').choices(['auto', 'edges', 'dense', 'npy', 'mtx']));
}

/** Loads the graph named on the command line, reporting dropped items on stderr. */
export async function loadGraphFromCli(file: string, o: GraphCliOptions): Promise<LoadedGraph> {
  if (!file) throw new UsageError('a graph file is required');
  // the async reader lets a signal interrupt the parse of a large file
  const loaded = await readGraphAsync(file, {
    format: o.format,
    header: o.header ? true : 'auto',
    directed: o.directed ? true : undefined,
    symmetrize: o.symmetrize,
    unweighted: o.unweighted,
    dropSelfLoops: !o.keepSelfLoops,
    largestComponent: o.largestComponent,
    negative: o.negative,
    sourceColumn: o.sourceColumn,
    targetColumn: o.targetColumn,
    weightColumn: o.weightColumn,
  });
  if (loaded.warnings.count > 0) warn(`${file}: ${loaded.warnings.messages.join('; ')}`);
  return loaded;
}

/**
 * The graph of `--graph` over an activity file's neurons (node ids = neuron ids, other nodes
 * dropped). Signed graphs (`diffrg infer` output) are read as |w| unless `--negative` is given,
 * as in dtnr.
 */
export async function activityGraphFromCli(file: string, o: GraphCliOptions, cmd: Command, ids: number[], activity: string): Promise<Graph> {
  const negative = cmd.getOptionValueSource('negative') === 'cli' ? o.negative : 'abs';
  const sub = siteSubgraph((await loadGraphFromCli(file, { ...o, negative })).graph, ids);
  if (sub.matched === 0) throw new InvalidInputError(`${file}: none of the graph's node ids matches a neuron id of ${activity}`);
  return sub.graph;
}
