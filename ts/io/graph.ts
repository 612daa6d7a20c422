/**
 * Graph readers: edge lists (CSV / TSV / whitespace, optional header, `%` and `#` comments as in
 * KONECT and Matrix Market files, integer or string ids, optional weight column), dense adjacency
 * matrices (CSV/whitespace text or NPY) and Matrix Market `.mtx` coordinate files
 * (real / integer / pattern; general / symmetric).
 *
 * Ids: integer ids are mapped to indices in ascending numeric order, string ids in order of first
 * appearance; either way `graph.labels[i]` is the file's id of node i.
 *
 * A comment line `# nodes: id,id,...` (as `diffrg infer` writes) lists nodes of the graph that
 * may have no edge; they are kept as isolated nodes.
 *
 * Bad input raises a typed error whose message starts with `file:line:` (ParseError for
 * malformed text, NotFiniteError for NaN/Inf weights, InvalidInputError for negative weights,
 * ragged or non-square matrices, ids out of range and empty graphs). Nothing is dropped silently:
 * self-loops, merged duplicate edges, zero-weight entries, ignored extra columns and nodes outside
 * the largest component are counted in `warnings`.
 *
 * Symmetry: a general (non-symmetric-format) matrix that equals its transpose is loaded as an
 * undirected graph from its upper triangle (so weights are not doubled); otherwise as a directed
 * graph (scans symmetrize it as A + A^T).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Graph, type GraphOptions } from '../graph';
import { InvalidInputError, IoError, NotFiniteError, ParseError } from '../errors';
import { parseNpy, toFloat64 } from './npy';
import { ensureBudget, noteInput } from './guard';
import { runSteps, runStepsAsync, STEP, type Steps } from './steps';

export type GraphFormat = 'auto' | 'edges' | 'dense' | 'npy' | 'mtx';

/** What the reader does with negative weights (see {@link ReadGraphOptions.negative}). */
export type NegativePolicy = 'error' | 'abs' | 'drop' | 'dale';

export interface ReadGraphOptions extends GraphOptions {
  /** File format; `auto` uses the extension (.mtx, .npy) and, for text, the shape. @default 'auto' */
  format?: GraphFormat;
  /** Edge lists: the first data line is a header; `auto` detects a non-numeric weight field or column names. @default 'auto' */
  header?: boolean | 'auto';
  /**
   * Negative weights (signed graphs, e.g. inferred inhibitory couplings): fail, use |w|, drop
   * the edge (counted in `warnings.negative`), or `dale`: a node whose outgoing weights sum below
   * zero (incident weights for undirected graphs) is a net-negative source, an inhibitory neuron
   * under Dale's principle; all its out-edges are dropped and its label is listed in
   * {@link LoadedGraph.negativeSources}; the remaining negative edges are dropped (counted in
   * `warnings.negative`). @default 'error'
   */
  negative?: NegativePolicy;
  /**
   * Edge lists with more columns (e.g. connectomes with `pre,post,type,count`): the source,
   * target and weight columns by header name or 0-based index. A name needs a header line.
   * @default source 0, target 1, weight 2 (when present)
   */
  sourceColumn?: string | number;
  targetColumn?: string | number;
  weightColumn?: string | number;
}

/** Counts of everything the reader dropped or changed. */
export interface GraphWarnings {
  count: number;
  selfLoops: number;
  duplicates: number;
  zeroWeights: number;
  extraColumns: number;
  outsideLargestComponent: number;
  /** Negative weights made positive (`negative: 'abs'`) or dropped (`negative: 'drop'`). */
  negative: number;
  /** Human-readable summary lines, one per non-zero counter. */
  messages: string[];
}

export interface LoadedGraph {
  graph: Graph;
  format: Exclude<GraphFormat, 'auto'>;
  warnings: GraphWarnings;
  /** `negative: 'dale'`: labels of the net-negative sources (their out-edges are not in `graph`). */
  negativeSources?: string[];
}

interface RawEdges {
  n: number;
  sources: number[];
  targets: number[];
  weights: number[] | undefined;
  labels: string[];
  directed: boolean;
}

/** A comment line listing the graph's nodes, isolated ones included: `# nodes: 3,7,11`. */
const NODES_LINE = /^#\s*nodes:\s*(.*)$/i;

const HEADER_WORDS = /^(source|target|src|dst|from|to|weight|w|pvalue|qvalue|zscore|node\d*|u|v|i|j|id\d*|row|col|column)$/i;

