/**
 * The merge of a sweep: one table of all tasks' results, `results.csv` plus `results.jsonl`,
 * one row per computation (the shards of a sharded scan merge into one row), in task order.
 * Columns: `task` (first task index), `command`, `input`, the plan's option names (block options
 * and grid), then the scalar fields of the command's `--json` result (nested objects flattened
 * with dots: `plateau.level`; arrays left out). A result field named like an option anywhere in
 * the plan (or like a fixed column) is `result.<name>` in every row. Timing is kept out of the table (it is in the manifests) so that two runs of
 * one plan give the same table.
 */
import * as path from 'node:path';
import { InvalidInputError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { readSlqShardFile } from '../io/slq-shard';
import { mergeSlqShards, scanJson } from '../spectral';
import { doneManifest, readJson, readSweep, taskDir } from './task';
import type { Task } from './plan';

export interface MergeOptions {
  /** Write the rows of the computations done so far instead of failing on missing tasks. @default false */
  partial?: boolean;
}

export interface MergeSummary {
  rows: number;
  /** Tasks not done (left out with `partial`). */
  missing: number[];
  csv: string;
  jsonl: string;
}

export type Row = Record<string, string | number | boolean | null>;

/** Merges the finished tasks of the sweep in `dir` into `DIR/results.csv` and `DIR/results.jsonl`. */
export async function mergeSweep(dir: string, options: MergeOptions = {}): Promise<MergeSummary> {
  const sweep = readSweep(dir);
  const groups = new Map<number, Task[]>();
  for (const t of sweep.tasks) groups.set(t.group, [...(groups.get(t.group) ?? []), t]);
  const missing = sweep.tasks.filter((t) => !doneManifest(dir, t)).map((t) => t.index);
  if (missing.length && !options.partial) {
    throw new InvalidInputError(`${dir}: ${missing.length} of ${sweep.tasks.length} tasks are not done (${abbreviate(missing)}): see \`diffrg sweep status ${dir}\`, or merge with --partial`);
  }
  const skip = new Set(missing);
  // column names of the table's own fields and of every option in the plan
  const taken = new Set(['task', 'command', 'input', 'shards', ...sweep.tasks.flatMap((t) => Object.keys(t.options))]);
  const rows: Row[] = [];
  for (const tasks of groups.values()) {
    if (tasks.some((t) => skip.has(t.index))) continue;
    const t = tasks[0];
    let result: unknown;
    if (t.shard) {
      const shards = tasks.map((s) => readSlqShardFile(path.join(taskDir(dir, s.index), 'shard.json')));
      const o = shards[0].run.options;
      result = scanJson(await mergeSlqShards(shards.map((s) => s.data), { laplacian: o.laplacian, tauMin: o.tauMin, tauMax: o.tauMax, tauCount: o.tauCount, threads: sweep.threads }));
    } else {
      result = readJson(path.join(taskDir(dir, t.index), 'result.json'));
    }
    rows.push(row(t, result, taken));
  }
  const columns = orderColumns(rows);
  const csv = path.join(dir, 'results.csv');
  const jsonl = path.join(dir, 'results.jsonl');
  await writeFileAtomic(csv, [columns.map(csvCell).join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c] ?? '')).join(','))].join('\n') + '\n');
  await writeFileAtomic(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  return { rows: rows.length, missing, csv, jsonl };
}

function row(t: Task, result: unknown, taken: Set<string>): Row {
  const r: Row = { task: t.index, command: t.command, input: t.input };
  if (t.shard) r.shards = t.shard.count;
  for (const [k, v] of Object.entries(t.options)) r[k] = v;
  const flat: Row = {};
  flatten(result, '', flat);
  for (const [k, v] of Object.entries(flat)) r[taken.has(k) ? `result.${k}` : k] = v;
  return r;
}

function flatten(v: unknown, prefix: string, out: Row): void {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
    if (prefix) out[prefix] = v;
    return;
  }
  if (Array.isArray(v) || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
}

/** Columns in first-seen order over the rows (so the fixed ones and the options come first). */
function orderColumns(rows: Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function csvCell(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `0-3, 7, 9` (at most 20 entries shown). */
export function abbreviate(ids: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length && parts.length < 20; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(', ') + (parts.length === 20 ? ', ...' : '');
}
