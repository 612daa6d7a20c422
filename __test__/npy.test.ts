import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { diffrg } from './helpers';

const { encodeNpy, parseNpy, encodeNpz, parseNpz, ParseError, writeFileAtomic, IoError } = diffrg;

describe('NPY/NPZ', () => {
  it('round-trips every dtype and shape, including empty arrays', () => {
    const cases = [
      { dtype: 'float64' as const, shape: [2, 3], data: new Float64Array([1, 2, 3, 4.5, -5, 6e300]) },
      { dtype: 'float32' as const, shape: [4], data: new Float32Array([1, 2, 3, 4]) },
      { dtype: 'int64' as const, shape: [2, 1], data: new BigInt64Array([-1n, 2n ** 40n]) },
      { dtype: 'uint8' as const, shape: [0, 5], data: new Uint8Array(0) },
      { dtype: 'int32' as const, shape: [], data: new Int32Array([7]) },
    ];
    for (const c of cases) {
      const bytes = encodeNpy(c);
      // The header is padded so data starts on a 64-byte boundary, as numpy requires.
      const hlen = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + hlen) % 64).toBe(0);
      const back = parseNpy(bytes);
      expect(back.dtype).toBe(c.dtype);
      expect(back.shape).toEqual(c.shape);
      expect(Array.from(back.data as ArrayLike<number>)).toEqual(Array.from(c.data as ArrayLike<number>));
    }
  });

  it('reads big-endian and Fortran-order arrays (hand-built headers as numpy writes them)', () => {
    const make = (descr: string, fortran: boolean, shape: string, payload: Uint8Array) => {
      let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
      header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
      const out = new Uint8Array(10 + header.length + payload.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(out.buffer).setUint16(8, header.length, true);
      out.set(new TextEncoder().encode(header), 10);
      out.set(payload, 10 + header.length);
      return out;
    };
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat64(0, 3.25, false);
    expect(Array.from(parseNpy(make('>f8', false, '(1,)', be)).data as Float64Array)).toEqual([3.25]);
    // Fortran order: column-major [[1,2,3],[4,5,6]] is stored 1,4,2,5,3,6.
    const f = new Uint8Array(new Int16Array([1, 4, 2, 5, 3, 6]).buffer);
    const arr = parseNpy(make('<i2', true, '(2, 3)', f));
    expect(Array.from(arr.data as Int16Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects corrupt and truncated files with ParseError naming the file', () => {
    const good = encodeNpy({ dtype: 'float64', shape: [10], data: new Float64Array(10) });
    expect(() => parseNpy(good.subarray(0, good.length - 8), 'x.npy')).toThrow(ParseError);
    expect(() => parseNpy(good.subarray(0, good.length - 8), 'x.npy')).toThrow(/x\.npy: truncated data/);
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'y.npy')).toThrow(/y\.npy: not an NPY file/);
    const bad = encodeNpy({ dtype: 'float64', shape: [1], data: new Float64Array(1) });
    bad.set(new TextEncoder().encode("'descr': '<c16'"), 11);
    expect(() => parseNpy(bad, 'z.npy')).toThrow(/z\.npy/);
    expect(() => parseNpz(new Uint8Array([0x50, 0x4b, 1, 2]), 'a.npz')).toThrow(/a\.npz/);
  });

  it('round-trips NPZ archives', () => {
    const z = encodeNpz({ a: { dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) }, b: { dtype: 'uint8', shape: [1, 1], data: new Uint8Array([9]) } });
    const m = parseNpz(z);
    expect([...m.keys()].sort()).toEqual(['a', 'b']);
    expect(Array.from(m.get('b')!.data as Uint8Array)).toEqual([9]);
  });
});

describe('atomic writes', () => {
  it('writes the file and leaves no temporary behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-atomic-'));
    const f = path.join(dir, 'sub', 'out.json');
    await writeFileAtomic(f, '{"ok":true}');
    await writeFileAtomic(f, '{"ok":2}');
    expect(readdirSync(path.dirname(f))).toEqual(['out.json']);
  });

  it('fails with IoError and no partial file when the directory is not writable', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path whose parent is a regular file instead.
      const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-atomic-'));
      writeFileSync(path.join(dir, 'file'), 'x');
      await expect(writeFileAtomic(path.join(dir, 'file', 'out.json'), 'x')).rejects.toBeInstanceOf(IoError);
      expect(readdirSync(dir)).toEqual(['file']);
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'diffrg-atomic-'));
    mkdirSync(path.join(dir, 'ro'));
    chmodSync(path.join(dir, 'ro'), 0o500);
    await expect(writeFileAtomic(path.join(dir, 'ro', 'out.json'), 'x')).rejects.toBeInstanceOf(IoError);
    expect(readdirSync(path.join(dir, 'ro'))).toEqual([]);
  });
});
