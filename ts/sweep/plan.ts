/**
 * Sweep plans: inputs x a grid of options for one or more diffrg commands, validated and
 * expanded into a numbered task list. The schema is documented in docs/cluster.md.
 *
 * ```json
 * {
 *   "inputs": ["recordings/*.csv"],
 *   "commands": [
 *     { "command": "infer", "options": { "bin": "10ms" }, "grid": { "method": ["lgd", "var"], "seed": [1, 2] } },
 *     { "command": "scan", "inputs": ["big.mtx"], "options": { "method": "slq", "probes": 64 }, "shards": 8 }
 *   ],
 *   "threads": 2,
 *   "slurm": { "partition": "cpu", "account": "lab", "mem": "8G", "time": "01:00:00", "limit": 100 }
 * }
 * ```
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, IoError, ParseError } from '../errors';

/**
 * The commands a sweep can run: the argv prefix of the diffrg CLI, whether the command takes an
 * `--out <dir>` for its files (the task directory's `out/` then), and whether it can be split
 * by `shards`. A new command (e.g. `dynamics`) is one more line here.
 */
export const SWEEP_COMMANDS: Record<string, { argv: string[]; outDir?: boolean; shardable?: boolean }> = {
  scan: { argv: ['scan'], shardable: true },
  'coarse-grain': { argv: ['coarse-grain'], outDir: true },
  communities: { argv: ['communities'] },
  infer: { argv: ['infer'] },
  'mps fit': { argv: ['mps', 'fit'] },
  dtnr: { argv: ['dtnr'], outDir: true },
};

/** An option value as written in a plan: becomes `--name value` (`true`: `--name`, `false`: `--no-name`). */
export type OptionValue = string | number | boolean;

/** One command block of a plan. */
export interface PlanCommand {
  /** One of {@link SWEEP_COMMANDS}. */
  command: string;
  /** Inputs of this block (files or globs, relative to the plan file); default: the plan's. */
  inputs?: string[];
  /** Options every task of this block gets (camelCase or kebab-case names of the CLI flags). */
  options?: Record<string, OptionValue>;
  /** Options varied over: every combination (cartesian product) is one task per input. */
  grid?: Record<string, OptionValue[]>;
  /** `scan` only: split each SLQ scan into this many probe shards (one task each), merged exactly. @default 1 */
  shards?: number;
}

/** Slurm settings (`diffrg sweep --executor slurm`); flags of `diffrg sweep` override them. */
export interface PlanSlurm {
  partition?: string;
  account?: string;
  /** @default the plan's `threads` */
  cpusPerTask?: number;
  /** `--mem` of each task, e.g. "4G". */
  mem?: string;
  /** `--time` of each task, e.g. "00:30:00". */
  time?: string;
  /** Most array tasks running at once (`--array=...%limit`). */
  limit?: number;
  /** Further sbatch arguments, e.g. ["--qos=short"]. */
  extra?: string[];
}

export interface Plan {
  inputs?: string[];
  commands: PlanCommand[];
  /** Threads per task (DIFFRG_THREADS of each task; Slurm's cpus-per-task). @default 1 */
  threads?: number;
  slurm?: PlanSlurm;
}

/** One task: a command on one input with one point of the grid (and one shard). */
export interface Task {
  index: number;
  /** Index of the command block in the plan. */
  block: number;
  command: string;
  /** Absolute path of the input file. */
  input: string;
  /** The grid point of this task (the varied options only). */
  params: Record<string, OptionValue>;
  /** All options of the task (block options, then the grid point). */
  options: Record<string, OptionValue>;
  shard?: { index: number; count: number };
  /** Tasks with the same group are the shards of one computation (merged into one row). */
  group: number;
}

const PLAN_KEYS = ['inputs', 'commands', 'threads', 'slurm'];
const COMMAND_KEYS = ['command', 'inputs', 'options', 'grid', 'shards'];
const SLURM_KEYS = ['partition', 'account', 'cpusPerTask', 'mem', 'time', 'limit', 'extra'];
/** Options a sweep sets itself (output and format flags). */
const RESERVED = ['out', 'json', 'shard', 'threads', 'plot'];

