/** SHA-256 checksums: input files (analyze and sweep manifests, shard files) and in-memory data. */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import { IoError } from '../errors';

/** Hex SHA-256 and size of a file's bytes, read in 1 MiB blocks (no whole-file buffer). */
export function fileChecksum(file: string): { sha256: string; bytes: number } {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      bytes += n;
    }
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    closeSync(fd);
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Hex SHA-256 of a file's bytes. */
export function sha256File(file: string): string {
  return fileChecksum(file).sha256;
}

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
