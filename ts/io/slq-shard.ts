/**
 * Shard files of a sharded SLQ scan (`diffrg scan --method slq --shard i/K --out FILE`): the
 * per-probe quadratures of one shard plus the settings of the run, so that `diffrg merge` can
 * check that the shards belong together before merging them.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError, IoError, ParseError } from '../errors';
import { writeFileAtomic } from './atomic';
import type { ScanOptions, ShardSpec, SlqShard } from '../spectral';

export const SLQ_SHARD_FORMAT = 'diffrg-slq-shard';

/** The settings every shard of one run must share (`scan`'s options and the input). */
export interface SlqShardRun {
  /** The graph file (as given) and its SHA-256. */
  input: string;
  inputSha256: string;
  /** The scan options of the run (SLQ settings and the tau grid of the merged scan). */
  options: Pick<ScanOptions, 'laplacian' | 'probes' | 'steps' | 'seed' | 'reorth' | 'deflate' | 'tauMin' | 'tauMax' | 'tauCount'>;
}

export interface SlqShardFile {
  format: typeof SLQ_SHARD_FORMAT;
  version: 1;
  diffrgVersion: string;
  shard: ShardSpec;
  run: SlqShardRun;
  data: SlqShard;
}

export async function writeSlqShardFile(file: string, f: SlqShardFile): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(f) + '\n');
}

/** Reads a shard file; `ParseError` naming the file when it is not one. */
export function readSlqShardFile(file: string): SlqShardFile {
  const f = readJsonFile(file) as SlqShardFile;
  if (f?.format !== SLQ_SHARD_FORMAT || f.version !== 1 || typeof f.data !== 'object' || typeof f.run !== 'object') {
    throw new ParseError(`not a diffrg SLQ shard file (format '${f?.format}', version ${f?.version})`, { file });
  }
  return f;
}

/** Parses a JSON file: `IoError` when it cannot be read, `ParseError` naming it when it is not JSON. */
export function readJsonFile(file: string, reviver?: (key: string, value: unknown) => unknown): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text, reviver);
  } catch (err) {
    throw new ParseError(`not JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** What every shard file (SLQ, LGD) carries to identify its run. */
export interface ShardOfRun {
  shard: ShardSpec;
  run: { input: string; inputSha256: string; options: unknown };
}

/**
 * Throws `InvalidInputError` naming the files when shards come from different runs, repeat a
 * shard or leave one out (SLQ and LGD shard files).
 */
export function checkSameRun(files: { file: string; shard: ShardOfRun }[]): void {
  const key = (s: ShardOfRun) => JSON.stringify({ sha: s.run.inputSha256, o: s.run.options, count: s.shard.count });
  const first = files[0];
  for (const f of files.slice(1)) {
    if (key(f.shard) !== key(first.shard)) {
      throw new InvalidInputError(
        `merge: ${f.file} is from another run than ${first.file} (input ${f.shard.run.input} vs ${first.shard.run.input}, options ${JSON.stringify(f.shard.run.options)} vs ${JSON.stringify(first.shard.run.options)}, ${f.shard.shard.count} vs ${first.shard.shard.count} shards)`,
      );
    }
  }
  const seen = new Map<number, string>();
  for (const f of files) {
    const other = seen.get(f.shard.shard.index);
    if (other !== undefined) throw new InvalidInputError(`merge: ${f.file} and ${other} are both shard ${f.shard.shard.index}/${f.shard.shard.count}`);
    seen.set(f.shard.shard.index, f.file);
  }
  const missing = [...Array(first.shard.shard.count).keys()].filter((i) => !seen.has(i));
  if (missing.length) throw new InvalidInputError(`merge: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${first.shard.shard.count} missing`);
}
