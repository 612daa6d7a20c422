/**
 * Typed API errors for wrong argument types (issue #14): every exported function checks its
 * arguments (ts/check.ts) and throws (or, when async, rejects with) an InvalidInputError
 * (ERR_INVALID_INPUT) that names the function and argument and says what was received, instead
 * of a TypeError or a napi conversion error.
 */
import { describe, expect, it } from 'vitest';
import { diffrg } from './helpers';

const { Graph, InvalidInputError, DiffrgError } = diffrg;

/** Runs `f` and returns what it threw or rejected with (undefined when it succeeded). */
async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('wrong types at the facade', () => {
  const g = Graph.ring(8);
  const p = { rows: 4, sites: 3, data: new Uint8Array(12) };
  const model = diffrg.randomMps('born', [2, 2, 2], 2, 1);
  // biome-ignore lint/suspicious/noExplicitAny: calls with wrong types on purpose
  const a = (v: unknown) => v as any;
  const table: [string, () => unknown, string][] = [
    ['sampleMps count', () => diffrg.sampleMps(model, a('200')), 'sampleMps: count: expected a number, got the string "200"'],
    ['spectralScan tauCount', () => diffrg.spectralScan(g, { tauCount: a('200') }), 'spectralScan: options: tauCount: expected a number, got the string "200"'],
    ['spectralScan method', () => diffrg.spectralScan(g, { method: a(5) }), 'spectralScan: options: method: expected a string, got the number 5'],
    ['spectralScan signal', () => diffrg.spectralScan(g, { signal: a('x') }), 'spectralScan: options: signal: expected an AbortSignal, got the string "x"'],
    ['spectralScan laplacian', () => diffrg.spectralScan(g, { laplacian: a(3) }), 'spectralScan: options: laplacian: expected a string, got the number 3'],
    ['spectralScan graph', () => diffrg.spectralScan(a('g.csv')), 'spectralScan: graph: expected a Graph, got the string "g.csv"'],
    ['spectralScan options', () => diffrg.spectralScan(g, a(null)), 'spectralScan: options: expected an options object, got null'],
    ['coarseGrain tau', () => diffrg.coarseGrain(g, { tau: a('1') }), 'coarseGrain: options: tau: expected a number, got the string "1"'],
    ['rgFlow steps', () => diffrg.rgFlow(g, { tau: 1, steps: a('2') }), 'rgFlow: options: steps: expected a number, got the string "2"'],
    ['leiden resolution', () => diffrg.leiden(g, { resolution: a('1') }), 'leiden: options: resolution: expected a number, got the string "1"'],
    ['communityOrdering labels', () => diffrg.communityOrdering(g, a('abc')), 'communityOrdering: labels: expected an array of numbers or strings (or a typed array), got the string "abc"'],
    ['modularity resolution', () => diffrg.modularity(g, [0, 0, 0, 0, 1, 1, 1, 1], a('1')), 'modularity: resolution: expected a number, got the string "1"'],
    ['analyzeCommunities truth', () => diffrg.analyzeCommunities(g, { truth: a('labels.csv') }), 'analyzeCommunities: options: truth: expected a Map, got the string "labels.csv"'],
    ['fitMps chi', () => diffrg.fitMps(p, { chi: a('4') }), 'fitMps: options: chi: expected a number, got the string "4"'],
    ['fitMps patterns.data', () => diffrg.fitMps({ rows: 4, sites: 3, data: a('abc') }), 'fitMps: patterns.data: expected an array or typed array of numbers, got the string "abc"'],
    ['fitMps patterns', () => diffrg.fitMps(a(null)), 'fitMps: patterns: expected a pattern matrix { rows, sites, data }, got null'],
    ['mpsLogProb model.dims', () => diffrg.mpsLogProb({ ...model, dims: a('222') }, p), 'mpsLogProb: model.dims: expected an array or typed array of numbers, got the string "222"'],
    ['compressMps', () => diffrg.compressMps(a('model.npz')), 'compressMps: model: expected an MPS model { kind, dims, bondDims, data }, got the string "model.npz"'],
    ['randomMps kind', () => diffrg.randomMps(a(5), [2, 2], 2), 'randomMps: kind: expected a string, got the number 5'],
    ['mpsMarginals evidence', () => diffrg.mpsMarginals(model, { evidence: a('x') }), 'mpsMarginals: options: evidence: expected an array, got the string "x"'],
    ['encodeMps', () => diffrg.encodeMps(a(undefined)), 'encodeMps: model: expected an MPS model { kind, dims, bondDims, data }, got undefined'],
    ['decodeMps', () => diffrg.decodeMps(a('bytes')), 'decodeMps: bytes: expected a Uint8Array, got the string "bytes"'],
    ['parsePatternCsv', () => diffrg.parsePatternCsv(a(5)), 'parsePatternCsv: text: expected a string, got the number 5'],
    ['reorderPatterns order', () => diffrg.reorderPatterns(p, a('012')), 'reorderPatterns: order: expected an array or typed array of numbers, got the string "012"'],
    ['loadPatterns file', () => diffrg.loadPatterns(a(5)), 'loadPatterns: file: expected a string, got the number 5'],
    ['loadPatterns bin', () => diffrg.loadPatterns('x.csv', { bin: a(true) }), 'loadPatterns: options: bin: expected a number or a string, got the boolean true'],
    ['siteOrder data', () => diffrg.siteOrder('identity', a({})), 'siteOrder: data.patterns: expected an object, got undefined'],
    ['inferSpikes spikes.times', () => diffrg.inferSpikes({ neurons: [0, 1], times: a('t') }), 'inferSpikes: spikes.times: expected an array or typed array of numbers, got the string "t"'],
    ['inferSpikes method', () => diffrg.inferSpikes({ neurons: [0, 1], times: [0.1, 0.2] }, { method: a(1) }), 'inferSpikes: options: method: expected a string, got the number 1'],
    ['inferDense', () => diffrg.inferDense({ neurons: 2, samples: 2, data: a('abcd') }), 'inferDense: activity.data: expected an array or typed array of numbers, got the string "abcd"'],
    ['simulateLif neurons', () => diffrg.simulateLif({ neurons: a('100') }), 'simulateLif: options: neurons: expected a number, got the string "100"'],
    ['spikeTrain', () => diffrg.spikeTrain(a('sim'), 0), 'spikeTrain: sim: expected a LIF simulation (see simulateLif), got the string "sim"'],
    ['dtnr graph', () => diffrg.dtnr(p, a('g')), 'dtnr: graph: expected a Graph, got the string "g"'],
    ['effectiveDynamics estimators', () => diffrg.effectiveDynamics({ kind: 'raster', neurons: 2, samples: 100, data: new Float64Array(200) }, { estimators: a('ou') }), 'effectiveDynamics: options: estimators: expected an array, got the string "ou"'],
    ['entropyProduction dt', () => diffrg.entropyProduction({ data: new Float64Array(10), frames: 5, vars: 2, dt: a('1') }), 'entropyProduction: trajectory.dt: expected a number, got the string "1"'],
    ['DynamicsStream vars', () => new diffrg.DynamicsStream(a('2'), 1), 'DynamicsStream: vars: expected a number, got the string "2"'],
    ['DynamicsStream.push', () => new diffrg.DynamicsStream(2, 1).push(a([1, 2])), 'DynamicsStream.push: chunk: expected a Float64Array, got an array of length 2'],
    ['readGraph negative', () => diffrg.readGraph('g.csv', { negative: a(1) }), 'readGraph: options: negative: expected a string, got the number 1'],
    ['parseGraph header', () => diffrg.parseGraph('0,1\n', 'x', { header: a(5) }), 'parseGraph: options: header: expected a boolean or a string, got the number 5'],
    ['readActivity units', () => diffrg.readActivity('x.csv', { units: a(5) }), 'readActivity: options: units: expected a string, got the number 5'],
    ['encodeNpy shape', () => diffrg.encodeNpy({ dtype: 'float64', shape: a('2'), data: new Float64Array(2) }), 'encodeNpy: array.shape: expected an array or typed array of numbers, got the string "2"'],
    ['slqShard shard.index', () => diffrg.slqShard(g, { index: a('0'), count: 2 }), 'slqShard: shard.index: expected a number, got the string "0"'],
    ['stochasticBlockModel', () => diffrg.stochasticBlockModel(a('10'), 0.5, 0.1), 'stochasticBlockModel: sizes: expected an array or typed array of numbers, got the string "10"'],
    ['writeFileAtomic data', () => diffrg.writeFileAtomic('/tmp/never-written', a(5)), 'writeFileAtomic: data: expected a string or a Uint8Array, got the number 5'],
    ['resolvedThreads', () => diffrg.resolvedThreads(a('4')), 'resolvedThreads: threads: expected a number, got the string "4"'],
    ['Graph.fromEdges options', () => Graph.fromEdges({ n: 3, sources: [0], targets: [1] }, { directed: a('yes') }), 'Graph.fromEdges: options: directed: expected a boolean, got the string "yes"'],
    ['Graph.fromEdges sources', () => Graph.fromEdges({ n: 3, sources: a('01'), targets: [1] }), 'Graph.fromEdges: edges.sources: expected an array or typed array of numbers, got the string "01"'],
    ['Graph.fromCsr', () => Graph.fromCsr(a(null)), 'Graph.fromCsr: csr: expected a CSR matrix { n, indptr, indices, weights?, directed?, labels? }, got null'],
    ['Graph.ring', () => Graph.ring(a('5')), 'Graph.ring: n must be an integer >= 0 (got the string "5")'],
  ];

  it.each(table)('%s: ERR_INVALID_INPUT naming the argument and the received value', async (_name, call, message) => {
    const err = await caught(call);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InstanceType<typeof InvalidInputError>).code).toBe('ERR_INVALID_INPUT');
    expect((err as Error).message).toBe(message);
  });

  it('async functions reject rather than throw synchronously', () => {
    const r = diffrg.sampleMps(model, a('200'));
    expect(r).toBeInstanceOf(Promise);
    return expect(r).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('no exported function throws an untyped error when every argument is of a wrong type', async () => {
    // the commands that write or run for long with default options are covered by the table
    const skip = new Set(['sweep', 'resume', 'runTask', 'analyze', 'writeReport', 'mergeSweep', 'memoryBandwidth', 'simulateLif', 'DynamicsStream', 'Graph', 'CoarseTracker']);
    const bads: unknown[] = ['200', null, 5, {}, undefined, [1, 'x']];
    const untyped: string[] = [];
    for (const [name, f] of Object.entries(diffrg)) {
      if (typeof f !== 'function' || skip.has(name) || /Error$/.test(name)) continue;
      for (const v of bads) {
        const err = await caught(() => (f as (...x: unknown[]) => unknown)(v, v, v));
        if (err !== undefined && !(err instanceof DiffrgError)) untyped.push(`${name}(${JSON.stringify(v)}): ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
      }
    }
    expect(untyped).toEqual([]);
  });
});
