/**
 * Neural activity files: spike tables (CSV/TSV), NPY/NPZ arrays and NWB, plus writers
 * (CSV, NPY, JSON).
 *
 * Two in-memory types:
 * - {@link SpikeTrains}: ragged, sorted spike times (seconds) per neuron, with the file's ids.
 * - {@link Raster}: a dense neurons x bins (or frames) float64 matrix, row-major, e.g. calcium
 *   traces or binned counts.
 *
 * Bad input raises typed errors naming the file and position: `ParseError` (ERR_PARSE) for
 * malformed text/bytes, `InvalidInputError` (ERR_INVALID_INPUT) for unsorted or negative times,
 * ids out of range and wrong shapes, `NotFiniteError` (ERR_NOT_FINITE) for NaN/Infinity.
 * Writers go through `writeFileAtomic`, so a failure never leaves a partial file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, NotFiniteError, ParseError, IoError } from '../errors';
import { writeFileAtomic } from './atomic';
import { readLines } from './lines';
import { encodeNpy, parseNpy, parseNpz, toFloat64, type NpyArray } from './npy';
import * as nwb from './nwb';
import { noteInput } from './guard';

/** Spike trains: `times[k]` holds the sorted spike times (seconds) of neuron `ids[k]`. */
export interface SpikeTrains {
  kind: 'spikes';
  /** The id of each neuron as given by the file (CSV ids, NWB unit ids, array indices). */
  ids: number[];
  /** Sorted, non-negative spike times in seconds, one array per neuron. */
  times: Float64Array[];
  /** What the reader assumed because the file did not say (e.g. an array's layout); the CLI prints each as a warning. */
  guessed?: string[];
}

/** A dense activity matrix, neurons x samples, row-major. */
export interface Raster {
  kind: 'raster';
  neurons: number;
  samples: number;
  /** `data[i * samples + t]` is neuron `i` at sample `t`. */
  data: Float64Array;
  /** Sampling times in seconds, when known (NWB timestamps or starting_time + k / rate). */
  times?: Float64Array;
  /** Sampling rate in Hz, when known. */
  rate?: number;
  /** Ids of the rows (defaults to 0..neurons-1). */
  ids?: number[];
  /** What the reader assumed because the file did not say (orientation, no sampling rate); the CLI prints each as a warning. */
  guessed?: string[];
}

export type Activity = SpikeTrains | Raster;

/** Column names of a table of neuron labels (communities, ensembles, cell types), never of spike times. */
const LABEL_COLUMN = /^(ensembles?|communit(y|ies)|clusters?|labels?|groups?|class(es)?|types?|cell_?types?|partitions?|modules?|assemblies|assembly)$/;

/** The row ids of activity (a raster without ids: `0..neurons-1`). */
export function activityIds(activity: Activity): number[] {
  return activity.kind === 'spikes' ? activity.ids : activity.ids ?? Array.from({ length: activity.neurons }, (_, i) => i);
}

/**
 * Activity in the flat form the core bins: spike trains as CSR `offsets`/`times` with the bin
 * width `binSeconds`; dense rows with their sample period (`1 / rate` when the file has a rate,
 * else `binSeconds`).
 */
export type ActivityFrames =
  | { kind: 'spikes'; offsets: Float64Array; times: Float64Array; bin: number }
  | { kind: 'dense'; data: Float64Array; rows: number; samples: number; period: number };

export function activityFrames(activity: Activity, binSeconds = 0.01): ActivityFrames {
  if (activity.kind === 'spikes') {
    if (!(binSeconds > 0 && Number.isFinite(binSeconds))) throw new InvalidInputError(`binSeconds must be positive (got ${binSeconds})`);
    const rows = activity.ids.length;
    const offsets = new Float64Array(rows + 1);
    activity.times.forEach((t, r) => (offsets[r + 1] = offsets[r] + t.length));
    const times = new Float64Array(offsets[rows]);
    activity.times.forEach((t, r) => times.set(t, offsets[r]));
    return { kind: 'spikes', offsets, times, bin: binSeconds };
  }
  const period = activity.rate !== undefined ? 1 / activity.rate : binSeconds;
  if (!(period > 0 && Number.isFinite(period))) throw new InvalidInputError(`the sample period must be positive (got ${period})`);
  return { kind: 'dense', data: activity.data, rows: activity.neurons, samples: activity.samples, period };
}

