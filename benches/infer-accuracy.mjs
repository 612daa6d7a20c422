// Accuracy of graph inference and of the communities found from it (issue 12; the tables of
// docs/lgd.md and docs/communities.md). Ground truth from two simulators: diffrg's clustered LIF
// network (`simulateLif`) and a clustered E/I network drawn and simulated by Brian2
// (benches/peers/sim_brian2.py, build mode). For each clustering strength (E->E connection
// probability ratio inside / between clusters, R), recording length and observed fraction:
// - synapses: AUROC and AUPR of every ordered pair among the observed neurons (truth: a synapse
//   of either sign), MCC at each method's own detection threshold (diffrg: FDR q <= 0.05);
// - communities: ARI / NMI against the planted clusters (inhibitory neurons: one extra label) of
//   `diffrg communities` on each method's signed graph (z-scores, Dale split, profile augmentation;
//   docs/communities.md; last column: without the profile augmentation),
//   and of Leiden on the true excitatory synapses among the observed neurons (the reference).
// Methods: diffrg lgd, var, correlation; peers TSPE (elephant; de Blasi et al. 2019) and the
// jitter-corrected cross-correlogram (English et al. 2017), in benches/peers/infer_accuracy.py.
//
// Environment (comma lists): DIFFRG_BENCH_SIMS (lif,brian2), DIFFRG_BENCH_STRENGTH (R; 2, the
// simulator's default for this network), DIFFRG_BENCH_OBSERVE (0.2,0.5,1), DIFFRG_BENCH_MINUTES (1,10),
// DIFFRG_BENCH_SEEDS (1), DIFFRG_BENCH_PEERS (tspe,ccg; empty: none), DIFFRG_BENCH_N (500),
// DIFFRG_BENCH_CLUSTERS (5). DIFFRG_BENCH_GRID=full: R 1.5,2,4 and 1,10,30 minutes
// (hours on 2 cores). DIFFRG_BENCH_SMOKE=1: 200 neurons, 2 clusters, 10 s, LIF only, no peers.
// DIFFRG_BENCH_PEER_MAX (e.g. `tspe:250`): a peer runs only in cells with at most that many
// observed neurons; the other cells print a "not run" row (the slow peer on a subset, not
// dropped). DIFFRG_BENCH_CACHE (a folder): Brian2 networks are kept there and reused by later
// runs with the same parameters (the simulation is seeded, so a rerun would give the same spikes).
// DIFFRG_BENCH_SAVE (a folder): each cell's signed matrices (`<cell>-<method>.f64`, row = source)
// and observed ids / labels (`<cell>.json`) are written there, to study the community step alone.
// DIFFRG_BENCH_LEIDEN_SEEDS (e.g. 42,1,2,3,4): also prints (stderr) each graph's ARI range and
// mean over those Leiden seeds, with and without the profile augmentation.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, machine, peer, rng } from './_common.mjs';

const SMOKE = process.env.DIFFRG_BENCH_SMOKE === '1';
const FULL = process.env.DIFFRG_BENCH_GRID === 'full';
const list = (name, dflt) => {
  const v = process.env[name];
  return (v === undefined ? dflt : v).split(',').map((s) => s.trim()).filter((s) => s !== '');
};
const THREADS = Number(process.env.DIFFRG_THREADS ?? 2);
const N = SMOKE ? 200 : Number(process.env.DIFFRG_BENCH_N ?? 500);
const K = SMOKE ? 2 : Number(process.env.DIFFRG_BENCH_CLUSTERS ?? 5);
const SIMS = SMOKE ? ['lif'] : list('DIFFRG_BENCH_SIMS', 'lif,brian2');
const STRENGTHS = list('DIFFRG_BENCH_STRENGTH', FULL ? '1.5,2,4' : '2').map(Number);
const OBSERVE = list('DIFFRG_BENCH_OBSERVE', '0.2,0.5,1').map(Number);
const SECONDS = SMOKE ? [10] : list('DIFFRG_BENCH_MINUTES', FULL ? '1,10,30' : '1,10').map((m) => Number(m) * 60);
const SEEDS = list('DIFFRG_BENCH_SEEDS', '1').map(Number);
const PEERS = SMOKE ? [] : list('DIFFRG_BENCH_PEERS', 'tspe,ccg');
const METHODS = ['lgd', 'var', 'correlation'];
const PEER_MAX = new Map(list('DIFFRG_BENCH_PEER_MAX', '').map((s) => [s.split(':')[0], Number(s.split(':')[1])]));
const CACHE = process.env.DIFFRG_BENCH_CACHE;
const LEIDEN_SEEDS = list('DIFFRG_BENCH_LEIDEN_SEEDS', '').map(Number);
const SAVE = process.env.DIFFRG_BENCH_SAVE;
const save = (name, data) => SAVE && (mkdirSync(SAVE, { recursive: true }), writeFileSync(join(SAVE, name), data));
const BIN = 0.005;