function newWarnings(): GraphWarnings {
  return { count: 0, selfLoops: 0, duplicates: 0, zeroWeights: 0, extraColumns: 0, outsideLargestComponent: 0, negative: 0, messages: [] };
}

function splitFields(line: string): string[] {
  // A line separated by semicolons keeps its commas inside fields, so that a decimal comma
  // (`0;1;0,5`) reaches the number parser as '0,5' and is refused there, never misread as 0.
  const sep = line.includes(';') ? /\s*[;\t]\s*/ : /\s*[,;\t]\s*|\s+/;
  return line
    .trim()
    .split(sep)
    .map((f) => f.replace(/^"(.*)"$/, '$1'));
}

/** Applies the `negative` policy to a weight: |w|, 0 (dropped later as a zero weight), or an error. */
function signPolicy(w: number, options: ReadGraphOptions, warnings: GraphWarnings, where: () => string): number {
  if (w >= 0) return w;
  const policy = options.negative ?? 'error';
  if (policy === 'error') throw new InvalidInputError(`${where()}: negative weight ${w} (signed graph: use --negative abs|drop, API option negative: 'abs' | 'drop' | 'dale')`);
  // dale keeps the sign here: the sources are classified once every edge is read
  if (policy === 'dale') return w;
  warnings.negative++;
  return policy === 'abs' ? -w : 0;
}

function parseWeight(field: string, file: string, line: number, options: ReadGraphOptions, warnings: GraphWarnings): number {
  const t = field.trim();
  const w = /^[+-]?inf(inity)?$/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
  if (t === '' || (Number.isNaN(w) && !/^[+-]?nan$/i.test(t))) {
    const hint = /^[+-]?\d*,\d+$/.test(t) ? " (a decimal comma? diffrg reads '.' as the decimal separator)" : '';
    throw new ParseError(`weight '${field}' is not a number${hint}`, { file, line });
  }
  if (!Number.isFinite(w)) throw new NotFiniteError(`${file}:${line}: weight is ${field} (finite weights required)`);
  return signPolicy(w, options, warnings, () => `${file}:${line}`);
}

/** Parses an edge list. */
export function parseEdgeList(text: string, file = '<edges>', options: ReadGraphOptions = {}, warnings = newWarnings()): RawEdges {
  return runSteps(edgeListSteps(text, file, options, warnings));
}

/** {@link parseEdgeList} as a step generator (yields every {@link STEP} lines). */
/**
 * The data lines of a text (trimmed; blank and `%`/`#` comment lines skipped) with their 1-based
 * line numbers, found one at a time (a large file is never split whole). The node ids of
 * `# nodes:` lines are added to `listed` when given.
 */
function* dataLines(text: string, listed?: string[]): Generator<{ t: string; line: number }> {
  for (let k = 0, pos = 0; pos <= text.length; k++) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const t = text.slice(pos, end).trim();
    pos = end + 1;
    if (listed && t.startsWith('#')) {
      const nodes = NODES_LINE.exec(t);
      if (nodes) listed.push(...nodes[1].split(/[\s,;]+/).filter((x) => x !== ''));
    }
    if (t === '' || t.startsWith('%') || t.startsWith('#')) continue;
    yield { t, line: k + 1 };
  }
}

