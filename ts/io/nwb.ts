/**
 * NWB (Neurodata Without Borders, HDF5) readers, built on the h5wasm package (HDF5 compiled to
 * WebAssembly; no native HDF5 needed).
 *
 * - {@link readNwbUnits}: the Units table. `spike_times` holds every unit's spikes
 *   concatenated; `spike_times_index[k]` is the end (exclusive) of unit `k`'s slice (the NWB
 *   ragged-array convention, VectorIndex). Unit ids come from `units/id`.
 * - {@link readNwbSeries}: a `TimeSeries` or subtype (`RoiResponseSeries` for calcium traces):
 *   `data` is time x channels (NWB stores time first); it is returned transposed as a
 *   neurons x frames {@link Raster}, with `timestamps` or `starting_time` + `rate`.
 *
 * Files are checked for the HDF5 signature before h5wasm opens them, and every h5wasm failure
 * (truncated or corrupt file, missing objects) becomes a `ParseError` naming the file and the
 * HDF5 path.
 */
import { promises as fs } from 'node:fs';
import { InvalidInputError, IoError, NotFiniteError, ParseError, TooLargeError } from '../errors';
import type { Raster, SpikeTrains } from './activity';
import { ensureBudget, noteInput } from './guard';

type H5 = typeof import('h5wasm/node', { with: { 'resolution-mode': 'import' } });
type H5File = InstanceType<H5['File']>;
type H5Dataset = InstanceType<H5['Dataset']>;
type H5Group = InstanceType<H5['Group']>;

let h5: Promise<H5> | undefined;

async function loadH5(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    // HDF5 errors become exceptions instead of a multi-line HDF5-DIAG dump on stderr
    m.Module.activate_throwing_error_handler();
    return m;
  });
  return h5;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Throws unless `file` exists and carries the HDF5 signature (at byte 0, 512, 1024, ...). */
async function checkHdf5(file: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof fs.open>>;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const size = (await handle.stat()).size;
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      await handle.read(buf, 0, 8, off);
      if (SIGNATURE.every((b, i) => buf[i] === b)) return;
      if (off > (1 << 20)) break;
    }
    throw new ParseError(`not an HDF5/NWB file (no HDF5 signature; ${size} bytes)`, { file });
  } finally {
    await handle.close();
  }
}

/**
 * One line from an h5wasm error: with the throwing handler its message is HDF5's error stack
 * (`#000: ... in H5Fopen(): unable to open file`, ...); the innermost entry says what failed
 * (e.g. `truncated file: eof = 2000, ..., stored_eof = 26808`).
 */
function hdf5Message(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const entries = [...text.matchAll(/#\d+:.*? in [^(]*\(\): (.*)$/gm)].map((m) => m[1].trim());
  return entries.length > 0 ? entries[entries.length - 1] : text.split('\n')[0];
}

async function withFile<T>(file: string, f: (h: H5File, m: H5) => T): Promise<T> {
  await checkHdf5(file);
  const m = await loadH5();
  let h: H5File;
  try {
    h = new m.File(file, 'r');
    noteInput(file);
    h.keys(); // fails on a file HDF5 could not open (e.g. truncated)
  } catch (err) {
    throw new ParseError(`cannot open as HDF5 (truncated or corrupt?): ${hdf5Message(err)}`, { file }, { cause: err });
  }
  try {
    return f(h, m);
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof ParseError || err instanceof NotFiniteError || err instanceof TooLargeError) throw err;
    throw new ParseError(`cannot read HDF5 content: ${hdf5Message(err)}`, { file }, { cause: err });
  } finally {
    try {
      h.close();
    } catch {
      /* ignore */
    }
  }
}

function child(g: H5Group, name: string): unknown {
  return g.keys().includes(name) ? g.get(name) : null;
}

function dataset(m: H5, g: H5Group, name: string, file: string, where: string): H5Dataset {
  const d = child(g, name);
  if (!(d instanceof m.Dataset)) throw new ParseError(`missing dataset ${where}/${name}`, { file });
  return d;
}

function numbers(d: H5Dataset, file: string, where: string): Float64Array {
  // The declared shape is checked against the memory budget before HDF5 allocates it: the
  // dataset as stored (its element size) plus the Float64 copy made here.
  const elements = (d.shape ?? []).reduce((a, b) => a * Number(b), 1);
  const itemSize = Number((d.metadata as { size?: number } | undefined)?.size ?? 8);
  ensureBudget(`dataset ${where} (shape ${(d.shape ?? []).join(' x ')})`, elements * (itemSize + 8), file);
  const v = d.value as unknown;
  if (v === null || typeof v !== 'object' || !('length' in (v as object))) {
    throw new ParseError(`dataset ${where} is not numeric`, { file });
  }
  const arr = v as ArrayLike<number | bigint>;
  const out = new Float64Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    if (typeof x !== 'number' && typeof x !== 'bigint' && typeof x !== 'boolean') throw new ParseError(`dataset ${where} is not numeric`, { file });
    out[i] = Number(x);
  }
  return out;
}

