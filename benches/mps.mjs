// MPS benchmarks against quimb (issue 5, section 4):
//  1. compress a random 100-site Born MPS from bond dimension 128 to 32;
//  2. log2 P of 1e6 patterns at bond dimension 64 (100 sites);
//  3. fit 100 sites x 100,000 patterns at chi 32 (diffrg only; no quimb equivalent).
// Both sides run on the same machine in the same run; ratios are peer time / diffrg time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, time, peer, machine, row, sized } from './_common.mjs';

const threads = Number(process.env.DIFFRG_THREADS ?? 0) || undefined;
console.log(`machine: ${machine()}; diffrg threads: ${diffrg.resolvedThreads(threads)}`);
const dir = mkdtempSync(join(tmpdir(), 'diffrg-mps-bench-'));
const N = sized(100, 20);
const parts = (process.env.MPS_BENCH_PARTS ?? 'compress,logprob,fit,order').split(',');
const dims = Array(N).fill(2);

// 1. compression
if (parts.includes('compress')) {
  const [from, to] = sized([128, 32], [16, 4]);
  const m = diffrg.randomMps('born', dims, from, 1);
  const file = join(dir, 'chi128.npz');
  writeFileSync(file, diffrg.encodeMps(m));
  const ours = await time(() => diffrg.compressMps(m, { maxBond: to, threads }), { repeat: 3, warm: true });
  const q = peer('mps.py', { task: 'compress', model: file, max_bond: to, repeat: 3 });
  console.log(`  discarded weight (diffrg) ${ours.value.totalDiscarded.toExponential(4)}, max bond diffrg ${Math.max(...ours.value.model.bondDims)}${q ? ` quimb ${q.max_bond}` : ''}`);
  row(`compress ${N} sites, chi ${from} -> ${to}`, ours.seconds, q?.seconds, 'quimb');
  row('compress, same (numpy QR+SVD reference)', ours.seconds, q?.numpy_seconds, 'numpy');
}

// 2. batched log-probabilities
if (parts.includes('logprob')) {
  const P = Number(process.env.MPS_BENCH_PATTERNS ?? sized(1_000_000, 2000));
  const m = diffrg.randomMps('born', dims, sized(64, 8), 2);
  const file = join(dir, 'chi64.npz');
  writeFileSync(file, diffrg.encodeMps(m));
  let s = 12345n;
  const data = new Uint8Array(P * N);
  for (let i = 0; i < data.length; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    data[i] = Number(s >> 63n);
  }
  const patFile = join(dir, 'patterns.npy');
  writeFileSync(patFile, diffrg.encodeNpy({ dtype: 'uint8', shape: [P, N], data }));
  const ours = await time(() => diffrg.mpsLogProb(m, { rows: P, sites: N, data }, { threads }), { repeat: 1, warm: false });
  const q = peer('mps.py', { task: 'logprob', model: file, patterns: patFile, subset: 2000 });
  if (q) {
    const agree = q.numpy_first.every((v, i) => Math.abs(v - ours.value[i]) < 1e-6 * Math.abs(v)) && q.quimb_first.every((v, i) => Math.abs(v - ours.value[i]) < 1e-6 * Math.abs(v));
    console.log(`  results agree with quimb and numpy on the first rows: ${agree}`);
  }
  row(`log2 P, ${P} patterns, ${N} sites, chi ${sized(64, 8)}`, ours.seconds, q?.quimb_seconds_extrapolated, `quimb(${q?.quimb_subset} extrap.)`);
  row(`log2 P, same (numpy batched reference)`, ours.seconds, q?.numpy_seconds, 'numpy');
}

// 3. fit (diffrg only)
if (parts.includes('fit')) {
  const P = sized(100_000, 2000);
  // latent-cluster process: 10 clusters x 10 sites, cluster k up with prob 0.2, rates 0.3 / 0.02
  let s = 987654321n;
  const rnd = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  const data = new Uint8Array(P * N);
  const up = new Array(10);
  for (let t = 0; t < P; t++) {
    for (let c = 0; c < 10; c++) up[c] = rnd() < 0.2;
    for (let i = 0; i < N; i++) data[t * N + i] = rnd() < (up[Math.floor(i / 10) % 10] ? 0.3 : 0.02) ? 1 : 0;
  }
  const chi = sized(32, 4);
  const r = await time(() => diffrg.fitMps({ rows: P, sites: N, data }, { chi, baselines: false, threads }), { repeat: 1 });
  console.log(
    `fit ${N} sites x ${P} patterns, chi ${chi}: ${r.seconds.toFixed(1)} s (${r.value.history.length} half-sweeps, held-out NLL ${r.value.nllHeldout.toFixed(3)} bits, initial ${r.value.initNllHeldout.toFixed(3)})`,
  );
}

