/** Shared CLI plumbing: exit codes, error reporting, JSON output, progress on a TTY. */
import { type Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { DiffrgError, InvalidInputError, ParseError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import type { Activity } from '../io/activity';
import { MAX_SEED, MAX_THREADS } from '../run';

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

/** `--threads`, `--json` and `--quiet`, shared by every computing command. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--threads <n>', 'worker threads (default: DIFFRG_THREADS, SLURM_CPUS_PER_TASK or all cores)').argParser(intOption('--threads', 1, MAX_THREADS)))
    .option('--json', 'print machine-readable JSON on stdout')
    .option('-q, --quiet', 'no progress bar or progress lines on stderr (also before the command: diffrg --quiet ...)');
}

/** Warnings printed by this run, for the `warnings` array of its JSON output. */
const warnings: string[] = [];

/** Forgets the warnings of an earlier run (the CLI calls it before each command). */
export function resetWarnings(): void {
  warnings.length = 0;
}

/**
 * Prints `value` as JSON on stdout (non-finite numbers become null). When the run printed
 * warnings ({@link warn}) and `value` is an object without its own `warnings`, they are added as
 * a `warnings` array of strings.
 */
export function printJson(value: unknown): void {
  if (warnings.length > 0 && typeof value === 'object' && value !== null && !Array.isArray(value) && !('warnings' in value)) {
    value = { ...value, warnings: [...warnings] };
  }
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
}

/** The text of a JSON output file (indented, final newline). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Writes JSON to a file atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, jsonText(value));
}

/**
 * Progress of a running command on stderr: a bar when stderr is a terminal; otherwise (a log
 * file, Slurm's output) one plain line `diffrg: COMMAND: STAGE 42% (12 s)` after
 * {@link PROGRESS_FIRST_MS} and then every {@link PROGRESS_EVERY_MS}, so short runs print
 * nothing. `--quiet` turns both off.
 */
export interface Progress {
  /** `done` of `total` units; `stage` names the current part of the run (default: the label). */
  update(done: number, total?: number, stage?: string): void;
  stop(): void;
}

/** Delay of the first plain progress line (ms), and the period of the following ones. */
export const PROGRESS_FIRST_MS = 10_000;
export const PROGRESS_EVERY_MS = 5_000;

/**
 * Set by the CLI before each command: its name for the progress lines, `--quiet`, and `--json`
 * (which keeps stderr machine-readable: no plain progress lines, only the JSON error if any; a
 * bar on a terminal still shows).
 */
const progressContext = { command: 'diffrg', quiet: false, json: false };

export function setProgressContext(command: string, quiet: boolean, json = false): void {
  progressContext.command = command;
  progressContext.quiet = quiet;
  progressContext.json = json;
}

/**
 * The delays of the plain progress lines: DIFFRG_PROGRESS_INTERVAL_MS (a positive integer) sets
 * both, for tests and for logs that want more or fewer lines.
 */
function plainDelays(): { first: number; every: number } {
  const v = process.env.DIFFRG_PROGRESS_INTERVAL_MS;
  const ms = v !== undefined && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return ms >= 1 ? { first: ms, every: ms } : { first: PROGRESS_FIRST_MS, every: PROGRESS_EVERY_MS };
}

function plainProgress(label: string, total: number): Progress {
  const t0 = Date.now();
  const state = { done: 0, total, stage: label };
  const { first, every } = plainDelays();
  const line = () => {
    const pct = state.total > 0 ? Math.min(100, Math.floor((100 * state.done) / state.total)) : 0;
    process.stderr.write(`diffrg: ${progressContext.command}: ${state.stage} ${pct}% (${Math.round((Date.now() - t0) / 1000)} s elapsed)\n`);
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(() => {
    line();
    timer = setInterval(line, every);
    timer.unref();
  }, first);
  timer.unref();
  return {
    update(done, t, stage) {
      state.done = done;
      if (t !== undefined) state.total = t;
      if (stage !== undefined) state.stage = stage;
    },
    stop() {
      clearTimeout(timer);
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export function progress(label: string, total: number): Progress {
  if (progressContext.quiet) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) return progressContext.json ? { update() {}, stop() {} } : plainProgress(label, total);
  const bar = new SingleBar({ format: `{stage} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0, { stage: label });
  return {
    update(done, t, stage) {
      if (t !== undefined) bar.setTotal(t);
      bar.update(done, stage !== undefined ? { stage } : undefined);
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Runs `work` with an `onProgress` (the `RunOptions` callback) feeding {@link progress}; with
 * `--quiet` it is undefined (no polling at all). The progress stops when `work` settles, before
 * the command prints anything.
 */
export async function withProgress<T>(label: string, work: (onProgress: ((fraction: number) => void) | undefined) => Promise<T>): Promise<T> {
  if (progressContext.quiet) return work(undefined);
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

/** A warning line on stderr, `diffrg: warning: ...`, also kept for the JSON output (see {@link printJson}). */
export function warn(message: string): void {
  warnings.push(message);
  info(`diffrg: warning: ${message}`);
}

/**
 * Warns about what reading `act` assumed: the reader's guesses (an array's layout or
 * orientation) and, for dense data without a sampling rate, the sample period the command uses
 * (`periodSeconds`, from `--bin`, or its default when `periodGiven` is false).
 */
export function warnActivityGuesses(act: Activity, file: string, periodSeconds: number, periodGiven: boolean): void {
  for (const g of act.guessed ?? []) warn(g);
  if (act.kind === 'raster' && act.rate === undefined && !periodGiven) {
    warn(`${file}: dense data without a sampling rate: samples taken as ${periodSeconds * 1e3} ms apart (the --bin default); give --bin <sample period>`);
  }
}

/** The JSON error document printed on stderr in `--json` mode. */
export interface JsonError {
  error: { code: string; message: string; file?: string; line?: number };
}

/** Prints one error: a line `diffrg: CODE: message`, or with `json` one JSON object (same exit codes). */
function printError(json: boolean, code: string, message: string, where: { file?: string; line?: number } = {}): void {
  if (json) {
    const doc: JsonError = { error: { code, message } };
    if (where.file !== undefined) doc.error.file = where.file;
    if (where.line !== undefined) doc.error.line = where.line;
    process.stderr.write(JSON.stringify(doc) + '\n');
  } else if (code === 'ERR_USAGE') process.stderr.write(`diffrg: usage error: ${message}\n`);
  else process.stderr.write(`diffrg: ${code}: ${message}\n`);
}

/** Usage errors (exit 2) carry this code in `--json` mode. */
export const ERR_USAGE = 'ERR_USAGE';

/**
 * Maps an error to an exit code and prints it: one line, or with `json` (the command ran with
 * `--json`) one `{ "error": { "code", "message", "file"?, "line"? } }` object on stderr.
 */
export function reportError(err: unknown, json = false): number {
  if (err instanceof ExitWith) return err.code;
  if (err instanceof UsageError) {
    printError(json, ERR_USAGE, err.message);
    return EXIT_USAGE;
  }
  if (err instanceof InvalidInputError && /^usage:/.test(err.message)) {
    if (json) printError(true, ERR_USAGE, err.message.replace(/^usage:\s*/, ''));
    else process.stderr.write(`diffrg: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof DiffrgError) {
    const where = err instanceof ParseError ? { file: err.file, line: err.line } : {};
    printError(json, err.code, err.message, where);
    return EXIT_RUNTIME;
  }
  const e = err as NodeJS.ErrnoException;
  const message = (e?.message ?? String(err)).split('\n')[0];
  // a file-system error that escaped the readers/writers is still an I/O error for the user
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e?.syscall === 'string') {
    printError(json, 'ERR_IO', message, typeof e.path === 'string' ? { file: e.path } : {});
    return EXIT_RUNTIME;
  }
  // anything else is a bug: one line, the stack only on request
  const stack = process.env.DIFFRG_DEBUG ? `\n${e?.stack ?? ''}` : ' (a bug in diffrg: please report it; DIFFRG_DEBUG=1 prints the stack)';
  printError(json, 'ERR_INTERNAL', message + (json ? '' : stack));
  return EXIT_RUNTIME;
}