function neurodataType(g: { attrs: Record<string, { value: unknown }> }): string | undefined {
  const a = g.attrs['neurodata_type'];
  const v = a?.value;
  return typeof v === 'string' ? v : undefined;
}

/** Whether the file has a Units table at `/units`. */
export async function hasUnits(file: string): Promise<boolean> {
  return withFile(file, (h, m) => {
    const u = child(h, 'units');
    return u instanceof m.Group && u.keys().includes('spike_times');
  });
}

/** Reads the Units table (`/units`) as spike trains (seconds, as NWB stores them). */
export async function readNwbUnits(file: string): Promise<SpikeTrains> {
  return withFile(file, (h, m) => {
    const u = child(h, 'units');
    if (!(u instanceof m.Group)) throw new InvalidInputError(`${file}: no Units table at /units`);
    const times = numbers(dataset(m, u, 'spike_times', file, '/units'), file, '/units/spike_times');
    const index = numbers(dataset(m, u, 'spike_times_index', file, '/units'), file, '/units/spike_times_index');
    const idDs = child(u, 'id');
    const ids = idDs instanceof m.Dataset ? Array.from(numbers(idDs, file, '/units/id')) : Array.from(index, (_, k) => k);
    if (ids.length !== index.length) {
      throw new InvalidInputError(`${file}: /units/id has ${ids.length} entries but /units/spike_times_index has ${index.length}`);
    }
    const trains: Float64Array[] = [];
    let start = 0;
    for (let k = 0; k < index.length; k++) {
      const end = index[k];
      if (!Number.isInteger(end) || end < start || end > times.length) {
        throw new InvalidInputError(`${file}: /units/spike_times_index[${k}] = ${end} is not a valid end offset (previous ${start}, ${times.length} spike times)`);
      }
      const t = times.slice(start, end);
      for (let i = 0; i < t.length; i++) {
        const pos = `${file}: /units/spike_times[${start + i}] (unit ${ids[k]})`;
        if (!Number.isFinite(t[i])) throw new NotFiniteError(`${pos} is ${t[i]}`);
        if (t[i] < 0) throw new InvalidInputError(`${pos}: negative spike time ${t[i]}`);
        if (i > 0 && t[i] < t[i - 1]) throw new InvalidInputError(`${pos}: spike times are not sorted (${t[i]} after ${t[i - 1]})`);
      }
      trains.push(t);
      start = end;
    }
    return { kind: 'spikes', ids, times: trains };
  });
}

const SERIES_TYPES = new Set(['TimeSeries', 'RoiResponseSeries', 'ElectricalSeries', 'SpikeEventSeries', 'FluorescenceSeries']);

/** Paths of every TimeSeries-like group (by `neurodata_type`) in the file, depth-first. */
export async function listNwbSeries(file: string): Promise<Array<{ path: string; type: string }>> {
  return withFile(file, (h, m) => findSeries(h, m, ''));
}

