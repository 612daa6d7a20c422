/**
 * `diffrg analyze` / `diffrg report`: the pipeline on a spike table (Aplysia, data/), an NWB Units
 * file and a dense calcium NPY (both written here), the stage cache (a rerun recomputes nothing;
 * one changed option recomputes that stage and its downstream stages only; an interrupted run
 * leaves a consistent directory and resumes), the config file, and `--json` errors.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { XMLValidator } from 'fast-xml-parser';
import { cli, diffrg, root } from './helpers';
import { calciumNpy, writeNwbUnits } from './report-fixtures';

const require = createRequire(import.meta.url);
const APLYSIA = join(root, 'data', 'aplysia-pedal-bruno2015', 'Jan1912da02_spikes.csv');
/** Small options so the spec stays fast (every stage still runs). */
const FAST = {
  infer: { binSeconds: 0.02 },
  scan: { tauCount: 40 },
  mps: { sites: 12, binSeconds: 0.1, maxHalfSweeps: 2 },
  dtnr: { samples: 500, maxHalfSweeps: 2 },
};
const ALL = ['activity', 'infer', 'communities', 'scan', 'flow', 'mps', 'dtnr', 'dynamics', 'report'];
const FIGURES = ['raster', 'coupling', 'scan', 'flow', 'mps', 'dtnr', 'dynamics'];

const tmp = mkdtempSync(join(tmpdir(), 'diffrg-analyze-'));
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const record = (dir: string, stage: string) => JSON.parse(readFileSync(join(dir, 'stages', `${stage}.json`), 'utf8'));

/** Checks what every finished analysis must satisfy, whatever the input. */
function checkAnalysis(dir: string, summary: { stages: { stage: string; status: string }[]; figures: Record<string, { svg: string }> }) {
  expect(summary.stages.map((s) => s.stage)).toEqual(ALL);
  const m = manifest(dir);
  const comm = record(dir, 'communities');
  // the order is a permutation of the graph's nodes, labels one per node
  expect([...comm.order].sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: comm.n }, (_, k) => k));
  expect(comm.labels).toHaveLength(comm.n);
  expect(new Set(comm.labels).size).toBe(comm.count);
  // the negative-weight policy is chosen by analyze and recorded with its reason
  expect(comm.negative.policy).toBe('abs');
  expect(comm.negative.reason).toMatch(/chosen by analyze/);
  expect(comm.edges.weight.every((w: number) => w > 0)).toBe(true);
  expect(m.stages.communities.status).toBe('done');
  expect(m.stages.communities.decisions.negative).toEqual(comm.negative);
  const scan = record(dir, 'scan');
  expect(scan.nodes).toHaveLength(scan.n);
  // normalised entropy falls from 1 (tau -> 0) toward 0 and C >= 0
  expect(scan.entropyNormalized[0]).toBeGreaterThan(0.95);
  expect(scan.specificHeat.every((c: number) => c >= -1e-9)).toBe(true);
  const flow = record(dir, 'flow');
  let prev = flow.nodes.length;
  for (const s of flow.steps) {
    expect(s.n).toBeLessThan(prev);
    expect(s.assignment).toHaveLength(flow.nodes.length);
    expect(new Set(s.assignment).size).toBe(s.n);
    prev = s.n;
  }
  // the dynamics stage waits for the dynamics family, with its reason recorded
  const dyn = summary.stages.find((s) => s.stage === 'dynamics')!;
  if (dyn.status === 'skipped') expect(m.stages.dynamics.reason).toMatch(/effectiveDynamics/);
  expect(Object.keys(summary.figures).sort()).toEqual([...FIGURES].sort());
  for (const f of FIGURES) {
    const svg = readFileSync(join(dir, 'figures', `${f}.svg`), 'utf8');
    expect(XMLValidator.validate(svg), `${f}.svg is well-formed XML`).toBe(true);
    expect(svg).toMatch(/^<svg /);
  }
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  for (const f of FIGURES) expect(html).toContain(`data-figure="${f}"`);

  // self-contained: no scripts, no external resources (clip paths refer to #ids in the page)
  expect(/<script|<link |<img /i.test(html), 'no script, link or img element').toBe(false);
  expect(/(?:src|href)\s*=\s*"(?!#)|url\((?!#)/i.test(html), 'no reference outside the page').toBe(false);
}