// AUROC/AUPR and MCC come from the core (infer::metrics), the same code as every other figure.
const { rankMetrics, matthewsCorrelation: mcc } = diffrg;

/**
 * The bytes of a file as their own ArrayBuffer. `readFileSync(f).buffer` is not that: a small
 * file's Buffer is a view into Node's shared 8 KiB pool, at an offset, so reading `.buffer` whole
 * takes other bytes (the Brian2 labels, 2,000 bytes, were read that way until this was found).
 */
const fileBuffer = (f) => {
  const b = readFileSync(f);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};

/** Communities of a signed n x n matrix (row source) the way `diffrg communities` reads infer output. */
async function communities(ids, signed, truth) {
  const n = ids.length;
  const rows = [`# nodes: ${ids.join(',')}`, 'source,target,weight,pvalue,zscore'];
  for (let s = 0; s < n; s++) for (let t = 0; t < n; t++) if (s !== t && signed[s * n + t] !== 0) rows.push(`${ids[s]},${ids[t]},0,1,${signed[s * n + t]}`);
  const g = diffrg.parseGraph(rows.join('\n'), 'graph.csv', { negative: 'dale', weightColumn: 'zscore' });
  // as `diffrg communities` reads infer output (profile augmentation on), and Leiden on the z-scores alone
  const r = await diffrg.analyzeCommunities(g.graph, { truth, negativeSources: g.negativeSources, profile: true, threads: THREADS });
  const z = await diffrg.analyzeCommunities(g.graph, { truth, negativeSources: g.negativeSources, threads: THREADS });
  if (LEIDEN_SEEDS.length) {
    // the spread over Leiden's own seed, with and without the profile augmentation
    const spread = [];
    for (const profile of [false, true]) {
      const a = [];
      for (const seed of LEIDEN_SEEDS) a.push((await diffrg.analyzeCommunities(g.graph, { truth, negativeSources: g.negativeSources, profile, seed, threads: THREADS })).ari);
      spread.push(`${profile ? 'profile' : 'z only'} ${Math.min(...a).toFixed(3)}-${Math.max(...a).toFixed(3)} mean ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(3)}`);
    }
    console.error(`  (ARI over Leiden seeds ${LEIDEN_SEEDS.join(',')}: ${spread.join('; ')})`);
  }
  return { ari: r.ari, nmi: r.nmi, k: r.communities, ariZ: z.ari };
}

