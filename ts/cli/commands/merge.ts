/**
 * `diffrg merge`: merges the pieces of a split computation. Shard files of a sharded SLQ scan
 * (`diffrg scan --shard i/K --out FILE`) become one scan, equal to the unsharded run; a sweep
 * directory (`diffrg sweep`) becomes its results table (same as `diffrg sweep merge DIR`). Shard
 * files of a sharded LGD run (`diffrg infer --method lgd --shard i/K --out FILE`) become the
 * graph CSV of the unsharded run (`--out graph.csv`, required).
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { mergeSlqShards, scanJson, scanSvg } from '../../spectral';
import { writeFileAtomic } from '../../io/atomic';
import { checkSameRun, readSlqShardFile } from '../../io/slq-shard';
import { LGD_SHARD_FORMAT, readLgdShardFile, shardFormat } from '../../io/lgd-shard';
import { mergeLgdShards } from '../../infer-shard';
import { writeGraphCsv } from '../../infer';
import { mergeSweep } from '../../sweep';
import { addCommonOptions, info, printJson, writeJson, UsageError } from '../common';

interface MergeCliOptions {
  out?: string;
  plot?: string;
  json?: boolean;
  threads?: number;
  partial?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('merge')
    .description('merge SLQ or LGD shard files into one scan or graph, or a sweep directory into its results table')
    .argument('<paths...>', 'the K shard files of one `scan --shard i/K` or `infer --shard i/K` run, or one sweep directory')
    .option('--out <file>', 'shards: write the merged scan (as `scan --out`) or graph CSV (as `infer --out`)')
    .option('--plot <file.svg>', 'shards: write an SVG plot of the merged scan (as `scan --plot`)')
    .option('--partial', 'sweep: write the table of the tasks done so far instead of failing on missing ones');
  addCommonOptions(cmd).action(async (paths: string[], o: MergeCliOptions) => {
    if (paths.length === 1 && isDir(paths[0])) {
      if (o.out || o.plot) throw new UsageError('--out and --plot are for shard files; a sweep merge writes DIR/results.csv and DIR/results.jsonl');
      const r = await mergeSweep(paths[0], { partial: o.partial });
      if (o.json) printJson(r);
      else info(`${paths[0]}: ${r.rows} rows -> ${r.csv}, ${r.jsonl}`);
      return;
    }
    if (paths.some(isDir)) throw new UsageError('give either one sweep directory or shard files');
    if (shardFormat(paths[0]) === LGD_SHARD_FORMAT) {
      await mergeLgd(paths, o);
      return;
    }
    const files = paths.map((file) => ({ file, shard: readSlqShardFile(file) }));
    checkSameRun(files);
    const run = files[0].shard.run;
    const r = await mergeSlqShards(
      files.map((f) => f.shard.data),
      { laplacian: run.options.laplacian, tauMin: run.options.tauMin, tauMax: run.options.tauMax, tauCount: run.options.tauCount, threads: o.threads },
    );
    if (o.out) await writeJson(o.out, r);
    if (o.plot) await writeFileAtomic(o.plot, await scanSvg(r, run.input));
    if (o.json) printJson(scanJson(r));
    else info(`${run.input}: merged ${files.length} shards: N = ${r.n}, ${r.probes} probes x ${r.steps} steps; plateau C = ${r.plateau.level.toFixed(4)} over ${r.plateau.decades.toFixed(2)} decades`);
  });
}

async function mergeLgd(paths: string[], o: MergeCliOptions): Promise<void> {
  if (!o.out) throw new UsageError('merging LGD shards needs --out <graph.csv>');
  if (o.plot) throw new UsageError('--plot is for SLQ scans');
  const files = paths.map((file) => ({ file, shard: readLgdShardFile(file) }));
  checkSameRun(files);
  const f0 = files[0].shard;
  const run = f0.run.options;
  const r = mergeLgdShards(
    files.map((f) => f.shard.result),
    f0.ids,
    f0.binSeconds,
    { alpha: run.alpha },
  );
  const edges = r.edges(run.all ? 1 : run.alpha);
  await writeGraphCsv(o.out, edges, r.ids);
  const summary = { method: r.method, neurons: r.n, bins: r.nBins, shards: files.length, surrogates: f0.result.lgdShard!.part.total, edgesWritten: edges.length, significantEdges: run.all ? r.edges(run.alpha).length : edges.length, alpha: run.alpha, hiddenRank: r.hidden.rank, out: o.out };
  if (o.json) printJson(summary);
  else info(`${f0.run.input}: merged ${files.length} lgd shards (${summary.surrogates} surrogates): ${summary.significantEdges} edges significant at FDR ${run.alpha}; wrote ${edges.length} edges to ${o.out}`);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