describe('diffrg analyze', () => {
  const dir = join(tmp, 'aplysia');
  let first: Awaited<ReturnType<typeof diffrg.analyze>>;

  beforeAll(async () => {
    first = await diffrg.analyze(APLYSIA, { out: dir, config: FAST, threads: 2 });
  });

  it('runs every stage on a spike table and writes the report', () => {
    expect(first.ran).toEqual(ALL);
    expect(first.warnings).toEqual([]); // a spike table names its columns: nothing guessed
    checkAnalysis(dir, first);
    const m = manifest(dir);
    expect(m.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    const act = record(dir, 'activity');
    expect(act.neurons).toBe(102);
    const mps = record(dir, 'mps');
    expect(mps.sites).toHaveLength(12);
    expect(mps.orderings.map((o: { name: string }) => o.name)).toEqual(['community', 'identity']);
    // every stage's hash covers its upstream hashes
    for (const s of ALL) for (const [up, h] of Object.entries(m.stages[s].upstream)) expect(h).toBe(m.stages[up].hash);
  });

  it('a rerun with nothing changed recomputes no stage', async () => {
    const again = await diffrg.analyze(APLYSIA, { out: dir, config: FAST, threads: 2 });
    expect(again.ran).toEqual([]);
    expect(again.stages.every((s) => s.status === 'cached')).toBe(true);
    expect(again.figures).toEqual(first.figures);
  });

  it('a report without --png after one with it removes the PNGs: figures/ matches report.html', async () => {
    const withPng = await diffrg.writeReport(dir, { png: true });
    const pngs = Object.values(withPng.figures).map((f) => f.png);
    expect(pngs.every((f) => f !== undefined && existsSync(f))).toBe(true);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const plain = await diffrg.writeReport(dir);
    expect(readdirSync(join(dir, 'figures')).sort()).toEqual(Object.keys(plain.files).filter((f) => f.startsWith('figures/')).map((f) => f.slice(8)).sort());
    expect(pngs.some((f) => existsSync(f!))).toBe(false);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });

  it('a changed option recomputes that stage and the stages downstream of it only', async () => {
    const scan = await diffrg.analyze(APLYSIA, { out: dir, config: { ...FAST, scan: { tauCount: 30 } }, threads: 2 });
    expect(scan.ran).toEqual(['scan', 'report']);
    expect(record(dir, 'scan').tau).toHaveLength(30);
    const mps = await diffrg.analyze(APLYSIA, { out: dir, config: { ...FAST, scan: { tauCount: 30 }, mps: { ...FAST.mps, chi: 4 } }, threads: 2 });
    expect(mps.ran).toEqual(['mps', 'dtnr', 'report']);
    const comm = await diffrg.analyze(APLYSIA, { out: dir, config: { ...FAST, scan: { tauCount: 30 }, mps: { ...FAST.mps, chi: 4 }, communities: { seed: 3 } }, threads: 2 });
    expect(comm.ran).toEqual(['communities', 'scan', 'flow', 'mps', 'dtnr', 'dynamics', 'report']);
    // --force recomputes everything
    const forced = await diffrg.analyze(APLYSIA, { out: dir, config: FAST, threads: 2, force: true });
    expect(forced.ran).toEqual(ALL);
  });

  it('an interrupted run leaves a consistent directory and a rerun resumes', async () => {
    const out = join(tmp, 'interrupted');
    const ac = new AbortController();
    await expect(
      diffrg.analyze(APLYSIA, {
        out,
        config: FAST,
        threads: 2,
        signal: ac.signal,
        onStage: (e) => {
          if (e.stage === 'mps' && e.state === 'start') ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const m = manifest(out);
    expect(Object.keys(m.stages)).toEqual(['activity', 'infer', 'communities', 'scan', 'flow']);
    for (const s of Object.keys(m.stages)) expect(existsSync(join(out, 'stages', `${s}.json`))).toBe(true);
    expect(readdirSync(join(out, 'stages')).filter((f) => !f.endsWith('.json'))).toEqual([]); // no temporary files left
    const resumed = await diffrg.analyze(APLYSIA, { out, config: FAST, threads: 2 });
    expect(resumed.ran).toEqual(['mps', 'dtnr', 'dynamics', 'report']);
  });

  it('runs the dynamics stage along the flow (effective OU dynamics per scale)', async () => {
    {
      const out = join(tmp, 'dynamics');
      const r = await diffrg.analyze(APLYSIA, { out, config: FAST, threads: 2 });
      expect(r.stages.find((s) => s.stage === 'dynamics')!.status).toBe('ran');
      expect(Object.keys(r.figures)).toContain('dynamics');
      const flow = record(out, 'flow');
      expect(record(out, 'dynamics').scales.length).toBe(flow.steps.length + 1);
      expect(XMLValidator.validate(readFileSync(r.figures.dynamics.svg, 'utf8'))).toBe(true);
    }
  });

  it('Ctrl-C on the CLI leaves a consistent directory that a rerun completes', async () => {
    const out = join(tmp, 'sigint');
    const cfgFile = join(tmp, 'sigint.json');
    writeFileSync(cfgFile, JSON.stringify(FAST));
    const child = spawn(process.execPath, [join(root, 'bin', 'diffrg.js'), 'analyze', APLYSIA, '--out', out, '--config', cfgFile, '--threads', '2'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // interrupt once the first stages are recorded (polling the manifest, not timing)
    for (let i = 0; i < 600 && !(existsSync(join(out, 'manifest.json')) && 'infer' in manifest(out).stages); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    const code = await exited;
    const m = manifest(out);
    const done = Object.keys(m.stages);
    // 130 = interrupted; 0 only if the run finished before the signal arrived
    expect([130, 0]).toContain(code);
    expect(done.slice(0, 2)).toEqual(['activity', 'infer']);
    for (const s of done) if (m.stages[s].status === 'done' && s !== 'report') expect(existsSync(join(out, 'stages', `${s}.json`))).toBe(true);
    expect(readdirSync(out, { recursive: true }).filter((f) => String(f).includes('.tmp'))).toEqual([]);
    const resumed = await diffrg.analyze(APLYSIA, { out, config: FAST, threads: 2 });
    expect(resumed.ran).toEqual(ALL.filter((s) => !done.includes(s)));
  });

  it('reads an NWB Units file', async () => {
    const file = join(tmp, 'units.nwb');
    await writeNwbUnits(file, APLYSIA);
    const out = join(tmp, 'nwb');
    const r = await diffrg.analyze(file, { out, config: FAST, threads: 2 });
    checkAnalysis(out, r);
    // the same spikes as the CSV: the same inferred graph
    expect(record(out, 'infer').weight).toEqual(record(dir, 'infer').weight);
  });

  it('reads a dense calcium NPY (inferred on the traces, binarised for the MPS)', async () => {
    const file = join(tmp, 'calcium.npy');
    writeFileSync(file, await calciumNpy());
    const out = join(tmp, 'calcium');
    const r = await diffrg.analyze(file, { out, config: { ...FAST, infer: { binSeconds: 0.1 } }, threads: 2 });
    checkAnalysis(out, r);
    expect(record(out, 'infer').input).toBe('dense');
    expect(record(out, 'activity').preview.kind).toBe('raster');
    expect(record(out, 'mps').binarize).toMatch(/z-score above 2/);
  });

  it("reads the demo's simulated network (spikes.csv of the observed neurons)", async () => {
    // The demo's assembly network, simulated for 20 s instead of 60 to keep the spec short.
    const { DEMO_NETWORK } = require('../dist/demo.js') as typeof import('../dist/demo');
    const sim = await diffrg.simulateLif({ ...DEMO_NETWORK, duration: 20, seed: 3, threads: 2 });
    const files = await diffrg.writeLifOutputs(sim, join(tmp, 'sim-files'));
    const out = join(tmp, 'sim');
    const r = await diffrg.analyze(files.spikes, { out, config: FAST, threads: 2 });
    checkAnalysis(out, r);
    const act = record(out, 'activity');
    expect(act.neurons).toBe(sim.observed.length);
  });
});

describe('diffrg analyze CLI', () => {
  it('--print-config writes every stage option; the file round-trips as --config', () => {
    const r = cli(['analyze', '--print-config']);
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(Object.keys(cfg)).toEqual(ALL);
    expect(cfg).toEqual(diffrg.defaultConfig());
    const file = join(tmp, 'analyze.json');
    cfg.scan.tauCount = 40;
    writeFileSync(file, JSON.stringify(cfg));
    expect(diffrg.readConfig(file).scan.tauCount).toBe(40);
  });

  it('--json prints the summary with every figure path; errors are one JSON object on stderr', () => {
    const out = join(tmp, 'cli');
    const cfgFile = join(tmp, 'fast.json');
    writeFileSync(cfgFile, JSON.stringify(FAST));
    const r = cli(['analyze', APLYSIA, '--out', out, '--config', cfgFile, '--json', '--threads', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout);
    for (const f of FIGURES) expect(existsSync(s.figures[f].svg)).toBe(true);
    expect(s.negativePolicy.policy).toBe('abs');
    const rep = cli(['report', out, '--png', '--json']);
    expect(rep.code).toBe(0);
    const j = JSON.parse(rep.stdout);
    for (const f of FIGURES) expect(readFileSync(j.figures[f].png).subarray(1, 4).toString()).toBe('PNG');

    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{\n  "scan": { "tauCount": 40 },\n  "mps": { "chi": 8, }\n}\n');
    const parse = cli(['analyze', APLYSIA, '--out', out, '--config', bad, '--json']);
    expect(parse.code).toBe(1);
    const pe = JSON.parse(parse.stderr);
    expect(pe.error).toMatchObject({ code: 'ERR_PARSE', file: bad, line: 3 });
    writeFileSync(bad, JSON.stringify({ scan: { tauCnt: 4 } }));
    const unknown = JSON.parse(cli(['analyze', APLYSIA, '--out', out, '--config', bad, '--json']).stderr);
    expect(unknown.error.code).toBe('ERR_INVALID_INPUT');
    expect(unknown.error.message).toContain("'scan.tauCnt'");
    const missing = cli(['analyze', join(tmp, 'nope.csv'), '--out', out, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error.code).toBe('ERR_IO');
    const usage = cli(['analyze', APLYSIA, '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toEqual({ error: { code: 'ERR_USAGE', message: '--out <dir> is required' } });
    const unknownOption = cli(['scan', 'x.csv', '--bogus', '--json']);
    expect(unknownOption.code).toBe(2);
    expect(JSON.parse(unknownOption.stderr).error.code).toBe('ERR_USAGE');
    // without --json the same errors stay one human-readable line
    const text = cli(['analyze', join(tmp, 'nope.csv'), '--out', out]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^diffrg: ERR_IO: /);
  });
});