function findSeries(g: H5Group, m: H5, prefix: string): Array<{ path: string; type: string }> {
  const out: Array<{ path: string; type: string }> = [];
  for (const name of g.keys()) {
    if (prefix === '' && (name === 'specifications' || name === 'general' || name === 'stimulus')) continue;
    const c = g.get(name);
    if (!(c instanceof m.Group)) continue;
    const p = `${prefix}/${name}`;
    const t = neurodataType(c as unknown as { attrs: Record<string, { value: unknown }> });
    if (t && SERIES_TYPES.has(t) && c.keys().includes('data')) out.push({ path: p, type: t });
    else out.push(...findSeries(c, m, p));
  }
  return out;
}

/**
 * Reads a TimeSeries / RoiResponseSeries as a neurons x frames raster (`series` is its HDF5
 * path; default: the first RoiResponseSeries, else the first TimeSeries).
 */
export async function readNwbSeries(file: string, series?: string): Promise<Raster> {
  return withFile(file, (h, m) => {
    let p = series;
    if (!p) {
      const all = findSeries(h, m, '');
      const pick = all.find((s) => s.type === 'RoiResponseSeries') ?? all[0];
      if (!pick) throw new InvalidInputError(`${file}: no TimeSeries or RoiResponseSeries found`);
      p = pick.path;
    }
    const g = p.split('/').filter(Boolean).reduce<unknown>((acc, part) => (acc instanceof m.Group ? child(acc, part) : null), h);
    if (!(g instanceof m.Group)) throw new InvalidInputError(`${file}: no group at ${p}`);
    const d = dataset(m, g, 'data', file, p);
    const shape = d.shape ?? [];
    if (shape.length < 1 || shape.length > 2) {
      throw new InvalidInputError(`${file}: ${p}/data must be 1-D or 2-D (time x channels), got shape (${shape.join(', ')})`);
    }
    const frames = shape[0];
    const channels = shape.length === 2 ? shape[1] : 1;
    const raw = numbers(d, file, `${p}/data`);
    if (raw.length !== frames * channels) throw new ParseError(`${p}/data holds ${raw.length} values for shape (${shape.join(', ')})`, { file });
    const data = new Float64Array(frames * channels);
    for (let t = 0; t < frames; t++) {
      for (let c = 0; c < channels; c++) {
        const v = raw[t * channels + c];
        if (!Number.isFinite(v)) throw new NotFiniteError(`${file}: ${p}/data[${t}, ${c}] is ${v}`);
        data[c * frames + t] = v;
      }
    }
    // NWB scaling: value = data * conversion + offset
    const conv = Number(d.attrs['conversion']?.value ?? 1);
    const offset = Number(d.attrs['offset']?.value ?? 0);
    if (conv !== 1 || offset !== 0) for (let i = 0; i < data.length; i++) data[i] = data[i] * conv + offset;
    let times: Float64Array | undefined;
    let rate: number | undefined;
    const ts = child(g, 'timestamps');
    if (ts instanceof m.Dataset) {
      times = numbers(ts, file, `${p}/timestamps`);
      if (times.length !== frames) throw new InvalidInputError(`${file}: ${p}/timestamps has ${times.length} entries for ${frames} frames`);
    } else {
      const st = child(g, 'starting_time');
      if (st instanceof m.Dataset) {
        const t0 = Number(st.value as number);
        rate = Number(st.attrs['rate']?.value);
        if (Number.isFinite(rate) && rate > 0) times = Float64Array.from({ length: frames }, (_, k) => t0 + k / rate!);
      }
    }
    if (times && rate === undefined && times.length > 1) {
      const span = times[times.length - 1] - times[0];
      if (span > 0) rate = (times.length - 1) / span;
    }
    return { kind: 'raster', neurons: channels, samples: frames, data, times, rate };
  });
}
