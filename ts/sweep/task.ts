/**
 * One sweep task (`diffrg sweep run-task DIR INDEX`): runs the diffrg CLI on the task's input
 * with its options, then writes the outputs and a manifest atomically. A task whose manifest
 * matches (same command, options, shard, input checksum and diffrg version, outputs intact)
 * is skipped, so rerunning a sweep or an array task is safe.
 *
 * Task directory `DIR/tasks/<index>/`: `result.json` (the command's `--json` output),
 * `shard.json` (shard tasks), `out/` (commands with an output directory), `manifest.json`
 * (written last: a task is done exactly when its manifest is valid), `running.json` while it
 * runs, `failed.json` when it failed. Its log is `DIR/logs/task-<index>.log`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { InvalidInputError, ParseError } from '../errors';
import { ensureDirSync, writeFileAtomic, writeFileAtomicSync } from '../io/atomic';
import { sha256, sha256File } from '../io/checksum';
import { SWEEP_COMMANDS, optionArgs, type Plan, type Task } from './plan';

export const SWEEP_FORMAT = 'diffrg-sweep';

/** `DIR/sweep.json`: the plan and its expanded tasks. */
export interface SweepFile {
  format: typeof SWEEP_FORMAT;
  version: 1;
  /** The plan file as given, and the plan itself (validated). */
  planFile: string;
  plan: Plan;
  /** `local` or `slurm`: how the sweep was last run (`resume` reuses it). */
  executor: 'local' | 'slurm';
  threads: number;
  tasks: Task[];
}

/** `manifest.json` of a finished task. */
export interface TaskManifest {
  format: 'diffrg-sweep-task';
  version: 1;
  index: number;
  /** SHA-256 over command, options, shard, input checksum and diffrg version: what "matches" means. */
  key: string;
  command: string;
  input: string;
  inputSha256: string;
  options: Task['options'];
  shard: Task['shard'] | null;
  /** The task's seed option (null: the command's default seed). */
  seed: number | string | boolean | null;
  diffrgVersion: string;
  argv: string[];
  threads: number;
  outputs: { file: string; sha256: string }[];
  host: string;
  slurmJobId: string | null;
  started: string;
  finished: string;
  seconds: number;
}

export interface TaskFailure {
  index: number;
  exitCode: number | null;
  signal: string | null;
  error: string;
  log: string;
  host: string;
  slurmJobId: string | null;
  finished: string;
}

export const VERSION: string = require('../../package.json').version;
const CLI = path.resolve(__dirname, '../../bin/diffrg.js');

export const sweepFile = (dir: string) => path.join(dir, 'sweep.json');
export const taskDir = (dir: string, i: number) => path.join(dir, 'tasks', String(i));
export const taskLog = (dir: string, i: number) => path.join(path.resolve(dir), 'logs', `task-${i}.log`);