/** The network of one simulator: all spikes (neuron, time), synapses and cluster labels. */
async function network(sim, strength, seed, seconds, dir) {
  if (sim === 'lif') {
    const r = await diffrg.simulateLif({ neurons: N, clusters: K, duration: seconds, seed, observe: 1, pRatio: strength, threads: THREADS });
    const neurons = [];
    const times = [];
    for (let i = 0; i < r.n; i++) for (const t of diffrg.spikeTrain(r, i)) (neurons.push(i), times.push(t));
    return { n: r.n, neurons, times, sources: r.sources, targets: r.targets, weights: r.weights, labels: r.labels, rates: [r.rateExc, r.rateInh] };
  }
  const out = CACHE ? join(CACHE, `brian2-n${N}-k${K}-R${strength}-s${seed}-t${seconds}`) : join(dir, 'brian2');
  // One OpenMP thread: Brian2's random streams depend on the thread count, so the network's
  // spikes (and every figure) would otherwise change with DIFFRG_THREADS; one thread is also
  // the faster choice on a loaded 2-core machine (223 s for 10 minutes).
  const summary = join(out, 'summary.json');
  let b;
  if (CACHE && existsSync(summary)) b = JSON.parse(readFileSync(summary, 'utf8'));
  else {
    b = peer('sim_brian2.py', { build: { n: N, clusters: K, p_ratio: strength, duration: seconds, seed }, out, threads: 1 });
    if (CACHE) writeFileSync(summary, JSON.stringify(b));
  }
  const u32 = (f) => new Uint32Array(fileBuffer(join(out, f)));
  const f64 = (f) => new Float64Array(fileBuffer(join(out, f)));
  return { n: N, neurons: Array.from(u32('spike_neurons.u32')), times: Array.from(f64('spike_times.f64')), sources: u32('sources.u32'), targets: u32('targets.u32'), weights: f64('weights.f64'), labels: u32('labels.u32'), rates: [b.rate_exc, b.rate_inh] };
}

