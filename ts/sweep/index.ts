/**
 * Sweeps: a plan (inputs x a grid of options for diffrg commands) run as independent tasks,
 * locally in a process pool or on Slurm as one job array, then merged into one table. diffrg
 * has no scheduler or daemon of its own: the local executor is a pool of child processes, and
 * on a cluster Slurm does the scheduling. See docs/cluster.md.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import * as path from 'node:path';
import { InvalidInputError } from '../errors';
import { ensureDirSync, writeFileAtomicSync } from '../io/atomic';
import { expandPlan, readPlan, validateSlurm, type PlanSlurm } from './plan';
import { mergeSweep, type MergeSummary } from './merge';
import { ACTIVE_STATES, queueStates, submit, type SlurmSettings, type Submission } from './slurm';
import { SWEEP_FORMAT, doneManifest, readSweep, sweepFile, taskFailure, taskLog, taskRunning, type SweepFile } from './task';

export { SWEEP_COMMANDS, readPlan, validatePlan, expandPlan, expandGlob, type Plan, type PlanCommand, type PlanSlurm, type Task, type OptionValue } from './plan';
export { runTask, readSweep, type SweepFile, type TaskManifest, type TaskFailure } from './task';
export { mergeSweep, type MergeOptions, type MergeSummary } from './merge';
export { arraySpec, SlurmError, type Submission } from './slurm';

export type Executor = 'local' | 'slurm';

export interface SweepOptions {
  /** `local` (process pool) or `slurm` (job array + merge job). @default 'local' */
  executor?: Executor;
  /** Local executor: tasks at once. @default max(1, floor(cores / threads)) */
  jobs?: number;
  /** Threads per task; overrides the plan's `threads`. @default plan.threads, else 1 */
  threads?: number;
  /** Slurm settings overriding the plan's `slurm` block. */
  slurm?: PlanSlurm;
  /** Called with each finished local task (index and outcome). */
  onTask?: (index: number, outcome: 'done' | 'failed') => void;
}

export interface SweepRun {
  executor: Executor;
  tasks: number;
  /** Local: tasks run now (the done ones are not rerun), the failed ones, and the merge (when every task is done). */
  ran?: number;
  failed?: number[];
  merge?: MergeSummary;
  /** Slurm: the submission (array and merge job ids). */
  submission?: Submission;
}

/**
 * Plans the sweep of `planFile` into `dir` (writes `DIR/sweep.json`) and runs or submits every
 * task that is not done yet.
 */
export async function sweep(planFile: string, dir: string, options: SweepOptions = {}): Promise<SweepRun> {
  const plan = readPlan(planFile);
  const tasks = expandPlan(plan, path.dirname(path.resolve(planFile)));
  const threads = options.threads ?? plan.threads ?? 1;
  const executor = options.executor ?? 'local';
  ensureDirSync(path.join(dir, 'logs'));
  const s: SweepFile = { format: SWEEP_FORMAT, version: 1, planFile: path.resolve(planFile), plan, executor, threads, tasks };
  writeFileAtomicSync(sweepFile(dir), JSON.stringify(s, null, 2) + '\n');
  const todo = tasks.filter((t) => !doneManifest(dir, t)).map((t) => t.index);
  return execute(dir, s, todo, options);
}

/** Runs or resubmits only the failed and missing tasks of a sweep (not the done or running ones). */
export async function resume(dir: string, options: SweepOptions = {}): Promise<SweepRun> {
  const s = readSweep(dir);
  if (options.executor && options.executor !== s.executor) {
    s.executor = options.executor;
    writeFileAtomicSync(sweepFile(dir), JSON.stringify(s, null, 2) + '\n');
  }
  const st = sweepStatus(dir);
  const todo = [...st.failed.map((f) => f.index), ...st.missing].sort((a, b) => a - b);
  return execute(dir, s, todo, { ...options, threads: options.threads ?? s.threads });
}

