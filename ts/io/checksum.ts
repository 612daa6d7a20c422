/** SHA-256 checksums of input files (sweep manifests, shard files). */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import { IoError } from '../errors';

/** Hex SHA-256 of a file's bytes, read in 1 MiB blocks (no whole-file buffer). */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
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
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Hex SHA-256 of a string. */
export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
