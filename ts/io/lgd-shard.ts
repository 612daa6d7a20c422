/**
 * Shard files of a sharded LGD run (`diffrg infer --method lgd --shard i/K --out FILE`): the
 * shard's surrogate statistics, on shard 0 also the fit, plus the settings of the run so that
 * `diffrg merge` can check that the shards belong together. Typed arrays are stored as JSON
 * arrays; non-finite numbers (e.g. `mu` = Infinity when there is no latent part) as strings.
 */
import { readFileSync } from 'node:fs';
import type native = require('../native');
import { ParseError } from '../errors';
import { writeFileAtomic } from './atomic';
import { readJsonFile } from './slq-shard';

export const LGD_SHARD_FORMAT = 'diffrg-lgd-shard';

export interface LgdShardRun {
  /** The activity file (as given) and its SHA-256. */
  input: string;
  inputSha256: string;
  /** Options of the run that change the result (and the CSV written by the merge). */
  options: { method: 'lgd'; binSeconds: number; maxLag?: number; surrogates?: number; seed?: number; alpha: number; all: boolean; generator: boolean };
}

export interface LgdShardFile {
  format: typeof LGD_SHARD_FORMAT;
  version: 1;
  diffrgVersion: string;
  shard: { index: number; count: number };
  run: LgdShardRun;
  /** Neuron ids in index order and the bin (sample period) in seconds. */
  ids: number[];
  binSeconds: number;
  input: 'dense' | 'spikes';
  /** The native result (shard 0: the fit without the null; its `lgdShard` holds the part). */
  result: native.InferResultJs;
}

const TYPED: Record<string, 'f64' | 'u32' | 'u8'> = {
  weight: 'f64',
  sparseWeight: 'f64',
  zscore: 'f64',
  pvalue: 'f64',
  qvalue: 'f64',
  score: 'f64',
  lag: 'u32',
  hiddenTargetLoadings: 'f64',
  generator: 'f64',
  surrogates: 'f64',
  stat: 'f64',
  centred: 'f64',
  invWhiteSd: 'f64',
  selected: 'u8',
};

function replacer(_key: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : String(x)));
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

function reviver(key: string, v: unknown): unknown {
  const num = (x: unknown) => (typeof x === 'string' && ['Infinity', '-Infinity', 'NaN'].includes(x) ? Number(x) : x);
  if (Array.isArray(v) && TYPED[key]) {
    const vals = v.map(num) as number[];
    return TYPED[key] === 'f64' ? Float64Array.from(vals) : TYPED[key] === 'u32' ? Uint32Array.from(vals) : Uint8Array.from(vals);
  }
  return num(v);
}

export async function writeLgdShardFile(file: string, f: LgdShardFile): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(f, replacer) + '\n');
}

/** Reads a shard file; `ParseError` naming the file when it is not one. */
export function readLgdShardFile(file: string): LgdShardFile {
  const f = readJsonFile(file, reviver) as LgdShardFile;
  if (f?.format !== LGD_SHARD_FORMAT || f.version !== 1 || typeof f.result?.lgdShard !== 'object' || typeof f.run !== 'object') {
    throw new ParseError(`not a diffrg LGD shard file (format '${f?.format}', version ${f?.version})`, { file });
  }
  return f;
}

/** The `format` field of a shard file (to tell SLQ and LGD shards apart), or undefined. */
export function shardFormat(file: string): string | undefined {
  try {
    const m = /"format"\s*:\s*"([^"]+)"/.exec(readFileSync(file, 'utf8').slice(0, 200));
    return m?.[1];
  } catch {
    return undefined;
  }
}

