/**
 * NPY and NPZ (numpy's array formats), read and written without numpy.
 *
 * Format: magic `\x93NUMPY`, version byte pair, header length (u16 for v1, u32 for v2/v3), an
 * ASCII Python-dict header `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`, then
 * the raw data. Supported dtypes: bool, (u)int8/16/32/64, float32/64, either byte order.
 * NPZ is a zip archive of `.npy` members.
 */
import { readFileSync, statSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { DiffrgError, ParseError, InvalidInputError, IoError, TooLargeError } from '../errors';
import { ensureBudget, noteInput } from './guard';

export type NpyDtype = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** An n-dimensional array in C (row-major) order. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const KINDS: Record<string, { dtype: NpyDtype; size: number }> = {
  b1: { dtype: 'bool', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  u1: { dtype: 'uint8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  u2: { dtype: 'uint16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  u4: { dtype: 'uint32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u8: { dtype: 'uint64', size: 8 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
};

const CODE: Record<NpyDtype, string> = {
  bool: '|b1',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  float32: '<f4',
  float64: '<f8',
};

function ctorFor(dtype: NpyDtype) {
  switch (dtype) {
    case 'bool':
    case 'uint8':
      return Uint8Array;
    case 'int8':
      return Int8Array;
    case 'int16':
      return Int16Array;
    case 'uint16':
      return Uint16Array;
    case 'int32':
      return Int32Array;
    case 'uint32':
      return Uint32Array;
    case 'int64':
      return BigInt64Array;
    case 'uint64':
      return BigUint64Array;
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
  }
}

/** Parses NPY bytes. `file` is used in error messages. Fortran-order arrays are transposed to C order. */
export function parseNpy(bytes: Uint8Array, file = '<npy>'): NpyArray {
  const fail = (msg: string): never => {
    throw new ParseError(msg, { file });
  };
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) fail('not an NPY file (bad magic bytes)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported NPY version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : fail('truncated header');
  const start = major === 1 ? 10 : 12;
  if (start + (headerLen as number) > bytes.length) fail(`truncated header (needs ${headerLen} bytes, file has ${bytes.length - start})`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + (headerLen as number)));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) return fail(`malformed header ${JSON.stringify(header.trim())}`);
  const kind = KINDS[descr[2]];
  if (!kind) return fail(`unsupported dtype '${descr[1]}${descr[2]}' (bool, int, uint, float32/64 are supported)`);
  const shape = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      return Number.isInteger(v) && v >= 0 ? v : fail(`bad shape entry '${s}'`);
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + (headerLen as number);
  const need = count * kind.size;
  if (bytes.length - dataStart < need) {
    fail(`truncated data: shape (${shape.join(', ')}) needs ${need} bytes, found ${bytes.length - dataStart}`);
  }
  // A real copy (Buffer.prototype.slice would return a view into a shared pool): aligned, detached.
  const raw = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + need);
  if (descr[1] === '>' && kind.size > 1) {
    for (let i = 0; i < raw.length; i += kind.size) raw.subarray(i, i + kind.size).reverse();
  }
  const Ctor = ctorFor(kind.dtype);
  let data: NpyData = new Ctor(raw.buffer, 0, count);
  if (fortran[1] === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: kind.dtype, shape, data };
}

function fortranToC(data: NpyData, shape: number[]): NpyData {
  const n = data.length;
  const out = new (data.constructor as { new (n: number): NpyData })(n);
  const d = shape.length;
  const cStride = new Array<number>(d);
  cStride[d - 1] = 1;
  for (let k = d - 2; k >= 0; k--) cStride[k] = cStride[k + 1] * shape[k + 1];
  const idx = new Array<number>(d).fill(0);
  for (let f = 0; f < n; f++) {
    let c = 0;
    for (let k = 0; k < d; k++) c += idx[k] * cStride[k];
    (out as Float64Array)[c] = (data as Float64Array)[f];
    for (let k = 0; k < d; k++) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Reads an `.npy` file. */
export function readNpy(file: string): NpyArray {
  return parseNpy(readFileBytes(file), file);
}

/** Reads every member of an `.npz` archive (keys without the `.npy` suffix). */
export function readNpz(file: string): Map<string, NpyArray> {
  return parseNpz(readFileBytes(file), file);
}

export function parseNpz(bytes: Uint8Array, file = '<npz>'): Map<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  try {
    // Check the members' declared sizes before inflating anything: a small archive can declare
    // (and inflate to) gigabytes.
    let declared = 0;
    members = unzipSync(bytes, {
      filter: (m) => {
        declared += m.originalSize;
        ensureBudget(`inflating member ${m.name} (${declared} bytes declared by the members so far)`, declared, file);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof TooLargeError) throw err;
    throw new ParseError(`not a valid NPZ (zip) archive: ${(err as Error).message}`, { file }, { cause: err });
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(members)) {
    out.set(name.replace(/\.npy$/, ''), parseNpy(data, `${file}[${name}]`));
  }
  return out;
}

/** Reads a whole input file; a missing or unreadable file (or a directory) is `ERR_IO`. */
export function readFileBytes(file: string): Uint8Array {
  try {
    const size = statSync(file).size;
    ensureBudget(`reading ${size} bytes`, size, file);
    const bytes = readFileSync(file);
    noteInput(file);
    return bytes;
  } catch (err) {
    if (err instanceof DiffrgError) throw err;
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Serialises an array as NPY (version 1.0, little-endian, C order). */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) {
    throw new InvalidInputError(`shape (${arr.shape.join(', ')}) holds ${count} values but data has ${arr.data.length}`);
  }
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${CODE[arr.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + arr.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), 10 + header.length);
  return out;
}

/**
 * Serialises named arrays as an NPZ archive (stored uncompressed, like `numpy.savez`). The
 * members' zip timestamps are fixed (1980-01-01, the earliest zip date) so the same arrays give
 * byte-identical files: a seeded run reproduces its output files exactly.
 */
export function encodeNpz(arrays: Record<string, NpyArray>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, arr] of Object.entries(arrays)) files[`${name}.npy`] = encodeNpy(arr);
  return zipSync(files, { level: 0, mtime: new Date(1980, 0, 1) });
}

/** Converts any numeric array data to float64 (int64 values beyond 2^53 lose precision). */
export function toFloat64(data: NpyData): Float64Array {
  if (data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