function* edgeListSteps(text: string, file: string, options: ReadGraphOptions, warnings: GraphWarnings): Steps<RawEdges> {
  // the first data lines decide the header and the columns; the rest is parsed line by line
  // without keeping split rows around (a large file then stays cheap to collect)
  const first: { fields: string[]; line: number }[] = [];
  for (const { t, line } of dataLines(text)) {
    first.push({ fields: splitFields(t), line });
    if (first.length === 3) break;
  }
  let start = 0;
  const header = options.header ?? 'auto';
  if (first.length > 0) {
    const f = first[0].fields;
    const isNum = (s: string | undefined) => s !== undefined && s !== '' && !Number.isNaN(Number(s));
    const looksHeader =
      f.every((x) => HEADER_WORDS.test(x)) ||
      (f.length >= 3 && !isNum(f[2]) && first.length > 1 && isNum(first[1].fields[2]));
    // a column chosen by name says the first line is the header
    const named = [options.sourceColumn, options.targetColumn, options.weightColumn].some((c) => typeof c === 'string' && !/^\d+$/.test(c));
    if (header === true || (header === 'auto' && (looksHeader || named))) start = 1;
  }
  const names = start === 1 ? first[0].fields.map((f) => f.trim().toLowerCase()) : undefined;
  const column = (spec: string | number | undefined, dflt: number, what: string): number => {
    if (spec === undefined) return dflt;
    if (typeof spec === 'number' || /^\d+$/.test(spec)) {
      const k = Number(spec);
      const width = first[start]?.fields.length ?? 0;
      if (!Number.isInteger(k) || k < 0 || k >= width) throw new InvalidInputError(`${file}: ${what} column ${spec} out of range for ${width} columns`);
      return k;
    }
    if (!names) throw new InvalidInputError(`${file}: ${what} column '${spec}' is a name, but the file has no header line (pass --header, or a 0-based index)`);
    const k = names.indexOf(spec.toLowerCase());
    if (k < 0) throw new InvalidInputError(`${file}:${first[0].line}: no ${what} column named '${spec}' in the header (${first[0].fields.join(', ')})`);
    return k;
  };
  const sc = column(options.sourceColumn, 0, 'source');
  const tc = column(options.targetColumn, 1, 'target');
  const wc = column(options.weightColumn, 2, 'weight');
  const explicitWeight = options.weightColumn !== undefined;
  const used = Math.max(sc, tc, explicitWeight ? wc : 1) + 1;
  const src: string[] = [];
  const dst: string[] = [];
  const weights: number[] = [];
  let weighted = false;
  // `# nodes: id,id,...` comment lines list nodes that may have no edge (diffrg infer writes one)
  const listed: string[] = [];
  let r = 0;
  for (const { t, line } of dataLines(text, listed)) {
    if (r++ % STEP === 0) yield;
    if (r === 1 && start === 1) continue;
    const fields = splitFields(t);
    if (fields.length < used) throw new ParseError(`expected at least ${used} columns (source, target${explicitWeight ? ', weight' : ''}), got '${fields.join(' ')}'`, { file, line });
    src.push(fields[sc]);
    dst.push(fields[tc]);
    if (fields.length > wc) {
      weighted = true;
      weights.push(parseWeight(fields[wc], file, line, options, warnings));
    } else {
      if (weighted) throw new ParseError('missing weight (earlier lines have a weight column)', { file, line });
      weights.push(1);
    }
    // extra columns are only suspect when no header names the third one as the weight
    if (fields.length > Math.max(3, used) && options.weightColumn === undefined && options.sourceColumn === undefined && !/^(weight|w)$/.test(names?.[2] ?? '')) warnings.extraColumns++;
  }
  if (src.length === 0 && listed.length === 0) throw new InvalidInputError(`${file}: empty graph (no edges found)`);
  // Ids: all integers -> ascending numeric order; otherwise first appearance (listed nodes first).
  const all = listed.concat(src, dst);
  let integer = true;
  for (let k = 0; k < all.length && integer; k++) {
    if (k % STEP === 0) yield;
    integer = /^[+-]?\d+$/.test(all[k]);
  }
  let ids: string[];
  if (integer) {
    const unique = new Set<bigint>();
    for (let k = 0; k < all.length; k++) {
      if (k % STEP === 0) yield;
      unique.add(BigInt(all[k]));
    }
    ids = Array.from(unique).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
  } else {
    ids = Array.from(new Set(all));
  }
  const index = new Map<string, number>(ids.map((s, i) => [s, i]));
  // plain decimal ids are their own key; others ('+5', '007') are normalised through BigInt
  const key = integer ? (s: string) => (/^(0|[1-9]\d*)$/.test(s) ? s : String(BigInt(s))) : (s: string) => s;
  const sources = new Array<number>(src.length);
  const targets = new Array<number>(dst.length);
  for (let k = 0; k < src.length; k++) {
    if (k % STEP === 0) yield;
    sources[k] = index.get(key(src[k]))!;
    targets[k] = index.get(key(dst[k]))!;
  }
  return { n: ids.length, sources, targets, weights: weighted ? weights : undefined, labels: ids, directed: options.directed ?? false };
}

