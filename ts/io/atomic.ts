import { promises as fs, writeFileSync, renameSync, unlinkSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { IoError } from '../errors';

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/**
 * Writes `data` to `file` atomically: the bytes go to a temporary file in the same directory,
 * which is then renamed over `file`. Readers never see a half-written file, and a failure
 * leaves no partial output behind. Parent directories are created.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  try {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Synchronous variant of {@link writeFileAtomic}. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = tempName(file);
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}