/** Reads and validates a plan file (`ParseError` / `InvalidInputError` naming the field). */
export function readPlan(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IoError(`cannot read plan ${file}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ParseError(`plan is not JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  return validatePlan(value, file);
}

/** Validates a parsed plan; errors name the field (`commands[1].grid.seed`). */
export function validatePlan(value: unknown, where = 'plan'): Plan {
  const fail = (field: string, msg: string): never => {
    throw new InvalidInputError(`${where}: ${field}: ${msg}`);
  };
  if (!isObject(value)) return fail('(top level)', 'expected a JSON object');
  unknownKeys(value, PLAN_KEYS, '', fail);
  const plan = value as unknown as Plan;
  if (plan.inputs !== undefined) checkInputs(plan.inputs, 'inputs', fail);
  if (plan.threads !== undefined && !(Number.isInteger(plan.threads) && plan.threads >= 1 && plan.threads <= 4096)) fail('threads', `expected an integer in [1, 4096] (got ${JSON.stringify(plan.threads)})`);
  if (!Array.isArray(plan.commands) || plan.commands.length === 0) fail('commands', 'expected a non-empty array of command blocks');
  plan.commands.forEach((c, k) => {
    const f = `commands[${k}]`;
    if (!isObject(c)) fail(f, 'expected an object');
    unknownKeys(c as unknown as Record<string, unknown>, COMMAND_KEYS, `${f}.`, fail);
    if (typeof c.command !== 'string' || !(c.command in SWEEP_COMMANDS)) fail(`${f}.command`, `expected one of ${Object.keys(SWEEP_COMMANDS).map((s) => `'${s}'`).join(', ')} (got ${JSON.stringify(c.command)})`);
    if (c.inputs !== undefined) checkInputs(c.inputs, `${f}.inputs`, fail);
    if (c.inputs === undefined && plan.inputs === undefined) fail(`${f}.inputs`, 'no inputs: give `inputs` here or at the top level');
    if (c.options !== undefined) {
      if (!isObject(c.options)) fail(`${f}.options`, 'expected an object of option values');
      for (const [name, v] of Object.entries(c.options)) checkOption(name, v, `${f}.options.${name}`, fail);
    }
    if (c.grid !== undefined) {
      if (!isObject(c.grid)) fail(`${f}.grid`, 'expected an object of value arrays');
      for (const [name, vs] of Object.entries(c.grid)) {
        if (!Array.isArray(vs) || vs.length === 0) fail(`${f}.grid.${name}`, 'expected a non-empty array of values');
        vs.forEach((v, i) => checkOption(name, v, `${f}.grid.${name}[${i}]`, fail));
        if (c.options && kebab(name) in Object.fromEntries(Object.keys(c.options).map((o) => [kebab(o), 1]))) fail(`${f}.grid.${name}`, 'also given in options: give it in one place');
      }
    }
    if (c.shards !== undefined) {
      if (!(Number.isInteger(c.shards) && c.shards >= 1 && c.shards <= 100_000)) fail(`${f}.shards`, `expected an integer in [1, 100000] (got ${JSON.stringify(c.shards)})`);
      if (c.shards > 1 && !SWEEP_COMMANDS[c.command].shardable) fail(`${f}.shards`, `'${c.command}' cannot be sharded (only ${Object.keys(SWEEP_COMMANDS).filter((s) => SWEEP_COMMANDS[s].shardable).join(', ')})`);
      const method = c.options?.method;
      if (c.shards > 1 && method !== undefined && method !== 'slq') fail(`${f}.shards`, `sharding splits SLQ probes: options.method must be 'slq' (got ${JSON.stringify(method)})`);
      if (c.shards > 1 && c.grid && Object.keys(c.grid).some((g) => kebab(g) === 'method')) fail(`${f}.shards`, 'sharding splits SLQ probes: method cannot be varied in the grid');
    }
  });
  if (plan.slurm !== undefined) validateSlurm(plan.slurm, where, 'slurm.');
  return plan;
}

/**
 * Validates Slurm settings (the plan's `slurm` block, or the flags of `diffrg sweep`): plain
 * strings (they go into `#SBATCH` lines) and positive integers.
 */
export function validateSlurm(s: unknown, where: string, prefix: string): PlanSlurm {
  const fail = (field: string, msg: string): never => {
    throw new InvalidInputError(`${where}: ${field}: ${msg}`);
  };
  if (!isObject(s)) return fail(prefix.replace(/\.$/, ''), 'expected an object');
  unknownKeys(s, SLURM_KEYS, prefix, fail);
  const o = s as PlanSlurm;
  for (const k of ['partition', 'account', 'mem', 'time'] as const) if (o[k] !== undefined && (typeof o[k] !== 'string' || !/^[\w.:\-+]+$/.test(o[k]!))) fail(`${prefix}${k}`, `expected a plain string (got ${JSON.stringify(o[k])})`);
  for (const k of ['cpusPerTask', 'limit'] as const) if (o[k] !== undefined && !(Number.isInteger(o[k]) && (o[k] as number) >= 1)) fail(`${prefix}${k}`, `expected a positive integer (got ${JSON.stringify(o[k])})`);
  if (o.extra !== undefined && !(Array.isArray(o.extra) && o.extra.every((x) => typeof x === 'string' && /^--[\w-]+(=[^\n]*)?$/.test(x)))) fail(`${prefix}extra`, 'expected an array of sbatch options such as "--qos=short"');
  return o;
}

/**
 * Expands a plan into its tasks: for each command block, each input (globs expanded, sorted),
 * each grid point (the last grid key varies fastest) and each shard. Inputs are resolved
 * relative to `baseDir` (the plan file's directory). Throws `InvalidInputError` naming the
 * pattern when an input matches no file.
 */
export function expandPlan(plan: Plan, baseDir: string): Task[] {
  const tasks: Task[] = [];
  let group = 0;
  plan.commands.forEach((c, block) => {
    const inputs = (c.inputs ?? plan.inputs ?? []).flatMap((pattern, k) => {
      const files = expandGlob(pattern, baseDir);
      if (files.length === 0) throw new InvalidInputError(`plan: commands[${block}] input '${pattern}'${c.inputs ? ` (inputs[${k}])` : ''} matches no file`);
      return files;
    });
    const points = gridPoints(c.grid ?? {});
    const shards = c.shards ?? 1;
    for (const input of inputs) {
      for (const params of points) {
        const options = { ...(c.options ?? {}), ...params };
        if (shards > 1) options.method = 'slq';
        for (let s = 0; s < shards; s++) {
          tasks.push({ index: tasks.length, block, command: c.command, input, params, options, ...(shards > 1 ? { shard: { index: s, count: shards } } : {}), group });
        }
        group++;
      }
    }
  });
  return tasks;
}

/** `--kebab-case` flags of a task's options (`true`: bare flag, `false`: `--no-flag`). */
export function optionArgs(options: Record<string, OptionValue>): string[] {
  const args: string[] = [];
  for (const [name, v] of Object.entries(options)) {
    const flag = kebab(name);
    if (v === true) args.push(`--${flag}`);
    else if (v === false) args.push(`--no-${flag}`);
    else args.push(`--${flag}`, String(v));
  }
  return args;
}

function gridPoints(grid: Record<string, OptionValue[]>): Record<string, OptionValue>[] {
  let points: Record<string, OptionValue>[] = [{}];
  for (const [name, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  return points;
}

/** `maxLag` -> `max-lag` (kebab names stay as they are). */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function checkOption(name: string, v: unknown, field: string, fail: (f: string, m: string) => never): void {
  if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(name)) fail(field, 'option names are letters, digits and dashes (the CLI flag without --)');
  if (RESERVED.includes(kebab(name))) fail(field, `'${name}' is set by the sweep itself`);
  if (!(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) fail(field, `expected a string, finite number or boolean (got ${JSON.stringify(v)})`);
}

function checkInputs(v: unknown, field: string, fail: (f: string, m: string) => never): void {
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s.length > 0)) fail(field, 'expected a non-empty array of file paths or globs');
}

function unknownKeys(o: Record<string, unknown>, allowed: string[], prefix: string, fail: (f: string, m: string) => never): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${prefix}${k}`, `unknown field (expected one of ${allowed.join(', ')})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Files matching `pattern` (relative to `baseDir`), sorted: `*`, `?` and `[...]` within a path
 * segment, `**` for any depth. A pattern without wildcards names one file (returned if it exists).
 */
export function expandGlob(pattern: string, baseDir: string): string[] {
  const abs = path.resolve(baseDir, pattern);
  const root = path.parse(abs).root;
  const segments = abs.slice(root.length).split(path.sep).filter(Boolean);
  const out: string[] = [];
  const walk = (dir: string, k: number): void => {
    if (k === segments.length) {
      if (isFile(dir)) out.push(dir);
      return;
    }
    const seg = segments[k];
    if (seg === '**') {
      walk(dir, k + 1);
      for (const e of listDir(dir)) if (e.isDirectory()) walk(path.join(dir, e.name), k);
      return;
    }
    if (!/[*?[]/.test(seg)) {
      walk(path.join(dir, seg), k + 1);
      return;
    }
    const re = segmentRegex(seg);
    for (const e of listDir(dir)) if (re.test(e.name) && !(e.name.startsWith('.') && !seg.startsWith('.'))) walk(path.join(dir, e.name), k + 1);
  };
  walk(root, 0);
  return [...new Set(out)].sort();
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function listDir(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
