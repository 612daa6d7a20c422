import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { diffrg } from './helpers';

const { readSpikeTable, readActivity, readActivityArray, readNwbUnits, readNwbSeries, listNwbSeries, writeSpikesCsv, writeActivityNpy, writeActivityJson, parseNpy, ParseError, InvalidInputError, NotFiniteError } = diffrg;

const FIX = path.join(__dirname, 'fixtures');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'diffrg-act-'));
function write(dir: string, name: string, text: string | Uint8Array): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const arr = (t: Float64Array) => Array.from(t);

describe('spike tables (CSV/TSV)', () => {
  it('reads neuron,time with header, interleaved neurons, units and TSV', async () => {
    const d = tmp();
    const f = write(d, 'a.csv', 'neuron,time_s\n0,0.5\n2,0.25\n0,1.5\r\n\n2,0.75\n');
    const s = await readSpikeTable(f);
    expect(s.ids).toEqual([0, 2]);
    expect(s.times.map(arr)).toEqual([[0.5, 1.5], [0.25, 0.75]]);
    const g = write(d, 'b.tsv', 'time\tneuron\n5\t1\n7\t1\n');
    const ms = await readSpikeTable(g, { units: 'ms', neurons: 3 });
    expect(ms.ids).toEqual([0, 1, 2]);
    expect(ms.times.map(arr)).toEqual([[], [0.005, 0.007], []]);
    // no header, whitespace-separated
    const h = write(d, 'c.txt', '3 1\n3 2\n');
    expect((await readSpikeTable(h)).times.map(arr)).toEqual([[1, 2]]);
    // empty file: empty recording
    expect((await readSpikeTable(write(d, 'e.csv', ''))).ids).toEqual([]);
  });

  it('streams a long recording line by line (chunk boundaries inside lines)', async () => {
    const d = tmp();
    const n = 200_000;
    const parts = ['neuron,time\n'];
    for (let i = 0; i < n; i++) parts.push(`${i % 7},${(i * 0.001).toFixed(6)}\n`);
    const f = write(d, 'long.csv', parts.join(''));
    const s = await readSpikeTable(f);
    expect(s.times.reduce((a, t) => a + t.length, 0)).toBe(n);
    expect(s.times[3][1]).toBeCloseTo(0.01, 12);
  });

  it('rejects bad input with typed errors naming file and line', async () => {
    const d = tmp();
    const cases: Array<[string, unknown, RegExp]> = [
      ['neuron,time\n0,1\n0,0.5\n', InvalidInputError, /bad\.csv:3: .*not sorted/],
      ['neuron,time\n0,-1\n', InvalidInputError, /bad\.csv:2: negative/],
      ['neuron,time\n0,NaN\n', NotFiniteError, /bad\.csv:2: spike time is NaN/],
      ['neuron,time\n0,abc\n', ParseError, /bad\.csv:2: time 'abc'/],
      ['neuron,time\n1.5,1\n', InvalidInputError, /bad\.csv:2: neuron id/],
      ['neuron,time\n0\n', ParseError, /bad\.csv:2: expected at least 2 columns/],
    ];
    for (const [text, cls, msg] of cases) {
      const f = write(d, 'bad.csv', text);
      const err = await readSpikeTable(f).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(cls as never);
      expect((err as Error).message).toMatch(msg);
    }
    const f = write(d, 'range.csv', '0,1\n5,2\n');
    const err = await readSpikeTable(f, { neurons: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/range\.csv:2: neuron id 5 out of range/);
    expect((await readSpikeTable(path.join(d, 'missing.csv')).catch((e: { code: string }) => e)).code).toBe('ERR_IO');
  });
});

describe('NPY/NPZ activity (fixtures written by numpy, see fixtures/make_arrays.py)', () => {
  const raster = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24];
  it('reads Fortran-order float32 and big-endian uint16 rasters', async () => {
    for (const name of ['raster_f4_fortran.npy', 'raster_u2_be.npy']) {
      const r = await readActivityArray(path.join(FIX, name));
      expect(r.kind).toBe('raster');
      if (r.kind !== 'raster') return;
      expect([r.neurons, r.samples]).toEqual([3, 5]);
      expect(arr(r.data)).toEqual(raster);
    }
  });
  it('reads two-column int64 spike arrays and NPZ column pairs', async () => {
    const want = [[0.005, 0.012, 0.031], [0.012], [0.007, 0.03]];
    const a = await readActivity(path.join(FIX, 'spikes_i8_ms.npy'), { units: 'ms' });
    const b = await readActivity(path.join(FIX, 'spikes.npz'));
    for (const s of [a, b]) {
      expect(s.kind).toBe('spikes');
      if (s.kind !== 'spikes') return;
      expect(s.ids).toEqual([0, 1, 2]);
      s.times.forEach((t, k) => t.forEach((x, i) => expect(x).toBeCloseTo(want[k][i], 12)));
    }
  });
  it('rejects truncated/corrupt NPY, wrong shapes, NaN and unsorted spike arrays', async () => {
    const d = tmp();
    const good = readFileSync(path.join(FIX, 'raster_f4_fortran.npy'));
    const trunc = write(d, 't.npy', good.subarray(0, good.length - 3));
    await expect(readActivityArray(trunc)).rejects.toThrow(/t\.npy.*truncated data/);
    await expect(readActivityArray(write(d, 'c.npy', 'hello world, not npy'))).rejects.toBeInstanceOf(ParseError);
    const enc = (shape: number[], data: number[]) => diffrg.encodeNpy({ dtype: 'float64', shape, data: Float64Array.from(data) });
    await expect(readActivityArray(write(d, 's.npy', enc([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0])))).rejects.toThrow(/expected a 2-D array/);
    const nan = readActivityArray(write(d, 'n.npy', enc([2, 3], [0, 1, 2, 3, NaN, 5])));
    await expect(nan).rejects.toBeInstanceOf(NotFiniteError);
    await expect(readActivityArray(write(d, 'n2.npy', enc([2, 3], [0, 1, 2, 3, NaN, 5])))).rejects.toThrow(/element \[1, 1\]/);
    const unsorted = write(d, 'u.npy', enc([3, 2], [0, 2, 1, 1, 0, 1]));
    await expect(readActivityArray(unsorted)).rejects.toThrow(/row 2: spike times of neuron 0 are not sorted/);
    await expect(readActivityArray(unsorted, { layout: 'raster' })).resolves.toMatchObject({ kind: 'raster', neurons: 3 });
    await expect(readActivityArray(write(d, 'r.npy', enc([3, 2], [0, 1, 7, 2, 1, 3])), { neurons: 5 })).rejects.toThrow(/neuron id 7 out of range/);
    await expect(readActivityArray(write(d, 'z.npz', 'PK\x03\x04garbage'))).rejects.toBeInstanceOf(ParseError);
  });
});

