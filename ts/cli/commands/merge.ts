/**
 * `diffrg merge`: merges the pieces of a split computation. Shard files of a sharded SLQ scan
 * (`diffrg scan --shard i/K --out FILE`) become one scan, equal to the unsharded run; a sweep
 * directory (`diffrg sweep`) becomes its results table (same as `diffrg sweep merge DIR`).
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { mergeSlqShards, scanJson, scanSvg } from '../../spectral';
import { writeFileAtomic } from '../../io/atomic';
import { checkSameRun, readSlqShardFile } from '../../io/slq-shard';
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
    .description('merge SLQ shard files into one scan, or a sweep directory into its results table')
    .argument('<paths...>', 'the K shard files of one `scan --shard i/K` run, or one sweep directory')
    .option('--out <file.json>', 'shards: write the merged scan (as `scan --out`)')
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
    if (paths.some(isDir)) throw new UsageError('give either one sweep directory or SLQ shard files');
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

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