// 4. site order on clustered LIF data (issue 5, section 2; not a timing): held-out NLL at equal
//    chi for the identity (= shuffled simulator ids), random and community orders, the latter
//    from the true clusters and from Leiden on the correlation graph inferred from the same data.
//    MPS_ORDER_W (in-cluster weight factor), MPS_ORDER_BIN (s), MPS_ORDER_SEEDS, MPS_ORDER_CHIS.
if (parts.includes('order')) {
  const wRatio = Number(process.env.MPS_ORDER_W ?? 8);
  const bin = Number(process.env.MPS_ORDER_BIN ?? 0.01);
  const duration = Number(process.env.MPS_ORDER_DURATION ?? sized(100, 5));
  const seeds = (process.env.MPS_ORDER_SEEDS ?? sized('1,2,3,4,5', '1')).split(',').map(Number);
  const chis = (process.env.MPS_ORDER_CHIS ?? sized('2,4,8', '2')).split(',').map(Number);
  console.log(`site order, LIF 200 neurons / 20 clusters of 8 E (all-to-all inside, wRatio ${wRatio}), kExc 20, kInh 8, ${duration} s; 4 clusters x 6 random members = 24 sites; bin ${bin * 1e3} ms; held-out NLL (bits/pattern)`);
  console.log('seed  rows  ARI   indep   Ising   ' + chis.map((c) => `chi${c}: identity random truth inferred`).join(' | '));
  const wins = { truth: 0, inferred: 0, total: 0 };
  for (const seed of seeds) {
    const sim = await diffrg.simulateLif({ neurons: 200, clusters: 20, kExc: 20, kInh: 8, pRatio: 1000, wRatio, duration, seed, threads });
    const sites = [];
    for (let c = 0; c < 4; c++) {
      const members = [];
      for (let i = 0; i < sim.n; i++) if (sim.excitatory[i] && sim.labels[i] === c) members.push(i);
      sites.push(...diffrg.randomOrder(members.length, seed * 100 + c).slice(0, 6).map((k) => members[k]));
    }
    sites.sort((a, b) => a - b);
    const loaded = diffrg.binSpikes({ kind: 'spikes', ids: sites, times: sites.map((i) => diffrg.spikeTrain(sim, i)) }, bin, { start: 0, end: sim.duration });
    const truth = sites.map((i) => sim.labels[i]);
    const orders = {
      identity: await diffrg.siteOrder('identity', loaded),
      random: await diffrg.siteOrder('random', loaded, { seed }),
      truth: await diffrg.communitySiteOrder(loaded, { labels: truth, threads }),
      inferred: await diffrg.siteOrder('community', loaded, { seed, threads }),
    };
    const ari = diffrg.adjustedRandIndex(orders.inferred.communities, truth);
    let base;
    const cols = [];
    for (const chi of chis) {
      const nll = {};
      for (const [name, o] of Object.entries(orders)) {
        const r = await diffrg.fitMps(diffrg.reorderPatterns(loaded.patterns, o.order), { chi, seed, baselines: !base, threads });
        if (!base) base = r;
        nll[name] = r.nllHeldout;
      }
      for (const k of ['truth', 'inferred']) if (nll[k] < Math.min(nll.identity, nll.random)) wins[k]++;
      wins.total++;
      cols.push([nll.identity, nll.random, nll.truth, nll.inferred].map((v) => v.toFixed(3)).join(' '));
    }
    console.log(`${String(seed).padEnd(5)} ${loaded.patterns.rows} ${ari.toFixed(2)}  ${base.nllIndependent.toFixed(3)}  ${base.nllIsing.toFixed(3)}  ${cols.join(' | ')}`);
  }
  console.log(`community order below both identity and random: truth ${wins.truth}/${wins.total}, inferred ${wins.inferred}/${wins.total} (seed x chi)`);
}