describe('NWB (fixtures written by pynwb, see fixtures/make_nwb.py)', () => {
  it('reads the Units table (ragged spike_times + spike_times_index)', async () => {
    const s = await readNwbUnits(path.join(FIX, 'units.nwb'));
    expect(s.ids).toEqual([0, 1, 2, 3]);
    s.times.forEach((t, u) => {
      const want = Array.from({ length: u + 2 }, (_, k) => 0.1 * (u + 1) + 0.25 * k);
      expect(t.length).toBe(want.length);
      t.forEach((x, i) => expect(x).toBeCloseTo(want[i], 9));
    });
    expect((await readActivity(path.join(FIX, 'units.nwb'))).kind).toBe('spikes');
  });
  it('reads a RoiResponseSeries (frames x rois -> rois x frames) and a TimeSeries with timestamps', async () => {
    const f = path.join(FIX, 'ophys.nwb');
    expect(await listNwbSeries(f)).toEqual([
      { path: '/acquisition/lfp', type: 'TimeSeries' },
      { path: '/processing/ophys/DfOverF/dff', type: 'RoiResponseSeries' },
    ]);
    const r = await readNwbSeries(f);
    expect([r.neurons, r.samples, r.rate]).toEqual([3, 5, 10]);
    for (let roi = 0; roi < 3; roi++) for (let t = 0; t < 5; t++) expect(r.data[roi * 5 + t]).toBeCloseTo(roi + t / 10, 6);
    expect(arr(r.times!)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9].map((_x, k) => 0.5 + k / 10));
    const lfp = await readNwbSeries(f, '/acquisition/lfp');
    expect([lfp.neurons, lfp.samples]).toEqual([2, 6]);
    expect(arr(lfp.data)).toEqual([-3, -1, 1, 3, 5, 7, -2, 0, 2, 4, 6, 8]);
    expect(arr(lfp.times!)).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05]);
    expect((await readActivity(f)).kind).toBe('raster');
  });
  it('rejects non-HDF5, truncated files and missing objects with typed errors', async () => {
    const d = tmp();
    await expect(readNwbUnits(write(d, 'x.nwb', 'not hdf5 at all'))).rejects.toThrow(/x\.nwb: not an HDF5/);
    const bytes = readFileSync(path.join(FIX, 'units.nwb'));
    const t = write(d, 'trunc.nwb', bytes.subarray(0, 4096));
    const err = await readNwbUnits(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toMatch(/trunc\.nwb/);
    await expect(readNwbUnits(path.join(FIX, 'ophys.nwb'))).rejects.toThrow(/no Units table/);
    // invalid Units tables (fixtures edited with h5py by make_nwb.py)
    const bad: Array<[string, unknown, RegExp]> = [
      ['units_unsorted.nwb', InvalidInputError, /units_unsorted\.nwb: \/units\/spike_times\[3\] \(unit 1\): spike times are not sorted/],
      ['units_badindex.nwb', InvalidInputError, /units_badindex\.nwb: \/units\/spike_times_index\[3\] = 99 is not a valid end offset/],
      ['units_nan.nwb', NotFiniteError, /units_nan\.nwb: \/units\/spike_times\[0\] \(unit 0\) is NaN/],
    ];
    for (const [name, cls, msg] of bad) {
      const e = await readNwbUnits(path.join(FIX, name)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(cls as never);
      expect((e as Error).message).toMatch(msg);
    }
    await expect(readNwbSeries(path.join(FIX, 'ophys.nwb'), '/nope')).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('writers', () => {
  it('round-trips spikes through CSV, NPY and JSON, atomically', async () => {
    const d = tmp();
    const s = await readNwbUnits(path.join(FIX, 'units.nwb'));
    const csv = path.join(d, 'out.csv');
    await writeSpikesCsv(csv, s);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('neuron,time_s');
    const back = await readSpikeTable(csv);
    expect(back.ids).toEqual(s.ids);
    back.times.forEach((t, k) => expect(arr(t)).toEqual(arr(s.times[k])));
    const npy = path.join(d, 'out.npy');
    await writeActivityNpy(npy, s);
    const b2 = await readActivity(npy);
    expect(b2.kind === 'spikes' && b2.times.map(arr)).toEqual(s.times.map(arr));
    const r = await readNwbSeries(path.join(FIX, 'ophys.nwb'));
    await writeActivityNpy(npy, r);
    const p = parseNpy(readFileSync(npy));
    expect(p.shape).toEqual([3, 5]);
    const js = path.join(d, 'out.json');
    await writeActivityJson(js, r);
    expect(JSON.parse(readFileSync(js, 'utf8'))).toMatchObject({ kind: 'raster', neurons: 3, samples: 5, rate: 10 });
    // no temporary files left behind
    expect(readdirSync(d).sort()).toEqual(['out.csv', 'out.json', 'out.npy']);
    // a failed write (target is a directory) leaves nothing behind and raises ERR_IO
    const err = await writeSpikesCsv(d, s).catch((e: { code: string }) => e);
    expect(err.code).toBe('ERR_IO');
    expect(readdirSync(d).sort()).toEqual(['out.csv', 'out.json', 'out.npy']);
    expect(statSync(d).isDirectory()).toBe(true);
    void copyFileSync;
  });
});