/** Dense adjacency from a row-major square matrix; `where(i, j)` names an entry in errors. */
function fromDense(n: number, get: (i: number, j: number) => number, where: (i: number, j: number) => string, options: ReadGraphOptions, labels?: string[], warnings = newWarnings()): RawEdges {
  if (n === 0) throw new InvalidInputError(`${where(0, 0).split(':')[0]}: empty graph (0 x 0 matrix)`);
  let symmetric = true;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = get(i, j);
      if (!Number.isFinite(v)) throw new NotFiniteError(`${where(i, j)}: entry (${i}, ${j}) is ${v} (finite weights required)`);
      if (v < 0 && (options.negative ?? 'error') === 'error') throw new InvalidInputError(`${where(i, j)}: negative weight ${v} at (${i}, ${j})`);
      if (j < i && (options.negative === 'abs' ? Math.abs(v) !== Math.abs(get(j, i)) : v !== get(j, i))) symmetric = false;
    }
  }
  const directed = options.directed ?? !symmetric;
  const sources: number[] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = directed ? 0 : i; j < n; j++) {
      const v = signPolicy(get(i, j), options, warnings, () => where(i, j));
      if (v !== 0) {
        sources.push(i);
        targets.push(j);
        weights.push(v);
      }
    }
  }
  return { n, sources, targets, weights, labels: labels ?? Array.from({ length: n }, (_, i) => String(i)), directed };
}

/** Parses a dense adjacency matrix in text form (comma / tab / space separated). */
export function parseDenseText(text: string, file = '<dense>', options: ReadGraphOptions = {}, warnings = newWarnings()): RawEdges {
  const lines = text.split(/\r?\n/);
  const rows: number[][] = [];
  const lineNo: number[] = [];
  let labels: string[] | undefined;
  let width = -1;
  for (let k = 0; k < lines.length; k++) {
    const t = lines[k].trim();
    if (t === '' || t.startsWith('%') || t.startsWith('#')) continue;
    const fields = splitFields(t);
    if (rows.length === 0 && labels === undefined && fields.some((f) => Number.isNaN(Number(f)) && !/^[+-]?(nan|inf(inity)?)$/i.test(f))) {
      labels = fields;
      width = fields.length;
      continue;
    }
    if (width >= 0 && fields.length !== width) {
      throw new InvalidInputError(`${file}:${k + 1}: ragged rows: ${fields.length} values, expected ${width}`);
    }
    width = fields.length;
    rows.push(
      fields.map((f) => {
        const v = Number(f.replace(/^([+-]?)inf$/i, '$1Infinity'));
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(f)) throw new ParseError(`'${f}' is not a number`, { file, line: k + 1 });
        return v;
      }),
    );
    lineNo.push(k + 1);
  }
  if (rows.length !== width && rows.length > 0) {
    throw new InvalidInputError(`${file}: adjacency matrix is not square (${rows.length} rows x ${width} columns)`);
  }
  return fromDense(rows.length, (i, j) => rows[i][j], (i) => `${file}:${lineNo[i] ?? 0}`, options, labels, warnings);
}

/** Parses a dense adjacency matrix stored as NPY. */
export function parseDenseNpy(bytes: Uint8Array, file = '<npy>', options: ReadGraphOptions = {}, warnings = newWarnings()): RawEdges {
  const arr = parseNpy(bytes, file);
  if (arr.shape.length !== 2 || arr.shape[0] !== arr.shape[1]) {
    throw new InvalidInputError(`${file}: adjacency matrix must be square 2-D (shape (${arr.shape.join(', ')}))`);
  }
  const n = arr.shape[0];
  const data = toFloat64(arr.data);
  return fromDense(n, (i, j) => data[i * n + j], (i, j) => `${file}:[${i},${j}]`, options, undefined, warnings);
}

/**
 * Peak bytes the reader and graph construction use per node and per edge (measured: a one-edge
 * Matrix Market graph of 10^6 nodes peaked at 1.9 GB, mostly its node labels), for the memory
 * budget check of declared sizes.
 */
const BYTES_PER_NODE = 2048;
const BYTES_PER_EDGE = 256;