/** Time units of a spike table's time column. */
export type TimeUnit = 's' | 'ms' | 'us';

const UNIT_SCALE: Record<TimeUnit, number> = { s: 1, ms: 1e-3, us: 1e-6 };
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

const UNIT_WORDS: Record<string, TimeUnit> = {
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  ms: 'ms', msec: 'ms', msecs: 'ms', millisecond: 'ms', milliseconds: 'ms',
  us: 'us', 'µs': 'us', usec: 'us', usecs: 'us', microsecond: 'us', microseconds: 'us',
};

/**
 * Reads a time column's header: `time`, `t`, `times`, `spike_time(s)`, `timestamp(s)`, with an
 * optional unit as a suffix (`time_ms`) or in brackets (`time (ms)`, `t[s]`). Returns undefined
 * for a name that is not a time column; a time column with a unit diffrg does not know
 * (`time (min)`) is refused rather than read as seconds.
 */
export function timeHeader(name: string, file: string, line: number): { unit?: TimeUnit } | undefined {
  const m = /^"?\s*(time|times|t|spike_times?|timestamps?)\s*(?:[_\s]\s*([a-zµ]+)|[[(]\s*([a-zµ]+)\s*[\])])?\s*"?$/i.exec(name.trim());
  if (!m) return undefined;
  const word = (m[2] ?? m[3])?.toLowerCase();
  if (word === undefined) return {};
  const unit = UNIT_WORDS[word];
  if (unit === undefined) throw new ParseError(`time column '${name.trim()}' has unit '${word}'; diffrg reads s, ms or us (convert the column or pass the unit explicitly)`, { file, line });
  return { unit };
}

export interface SpikeTableOptions {
  /**
   * Unit of the time column; times are converted to seconds.
   * @default from the time column's header (`time_ms` -> ms, `time_us` -> us), else 's'
   */
  units?: TimeUnit;
  /** Field separator. @default ',' for .csv, '\t' for .tsv/.tab, else detected from the first data line */
  delimiter?: string;
  /** When given, neuron ids must be integers in `0..neurons-1` and every id gets a (possibly empty) train. */
  neurons?: number;
  /** Name (header) or 0-based index of the neuron column. @default 'neuron' or column 0 */
  neuronColumn?: string | number;
  /** Name (header) or 0-based index of the time column. @default the first column named time/time_s/time_ms/t, else column 1 */
  timeColumn?: string | number;
}

function where(file: string, line: number): string {
  return `${file}:${line}`;
}

/**
 * Reads a spike table (`neuron,time` rows, optional header) line by line from a stream: a long
 * recording is never held as one string. Times within each neuron must be non-decreasing and
 * non-negative; rows of different neurons may interleave.
 */