console.log(`machine: ${machine()}; threads ${THREADS}${SMOKE ? ' (smoke sizes)' : ''}`);
console.log(`network: ${N} neurons, ${K} clusters, ${BIN * 1e3} ms bins; seeds ${SEEDS.join(',')}`);
const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-infer-acc-'));
const header = '| simulator | R | minutes | observed | method | AUROC | AUPR | MCC | ARI | NMI | k | ARI (z only) |';
for (const sim of SIMS) {
  for (const strength of STRENGTHS) {
    for (const seed of SEEDS) {
      const longest = Math.max(...SECONDS);
      const net = await network(sim, strength, seed, longest, dir);
      console.log(`\n${sim}, R = p_in/p_out ${strength}, seed ${seed}: rates E ${net.rates[0].toFixed(2)} Hz, I ${net.rates[1].toFixed(2)} Hz`);
      console.log(header);
      console.log(header.replace(/[^|]+/g, '---'));
      for (const seconds of SECONDS) {
        for (const frac of OBSERVE) {
          // observed neurons: a seeded random subset, in id order
          const u = rng(seed * 1000 + Math.round(frac * 100));
          const perm = Array.from({ length: net.n }, (_, i) => i);
          for (let i = perm.length - 1; i > 0; i--) {
            const j = Math.floor(u() * (i + 1));
            [perm[i], perm[j]] = [perm[j], perm[i]];
          }
          const obs = perm.slice(0, Math.max(2, Math.round(frac * net.n))).sort((a, b) => a - b);
          const m = obs.length;
          const local = new Map(obs.map((i, k) => [i, k]));
          const adj = new Uint8Array(m * m);
          const refRows = [`# nodes: ${obs.join(',')}`];
          for (let e = 0; e < net.sources.length; e++) {
            const s = local.get(net.sources[e]);
            const t = local.get(net.targets[e]);
            if (s === undefined || t === undefined || s === t) continue;
            adj[s * m + t] = 1;
            if (net.weights[e] > 0) refRows.push(`${net.sources[e]},${net.targets[e]},${net.weights[e]}`);
          }
          const truth = new Map(obs.map((i) => [String(i), String(net.labels[i])]));
          const pairs = [];
          for (let s = 0; s < m; s++) for (let t = 0; t < m; t++) if (s !== t) pairs.push(s * m + t);
          const truthVec = pairs.map((k) => adj[k]);
          const spikes = { neurons: [], times: [] };
          for (let k = 0; k < net.neurons.length; k++) {
            if (net.times[k] < seconds && local.has(net.neurons[k])) (spikes.neurons.push(net.neurons[k]), spikes.times.push(net.times[k]));
          }
          const key = `${sim}-R${strength}-s${seed}-${+(seconds / 60).toPrecision(3)}min-${m}`;
          save(`${key}.json`, JSON.stringify({ obs, labels: obs.map((i) => net.labels[i]), adj: Array.from(adj) }));
          const cell = `| ${sim} | ${strength} | ${+(seconds / 60).toPrecision(3)} | ${Math.round(frac * 100)}% (${m}) |`;
          const ref = await diffrg.analyzeCommunities(diffrg.parseGraph(refRows.join('\n'), 'truth.csv').graph, { truth, threads: THREADS });
          console.log(`${cell} true excitatory synapses (reference) | | | | ${ref.ari.toFixed(3)} | ${ref.nmi.toFixed(3)} | ${ref.communities} | |`);
          const print = (name, score, detected, c) => {
            const r = rankMetrics(pairs.map((k) => score[k]), truthVec);
            const mc = mcc(pairs.map((k) => detected[k]), truthVec);
            console.log(`${cell} ${name} | ${r.auroc.toFixed(3)} | ${r.aupr.toFixed(3)} | ${mc.toFixed(3)} | ${c.ari.toFixed(3)} | ${c.nmi.toFixed(3)} | ${c.k} | ${c.ariZ.toFixed(3)} |`);
          };
          for (const method of METHODS) {
            const t0 = performance.now();
            const r = await diffrg.inferSpikes(spikes, { method, binSeconds: BIN, start: 0, end: seconds, generator: false, seed, threads: THREADS });
            // r.ids are the observed ids in increasing order, as `obs`
            save(`${key}-${method}.f64`, new Uint8Array(r.zscore.buffer, r.zscore.byteOffset, r.zscore.byteLength));
            const c = await communities(r.ids, r.zscore, truth);
            console.error(`  (${sim} R ${strength} ${+(seconds / 60).toPrecision(3)} min ${m} observed: diffrg ${method} ${((performance.now() - t0) / 1e3).toFixed(0)} s)`);
            print(`diffrg ${method}${method === 'lgd' ? ` (rank ${r.hidden.rank})` : ''}`, r.score, Array.from(r.qvalue, (q) => q <= 0.05), c);
          }
          const peers = PEERS.filter((name) => {
            if (m <= (PEER_MAX.get(name) ?? Infinity)) return true;
            console.log(`${cell} ${name === 'tspe' ? 'TSPE (elephant)' : 'jittered CCG'} not run: over ${PEER_MAX.get(name)} observed neurons (DIFFRG_BENCH_PEER_MAX) | | | | | | | |`);
            return false;
          });
          if (peers.length) {
            const pd = join(dir, 'peer');
            rmSync(pd, { recursive: true, force: true });
            mkdirSync(pd);
            writeFileSync(join(pd, 'neurons.u32'), new Uint8Array(Uint32Array.from(spikes.neurons, (i) => local.get(i)).buffer));
            writeFileSync(join(pd, 'times.f64'), new Uint8Array(Float64Array.from(spikes.times).buffer));
            const p = peer('infer_accuracy.py', { dir: pd, n: m, duration: seconds, methods: peers });
            for (const name of peers) {
              const signed = new Float64Array(fileBuffer(join(pd, `${name}.f64`)));
              save(`${key}-${name}.f64`, new Uint8Array(signed.buffer));
              const c = await communities(obs, signed, truth);
              print(`${name === 'tspe' ? 'TSPE (elephant)' : 'jittered CCG'} (${p[name].seconds.toFixed(0)} s)`, signed.map(Math.abs), Array.from(signed, (v) => Math.abs(v) > p[name].threshold), c);
            }
          }
        }
      }
    }
  }
}
rmSync(dir, { recursive: true, force: true });
