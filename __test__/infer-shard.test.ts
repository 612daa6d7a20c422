/**
 * Sharded LGD (`diffrg infer --method lgd --shard i/K` + `diffrg merge`): the merged graph is
 * the unsharded run's with the same seed, bit for bit (the core test covers more shard counts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli } from './helpers';

const tmp = mkdtempSync(path.join(tmpdir(), 'diffrg-infer-shard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Seeded spike table: 10 neurons, neuron i + 1 follows neuron i (even i) one bin later. */
function spikeFile(): string {
  let s = 7;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const events: [number, number][] = [];
  for (let b = 0; b < 40_000; b++) {
    for (let i = 0; i < 10; i++) {
      if (rnd() < 0.03) {
        events.push([i, b]);
        if (i % 2 === 0 && rnd() < 0.5) events.push([i + 1, b + 1]);
      }
    }
  }
  events.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  const bin = 0.005;
  const lines = ['neuron,time', ...events.map(([i, b]) => `${i},${(b * bin + bin / 2).toFixed(4)}`)];
  const file = path.join(tmp, 'spikes.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function run(args: string[]) {
  const r = cli(args);
  if (r.code !== 0) throw new Error(`diffrg ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

describe('sharded LGD surrogates', () => {
  it('merged shards give the unsharded graph CSV with the same seed', () => {
    const f = spikeFile();
    const common = ['--method', 'lgd', '--surrogates', '6', '--seed', '3', '--all', '--max-lag', '2'];
    run(['infer', f, ...common, '--threads', '2', '--out', path.join(tmp, 'whole.csv')]);
    for (const i of [0, 1, 2]) run(['infer', f, ...common, '--threads', '2', '--shard', `${i}/3`, '--out', path.join(tmp, `s${i}.json`)]);
    const merged = JSON.parse(run(['merge', ...[2, 0, 1].map((i) => path.join(tmp, `s${i}.json`)), '--out', path.join(tmp, 'merged.csv'), '--json']).stdout);
    expect(merged.shards).toBe(3);
    expect(merged.surrogates).toBe(6);
    const whole = readFileSync(path.join(tmp, 'whole.csv'), 'utf8');
    expect(whole.split('\n').length).toBeGreaterThan(90);
    expect(readFileSync(path.join(tmp, 'merged.csv'), 'utf8')).toBe(whole);

    // a missing shard, a shard of another run, or a non-lgd method is refused
    const missing = cli(['merge', path.join(tmp, 's0.json'), path.join(tmp, 's1.json'), '--out', path.join(tmp, 'x.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ERR_INVALID_INPUT: merge: shard 2 of 3 missing/);
    run(['infer', f, ...common.map((a) => (a === '3' ? '4' : a)), '--shard', '2/3', '--out', path.join(tmp, 'other.json')]);
    const other = cli(['merge', path.join(tmp, 's0.json'), path.join(tmp, 's1.json'), path.join(tmp, 'other.json'), '--out', path.join(tmp, 'x.csv')]);
    expect(other.stderr).toMatch(/is from another run/);
    const var_ = cli(['infer', f, '--method', 'var', '--shard', '0/2', '--out', path.join(tmp, 'v.json')]);
    expect(var_.code).toBe(2);
    const tooMany = cli(['infer', f, ...common, '--shard', '0/7', '--out', path.join(tmp, 't.json')]);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/7 shards need at least as many surrogates \(got 6\)/);
  });
});