export async function readSpikeTable(file: string, options: SpikeTableOptions = {}): Promise<SpikeTrains> {
  const units = options.units ?? 's';
  let scale = UNIT_SCALE[units];
  if (scale === undefined) throw new InvalidInputError(`units must be one of s, ms, us (got '${units}')`);
  if (options.neurons !== undefined && !(Number.isInteger(options.neurons) && options.neurons >= 0)) {
    throw new InvalidInputError(`neurons must be a non-negative integer (got ${options.neurons})`);
  }
  const ext = path.extname(file).toLowerCase();
  let delim = options.delimiter ?? (ext === '.tsv' || ext === '.tab' ? '\t' : ext === '.csv' ? ',' : undefined);
  const trains = new Map<number, number[]>();
  const last = new Map<number, number>();
  let neuronCol = -1;
  let timeCol = -1;
  let lineNo = 0;

  const handle = (line: string) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    if (delim === undefined) delim = line.includes('\t') ? '\t' : line.includes(',') ? ',' : /\s+/.test(line.trim()) ? ' ' : ',';
    const fields = delim === ' ' ? line.trim().split(/\s+/) : line.split(delim);
    if (neuronCol < 0) {
      // first non-empty line: header or data
      const numeric = fields.every((f) => f.trim() !== '' && Number.isFinite(Number(f)));
      const names = fields.map((f) => f.trim().toLowerCase());
      const pick = (spec: string | number | undefined, fallbacks: string[], dflt: number, what: string): number => {
        if (typeof spec === 'number') {
          if (!Number.isInteger(spec) || spec < 0 || spec >= fields.length) {
            throw new InvalidInputError(`${where(file, lineNo)}: ${what} index ${spec} out of range for ${fields.length} columns`);
          }
          return spec;
        }
        if (typeof spec === 'string') {
          const k = names.indexOf(spec.toLowerCase());
          if (k < 0 || numeric) throw new ParseError(`no column named '${spec}' in the header (${fields.join(delim)})`, { file, line: lineNo });
          return k;
        }
        if (!numeric) {
          const k = names.findIndex((nm) => fallbacks.includes(nm));
          if (k >= 0) return k;
        }
        return dflt;
      };
      neuronCol = pick(options.neuronColumn, ['neuron', 'neuron_id', 'unit', 'id', 'cell'], 0, 'neuronColumn');
      const timeNamed = numeric || typeof options.timeColumn === 'number' ? -1 : names.findIndex((nm, k) => k !== neuronCol && timeHeader(nm, file, lineNo) !== undefined);
      timeCol = timeNamed >= 0 && options.timeColumn === undefined ? timeNamed : pick(options.timeColumn, [], neuronCol === 1 ? 0 : 1, 'timeColumn');
      if (fields.length < 2) throw new ParseError(`expected at least 2 columns (neuron, time), found ${fields.length}`, { file, line: lineNo });
      // a header without a time column but with a label column (`neuron,ensemble`, a
      // *_ensembles.csv next to the spikes) is a labels table: its labels would be read as times
      const label = names.find((nm) => LABEL_COLUMN.test(nm));
      if (!numeric && timeNamed < 0 && options.timeColumn === undefined && label !== undefined) {
        throw new ParseError(
          `the header (${fields.join(delim)}) has the column '${label}' and no time column: this looks like a table of neuron labels (e.g. *_ensembles.csv), not spike times; a spike table has a neuron and a time column (time, time_s, time_ms, t, ...)`,
          { file, line: lineNo },
        );
      }
      // a header that names the unit sets it (a `time_ms` column read as seconds would stretch the
      // recording 1000-fold without any error); an explicit `units` option wins
      if (!numeric && options.units === undefined) {
        const unit = timeHeader(fields[timeCol], file, lineNo)?.unit;
        if (unit) scale = UNIT_SCALE[unit];
      }
      if (!numeric) return; // header
    }
    if (fields.length <= Math.max(neuronCol, timeCol)) {
      throw new ParseError(`expected at least ${Math.max(neuronCol, timeCol) + 1} columns, found ${fields.length}`, { file, line: lineNo });
    }
    const idText = fields[neuronCol].trim();
    const tText = fields[timeCol].trim();
    const id = Number(idText);
    const t = Number(tText);
    if (NON_FINITE.test(idText)) throw new NotFiniteError(`${where(file, lineNo)}: neuron id is ${idText}`);
    if (NON_FINITE.test(tText)) throw new NotFiniteError(`${where(file, lineNo)}: spike time is ${tText}`);
    if (idText === '' || Number.isNaN(id)) throw new ParseError(`neuron id '${idText}' is not a number`, { file, line: lineNo });
    if (tText === '' || Number.isNaN(t)) throw new ParseError(`time '${tText}' is not a number`, { file, line: lineNo });
    // '1e400' parses to Infinity without matching the NaN/Inf spellings above
    if (!Number.isFinite(id) || !Number.isFinite(t)) throw new NotFiniteError(`${where(file, lineNo)}: ${Number.isFinite(id) ? `spike time ${tText}` : `neuron id ${idText}`} overflows to ${Number.isFinite(id) ? t : id}`);
    if (!Number.isSafeInteger(id) || id < 0) throw new InvalidInputError(`${where(file, lineNo)}: neuron id '${idText}' must be a non-negative integer below 2^53`);
    if (options.neurons !== undefined && id >= options.neurons) {
      throw new InvalidInputError(`${where(file, lineNo)}: neuron id ${id} out of range (neurons = ${options.neurons})`);
    }
    const ts = t * scale;
    if (ts < 0) throw new InvalidInputError(`${where(file, lineNo)}: negative spike time ${tText}`);
    const prev = last.get(id);
    if (prev !== undefined && ts < prev) {
      throw new InvalidInputError(`${where(file, lineNo)}: spike times of neuron ${id} are not sorted (${tText} after ${prev / scale})`);
    }
    last.set(id, ts);
    let arr = trains.get(id);
    if (!arr) trains.set(id, (arr = []));
    arr.push(ts);
  };

  for await (const [line, no] of readLines(file)) {
    lineNo = no;
    handle(line);
  }
  return finishTrains(trains, options.neurons);
}

