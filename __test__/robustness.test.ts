/**
 * Hostile inputs, as a user hits them: every failure is a typed error with a stable code and a
 * message naming the file / option, the CLI prints one line (no stack, no HDF5 dump) with the
 * documented exit code, and no output or temporary file is left behind.
 */
import { describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli, diffrg, latentClusters, oneLine, root, tmpDir } from './helpers';

const { Graph, InvalidInputError, TooLargeError, IoError, ParseError } = diffrg;

const tmp = (): string => tmpDir('robust');

const ring = 'gen:ring:12';

describe('graph generators validate sizes before entering Rust', () => {
  it('rejects negative, fractional and zero-dimension arguments (u32 wrap would allocate ~100 GB and abort)', () => {
    expect(() => Graph.ring(-5)).toThrow(InvalidInputError);
    expect(() => Graph.ring(2.5)).toThrow(/Graph\.ring: n must be an integer >= 0 \(got 2\.5\)/);
    expect(() => Graph.torus(3, 0)).toThrow(/dims must be an integer >= 1/);
    expect(() => Graph.barabasiAlbert(10, 0)).toThrow(/m must be an integer >= 1/);
    expect(() => Graph.erdosRenyi(10, Number.NaN)).toThrow(/meanDegree must be a finite number/);
    expect(() => Graph.randomTree(10, 2 ** 32)).toThrow(/seed must be an integer in \[0, 4294967295\]/);
    expect(Graph.ring(0).n).toBe(0);
    expect(Graph.torus(3, 2).n).toBe(9);
  });
  it('refuses graphs beyond the generator limit with ERR_TOO_LARGE (pseudofractal:40 used to hang)', () => {
    for (const f of [() => Graph.pseudofractal(40), () => Graph.ring(1e12), () => Graph.torus(100000, 3), () => Graph.erdosRenyi(1e8, 10)]) {
      const e = (() => {
        try {
          f();
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(TooLargeError);
      expect((e as InstanceType<typeof TooLargeError>).code).toBe('ERR_TOO_LARGE');
    }
    expect(Graph.pseudofractal(4).n).toBe(123);
    // one clique of 2^24 nodes passed the native node check but needs 1.4e14 edges
    expect(() => diffrg.ringOfCliques(1, 1 << 24)).toThrow(TooLargeError);
    expect(() => diffrg.stochasticBlockModel([2 ** 32 + 5], 0.5, 0.5)).toThrow(TooLargeError);
    expect(diffrg.ringOfCliques(3, 4).graph.n).toBe(12);
  });
  it('CLI: bad gen: specs are usage errors naming the spec, huge ones exit 1 with ERR_TOO_LARGE', () => {
    const neg = cli(['coarse-grain', 'gen:ring:-5', '--tau', '1']);
    expect(neg.code).toBe(2);
    expect(oneLine(neg.stderr)).toMatch(/<graph> 'gen:ring:-5': Graph\.ring: n must be/);
    expect(cli(['coarse-grain', 'gen:tree:1.5', '--tau', '1']).code).toBe(2);
    const big = cli(['coarse-grain', 'gen:pseudofractal:40', '--tau', '1'], { timeout: 30_000 });
    expect(big.code).toBe(1);
    expect(oneLine(big.stderr)).toMatch(/ERR_TOO_LARGE: Graph\.pseudofractal/);
  });
});

describe('API options are validated like the CLI', () => {
  it('edge arrays, node counts, community method, bin width', async () => {
    // plain-number ids used to wrap (-1 -> 4294967295) or truncate (1.5 -> 1) silently
    expect(() => Graph.fromEdges({ n: 3, sources: [0, -1], targets: [1, 2] })).toThrow(/sources\[1\] = -1 is not a node index in \[0, 3\)/);
    expect(() => Graph.fromEdges({ n: 3, sources: [0, 1], targets: [1, 1.5] })).toThrow(/targets\[1\] = 1\.5/);
    // n = 1e12 wrapped to a 28 GB allocation and aborted the process
    expect(() => Graph.fromEdges({ n: 1e12, sources: [0], targets: [1] })).toThrow(TooLargeError);
    expect(() => Graph.fromCsr({ n: 3, indptr: [0, 1, 1, 1], indices: [-7] })).toThrow(/indices\[0\] = -7/);
    expect(() => Graph.fromEdges({ n: 3, sources: [0, 7], targets: [1, 2] })).toThrow(/edge 1: node id 7 out of range/);
    expect(Graph.fromEdges({ n: 3, sources: [0, 1], targets: [1, 2] }).edges).toBe(2);
    await expect(diffrg.analyzeCommunities(Graph.ring(10), { method: 'bogus' as never })).rejects.toThrow(/method must be leiden or lrg/);
    await expect(diffrg.analyzeCommunities(Graph.ring(10), { tau: 1 })).rejects.toThrow(/tau applies to method 'lrg' only/);
    expect(() => diffrg.binSpikes({ kind: 'spikes', ids: [0], times: [new Float64Array([0.1])] } as never, 0)).toThrow(/binSeconds must be a positive finite number/);
  });
});

describe('integer options crossing to Rust as u32 are range-checked (no silent wrap, no abort)', () => {
  it('API and CLI', async () => {
    const g = Graph.ring(10);
    // probes = 1e9 made a 56 GB allocation (process abort); tauCount = 1e9 ran toward ~64 GB
    await expect(diffrg.spectralScan(g, { method: 'slq', probes: 1e9 })).rejects.toThrow(/probes must be an integer in \[2, 100000\]/);
    await expect(diffrg.spectralScan(g, { tauCount: 1e9 })).rejects.toThrow(/tauCount must be an integer in \[1, 1000000\]/);
    await expect(diffrg.rgFlow(g, { tau: 1, steps: 2 ** 32 + 1 })).rejects.toThrow(/steps must be an integer/);
    await expect(diffrg.rgFlow(g, { tau: 1, curvePoints: 1e9 })).rejects.toThrow(/curvePoints/);
    await expect(diffrg.coarseGrain(g, { tau: 1, targetSize: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    const p = { rows: 2, sites: 2, data: new Uint8Array(4) };
    await expect(diffrg.dtnr(p, Graph.ring(2), { samples: 1e12 })).rejects.toThrow(/samples must be an integer in \[2, 100000000\]/);
    await expect(diffrg.dtnr(p, Graph.ring(2), { chi: 1.5 })).rejects.toThrow(/chi must be an integer/);
    await expect(diffrg.leiden(g, { maxIterations: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    for (const args of [['scan', ring, '--tau-count', '1000000000'], ['scan', ring, '--probes', '1000000000'], ['dtnr', 'x.csv', '--samples', '1000000000000']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/usage error: --(tau-count|probes|samples) must be an integer in/);
    }
  });
});

describe('seeds are integers in [0, 2^32 - 1] (the native u32 would wrap 2^32 to 0)', () => {
  it('API', async () => {
    const g = Graph.ring(10);
    await expect(diffrg.spectralScan(g, { method: 'slq', seed: 2 ** 32 })).rejects.toThrow(/seed must be an integer in \[0, 4294967295\]/);
    await expect(diffrg.leiden(g, { seed: 2 ** 32 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(diffrg.inferSpikes({ neurons: [0, 1, 0, 1], times: [0.1, 0.2, 0.3, 0.4] }, { seed: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(diffrg.dtnr({ rows: 2, sites: 2, data: new Uint8Array(4) }, Graph.ring(2), { seed: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => diffrg.stochasticBlockModel([3, 3], 0.5, 0.1, { seed: 2 ** 40 })).toThrow(InvalidInputError);
  });
  it('CLI: --seed out of range or empty is a usage error (exit 2)', () => {
    for (const args of [
      ['scan', ring, '--seed', '4294967296'],
      ['communities', ring, '--seed', '99999999999999999999'],
      ['scan', ring, '--seed', ''],
      ['coarse-grain', ring, '--tau', ''],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/usage error: --(seed|tau) must be/);
    }
  });
});

describe('files: directories, truncated NWB, unwritable outputs', () => {
  it('a directory given as activity is ERR_IO naming it (was "unexpected error: EISDIR")', async () => {
    const d = tmp();
    const r = cli(['infer', d, '--out', path.join(d, 'g.csv')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`ERR_IO: cannot read ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: EISDIR`));
    await expect(diffrg.readActivity(d)).rejects.toBeInstanceOf(IoError);
    await expect(diffrg.readLabels(d)).rejects.toBeInstanceOf(IoError);
    expect(() => diffrg.readNpy(path.join(d, 'missing.npy'))).toThrow(IoError);
  });
  it('a truncated NWB file gives one ERR_PARSE line with HDF5\'s reason, no HDF5-DIAG dump', () => {
    const d = tmp();
    const f = path.join(d, 'trunc.nwb');
    writeFileSync(f, readFileSync(path.join(root, '__test__', 'fixtures', 'units.nwb')).subarray(0, 2000));
    const r = cli(['infer', f, '--out', path.join(d, 'g.csv')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/ERR_PARSE: .*trunc\.nwb: cannot open as HDF5 \(truncated or corrupt\?\): truncated file: eof = 2000/);
    expect(existsSync(path.join(d, 'g.csv'))).toBe(false);
  });
  it('an output directory that is a file, or cannot be created, fails fast with ERR_IO', async () => {
    const d = tmp();
    const file = path.join(d, 'plain.csv');
    writeFileSync(file, 'x\n');
    const r = cli(['coarse-grain', ring, '--tau', '1', '--out', file]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/ERR_IO: cannot create directory .*plain\.csv: .*plain\.csv exists and is not a directory/);
    await expect(diffrg.writeFileAtomic(path.join(file, 'a', 'b.json'), '{}')).rejects.toThrow(/exists and is not a directory/);
    if (existsSync('/proc/self')) {
      // Node's recursive mkdir loops forever here (mkdir under /proc answers ENOENT)
      await expect(diffrg.writeFileAtomic('/proc/diffrg-nope/x/y.json', '{}')).rejects.toBeInstanceOf(IoError);
    }
    expect(readdirSync(d)).toEqual(['plain.csv']);
  });
  it('an interrupted write (SIGINT) leaves neither the output nor its temporary file', async () => {
    const d = tmp();
    const target = path.join(d, 'big.bin');
    // 128 MiB written in 512 KiB chunks: the signal arrives while the temporary file is open
    const script = `
      const fs = require('node:fs');
      const { installSignalCleanup } = require(${JSON.stringify(path.join(root, 'dist', 'cli', 'index.js'))});
      const { writeFileAtomic } = require(${JSON.stringify(path.join(root, 'dist', 'io', 'atomic.js'))});
      installSignalCleanup();
      writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(128 << 20)).then(() => process.exit(0));
      const poll = () => fs.readdirSync(${JSON.stringify(d)}).some((f) => f.endsWith('.tmp')) ? process.kill(process.pid, 'SIGINT') : setImmediate(poll);
      poll();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/diffrg: interrupted \(SIGINT\)/);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('error lines', () => {
  it('commander parse errors use the CLI format; unexpected errors are one ERR_INTERNAL line without a stack', async () => {
    const r = cli(['scan', ring, '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^diffrg: usage error: unknown option '--bogus'$/m);
    const { reportError } = await import(path.join(root, 'dist', 'cli', 'common.js'));
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
    const debug = process.env.DIFFRG_DEBUG;
    delete process.env.DIFFRG_DEBUG;
    let codes: number[];
    try {
      codes = [reportError(new TypeError('x is undefined\nsecond line')), reportError(Object.assign(new Error('EACCES: permission denied, open \'/x\''), { code: 'EACCES', syscall: 'open' }))];
    } finally {
      process.stderr.write = write;
      if (debug !== undefined) process.env.DIFFRG_DEBUG = debug;
    }
    expect(codes).toEqual([1, 1]);
    expect(lines[0]).toBe('diffrg: ERR_INTERNAL: x is undefined (a bug in diffrg: please report it; DIFFRG_DEBUG=1 prints the stack)\n');
    expect(lines[1]).toBe("diffrg: ERR_IO: EACCES: permission denied, open '/x'\n");
  });
});

describe('thread environment', () => {
  it('an invalid DIFFRG_THREADS (1000000 used to spawn threads for minutes) is ignored with a warning', () => {
    const r = cli(['coarse-grain', ring, '--tau', '1', '--json'], { env: { DIFFRG_THREADS: '1000000' }, timeout: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^diffrg: warning: DIFFRG_THREADS='1000000' ignored \(expected an integer in 1\.\.4096\)$/m);
    expect(JSON.parse(r.stdout).steps.length).toBeGreaterThan(0);
  });
});

describe('stdout closed by the reader', () => {
  it('`diffrg ... --json | head -c 100` ends quietly with exit 0 (was an unhandled EPIPE stack)', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'diffrg.js'), 'coarse-grain', 'gen:ring:100000', '--tau', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
    expect(code, stderr).toBe(0);
  });
});

describe('conflicting or ignored options are usage errors', () => {
  it('communities --tau without --method lrg and dtnr --block-cap without --block count are errors; infer --max-lag with correlation warns', () => {
    const d = tmp();
    const spikes = path.join(d, 'spikes.csv');
    writeFileSync(spikes, 'neuron,time\n' + Array.from({ length: 200 }, (_, i) => `${i % 3},${(i * 0.003).toFixed(4)}`).join('\n') + '\n');
    const cases: Array<[string[], RegExp]> = [
      [['communities', ring, '--tau', '1'], /--tau applies to --method lrg only/],
      [['dtnr', spikes, '--block-cap', '7'], /--block-cap applies to --block count only/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(msg);
    }
    // an option the method does not use, in a loop over methods: one warning line, not an error
    const w = cli(['infer', spikes, '--method', 'correlation', '--max-lag', '2', '--surrogates', '2', '--out', path.join(d, 'g.csv')]);
    expect(w.stderr).toMatch(/^diffrg: warning: --max-lag is ignored by --method correlation \(it applies to lgd and var\)$/m);
  });
  it('an empty --truth file is ERR_PARSE naming it', () => {
    const d = tmp();
    const empty = path.join(d, 'empty.csv');
    writeFileSync(empty, '');
    const graph = path.join(d, 'graph.csv');
    writeFileSync(graph, '0,1\n1,2\n2,0\n2,3\n3,4\n4,5\n5,3\n');
    const r = cli(['communities', graph, '--truth', empty]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/ERR_PARSE: .*empty\.csv: no node,label rows/);
    const other = path.join(d, 'other.csv');
    writeFileSync(other, 'node,label\n77,a\n');
    const m = cli(['communities', graph, '--truth', other]);
    expect(m.code).toBe(1);
    expect(oneLine(m.stderr)).toMatch(/ERR_INVALID_INPUT: .*other\.csv vs .*graph\.csv: none of the graph nodes has a reference label/);
    return expect(diffrg.readLabels(empty)).rejects.toBeInstanceOf(ParseError);
  });
});

describe('activity edge cases name the file', () => {
  it('a header-only spike table, ids beyond 2^53, and graph inference on too few patterns', async () => {
    const d = tmp();
    const hdr = path.join(d, 'hdr.csv');
    writeFileSync(hdr, 'neuron,time\n');
    const r = cli(['infer', hdr, '--out', path.join(d, 'g.csv')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/ERR_INVALID_INPUT: .*hdr\.csv: no spikes/);
    // 2^53 + 1 would silently become 2^53 (two neurons merged)
    const big = path.join(d, 'big.csv');
    writeFileSync(big, 'neuron,time\n9007199254740993,0.1\n2,0.2\n');
    await expect(diffrg.readActivity(big)).rejects.toThrow(/big\.csv:2: neuron id '9007199254740993' must be a non-negative integer below 2\^53/);
    await expect(diffrg.inferSpikes({ neurons: [2 ** 60, 1], times: [0.1, 0.2] })).rejects.toThrow(/below 2\^53/);
    const few = path.join(d, 'few.csv');
    writeFileSync(few, '0\n1\n0\n1\n');
    const t = cli(['dtnr', few]);
    expect(t.code).toBe(1);
    expect(oneLine(t.stderr)).toMatch(/ERR_INVALID_INPUT: .*few\.csv: cannot infer a site graph from the data .* with --graph/);
    expect(existsSync(path.join(d, 'g.csv'))).toBe(false);
  });
});

describe('spike-table units and overflow', () => {
  it('a time_ms header is read in milliseconds; 1e400 is ERR_NOT_FINITE at file:line', async () => {
    const d = tmp();
    const ms = path.join(d, 'ms.tsv');
    writeFileSync(ms, 'neuron\ttime_ms\n0\t100\n1\t250\n');
    const a = await diffrg.readSpikeTable(ms);
    expect(Array.from(a.times[0])).toEqual([0.1]);
    expect(a.times[1][0]).toBeCloseTo(0.25, 12);
    // an explicit unit wins over the header
    expect(Array.from((await diffrg.readSpikeTable(ms, { units: 's' })).times[0])).toEqual([100]);
    const s = path.join(d, 's.csv');
    writeFileSync(s, 'neuron,time_s\n0,100\n');
    expect(Array.from((await diffrg.readSpikeTable(s)).times[0])).toEqual([100]);
    const inf = path.join(d, 'inf.csv');
    writeFileSync(inf, 'neuron,time\n0,1e400\n');
    const e = await diffrg.readSpikeTable(inf).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(diffrg.NotFiniteError);
    expect((e as Error).message).toMatch(/inf\.csv:2: spike time 1e400 overflows to Infinity/);
  });
});

describe('multi-file outputs', () => {
  it('dtnr --out: a failed model write leaves no scales.json listing the run', () => {
    const d = tmp();
    const p = latentClusters(2, 4, 300, 1);
    const rows: string[] = [];
    for (let t = 0; t < p.rows; t++) rows.push(Array.from(p.data.subarray(t * p.sites, (t + 1) * p.sites)).join(','));
    const file = path.join(d, 'patterns.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    const out = path.join(d, 'run');
    // a directory where the scale-1 model should go: its rename fails
    mkdirSync(path.join(out, 'model-scale1.npz'), { recursive: true });
    const r = cli(['dtnr', file, '--steps', '1', '--chi', '4', '--samples', '100', '--no-direct', '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/ERR_IO: cannot write .*model-scale1\.npz/);
    expect(existsSync(path.join(out, 'scales.json'))).toBe(false);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('simulator', () => {
  it('a time step longer than twice the duration (zero steps) is rejected, not simulated silently', async () => {
    await expect(diffrg.simulateLif({ neurons: 20, clusters: 2, duration: 1, dt: 10 })).rejects.toThrow(/dt \(10 s\) must not exceed twice the duration \(1 s\)/);
  });
});

describe('reproducible output files', () => {
  it('NPZ bytes do not depend on the wall clock (zip member timestamps are fixed)', () => {
    const arrays = { a: { dtype: 'float64' as const, shape: [2], data: new Float64Array([1, 2]) } };
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date(2020, 5, 1, 12, 0, 0));
      const first = diffrg.encodeNpz(arrays);
      vi.setSystemTime(new Date(2031, 0, 2, 3, 4, 5));
      const second = diffrg.encodeNpz(arrays);
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(Array.from(diffrg.parseNpz(diffrg.encodeNpz(arrays)).get('a')!.data as Float64Array)).toEqual([1, 2]);
  });
});

describe('MPS inputs: file errors, NPZ pattern matrices, option ranges', () => {
  it('missing files are ERR_IO; a pattern NPZ is read by its member', async () => {
    const dir = tmp();
    expect(() => diffrg.loadMps(path.join(dir, 'none.npz'))).toThrow(IoError);
    expect(() => diffrg.readPatterns(path.join(dir, 'none.csv'))).toThrow(IoError);
    expect(() => diffrg.readPatterns(dir)).toThrow(IoError);
    const pat = { shape: [3, 2], dtype: 'uint8' as const, data: new Uint8Array([0, 1, 1, 0, 1, 1]) };
    const named = path.join(dir, 'p.npz');
    writeFileSync(named, diffrg.encodeNpz({ patterns: pat, extra: { shape: [1], dtype: 'float64' as const, data: new Float64Array([1]) } }));
    const only = path.join(dir, 'q.npz');
    writeFileSync(only, diffrg.encodeNpz({ x: pat }));
    for (const f of [named, only]) {
      const p = diffrg.readPatterns(f);
      expect([p.rows, p.sites, [...p.data]]).toEqual([3, 2, [0, 1, 1, 0, 1, 1]]);
    }
    const ambiguous = path.join(dir, 'r.npz');
    writeFileSync(ambiguous, diffrg.encodeNpz({ a: pat, b: pat }));
    expect(() => diffrg.readPatterns(ambiguous)).toThrow(/named 'patterns' or a single array, found a, b/);
  });
  it('fitMps and randomOrder range-check seeds and integers', async () => {
    const p = { rows: 4, sites: 2, data: new Uint8Array([0, 1, 1, 0, 1, 1, 0, 0]) };
    await expect(diffrg.fitMps(p, { seed: 2 ** 32 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(diffrg.fitMps(p, { chi: 2 ** 32 + 2 })).rejects.toThrow(/chi must be an integer/);
    expect(() => diffrg.randomOrder(5, 1.5)).toThrow(InvalidInputError);
    expect(() => diffrg.randomOrder(-1, 0)).toThrow(InvalidInputError);
    expect(diffrg.randomOrder(5, 3).slice().sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