export function readSweep(dir: string): SweepFile {
  const file = sweepFile(dir);
  if (!existsSync(file)) throw new InvalidInputError(`${dir} is not a sweep directory (no sweep.json; create it with \`diffrg sweep plan.json --out ${dir}\`)`);
  const s = readJson<SweepFile>(file);
  if (s?.format !== SWEEP_FORMAT || s.version !== 1 || !Array.isArray(s.tasks)) throw new ParseError(`not a diffrg sweep file (format '${s?.format}')`, { file });
  return s;
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new ParseError(`cannot read JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
}

function tryJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The manifest key of a task (depends on the input's bytes, not its timestamps). */
export function taskKey(task: Task, inputSha256: string): string {
  return sha256(JSON.stringify({ command: task.command, options: task.options, shard: task.shard ?? null, inputSha256, version: VERSION }));
}

/**
 * The valid manifest of a task, or undefined (none, another key, or an output missing or
 * changed). `inputSha256` may be passed when already known.
 */
export function doneManifest(dir: string, task: Task, inputSha256?: string): TaskManifest | undefined {
  const tdir = taskDir(dir, task.index);
  const m = tryJson<TaskManifest>(path.join(tdir, 'manifest.json'));
  if (m?.format !== 'diffrg-sweep-task' || m.index !== task.index) return undefined;
  let sha = inputSha256;
  if (sha === undefined) {
    try {
      sha = inputChecksum(task.input);
    } catch {
      return undefined;
    }
  }
  if (m.key !== taskKey(task, sha)) return undefined;
  for (const o of m.outputs) {
    const f = path.join(tdir, o.file);
    if (!existsSync(f) || sha256File(f) !== o.sha256) return undefined;
  }
  return m;
}

const checksums = new Map<string, string>();

/**
 * SHA-256 of an input, remembered per path, size and modification time within this process
 * (a status over thousands of tasks hashes each recording once, not once per task).
 */
function inputChecksum(file: string): string {
  const st = statSync(file);
  const key = `${file}\0${st.size}\0${st.mtimeMs}`;
  let sha = checksums.get(key);
  if (sha === undefined) checksums.set(key, (sha = sha256File(file)));
  return sha;
}

/** The failure record of a task, if it failed last time it ran. */
export function taskFailure(dir: string, index: number): TaskFailure | undefined {
  return tryJson<TaskFailure>(path.join(taskDir(dir, index), 'failed.json'));
}

/** `running.json` of a task that is (or was, if its process died) running. */
export function taskRunning(dir: string, index: number): { pid: number; host: string; slurmJobId: string | null; started: string } | undefined {
  return tryJson(path.join(taskDir(dir, index), 'running.json'));
}

/**
 * Runs task `index` of the sweep in `dir` (skipped when its manifest matches). Resolves with
 * 'done', 'skipped' or 'failed'; the failure is also written to `failed.json`.
 */
export async function runTask(dir: string, index: number): Promise<'done' | 'skipped' | 'failed'> {
  const sweep = readSweep(dir);
  const task = sweep.tasks[index];
  if (!task) throw new InvalidInputError(`task index ${index} out of range (the sweep has ${sweep.tasks.length} tasks: 0..${sweep.tasks.length - 1})`);
  const tdir = taskDir(dir, index);
  const log = taskLog(dir, index);
  const slurmJobId = process.env.SLURM_ARRAY_JOB_ID ? `${process.env.SLURM_ARRAY_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID}` : (process.env.SLURM_JOB_ID ?? null);
  ensureDirSync(tdir);
  const fail = (error: string, exitCode: number | null, signal: string | null) => {
    const f: TaskFailure = { index, exitCode, signal, error, log, host: hostname(), slurmJobId, finished: new Date().toISOString() };
    writeFileAtomicSync(path.join(tdir, 'failed.json'), JSON.stringify(f, null, 2) + '\n');
    rmSync(path.join(tdir, 'running.json'), { force: true });
  };
  let inputSha256: string;
  try {
    inputSha256 = inputChecksum(task.input);
  } catch (err) {
    fail((err as Error).message, null, null);
    return 'failed';
  }
  if (doneManifest(dir, task, inputSha256)) {
    process.stderr.write(`diffrg sweep: task ${index} is done (manifest matches): skipped\n`);
    return 'skipped';
  }
  rmSync(path.join(tdir, 'failed.json'), { force: true });
  rmSync(path.join(tdir, 'manifest.json'), { force: true });
  const started = new Date();
  writeFileAtomicSync(path.join(tdir, 'running.json'), JSON.stringify({ pid: process.pid, host: hostname(), slurmJobId, started: started.toISOString() }) + '\n');

  const spec = SWEEP_COMMANDS[task.command];
  const argv = [...spec.argv, task.input, ...optionArgs(task.options), '--json'];
  const outputs: string[] = ['result.json'];
  if (task.shard) {
    argv.push('--shard', `${task.shard.index}/${task.shard.count}`, '--out', path.join(tdir, 'shard.json'));
    outputs.push('shard.json');
  } else if (spec.outDir) {
    rmSync(path.join(tdir, 'out'), { recursive: true, force: true });
    argv.push('--out', path.join(tdir, 'out'));
  }
  process.stderr.write(`diffrg sweep: task ${index}: diffrg ${argv.join(' ')}\n`);
  const env = { ...process.env, DIFFRG_THREADS: String(sweep.threads) };
  const child = spawn(process.execPath, [CLI, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    process.stderr.write(d);
    stderrTail = (stderrTail + d).slice(-4000);
  });
  // scancel / a time limit sends SIGTERM: stop the command and record why, synchronously and
  // before the CLI's own handler exits the process (hence prepended)
  let terminated: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    terminated = sig;
    child.kill('SIGTERM');
    fail(`terminated by ${sig} (scancel, a time limit or preemption)`, null, sig);
  };
  process.prependListener('SIGTERM', onSignal);
  process.prependListener('SIGINT', onSignal);
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (terminated) return 'failed';
  if (code !== 0) {
    const last = stderrTail.trim().split('\n').filter((l) => l.startsWith('diffrg:')).pop() ?? stderrTail.trim().split('\n').pop() ?? '';
    fail(last || `exit code ${code}${signal ? ` (${signal})` : ''}`, code, signal);
    return 'failed';
  }
  let result: unknown;
  try {
    result = JSON.parse(stdout);
  } catch (err) {
    fail(`the command's --json output is not JSON: ${(err as Error).message}`, code, null);
    return 'failed';
  }
  await writeFileAtomic(path.join(tdir, 'result.json'), JSON.stringify(result) + '\n');
  if (spec.outDir && !task.shard && existsSync(path.join(tdir, 'out'))) outputs.push(...listFiles(path.join(tdir, 'out')).map((f) => path.join('out', f)));
  const finished = new Date();
  const manifest: TaskManifest = {
    format: 'diffrg-sweep-task',
    version: 1,
    index,
    key: taskKey(task, inputSha256),
    command: task.command,
    input: task.input,
    inputSha256,
    options: task.options,
    shard: task.shard ?? null,
    seed: task.options.seed ?? null,
    diffrgVersion: VERSION,
    argv,
    threads: sweep.threads,
    outputs: outputs.map((file) => ({ file, sha256: sha256File(path.join(tdir, file)) })),
    host: hostname(),
    slurmJobId,
    started: started.toISOString(),
    finished: finished.toISOString(),
    seconds: (finished.getTime() - started.getTime()) / 1000,
  };
  await writeFileAtomic(path.join(tdir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  rmSync(path.join(tdir, 'running.json'), { force: true });
  return 'done';
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), rel));
    else if (statSync(path.join(dir, e.name)).isFile() && !e.name.endsWith('.tmp')) out.push(rel);
  }
  return out.sort();
}
