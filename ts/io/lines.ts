import { createReadStream, promises as fs } from 'node:fs';
import { DiffrgError, IoError } from '../errors';
import { noteInput } from './guard';

/**
 * Streams a text file line by line as `[line, lineNumber]` (1-based, trailing `\r` removed),
 * reading 64 KiB chunks so long recordings never become one giant string.
 */
export async function* readLines(file: string): AsyncGenerator<[string, number]> {
  let stream: ReturnType<typeof createReadStream>;
  try {
    await fs.access(file);
    noteInput(file);
    stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let carry = '';
  let n = 0;
  try {
    for await (const chunk of stream) {
      const text = carry + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        yield [text.slice(start, nl).replace(/\r$/, ''), ++n];
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    if (carry.length > 0) yield [carry.replace(/\r$/, ''), ++n];
  } catch (err) {
    // read errors surface while streaming (EISDIR for a directory, EIO, ...)
    if (err instanceof DiffrgError) throw err;
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    stream.destroy();
  }
}
