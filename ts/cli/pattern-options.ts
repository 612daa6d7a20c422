/** Pattern-input options shared by `mps fit` and `dtnr` (`--input --cap --bin`). */
import { InvalidInputError } from '../errors';
import { loadPatterns, parseBin, type LoadPatternsOptions, type LoadedPatterns, type PatternInput } from '../patterns';
import { UsageError, warn } from './common';

export interface PatternCliOptions {
  input: PatternInput;
  cap?: number;
  bin?: string;
}

/** Validates `--input`, `--cap` and `--bin` (usage errors, exit 2) into loader options. */
export function patternLoadOptions(opts: PatternCliOptions): LoadPatternsOptions {
  if (!['auto', 'patterns', 'activity'].includes(opts.input)) throw new UsageError(`--input must be auto, patterns or activity (got '${opts.input}')`);
  if (opts.cap !== undefined && opts.cap > 255) throw new UsageError(`--cap must be at most 255 (got ${opts.cap})`);
  let bin: number | undefined;
  if (opts.bin !== undefined) {
    try {
      bin = parseBin(opts.bin, '--bin');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { bin, input: opts.input, cap: opts.cap };
}

/** Loads the patterns named on the command line, printing its warnings; an input without any time bin is an error. */
export async function loadCliPatterns(file: string, options: LoadPatternsOptions): Promise<LoadedPatterns> {
  const loaded = await loadPatterns(file, options);
  for (const w of loaded.warnings ?? []) warn(w);
  if (loaded.patterns.rows === 0) throw new InvalidInputError(`${file}: no patterns (time bins)`);
  return loaded;
}
