/** Shared CLI plumbing: exit codes, error reporting, JSON output, progress on a TTY. */
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { DiffrgError, InvalidInputError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { MAX_SEED } from '../run';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** A usage error discovered after parsing (bad option value): exit code 2. */
export class UsageError extends Error {}

/** Ends the command with `code` after it has reported the failure itself (nothing more is printed). */
export class ExitWith extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Parses an integer option value in [min, max] or throws a usage error naming the option. An
 * empty value is rejected (`Number('')` would read it as 0).
 */
export function intOption(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const v = value.trim() === '' ? NaN : Number(value);
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new UsageError(`${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`} (got '${value}')`);
    }
    return v;
  };
}

/** `--seed`: an integer in [0, 2^32 - 1] (the native seeds are u32; larger values would wrap). */
export function seedOption(max = MAX_SEED) {
  return intOption('--seed', 0, max);
}

/** Parses a finite number option value, optionally > 0. */
export function numberOption(name: string, positive = false) {
  return (value: string): number => {
    const v = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(v) || (positive && v <= 0)) {
      throw new UsageError(`${name} must be a ${positive ? 'positive ' : ''}number (got '${value}')`);
    }
    return v;
  };
}

/** `--threads` and `--json`, shared by every computing command. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--threads <n>', 'worker threads (default: DIFFRG_THREADS, SLURM_CPUS_PER_TASK or all cores)').argParser(intOption('--threads')))
    .option('--json', 'print machine-readable JSON on stdout');
}

/** Prints `value` as JSON on stdout (non-finite numbers become null). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
}

/** Writes JSON to a file atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** A progress bar on stderr that only draws when stderr is a terminal. */
export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

export function progress(label: string, total: number): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0);
  return {
    update(done, t) {
      if (t !== undefined) bar.setTotal(t);
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Runs `work` with an `onProgress` (the `RunOptions` callback) that draws a percentage bar on
 * stderr when stderr is a terminal (undefined otherwise: no polling at all). The bar is stopped
 * when `work` settles, before the command prints anything.
 */
export async function withProgress<T>(label: string, work: (onProgress: ((fraction: number) => void) | undefined) => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work(undefined);
  const bar = progress(label, 100);
  try {
    return await work((f) => bar.update(Math.round(100 * f)));
  } finally {
    bar.stop();
  }
}

/** Human-readable status lines go to stderr so stdout stays clean for data. */
export function info(message: string): void {
  process.stderr.write(message + '\n');
}

/** Maps an error to an exit code and prints it. */
export function reportError(err: unknown): number {
  if (err instanceof ExitWith) return err.code;
  if (err instanceof UsageError) {
    process.stderr.write(`diffrg: usage error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof InvalidInputError && /^usage:/.test(err.message)) {
    process.stderr.write(`diffrg: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof DiffrgError) {
    process.stderr.write(`diffrg: ${err.code}: ${err.message}\n`);
    return EXIT_RUNTIME;
  }
  const e = err as NodeJS.ErrnoException;
  const message = (e?.message ?? String(err)).split('\n')[0];
  // a file-system error that escaped the readers/writers is still an I/O error for the user
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e?.syscall === 'string') {
    process.stderr.write(`diffrg: ERR_IO: ${message}\n`);
    return EXIT_RUNTIME;
  }
  // anything else is a bug: one line, the stack only on request
  const stack = process.env.DIFFRG_DEBUG ? `\n${e?.stack ?? ''}` : ' (a bug in diffrg: please report it; DIFFRG_DEBUG=1 prints the stack)';
  process.stderr.write(`diffrg: ERR_INTERNAL: ${message}${stack}\n`);
  return EXIT_RUNTIME;
}