/** Parses a Matrix Market coordinate file (real / integer / pattern; general / symmetric). */
export function parseMatrixMarket(text: string, file = '<mtx>', options: ReadGraphOptions = {}, warnings = newWarnings()): RawEdges {
  const lines = text.split(/\r?\n/);
  const banner = /^%%MatrixMarket\s+matrix\s+(\w+)\s+(\w+)\s+(\w+)/i.exec(lines[0] ?? '');
  if (!banner) throw new ParseError("missing '%%MatrixMarket matrix <format> <field> <symmetry>' banner", { file, line: 1 });
  const [fmt, field, sym] = [banner[1].toLowerCase(), banner[2].toLowerCase(), banner[3].toLowerCase()];
  if (fmt !== 'coordinate') throw new ParseError(`format '${fmt}' not supported (coordinate only)`, { file, line: 1 });
  if (!['real', 'integer', 'pattern'].includes(field)) throw new ParseError(`field '${field}' not supported (real, integer, pattern)`, { file, line: 1 });
  if (!['general', 'symmetric'].includes(sym)) throw new ParseError(`symmetry '${sym}' not supported (general, symmetric)`, { file, line: 1 });
  let k = 1;
  while (k < lines.length && (lines[k].trim() === '' || lines[k].trim().startsWith('%'))) k++;
  if (k >= lines.length) throw new ParseError('missing size line', { file, line: k });
  const size = splitFields(lines[k]).map(Number);
  if (size.length !== 3 || size.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new ParseError(`size line must be 'rows cols entries', got '${lines[k].trim()}'`, { file, line: k + 1 });
  }
  const [nr, nc, nnz] = size;
  if (nr !== nc) throw new InvalidInputError(`${file}:${k + 1}: adjacency matrix is not square (${nr} x ${nc})`);
  if (nr === 0) throw new InvalidInputError(`${file}:${k + 1}: empty graph (0 x 0 matrix)`);
  // The header's sizes are checked before anything is allocated for them: a one-line file can
  // declare billions of nodes. The entries must also be present in the file.
  ensureBudget(`the declared ${nr}-node, ${nnz}-entry graph`, nr * BYTES_PER_NODE + nnz * BYTES_PER_EDGE, file);
  const dataLines = lines.length - k - 1;
  if (nnz > dataLines) throw new ParseError(`size line declares ${nnz} entries but only ${dataLines} lines follow`, { file, line: k + 1 });
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (k = k + 1; k < lines.length; k++) {
    const t = lines[k].trim();
    if (t === '' || t.startsWith('%')) continue;
    const f = splitFields(t);
    const want = field === 'pattern' ? 2 : 3;
    if (f.length < want) throw new ParseError(`expected ${want} fields, got '${t}'`, { file, line: k + 1 });
    if (f.length > want) warnings.extraColumns++;
    const i = Number(f[0]);
    const j = Number(f[1]);
    if (!Number.isInteger(i) || !Number.isInteger(j)) throw new ParseError(`indices must be integers, got '${f[0]} ${f[1]}'`, { file, line: k + 1 });
    if (i < 1 || i > nr || j < 1 || j > nc) {
      throw new InvalidInputError(`${file}:${k + 1}: index (${i}, ${j}) out of range for a ${nr} x ${nc} matrix`);
    }
    rows.push(i - 1);
    cols.push(j - 1);
    vals.push(field === 'pattern' ? 1 : parseWeight(f[2], file, k + 1, options, warnings));
  }
  if (rows.length !== nnz) throw new ParseError(`size line declares ${nnz} entries, found ${rows.length}`, { file, line: lines.length });
  const labels = Array.from({ length: nr }, (_, i) => String(i + 1));
  if (sym === 'symmetric') {
    return { n: nr, sources: rows, targets: cols, weights: field === 'pattern' ? undefined : vals, labels, directed: options.directed ?? false };
  }
  // General: undirected from the upper triangle if the matrix equals its transpose.
  const entry = new Map<number, number>();
  for (let e = 0; e < rows.length; e++) entry.set(rows[e] * nr + cols[e], (entry.get(rows[e] * nr + cols[e]) ?? 0) + vals[e]);
  let symmetric = true;
  for (const [key, v] of entry) {
    const i = Math.floor(key / nr);
    const j = key % nr;
    if ((entry.get(j * nr + i) ?? 0) !== v) {
      symmetric = false;
      break;
    }
  }
  const directed = options.directed ?? !symmetric;
  const keep = (e: number) => directed || rows[e] <= cols[e];
  const idx = rows.map((_, e) => e).filter(keep);
  return {
    n: nr,
    sources: idx.map((e) => rows[e]),
    targets: idx.map((e) => cols[e]),
    weights: field === 'pattern' ? undefined : idx.map((e) => vals[e]),
    labels,
    directed,
  };
}

