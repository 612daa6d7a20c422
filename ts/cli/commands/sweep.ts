/**
 * `diffrg sweep`: plan and run a sweep (inputs x option grid) locally or as a Slurm job array;
 * `sweep run-task`, `sweep status`, `sweep resume` and `sweep merge` manage its directory.
 */
import { type Command, Option } from 'commander';
import { checkJobs, mergeSweep, resume, runTask, sweep, sweepStatus, type SweepOptions, type SweepRun } from '../../sweep';
import { EXIT_RUNTIME, ExitWith, info, intOption, printJson, UsageError } from '../common';

interface SweepCliOptions {
  out?: string;
  executor?: 'local' | 'slurm';
  jobs?: number;
  threads?: number;
  partition?: string;
  account?: string;
  mem?: string;
  time?: string;
  limit?: number;
  json?: boolean;
  partial?: boolean;
}

function runOptions(o: SweepCliOptions): SweepOptions {
  checkJobs(o.jobs);
  const slurm = { partition: o.partition, account: o.account, mem: o.mem, time: o.time, limit: o.limit };
  for (const k of Object.keys(slurm) as (keyof typeof slurm)[]) if (slurm[k] === undefined) delete slurm[k];
  return {
    executor: o.executor,
    jobs: o.jobs,
    threads: o.threads,
    slurm,
    onTask: o.json ? undefined : (i, outcome) => info(`task ${i}: ${outcome}`),
  };
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--executor <name>', 'local (process pool) or slurm (sbatch job array + merge job)').choices(['local', 'slurm']))
    .addOption(new Option('--jobs <n>', 'local: tasks at once (default: cores / threads)').argParser(intOption('--jobs')))
    .addOption(new Option('--threads <n>', "threads per task (default: the plan's threads, else 1)").argParser(intOption('--threads', 1, 4096)))
    .option('--partition <name>', 'slurm: partition (overrides the plan)')
    .option('--account <name>', 'slurm: account (overrides the plan)')
    .option('--mem <size>', 'slurm: memory per task, e.g. 4G (overrides the plan)')
    .option('--time <limit>', 'slurm: time limit per task, e.g. 00:30:00 (overrides the plan)')
    .addOption(new Option('--limit <n>', 'slurm: most array tasks at once (--array=...%n)').argParser(intOption('--limit')))
    .option('--json', 'print machine-readable JSON on stdout');
}

function report(r: SweepRun, dir: string, json?: boolean): void {
  if (json) {
    printJson(r);
    return;
  }
  if (r.submission) {
    info(`${dir}: submitted ${r.submission.indices.length} of ${r.tasks} tasks as Slurm array job ${r.submission.arrayJobId}, merge job ${r.submission.mergeJobId}`);
    info(`follow with: diffrg sweep status ${dir}`);
  } else if (r.failed?.length) {
    info(`${dir}: ${r.failed.length} of ${r.ran} tasks failed (${r.failed.join(', ')}): see \`diffrg sweep status ${dir}\`, fix, then \`diffrg sweep resume ${dir}\``);
  } else if (r.merge) {
    info(`${dir}: ${r.tasks} tasks done (${r.ran ?? 0} run now); ${r.merge.rows} rows -> ${r.merge.csv}, ${r.merge.jsonl}`);
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('run a plan (inputs x option grid for diffrg commands) locally or as a Slurm job array, then merge one table (docs/cluster.md)')
    .argument('[plan]', 'plan.json (see docs/cluster.md for the schema)')
    .option('--out <dir>', 'sweep directory (tasks, logs, results.csv)')
    // the subcommands have their own --json and run options: do not let `sweep` take them
    .enablePositionalOptions();
  addRunOptions(cmd).action(async (planFile: string | undefined, o: SweepCliOptions) => {
    if (!planFile) throw new UsageError('a plan file is required: diffrg sweep plan.json --out DIR (or a subcommand: run-task, status, resume, merge)');
    if (!o.out) throw new UsageError('--out <dir> is required (the sweep directory)');
    const r = await sweep(planFile, o.out, runOptions(o));
    report(r, o.out, o.json);
    if (r.failed?.length) throw new ExitWith(EXIT_RUNTIME);
  });

  cmd
    .command('run-task')
    .description('run one task of a sweep (what each Slurm array task runs); skipped when its manifest matches')
    .argument('<dir>', 'sweep directory')
    .argument('<index>', 'task index', intOption('<index>', 0))
    .action(async (dir: string, index: number) => {
      const outcome = await runTask(dir, index);
      if (outcome === 'failed') throw new ExitWith(EXIT_RUNTIME);
    });

  cmd
    .command('status')
    .description('done, running, failed (with log) and missing tasks, from the manifests, squeue and sacct')
    .argument('<dir>', 'sweep directory')
    .option('--json', 'print machine-readable JSON on stdout')
    .action((dir: string, o: { json?: boolean }) => {
      const st = sweepStatus(dir);
      if (o.json) return printJson(st);
      info(`${dir}: ${st.tasks} tasks: ${st.done.length} done, ${st.running.length} running, ${st.failed.length} failed, ${st.missing.length} missing${st.slurm && !st.squeue ? ' (squeue did not answer)' : ''}${st.slurm && st.squeue && !st.accounting ? ' (no Slurm accounting: states from squeue and the task files)' : ''}`);
      for (const r of st.running) info(`running ${r.index}: ${r.where}`);
      for (const f of st.failed) info(`failed  ${f.index}: ${f.error} (log: ${f.log})`);
      if (st.missing.length) info(`missing: ${st.missing.join(', ')}`);
    });

  addRunOptions(
    cmd
      .command('resume')
      .description('run or resubmit only the failed and missing tasks (with the same executor unless --executor is given)')
      .argument('<dir>', 'sweep directory'),
  ).action(async (dir: string, o: SweepCliOptions) => {
    const r = await resume(dir, runOptions(o));
    report(r, dir, o.json);
    if (r.failed?.length) throw new ExitWith(EXIT_RUNTIME);
  });

  cmd
    .command('merge')
    .description('write DIR/results.csv and DIR/results.jsonl: one row per computation, the plan parameters as columns')
    .argument('<dir>', 'sweep directory')
    .option('--partial', 'merge the tasks done so far instead of failing on missing ones')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(async (dir: string, o: { partial?: boolean; json?: boolean }) => {
      const r = await mergeSweep(dir, { partial: o.partial });
      if (o.json) return printJson(r);
      info(`${dir}: ${r.rows} rows -> ${r.csv}, ${r.jsonl}${r.missing.length ? ` (${r.missing.length} tasks not done, left out)` : ''}`);
    });
}