async function execute(dir: string, s: SweepFile, todo: number[], options: SweepOptions): Promise<SweepRun> {
  const executor = options.executor ?? s.executor;
  if (executor === 'slurm') {
    if (todo.length === 0) return { executor, tasks: s.tasks.length, merge: await mergeSweep(dir) };
    if (options.slurm) validateSlurm(options.slurm, 'diffrg sweep', '--');
    const settings: SlurmSettings = { ...s.plan.slurm, ...options.slurm, cpusPerTask: options.slurm?.cpusPerTask ?? s.plan.slurm?.cpusPerTask ?? s.threads };
    return { executor, tasks: s.tasks.length, submission: submit(dir, todo, settings) };
  }
  const jobs = options.jobs ?? Math.max(1, Math.floor(availableParallelism() / s.threads));
  const outcomes = await runLocal(dir, todo, jobs, options.onTask);
  const failed = todo.filter((_, k) => outcomes[k] === 'failed');
  const run: SweepRun = { executor, tasks: s.tasks.length, ran: todo.length, failed };
  if (failed.length === 0) run.merge = await mergeSweep(dir);
  return run;
}

const CLI = path.resolve(__dirname, '../../bin/diffrg.js');

/** The local process pool: at most `jobs` `diffrg sweep run-task` children at once, each logging to its task log. */
async function runLocal(dir: string, indices: number[], jobs: number, onTask?: SweepOptions['onTask']): Promise<('done' | 'failed')[]> {
  const out: ('done' | 'failed')[] = new Array(indices.length);
  let next = 0;
  const worker = async () => {
    while (next < indices.length) {
      const k = next++;
      const i = indices[k];
      const fd = openSync(taskLog(dir, i), 'w');
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'sweep', 'run-task', path.resolve(dir), String(i)], { stdio: ['ignore', fd, fd] });
        child.on('close', (c) => resolve(c));
        child.on('error', () => resolve(null));
      });
      closeSync(fd);
      // the manifest decides (a task killed from outside may still exit 0)
      out[k] = code === 0 && doneManifest(dir, readSweep(dir).tasks[i]) ? 'done' : 'failed';
      onTask?.(i, out[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, indices.length) }, worker));
  return out;
}

export interface SweepStatus {
  tasks: number;
  done: number[];
  running: { index: number; where: string }[];
  failed: { index: number; error: string; log: string }[];
  missing: number[];
  /** Whether tasks were submitted to Slurm, whether its `squeue` answered, and whether `sacct` has accounting data. */
  slurm: boolean;
  squeue: boolean;
  accounting: boolean;
}

/**
 * Done, running, failed (with their log) and missing tasks, from the task manifests and
 * markers, `squeue`, and `sacct` where the cluster keeps accounting. A task Slurm lists as
 * pending or running is running; one that ended without a manifest (killed, cancelled,
 * out of time) is failed; one never started is missing.
 */
export function sweepStatus(dir: string): SweepStatus {
  const s = readSweep(dir);
  const q = queueStates(dir);
  const st: SweepStatus = { tasks: s.tasks.length, done: [], running: [], failed: [], missing: [], slurm: q.submitted, squeue: q.squeue, accounting: q.accounting };
  for (const t of s.tasks) {
    const i = t.index;
    const log = taskLog(dir, i);
    if (doneManifest(dir, t)) {
      st.done.push(i);
      continue;
    }
    const slurm = q.states.get(i);
    if (slurm && ACTIVE_STATES.includes(slurm.state)) {
      st.running.push({ index: i, where: `slurm job ${slurm.jobId} ${slurm.state}` });
      continue;
    }
    const run = taskRunning(dir, i);
    const failure = taskFailure(dir, i);
    if (run && !slurm && run.host === hostname() && alive(run.pid)) {
      st.running.push({ index: i, where: `pid ${run.pid}` });
    } else if (failure) {
      st.failed.push({ index: i, error: failure.error, log: failure.log });
    } else if (slurm) {
      st.failed.push({ index: i, error: `ended as ${slurm.state} (slurm job ${slurm.jobId}) without a result`, log });
    } else if (run) {
      st.failed.push({ index: i, error: `stopped while running (${run.slurmJobId ? `slurm job ${run.slurmJobId}` : `pid ${run.pid} on ${run.host}`}) without a result`, log });
    } else {
      st.missing.push(i);
    }
  }
  return st;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Checks a `--jobs` value. */
export function checkJobs(jobs: number | undefined): void {
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new InvalidInputError(`jobs must be a positive integer (got ${jobs})`);
}
