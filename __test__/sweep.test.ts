/**
 * Sweeps on a real single-node Slurm (scripts/slurm-local.sh start: installs slurm and munge
 * when missing, as CI does on a fresh machine), the local executor, and sharded SLQ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, diffrg, root } from './helpers';

const tmp = mkdtempSync(path.join(tmpdir(), 'diffrg-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Seeded random graph: a ring (connected) plus `extra` random chords, as an edge list. */
function graphFile(name: string, n: number, extra: number, seed: number): string {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const lines = ['source,target'];
  for (let i = 0; i < n; i++) lines.push(`${i},${(i + 1) % n}`);
  for (let k = 0; k < extra; k++) lines.push(`${Math.floor(rnd() * n)},${Math.floor(rnd() * n)}`);
  const file = path.join(tmp, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function writePlan(name: string, plan: unknown): string {
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify(plan, null, 2));
  return file;
}

function run(args: string[]) {
  const r = cli(args);
  if (r.code !== 0) throw new Error(`diffrg ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const status = (dir: string) => JSON.parse(run(['sweep', 'status', dir, '--json']).stdout) as import('../dist/sweep').SweepStatus;

/** Polls `check` every 250 ms until it returns true (fails after `ms`). */
async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const _jobsOf = (dir: string) =>
  readFileSync(path.join(dir, 'slurm', 'jobs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { arrayJobId: string; mergeJobId: string });

/** Whether Slurm still lists any job of `ids`. */
function queued(ids: string[]): boolean {
  const out = execFileSync('squeue', ['-h', '-r', '-o', '%i'], { encoding: 'utf8' });
  return out.split('\n').some((l) => ids.some((id) => l.trim() === id || l.trim().startsWith(`${id}_`)));
}

const _small = [graphFile('g1.csv', 300, 200, 1), graphFile('g2.csv', 400, 300, 2)];
const scanPlan = { inputs: ['g*.csv'], commands: [{ command: 'scan', options: { tauCount: 40 }, grid: { laplacian: ['combinatorial', 'normalized'] } }], threads: 1 };

describe('sweep plans', () => {
  it('validates plans with typed errors naming the field', () => {
    const bad = (plan: unknown) => {
      try {
        diffrg.validatePlan(plan, 'p.json');
      } catch (e) {
        expect(e).toBeInstanceOf(diffrg.InvalidInputError);
        return (e as Error).message;
      }
      throw new Error('accepted a bad plan');
    };
    expect(bad({ inputs: ['a'], commands: [{ command: 'scna' }] })).toMatch(/p\.json: commands\[0\]\.command: expected one of 'scan'/);
    expect(bad({ inputs: ['a'], commands: [{ command: 'scan', grid: { seed: 3 } }] })).toMatch(/commands\[0\]\.grid\.seed: expected a non-empty array/);
    expect(bad({ inputs: ['a'], commands: [{ command: 'infer', shards: 4 }] })).toMatch(/commands\[0\]\.shards: 'infer' cannot be sharded/);
    expect(bad({ inputs: ['a'], commands: [{ command: 'scan', options: { out: 'x' } }] })).toMatch(/commands\[0\]\.options\.out: 'out' is set by the sweep/);
    expect(bad({ commands: [{ command: 'scan' }] })).toMatch(/commands\[0\]\.inputs: no inputs/);
    expect(bad({ inputs: ['a'], commands: [{ command: 'scan' }], slurm: { limit: 0 } })).toMatch(/slurm\.limit: expected a positive integer/);
    expect(bad({ inputs: ['a'], commands: [{ command: 'scan' }], thread: 2 })).toMatch(/thread: unknown field/);
    // inputs x grid (last key fastest) x shards
    const plan = diffrg.validatePlan({ inputs: ['g*.csv'], commands: [{ command: 'scan', grid: { laplacian: ['combinatorial', 'normalized'], seed: [1, 2] }, shards: 2 }] });
    const tasks = diffrg.expandPlan(plan, tmp);
    expect(tasks.length).toBe(2 * 2 * 2 * 2);
    expect(tasks.map((t) => [path.basename(t.input), t.params.laplacian, t.params.seed, t.shard!.index]).slice(0, 4)).toEqual([
      ['g1.csv', 'combinatorial', 1, 0],
      ['g1.csv', 'combinatorial', 1, 1],
      ['g1.csv', 'combinatorial', 2, 0],
      ['g1.csv', 'combinatorial', 2, 1],
    ]);
    expect(new Set(tasks.map((t) => t.group)).size).toBe(8);
    expect(() => diffrg.expandPlan(diffrg.validatePlan({ inputs: ['nothing-*.csv'], commands: [{ command: 'scan' }] }), tmp)).toThrow(/matches no file/);
  });
});

describe('local executor', () => {
  it('reports a failed task with its log, and resume reruns only it once the input is fixed', () => {
    const bad = path.join(tmp, 'local-bad.csv');
    writeFileSync(bad, 'source,target,weight\n0,1,1\n1,2,abc\n');
    const plan = writePlan('local-plan.json', { inputs: ['g1.csv', 'local-bad.csv'], commands: [{ command: 'scan', options: { tauCount: 20 } }] });
    const dir = path.join(tmp, 'local-bad');
    const r = cli(['sweep', plan, '--out', dir, '--jobs', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 of 2 tasks failed \(1\)/);
    let st = status(dir);
    expect(st.done).toEqual([0]);
    expect(st.failed).toEqual([{ index: 1, error: expect.stringMatching(/ERR_PARSE.*local-bad\.csv:3/), log: path.join(dir, 'logs', 'task-1.log') }]);
    expect(readFileSync(st.failed[0].log, 'utf8')).toMatch(/ERR_PARSE/);
    const before = readFileSync(path.join(dir, 'tasks', '0', 'manifest.json'), 'utf8');
    writeFileSync(bad, 'source,target,weight\n0,1,1\n1,2,2\n');
    const res = JSON.parse(run(['sweep', 'resume', dir, '--json']).stdout);
    expect(res.ran).toBe(1);
    expect(res.merge.rows).toBe(2);
    st = status(dir);
    expect(st.done).toEqual([0, 1]);
    // task 0 was not rerun: its manifest is untouched
    expect(readFileSync(path.join(dir, 'tasks', '0', 'manifest.json'), 'utf8')).toBe(before);
    // a changed input no longer matches its manifest: the task counts as missing again
    writeFileSync(bad, 'source,target,weight\n0,1,1\n1,2,3\n');
    expect(status(dir).missing).toEqual([1]);
  });
});

describe('sharded SLQ', () => {
  it('merged shards equal the unsharded scan with the same seed (CLI and sweep)', () => {
    const g = graphFile('shard.csv', 3000, 3000, 5);
    const common = ['--method', 'slq', '--probes', '10', '--steps', '40', '--seed', '3', '--deflate', '0', '--tau-count', '50'];
    run(['scan', g, ...common, '--threads', '1', '--out', path.join(tmp, 'whole.json')]);
    // shards on 2 threads, the whole run on 1: probes do not depend on the thread count
    for (const i of [0, 1, 2]) run(['scan', g, ...common, '--threads', '2', '--shard', `${i}/3`, '--out', path.join(tmp, `s${i}.json`)]);
    const merged = run(['merge', ...[2, 0, 1].map((i) => path.join(tmp, `s${i}.json`)), '--out', path.join(tmp, 'merged.json'), '--plot', path.join(tmp, 'merged.svg'), '--json']);
    expect(readFileSync(path.join(tmp, 'merged.svg'), 'utf8')).toMatch(/^<svg/);
    const whole = JSON.parse(readFileSync(path.join(tmp, 'whole.json'), 'utf8'));
    const m = JSON.parse(readFileSync(path.join(tmp, 'merged.json'), 'utf8'));
    expect(m.probes).toBe(10);
    expect(JSON.parse(merged.stdout).plateau.level).toBe(m.plateau.level);
    for (const key of ['tau', 'entropy', 'specificHeat', 'spectralDimension', 'entropyStderr', 'specificHeatStderr']) {
      expect(m[key].length).toBe(whole[key].length);
      m[key].forEach((v: number, i: number) => expect(Math.abs(v - whole[key][i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
    }
    // a missing shard or a shard of another run is refused, naming it
    const missing = cli(['merge', path.join(tmp, 's0.json'), path.join(tmp, 's1.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ERR_INVALID_INPUT: merge: shard 2 of 3 missing/);
    run(['scan', g, ...common.map((a) => (a === '3' ? '4' : a)), '--shard', '2/3', '--out', path.join(tmp, 'other.json')]);
    const other = cli(['merge', path.join(tmp, 's0.json'), path.join(tmp, 's1.json'), path.join(tmp, 'other.json')]);
    expect(other.stderr).toMatch(/is from another run/);

    // the same through a sweep: a sharded block merges into one row equal to the unsharded block's
    const plan = writePlan('shard-plan.json', {
      inputs: ['shard.csv'],
      commands: [
        { command: 'scan', options: { method: 'slq', probes: 10, steps: 40, seed: 3, deflate: 0, tauCount: 50 }, shards: 3 },
        { command: 'scan', options: { method: 'slq', probes: 10, steps: 40, seed: 3, deflate: 0, tauCount: 50 } },
      ],
    });
    const dir = path.join(tmp, 'shard-sweep');
    run(['sweep', plan, '--out', dir, '--jobs', '2']);
    const rows = readFileSync(path.join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(2);
    expect(rows[0].shards).toBe(3);
    expect(rows[0]['plateau.level']).toBeCloseTo(rows[1]['plateau.level'], 12);
    expect(rows[0]['plateau.decades']).toBeCloseTo(rows[1]['plateau.decades'], 12);
  });
});

describe('sweeps on a real single-node Slurm', () => {
  beforeAll(() => {
    // Installs slurm-wlm pieces and munge with apt-get when missing (CI: root on fresh Debian).
    const r = spawnSync('bash', [path.join(root, 'scripts', 'slurm-local.sh'), 'start'], { encoding: 'utf8', timeout: 540_000 });
    if (r.status !== 0) {
      throw new Error(`Slurm could not be started by scripts/slurm-local.sh start (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${r.stderr}${r.stdout}\nThese tests need a real single-node Slurm; they do not skip.`);
    }
  });

  it('a 4-task job array plus its merge job gives the local executor table', async () => {
    const plan = writePlan('scan-plan.json', scanPlan);
    const local = path.join(tmp, 'local');
    const slurm = path.join(tmp, 'slurm');
    run(['sweep', plan, '--out', local, '--jobs', '2']);
    const sub = JSON.parse(run(['sweep', plan, '--out', slurm, '--executor', 'slurm', '--limit', '2', '--json']).stdout);
    expect(sub.submission.indices).toEqual([0, 1, 2, 3]);
    const script = readFileSync(path.join(slurm, 'slurm', 'array.sh'), 'utf8');
    expect(script).toMatch(/#SBATCH --cpus-per-task=1/);
    expect(script).toMatch(/sweep run-task/);
    await until('the array and its merge job', 90_000, () => !queued([sub.submission.arrayJobId, sub.submission.mergeJobId]));
    const st = status(slurm);
    expect(st.done).toEqual([0, 1, 2, 3]);
    expect(existsSync(path.join(slurm, 'results.csv')), 'the merge job wrote the table').toBe(true);
    const table = readFileSync(path.join(slurm, 'results.csv'), 'utf8');
    expect(table).toBe(readFileSync(path.join(local, 'results.csv'), 'utf8'));
    const lines = table.trim().split('\n');
    expect(lines.length).toBe(5);
    expect(lines[0].split(',').slice(0, 5)).toEqual(['task', 'command', 'input', 'tauCount', 'laplacian']);
    // every task is recorded with its manifest; a rerun skips them all
    const manifest = JSON.parse(readFileSync(path.join(slurm, 'tasks', '3', 'manifest.json'), 'utf8'));
    expect(manifest.inputSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.options).toEqual({ tauCount: 40, laplacian: 'normalized' });
    expect(manifest.slurmJobId).toBe(`${sub.submission.arrayJobId}_3`);
    const again = JSON.parse(run(['sweep', plan, '--out', slurm, '--executor', 'slurm', '--json']).stdout);
    expect(again.submission).toBeUndefined();
    expect(again.merge.rows).toBe(4);
  });

  it('a task cancelled with scancel mid-run is finished by resume, no row lost or duplicated', async () => {
    const big = graphFile('big.csv', 60_000, 60_000, 9);
    writePlan('cancel-plan.json', {
      commands: [
        { command: 'scan', inputs: ['g1.csv', 'g2.csv'], options: { tauCount: 30 } },
        // long enough to be cancelled while it runs (a few seconds on one thread)
        { command: 'scan', inputs: ['big.csv'], options: { method: 'slq', probes: 32, steps: 120, deflate: 0, tauCount: 30 } },
      ],
      threads: 1,
    });
    expect(existsSync(big)).toBe(true);
    const dir = path.join(tmp, 'cancel');
    const sub = JSON.parse(run(['sweep', path.join(tmp, 'cancel-plan.json'), '--out', dir, '--executor', 'slurm', '--json']).stdout).submission;
    const job = `${sub.arrayJobId}_2`;
    // running.json is written by run-task right before it starts the scan
    await until('task 2 to run', 60_000, () => existsSync(path.join(dir, 'tasks', '2', 'running.json')));
    expect(status(dir).running).toContainEqual({ index: 2, where: `slurm job ${job} RUNNING` });
    execFileSync('scancel', [job]);
    await until('the array to end', 60_000, () => !queued([sub.arrayJobId]));
    let st = status(dir);
    expect(st.done).toEqual([0, 1]);
    expect(st.failed.map((f) => f.index)).toEqual([2]);
    expect(st.failed[0].error).toMatch(/terminated by SIGTERM/);
    expect(st.failed[0].log).toBe(path.join(dir, 'logs', 'task-2.log'));
    // the merge job never ran (its dependency failed)
    expect(existsSync(path.join(dir, 'results.csv'))).toBe(false);
    const res = JSON.parse(run(['sweep', 'resume', dir, '--json']).stdout);
    expect(res.submission.indices).toEqual([2]);
    await until('the resubmitted task and merge', 120_000, () => !queued([res.submission.arrayJobId, res.submission.mergeJobId]));
    st = status(dir);
    expect(st.done).toEqual([0, 1, 2]);
    const rows = readFileSync(path.join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.task)).toEqual([0, 1, 2]);
    expect(rows[2].n).toBe(60_000);
    // options are columns; a result field named like an option gets the prefix 'result.'
    expect(rows[2].probes).toBe(32);
    expect(rows[2].method).toBe('slq');
    expect(rows[2]['result.method']).toBe('slq');
    expect(rows[0]['result.method']).toBe('exact');
    expect(rows[0].method).toBeUndefined();
  });

  it('a task failing on a bad input is reported by status with its log', async () => {
    writeFileSync(path.join(tmp, 'bad.csv'), 'source,target,weight\n0,1,1\n1,2,abc\n');
    const plan = writePlan('bad-plan.json', { inputs: ['g1.csv', 'bad.csv'], commands: [{ command: 'scan', options: { tauCount: 20 } }] });
    const dir = path.join(tmp, 'bad');
    const sub = JSON.parse(run(['sweep', plan, '--out', dir, '--executor', 'slurm', '--json']).stdout).submission;
    await until('the array to end', 60_000, () => !queued([sub.arrayJobId]));
    await until('the merge job to be dropped', 30_000, () => !queued([sub.mergeJobId]));
    // the failed array task failed in Slurm's eyes too: the afterok merge job never ran
    expect(existsSync(path.join(dir, 'logs', `merge-${sub.mergeJobId}.log`))).toBe(false);
    const st = status(dir);
    expect(st.done).toEqual([0]);
    expect(st.failed.length).toBe(1);
    const f = st.failed[0];
    expect(f.index).toBe(1);
    expect(f.error).toMatch(/ERR_PARSE.*bad\.csv:3: weight 'abc' is not a number/);
    expect(f.log).toBe(path.join(dir, 'logs', 'task-1.log'));
    expect(readFileSync(f.log, 'utf8')).toMatch(/ERR_PARSE/);
    const text = cli(['sweep', 'status', dir]);
    expect(text.stderr).toMatch(/failed +1: .*\(log: .*task-1\.log\)/);
    // merge refuses to write a table with a hole unless asked for a partial one
    expect(cli(['sweep', 'merge', dir]).stderr).toMatch(/1 of 2 tasks are not done \(1\)/);
    expect(JSON.parse(run(['sweep', 'merge', dir, '--partial', '--json']).stdout).rows).toBe(1);
  });
});
