/**
 * Resource and path guards shared by every reader and writer: the memory budget that sizes
 * declared in file headers are checked against before anything is allocated, and the record of
 * the input files a process has read, so that an output can never overwrite one of them.
 */
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { totalmem } from 'node:os';
import * as path from 'node:path';
import { InvalidInputError, IoError, TooLargeError } from '../errors';

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Parses a byte count such as `8G`, `512M`, `1.5g`, `4096` (binary units). */
export function parseBytes(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(value);
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[m[2].toLowerCase()];
  return Number.isFinite(bytes) && bytes > 0 ? Math.floor(bytes) : undefined;
}

let budgetOverride: number | undefined;

/**
 * Sets the process's memory budget in bytes (the CLI's `--memory` option); `undefined` restores
 * the default.
 */
export function setMemoryBudget(bytes: number | undefined): void {
  if (bytes !== undefined && !(Number.isFinite(bytes) && bytes > 0)) throw new InvalidInputError(`memory budget must be a positive number of bytes (got ${bytes})`);
  budgetOverride = bytes;
}

/**
 * The memory budget in bytes: {@link setMemoryBudget}, else `DIFFRG_MEMORY_BUDGET` (bytes, or
 * with a K/M/G/T suffix), else half of the machine's physical memory.
 */
export function memoryBudget(): number {
  if (budgetOverride !== undefined) return budgetOverride;
  const env = process.env.DIFFRG_MEMORY_BUDGET;
  if (env !== undefined && env !== '') {
    const bytes = parseBytes(env);
    if (bytes === undefined) throw new InvalidInputError(`DIFFRG_MEMORY_BUDGET must be a byte count such as 8G or 512M (got '${env}')`);
    return bytes;
  }
  return Math.floor(totalmem() / 2);
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let k = 0;
  while (v >= 1024 && k < units.length - 1) {
    v /= 1024;
    k++;
  }
  return `${v.toFixed(k === 0 ? 0 : 1)} ${units[k]}`;
}

/**
 * Throws `ERR_TOO_LARGE` when `bytes` (the memory `what` needs, as declared by `file`) exceeds
 * the memory budget.
 */
export function ensureBudget(what: string, bytes: number, file?: string): void {
  const budget = memoryBudget();
  if (!(bytes <= budget)) {
    const where = file ? `${file}: ` : '';
    throw new TooLargeError(
      `${where}${what} needs ${human(bytes)}, over the memory budget of ${human(budget)} (set DIFFRG_MEMORY_BUDGET or --memory to raise it)`,
    );
  }
}

const inputs = new Set<string>();
let tracking = false;

/**
 * Turns the input record on or off (the CLI turns it on: one command, one set of inputs). Off by
 * default, so a long-lived API user may read a file and later write it back.
 */
export function trackInputs(on: boolean): void {
  tracking = on;
  if (!on) inputs.clear();
}

function canonical(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** Records `file` as an input of this process (readers call it), see {@link checkOutputPath}. */
export function noteInput(file: string): void {
  if (tracking) inputs.add(canonical(file));
}

/** How an output file is to be written. */
export interface OutputTarget {
  /** The path to write: the target of a symbolic link, else the path itself. */
  file: string;
  /** True for a device node, FIFO or socket: written in place, never replaced by a rename. */
  special: boolean;
}

/**
 * Validates an output path and resolves how to write it: an empty path is `ERR_INVALID_INPUT`;
 * a path that is (or links to) one of this process's inputs is `ERR_INVALID_INPUT`; a symbolic
 * link is followed, so its target is written and the link kept; an existing device node or FIFO
 * is written in place (never replaced by a plain file); a directory is `ERR_IO`.
 */
export function checkOutputPath(file: string): OutputTarget {
  if (typeof file !== 'string' || file.trim() === '') throw new InvalidInputError('output path is empty');
  let target = path.resolve(file);
  let link: Stats | undefined;
  try {
    link = lstatSync(target);
  } catch {
    link = undefined;
  }
  if (link?.isSymbolicLink()) {
    try {
      target = realpathSync(target);
    } catch {
      // a dangling link: write where it points
      target = path.resolve(path.dirname(target), readlinkSync(target));
    }
  }
  if (inputs.has(canonical(target))) throw new InvalidInputError(`output ${file} is also an input of this command; choose another path`);
  let st: Stats | undefined;
  try {
    st = statSync(target);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw new IoError(`cannot write ${file}: it is a directory`);
  const special = st !== undefined && !st.isFile();
  return { file: target, special };
}