function finishTrains(trains: Map<number, number[]>, neurons?: number): SpikeTrains {
  const ids = neurons !== undefined ? Array.from({ length: neurons }, (_, i) => i) : [...trains.keys()].sort((a, b) => a - b);
  return { kind: 'spikes', ids, times: ids.map((id) => Float64Array.from(trains.get(id) ?? [])) };
}

/** How to interpret a 2-D array: two columns (neuron, time) or a neurons x bins raster. */
export type ArrayLayout = 'auto' | 'spikes' | 'raster';

export interface ArrayOptions {
  /** @default 'auto': `spikes` for a (k, 2) array with k > 2, else `raster` */
  layout?: ArrayLayout;
  /** Unit of spike times in a two-column array. @default 's' */
  units?: TimeUnit;
  /** Neuron ids must lie in `0..neurons-1` (spike arrays). */
  neurons?: number;
  /** NPZ member to read (without `.npy`). @default `neurons`+`times` pair, else the only member, else `raster`/`data`/`spikes` */
  key?: string;
}

/** Converts a parsed NPY array to activity (see {@link ArrayOptions}); `file` names errors. */
export function activityFromArray(arr: NpyArray, file: string, options: ArrayOptions = {}): Activity {
  if (arr.shape.length !== 2) {
    throw new InvalidInputError(`${file}: expected a 2-D array (neurons x bins, or k x 2 spikes), got shape (${arr.shape.join(', ')})`);
  }
  const [rows, cols] = arr.shape;
  const layout = options.layout ?? 'auto';
  const asSpikes = layout === 'spikes' || (layout === 'auto' && cols === 2 && rows > 2);
  const values = toFloat64(arr.data);
  if (!asSpikes) {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new NotFiniteError(`${file}: element [${Math.floor(bad / cols)}, ${bad % cols}] is ${values[bad]}`);
    // an NPY array does not say which axis is time: rows are neurons, which is suspect when
    // there are more of them than samples
    const guessed = rows > cols ? [`${file}: read as ${rows} neurons x ${cols} samples (rows = neurons, more rows than columns): if the rows are time samples, transpose the array`] : undefined;
    return { kind: 'raster', neurons: rows, samples: cols, data: values, ...(guessed ? { guessed } : {}) };
  }
  if (cols !== 2) throw new InvalidInputError(`${file}: a spike array must have shape (k, 2) [neuron, time], got (${rows}, ${cols})`);
  const neurons = new Float64Array(rows);
  const times = new Float64Array(rows);
  for (let k = 0; k < rows; k++) {
    neurons[k] = values[2 * k];
    times[k] = values[2 * k + 1];
  }
  const trains = spikesFromColumns(neurons, times, file, options);
  if (layout === 'auto') trains.guessed = [`${file}: a (${rows}, 2) array, read as ${rows} spikes [neuron, time in ${options.units ?? 's'}], not as a 2-sample raster`];
  return trains;
}

