import { promises as fs, writeFileSync, renameSync, unlinkSync, mkdirSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { IoError } from '../errors';
import { checkOutputPath } from './guard';

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/** Temporary files being written right now; removed by {@link removePendingTempFiles}. */
const pending = new Set<string>();

/**
 * Deletes the temporary files of writes still in progress (synchronously). The CLI calls it when
 * it is interrupted (SIGINT/SIGTERM), so a cancelled run leaves no `.tmp` file behind.
 */
export function removePendingTempFiles(): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created yet, or already renamed */
    }
  }
  pending.clear();
}

/**
 * Creates directory `dir` and its missing parents. Unlike `mkdir(dir, { recursive: true })`
 * this cannot loop (Node's recursive mkdir spins forever under /proc, where mkdir answers
 * ENOENT), and a path component that is a file gets a clear message. (A few synchronous stat /
 * mkdir calls: the async variant only keeps the writer API uniform.)
 */
export async function ensureDir(dir: string): Promise<void> {
  ensureDirSync(dir);
}

/** Synchronous variant of {@link ensureDir}. */
export function ensureDirSync(dir: string): void {
  const missing: string[] = [];
  for (let cur = path.resolve(dir); ; ) {
    let st: Stats | undefined;
    try {
      st = statSync(cur);
    } catch (err) {
      if (!['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw new IoError(`cannot create directory ${dir}: ${(err as Error).message}`, { cause: err });
    }
    if (st) {
      if (!st.isDirectory()) throw new IoError(`cannot create directory ${dir}: ${cur} exists and is not a directory`);
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new IoError(`cannot create directory ${d}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Writes `data` to `file` atomically: the bytes go to a temporary file in the same directory,
 * which is then renamed over `file`. Readers never see a half-written file, and a failure
 * leaves no partial output behind. Parent directories are created. The path is checked first
 * ({@link checkOutputPath}): empty paths and the command's own inputs are refused, a symbolic
 * link is written through to its target, and a device node or FIFO is written in place.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const out = checkOutputPath(file);
  if (out.special) {
    try {
      await fs.writeFile(out.file, data);
    } catch (err) {
      throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
    return;
  }
  const tmp = tempName(out.file);
  try {
    await ensureDir(path.dirname(out.file));
    pending.add(tmp);
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, out.file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (err instanceof IoError) throw err;
    throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    pending.delete(tmp);
  }
}

/** Synchronous variant of {@link writeFileAtomic}. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const out = checkOutputPath(file);
  if (out.special) {
    try {
      writeFileSync(out.file, data);
    } catch (err) {
      throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
    return;
  }
  const tmp = tempName(out.file);
  try {
    ensureDirSync(path.dirname(out.file));
    writeFileSync(tmp, data);
    renameSync(tmp, out.file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    if (err instanceof IoError) throw err;
    throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** One file of a {@link writeFilesAtomic} set. */
export interface OutputFile {
  file: string;
  data: string | Uint8Array;
}

/**
 * Writes the files of one command's output together: every file goes to a temporary file first,
 * and only when all of them are written (and no target is a directory) are they renamed into
 * place, in the order given, so put the record that lists the others last. A failure before the
 * renames leaves nothing new behind. With `stale`, files in `stale.dir` whose names match one of
 * `stale.own` (this command's outputs) and that this run did not write are removed afterwards,
 * so that a reused output directory never mixes two runs (e.g. `model-scale7.npz` from a longer
 * earlier flow). Other files in the directory are never touched.
 */
export async function writeFilesAtomic(files: OutputFile[], stale?: { dir: string; own: RegExp[] }): Promise<void> {
  const staged: { tmp?: string; target: string; file: string; data: string | Uint8Array }[] = [];
  try {
    for (const { file, data } of files) {
      const out = checkOutputPath(file);
      if (out.special) {
        staged.push({ target: out.file, file, data });
        continue;
      }
      const tmp = tempName(out.file);
      staged.push({ tmp, target: out.file, file, data });
      await ensureDir(path.dirname(out.file));
      pending.add(tmp);
      try {
        await fs.writeFile(tmp, data);
      } catch (err) {
        throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
      }
      const st = await fs.stat(out.file).catch(() => undefined);
      if (st?.isDirectory()) throw new IoError(`cannot write ${file}: it is a directory`);
    }
    for (const s of staged) {
      try {
        if (s.tmp) await fs.rename(s.tmp, s.target);
        else await fs.writeFile(s.target, s.data);
      } catch (err) {
        throw new IoError(`cannot write ${s.file}: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    for (const s of staged) {
      if (!s.tmp) continue;
      pending.delete(s.tmp);
      await fs.rm(s.tmp, { force: true }).catch(() => undefined);
    }
  }
  if (!stale) return;
  const written = new Set(staged.map((s) => path.resolve(s.target)));
  for (const name of await fs.readdir(stale.dir).catch(() => [] as string[])) {
    const f = path.join(stale.dir, name);
    if (!stale.own.some((re) => re.test(name)) || written.has(path.resolve(f))) continue;
    try {
      await fs.rm(f);
    } catch (err) {
      throw new IoError(`cannot remove ${f} (an output of an earlier run): ${(err as Error).message}`, { cause: err });
    }
  }
}