function detectFormat(file: string, text: string | undefined): Exclude<GraphFormat, 'auto'> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.mtx') return 'mtx';
  if (ext === '.npy') return 'npy';
  if (text?.startsWith('%%MatrixMarket')) return 'mtx';
  // Text: dense when the data rows are as many as their (>= 4) columns (ragged ones too, to be
  // refused), or the file is *.adj.*
  if (/\.adj(\.|$)/i.test(path.basename(file))) return 'dense';
  const head = (text ?? '').split(/\r?\n/, 2000);
  const data = head.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('%') && !l.startsWith('#'));
  if (data.length >= 2) {
    const width = splitFields(data[1]).length;
    const header = splitFields(data[0]);
    const firstNumeric = header.every((f) => !Number.isNaN(Number(f)));
    // An edge-list header (source,target,...) or non-numeric ids in a data row mean an edge list.
    if (HEADER_WORDS.test(header[0] ?? '') && HEADER_WORDS.test(header[1] ?? '')) return 'edges';
    const numeric = (f: string) => !Number.isNaN(Number(f)) || /^[+-]?(nan|inf(inity)?)$/i.test(f);
    const body = firstNumeric ? data : data.slice(1);
    const widths = body.map((l) => splitFields(l).length);
    const widest = Math.max(...widths);
    // all data lines: counted in full only when a square matrix is possible (never for a long
    // edge list, which would otherwise be split whole here)
    const allRows = head.length < 2000 ? data.length : widest >= 4 ? (text ?? '').split(/\r?\n/).filter((l) => l.trim() !== '' && !/^\s*[%#]/.test(l)).length : -1;
    const rowNumeric = splitFields(data[1]).every(numeric);
    if (width >= 4 && rowNumeric && (allRows === width || (allRows === width + 1 && !firstNumeric))) return 'dense';
    // A ragged square-ish matrix (rows of different lengths, as many rows as the widest or the
    // most common row is long) is a broken adjacency matrix, not an edge list: the dense parser
    // refuses it naming the first ragged line.
    const counts = new Map<number, number>();
    for (const w of widths) counts.set(w, (counts.get(w) ?? 0) + 1);
    const mode = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
    const rows = allRows - (firstNumeric ? 0 : 1);
    if (counts.size > 1 && mode >= 4 && (rows === mode || rows === widest) && body.every((l) => splitFields(l).every(numeric))) return 'dense';
  }
  return 'edges';
}

/** Statistics of what `Graph.fromEdges` will drop or merge. */
function* countDrops(raw: RawEdges, options: ReadGraphOptions, w: GraphWarnings): Steps<void> {
  const directed = (raw.directed || options.directed === true) && !options.symmetrize;
  const seen = new Set<number>();
  const n = raw.n;
  for (let e = 0; e < raw.sources.length; e++) {
    if (e % STEP === 0) yield;
    const s = raw.sources[e];
    const t = raw.targets[e];
    if (s === t && options.dropSelfLoops !== false) {
      w.selfLoops++;
      continue;
    }
    if (raw.weights && raw.weights[e] === 0) {
      w.zeroWeights++;
      continue;
    }
    const key = directed ? s * n + t : Math.min(s, t) * n + Math.max(s, t);
    if (seen.has(key)) w.duplicates++;
    else seen.add(key);
  }
}

function summarize(w: GraphWarnings): void {
  const items: [number, string][] = [
    [w.selfLoops, 'self-loops dropped'],
    [w.duplicates, `duplicate edges merged (weights summed)`],
    [w.zeroWeights, 'zero-weight entries dropped'],
    [w.extraColumns, 'lines with extra columns (ignored)'],
    [w.outsideLargestComponent, 'nodes outside the largest component dropped'],
    [w.negative, 'edges handled by the negative-weight policy (negative weights made positive or dropped; dale: out-edges of net-negative sources dropped too)'],
  ];
  w.messages = items.filter(([c]) => c > 0).map(([c, m]) => `${c} ${m}`);
  w.count = w.selfLoops + w.duplicates + w.zeroWeights + w.extraColumns + w.outsideLargestComponent + w.negative;
}

/**
 * `negative: 'dale'`: marks the nodes whose outgoing weights sum below zero, removes their
 * out-edges and every other negative edge (all counted in `warnings.negative`), and returns the
 * marked nodes' labels. `ordered`: every entry is a (source, target) pair, as in an edge list
 * (even one read as undirected) or an asymmetric matrix; otherwise (the upper triangle of a
 * symmetric matrix) incident weights and incident edges are used.
 */
function* daleSplit(raw: RawEdges, ordered: boolean, w: GraphWarnings): Steps<string[]> {
  const weights = raw.weights;
  if (!weights) return [];
  const net = new Float64Array(raw.n);
  for (let e = 0; e < weights.length; e++) {
    if (e % STEP === 0) yield;
    const s = raw.sources[e];
    const t = raw.targets[e];
    if (s === t) continue;
    net[s] += weights[e];
    if (!ordered) net[t] += weights[e];
  }
  let m = 0;
  for (let e = 0; e < weights.length; e++) {
    if (e % STEP === 0) yield;
    const s = raw.sources[e];
    const t = raw.targets[e];
    if (weights[e] < 0 || net[s] < 0 || (!ordered && net[t] < 0)) {
      w.negative++;
      continue;
    }
    raw.sources[m] = s;
    raw.targets[m] = t;
    weights[m++] = weights[e];
  }
  raw.sources.length = m;
  raw.targets.length = m;
  weights.length = m;
  return raw.labels.filter((_, i) => net[i] < 0);
}

/** Builds the graph from parsed edges, applying the graph options and counting warnings. */
function* build(raw: RawEdges, options: ReadGraphOptions, w: GraphWarnings): Steps<Graph> {
  yield* countDrops(raw, options, w);
  const g = Graph.fromEdges(
    { n: raw.n, sources: raw.sources, targets: raw.targets, weights: raw.weights, labels: raw.labels },
    { directed: raw.directed, symmetrize: options.symmetrize, unweighted: options.unweighted, dropSelfLoops: options.dropSelfLoops },
  );
  if (!options.largestComponent) return g;
  const lc = g.largestComponent();
  w.outsideLargestComponent = g.n - lc.n;
  return lc;
}

/** Parses graph data already in memory; `file` names it in errors. */
export function parseGraph(data: string | Uint8Array, file: string, options: ReadGraphOptions = {}): LoadedGraph {
  return runSteps(graphSteps(data, file, options));
}

function* graphSteps(data: string | Uint8Array, file: string, options: ReadGraphOptions): Steps<LoadedGraph> {
  const warnings = newWarnings();
  let format = options.format ?? 'auto';
  const text = typeof data === 'string' ? data : format === 'npy' || path.extname(file).toLowerCase() === '.npy' ? undefined : new TextDecoder().decode(data);
  if (format === 'auto') format = detectFormat(file, text);
  let raw: RawEdges;
  switch (format) {
    case 'npy': {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      raw = parseDenseNpy(bytes, file, options, warnings);
      break;
    }
    case 'mtx':
      raw = parseMatrixMarket(text ?? '', file, options, warnings);
      break;
    case 'dense':
      raw = parseDenseText(text ?? '', file, options, warnings);
      break;
    case 'edges':
      raw = yield* edgeListSteps(text ?? '', file, options, warnings);
      break;
    default:
      throw new InvalidInputError(`format must be one of auto, edges, dense, npy, mtx (got '${format as string}')`);
  }
  const negativeSources = options.negative === 'dale' ? yield* daleSplit(raw, format === 'edges' || raw.directed, warnings) : undefined;
  const graph = yield* build(raw, options, warnings);
  summarize(warnings);
  return negativeSources ? { graph, format, warnings, negativeSources } : { graph, format, warnings };
}

/** Reads a graph file (edge list, dense CSV/NPY adjacency or Matrix Market). */
export function readGraph(file: string, options: ReadGraphOptions = {}): LoadedGraph {
  return parseGraph(readGraphBytes(file), file, options);
}

/**
 * {@link readGraph} that lets the event loop run about every 50 ms while it parses (timers,
 * signals, progress): what the CLI uses, so that Ctrl-C or SIGTERM during the parse of a large
 * edge list is handled at once.
 */
export async function readGraphAsync(file: string, options: ReadGraphOptions = {}): Promise<LoadedGraph> {
  return runStepsAsync(graphSteps(readGraphBytes(file), file, options));
}

function readGraphBytes(file: string): Uint8Array {
  try {
    // A plain copy: Node Buffers may be views into a shared pool (parseNpy assumes offset 0).
    const bytes = new Uint8Array(readFileSync(file));
    noteInput(file);
    return bytes;
  } catch (err) {
    throw new IoError(`${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
}