/** Builds spike trains from parallel neuron/time columns, validating as the CSV reader does. */
export function spikesFromColumns(neurons: ArrayLike<number>, times: ArrayLike<number>, file: string, options: { units?: TimeUnit; neurons?: number } = {}): SpikeTrains {
  if (neurons.length !== times.length) {
    throw new InvalidInputError(`${file}: neuron and time columns differ in length (${neurons.length} and ${times.length})`);
  }
  const scale = UNIT_SCALE[options.units ?? 's'];
  if (scale === undefined) throw new InvalidInputError(`units must be one of s, ms, us (got '${options.units}')`);
  const trains = new Map<number, number[]>();
  for (let k = 0; k < neurons.length; k++) {
    const id = neurons[k];
    const t = times[k];
    if (!Number.isFinite(id) || !Number.isFinite(t)) throw new NotFiniteError(`${file}: row ${k}: ${Number.isFinite(id) ? 'time' : 'neuron id'} is ${Number.isFinite(id) ? t : id}`);
    if (!Number.isSafeInteger(id) || id < 0) throw new InvalidInputError(`${file}: row ${k}: neuron id ${id} must be a non-negative integer below 2^53`);
    if (options.neurons !== undefined && id >= options.neurons) throw new InvalidInputError(`${file}: row ${k}: neuron id ${id} out of range (neurons = ${options.neurons})`);
    if (t < 0) throw new InvalidInputError(`${file}: row ${k}: negative spike time ${t}`);
    let arr = trains.get(id);
    if (!arr) trains.set(id, (arr = []));
    if (arr.length > 0 && t * scale < arr[arr.length - 1]) {
      throw new InvalidInputError(`${file}: row ${k}: spike times of neuron ${id} are not sorted (${t} after ${arr[arr.length - 1] / scale})`);
    }
    arr.push(t * scale);
  }
  return finishTrains(trains, options.neurons);
}

