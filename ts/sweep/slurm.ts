/**
 * The Slurm executor: one sbatch job array for the tasks (each array task runs
 * `diffrg sweep run-task DIR $SLURM_ARRAY_TASK_ID`) and a merge job that starts after the
 * whole array succeeded (`--dependency=afterok:<id> --kill-on-invalid-dep=yes`), both submitted
 * with `sbatch --parsable`. Slurm does all the scheduling; diffrg only writes scripts, submits
 * and reads `squeue` / `sacct`.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiffrgError, InvalidInputError } from '../errors';
import { ensureDirSync, writeFileAtomicSync } from '../io/atomic';
import type { PlanSlurm } from './plan';

/** Settings of the submitted jobs (the plan's `slurm` block merged with the CLI flags). */
export interface SlurmSettings extends PlanSlurm {
  cpusPerTask: number;
}

/** One submission: the array job, the indices it covers, and its merge job. */
export interface Submission {
  arrayJobId: string;
  mergeJobId: string;
  indices: number[];
  submitted: string;
}

const CLI = path.resolve(__dirname, '../../bin/diffrg.js');
const jobsFile = (dir: string) => path.join(dir, 'slurm', 'jobs.jsonl');

/** A failed Slurm command (sbatch missing, rejected submission). */
export class SlurmError extends DiffrgError {
  constructor(message: string) {
    super('ERR_IO', message);
  }
}

/**
 * `--array` value for `indices`: ranges where consecutive (`0-3,7,9-10`), with `%limit`.
 */
export function arraySpec(indices: number[], limit?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (limit ? `%${limit}` : '');
}

function header(s: SlurmSettings, name: string): string[] {
  const lines = [`#SBATCH --job-name=${name}`, `#SBATCH --cpus-per-task=${s.cpusPerTask}`];
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  if (s.account) lines.push(`#SBATCH --account=${s.account}`);
  if (s.mem) lines.push(`#SBATCH --mem=${s.mem}`);
  if (s.time) lines.push(`#SBATCH --time=${s.time}`);
  for (const x of s.extra ?? []) lines.push(`#SBATCH ${x}`);
  return lines;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes the array and merge scripts into `DIR/slurm/` and returns their paths. */
export function writeScripts(dir: string, s: SlurmSettings): { array: string; merge: string } {
  const abs = path.resolve(dir);
  const sdir = path.join(abs, 'slurm');
  ensureDirSync(sdir);
  ensureDirSync(path.join(abs, 'logs'));
  const node = quote(process.execPath);
  const array = [
    '#!/bin/bash',
    `# Written by diffrg sweep (ts/sweep/slurm.ts): one array task = one sweep task.`,
    ...header(s, 'diffrg-sweep'),
    `#SBATCH --output=${path.join(abs, 'logs', 'task-%a.log')}`,
    `export DIFFRG_THREADS=${s.cpusPerTask}`,
    `exec ${node} ${quote(CLI)} sweep run-task ${quote(abs)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
  const merge = [
    '#!/bin/bash',
    `# Written by diffrg sweep (ts/sweep/slurm.ts): merges the task results once the array succeeded.`,
    ...header({ ...s, cpusPerTask: 1, mem: undefined }, 'diffrg-sweep-merge'),
    `#SBATCH --output=${path.join(abs, 'logs', 'merge-%j.log')}`,
    `exec ${node} ${quote(CLI)} sweep merge ${quote(abs)}`,
    '',
  ].join('\n');
  const files = { array: path.join(sdir, 'array.sh'), merge: path.join(sdir, 'merge.sh') };
  writeFileAtomicSync(files.array, array);
  writeFileAtomicSync(files.merge, merge);
  return files;
}

function sbatch(args: string[]): string {
  const r = spawnSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' });
  if (r.error) throw new SlurmError(`cannot run sbatch: ${r.error.message} (is Slurm installed? scripts/slurm-local.sh start brings up a local one)`);
  if (r.status !== 0) throw new SlurmError(`sbatch ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  // --parsable prints "jobid" or "jobid;cluster"
  const id = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch printed '${r.stdout.trim()}', not a job id`);
  return id;
}

/** Submits the array for `indices` and its merge job; records the submission in `DIR/slurm/jobs.jsonl`. */
export function submit(dir: string, indices: number[], s: SlurmSettings): Submission {
  if (indices.length === 0) throw new InvalidInputError('nothing to submit');
  const files = writeScripts(dir, s);
  const arrayJobId = sbatch([`--array=${arraySpec(indices, s.limit)}`, files.array]);
  const mergeJobId = sbatch([`--dependency=afterok:${arrayJobId}`, '--kill-on-invalid-dep=yes', files.merge]);
  const sub: Submission = { arrayJobId, mergeJobId, indices: [...indices].sort((a, b) => a - b), submitted: new Date().toISOString() };
  appendFileSync(jobsFile(dir), JSON.stringify(sub) + '\n');
  return sub;
}

export function submissions(dir: string): Submission[] {
  let text = '';
  try {
    text = readFileSync(jobsFile(dir), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Submission);
}

/**
 * States of this sweep's array tasks known to Slurm right now, by task index: from `squeue`
 * (pending/running), then `sacct` where the cluster keeps accounting (finished states such as
 * FAILED, CANCELLED, TIMEOUT). A single-node Slurm without accounting answers only `squeue`.
 * Later submissions win over earlier ones for the same index.
 */
export function queueStates(dir: string): { states: Map<number, { state: string; jobId: string }>; submitted: boolean; accounting: boolean; squeue: boolean } {
  const subs = submissions(dir);
  const states = new Map<number, { state: string; jobId: string }>();
  if (subs.length === 0) return { states, submitted: false, accounting: false, squeue: false };
  const ids = new Set(subs.map((s) => s.arrayJobId));
  const order = new Map(subs.map((s, k) => [s.arrayJobId, k]));
  const put = (idx: number, state: string, jobId: string, arrayId: string) => {
    const prev = states.get(idx);
    if (prev && (order.get(prev.jobId.split('_')[0]) ?? -1) > (order.get(arrayId) ?? -1)) return;
    states.set(idx, { state, jobId });
  };
  let accounting = false;
  const sacct = spawnSync('sacct', ['-n', '-P', '-X', '-j', [...ids].join(','), '-o', 'JobID,State'], { encoding: 'utf8' });
  if (!sacct.error && sacct.status === 0 && !/disabled/i.test(sacct.stderr + sacct.stdout)) {
    accounting = true;
    for (const line of sacct.stdout.split('\n')) {
      const [jobId, state] = line.trim().split('|');
      const m = /^(\d+)_(\d+)$/.exec(jobId ?? '');
      if (m && ids.has(m[1])) put(Number(m[2]), (state ?? '').split(' ')[0], jobId, m[1]);
    }
  }
  let squeue = false;
  const q = spawnSync('squeue', ['-h', '-r', '--me', '-o', '%i|%T'], { encoding: 'utf8' });
  if (!q.error && q.status === 0) {
    squeue = true;
    for (const line of q.stdout.split('\n')) {
      const [jobId, state] = line.trim().split('|');
      const m = /^(\d+)_(\d+)$/.exec(jobId ?? '');
      if (m && ids.has(m[1])) put(Number(m[2]), state, jobId, m[1]);
    }
  }
  return { states, submitted: true, accounting, squeue };
}

/** Slurm states of a task that is still queued or running. */
export const ACTIVE_STATES = ['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING', 'REQUEUE_HOLD', 'REQUEUE_FED', 'SIGNALING', 'STAGE_OUT'];