/** Reads activity from an `.npy` or `.npz` file (see {@link ArrayOptions}). */
export async function readActivityArray(file: string, options: ArrayOptions = {}): Promise<Activity> {
  let bytes: Uint8Array;
  try {
    // a plain Uint8Array copy: Node Buffers' slice() is a view on a shared pool, which npy.ts's
    // parser would misread (it builds typed arrays on raw.buffer at offset 0)
    bytes = new Uint8Array(await fs.readFile(file));
    noteInput(file);
  } catch (err) {
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (path.extname(file).toLowerCase() !== '.npz') return activityFromArray(parseNpy(bytes, file), file, options);
  const members = parseNpz(bytes, file);
  const neuronKey = ['neurons', 'neuron', 'spike_neurons'].find((k) => members.has(k));
  const timeKey = ['times', 'time', 'spike_times'].find((k) => members.has(k));
  if (!options.key && neuronKey && timeKey) {
    const a = members.get(neuronKey)!;
    const b = members.get(timeKey)!;
    if (a.shape.length !== 1 || b.shape.length !== 1) {
      throw new InvalidInputError(`${file}: '${neuronKey}' and '${timeKey}' must be 1-D, got (${a.shape.join(', ')}) and (${b.shape.join(', ')})`);
    }
    return spikesFromColumns(toFloat64(a.data), toFloat64(b.data), file, options);
  }
  const key = options.key ?? (members.size === 1 ? [...members.keys()][0] : ['raster', 'data', 'spikes'].find((k) => members.has(k)));
  const arr = key !== undefined ? members.get(key) : undefined;
  if (!arr) {
    throw new InvalidInputError(`${file}: choose a member with the key option (members: ${[...members.keys()].join(', ') || 'none'})`);
  }
  return activityFromArray(arr, `${file}[${key}]`, options);
}

export interface ReadActivityOptions extends SpikeTableOptions, ArrayOptions {
  /** NWB: which data to read. @default 'units' when the file has a Units table, else 'series' */
  nwb?: 'units' | 'series';
  /** NWB: path of the TimeSeries/RoiResponseSeries group (default: the first one found). */
  series?: string;
}

/** Reads any supported activity file, dispatching on the extension (.csv/.tsv/.txt, .npy/.npz, .nwb/.h5). */
export async function readActivity(file: string, options: ReadActivityOptions = {}): Promise<Activity> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy' || ext === '.npz') return readActivityArray(file, options);
  if (ext === '.nwb' || ext === '.h5' || ext === '.hdf5') {
    if (options.nwb === 'series' || options.series) return nwb.readNwbSeries(file, options.series);
    if (options.nwb === 'units') return nwb.readNwbUnits(file);
    return (await nwb.hasUnits(file)) ? nwb.readNwbUnits(file) : nwb.readNwbSeries(file);
  }
  return readSpikeTable(file, options);
}

/** Writes spike trains as CSV `neuron,time_s` (rows sorted by time, then neuron). */
export async function writeSpikesCsv(file: string, spikes: SpikeTrains): Promise<void> {
  const rows: Array<[number, number]> = [];
  spikes.times.forEach((ts, k) => ts.forEach((t) => rows.push([t, spikes.ids[k]])));
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const parts: string[] = ['neuron,time_s\n'];
  for (let i = 0; i < rows.length; i += 65536) {
    parts.push(rows.slice(i, i + 65536).map(([t, id]) => `${id},${t}\n`).join(''));
  }
  await writeFileAtomic(file, parts.join(''));
}

/**
 * Writes activity as NPY: a raster as float64 (neurons, samples); spike trains as a float64
 * (k, 2) array of [neuron id, time in seconds] sorted by time.
 */
export async function writeActivityNpy(file: string, activity: Activity): Promise<void> {
  if (activity.kind === 'raster') {
    await writeFileAtomic(file, encodeNpy({ dtype: 'float64', shape: [activity.neurons, activity.samples], data: activity.data }));
    return;
  }
  const total = activity.times.reduce((a, t) => a + t.length, 0);
  const rows: Array<[number, number]> = [];
  activity.times.forEach((ts, k) => ts.forEach((t) => rows.push([t, activity.ids[k]])));
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const data = new Float64Array(2 * total);
  rows.forEach(([t, id], r) => {
    data[2 * r] = id;
    data[2 * r + 1] = t;
  });
  await writeFileAtomic(file, encodeNpy({ dtype: 'float64', shape: [total, 2], data }));
}

/** Plain-JSON form of activity (`{kind, ids, times}` or `{kind, neurons, samples, data, ...}`). */
export function activityToJson(activity: Activity): unknown {
  if (activity.kind === 'spikes') return { kind: 'spikes', ids: activity.ids, times: activity.times.map((t) => Array.from(t)) };
  return {
    kind: 'raster',
    neurons: activity.neurons,
    samples: activity.samples,
    data: Array.from(activity.data),
    ...(activity.times ? { times: Array.from(activity.times) } : {}),
    ...(activity.rate !== undefined ? { rate: activity.rate } : {}),
    ...(activity.ids ? { ids: activity.ids } : {}),
  };
}

/** Writes activity as JSON (see {@link activityToJson}). */
export async function writeActivityJson(file: string, activity: Activity): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(activityToJson(activity)) + '\n');
}
