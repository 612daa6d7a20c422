// Joint spike-pattern models on real recordings (issue 18): held-out NLL (bits/pattern) of the
// independent, pairwise (Ising) and K-pairwise maximum-entropy models and of the MPS (Born
// machine) in community, identity and random site order against the bond-dimension limit chi,
// over several random train/validation/test splits (mean and split-to-split standard deviation,
// and the paired difference MPS(community) - best baseline with its standard error).
// Datasets: every Aplysia pedal-ganglion recording in data/aplysia-pedal-bruno2015 (20 ms bins)
// and a simulated LIF network with assemblies (4 assemblies x 8 excitatory neurons).
// Not a timing benchmark (no peer). Env: MPS_REAL_SMOKE=1 (seconds: one recording cut to 1500
// patterns, a short simulation, chi 2 and 4, one split), MPS_REAL_SPLITS (default 3),
// MPS_REAL_CHIS (default 2,4,8,16), MPS_REAL_DATA (comma-separated recording names),
// MPS_REAL_KINDS (default born,probability,mixture: the non-negative train learned by EM, community order),
// MPS_REAL_PROB_CHIS (default 2,8: the probability train's chis), 'mixture' in MPS_REAL_KINDS adds
// the mixture (4 probability trains on bootstrap resamples, a latent-class model with up to chi
// classes and a Born machine at chi 2, weights on the validation split; community order;
// MPS_REAL_MIX_CHIS, default 2,4,8: test NLL against chi with its spread, and the paired gain
// over chi 2).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { diffrg, here, machine } from './_common.mjs';

const smoke = process.env.MPS_REAL_SMOKE === '1' || process.env.DIFFRG_BENCH_SMOKE === '1';
const started = Date.now();
const threads = Number(process.env.DIFFRG_THREADS ?? 0) || undefined;
const splits = smoke ? 1 : Number(process.env.MPS_REAL_SPLITS ?? 3);
const chis = (process.env.MPS_REAL_CHIS ?? (smoke ? '2,4' : '2,4,8,16')).split(',').map(Number);
// the Born machine in every order; the probability train (EM, docs/mps.md) in community order
const kinds = (process.env.MPS_REAL_KINDS ?? 'born,probability,mixture').split(',');
const born = kinds.includes('born');
const orders = born ? ['community', 'identity', 'random'] : ['community'];
const columns = [...(born ? orders : []), ...kinds.filter((k) => k !== 'born')];
// EM costs more per rung: the probability train at fewer chis, one pseudocount (1; 10 lost on
// every rung on Jan1912da02, docs/mps.md)
const probChis = (process.env.MPS_REAL_PROB_CHIS ?? (smoke ? '2' : '2,8')).split(',').map(Number);
const mixChis = (process.env.MPS_REAL_MIX_CHIS ?? (smoke ? '2' : '2,4,8')).split(',').map(Number);
const chisOf = (kind) => (kind === 'born' ? chis : kind === 'mixture' ? mixChis : probChis);
const allChis = [...new Set(kinds.flatMap(chisOf))].sort((a, b) => a - b);
console.log(`machine: ${machine()}; diffrg threads: ${diffrg.resolvedThreads(threads)}; ${smoke ? 'SMOKE mode; ' : ''}${splits} split(s) (test 20%, validation 20% of the rest), chi ${chis.join(',')}`);

const dataDir = join(here, '..', 'data', 'aplysia-pedal-bruno2015');
const wanted = process.env.MPS_REAL_DATA?.split(',');
let recordings = readdirSync(dataDir)
  .filter((f) => f.endsWith('_spikes.csv'))
  .map((f) => f.replace(/_spikes\.csv$/, ''))
  .filter((n) => !wanted || wanted.includes(n))
  .sort();
if (smoke) recordings = recordings.filter((n) => n === 'Jan1912da02');

function cut(loaded, rows) {
  const p = loaded.patterns;
  if (p.rows <= rows) return loaded;
  return { ...loaded, patterns: { rows, sites: p.sites, data: p.data.subarray(0, rows * p.sites) } };
}

async function lifAssemblies() {
  const sim = await diffrg.simulateLif({ neurons: 200, clusters: 20, kExc: 20, kInh: 8, pRatio: 1000, wRatio: 8, duration: smoke ? 20 : 100, seed: 1, threads });
  const sites = [];
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < sim.n && sites.length < 8 * (c + 1); i++) if (sim.excitatory[i] && sim.labels[i] === c) sites.push(i);
  }
  sites.sort((a, b) => a - b);
  return diffrg.binSpikes({ kind: 'spikes', ids: sites, times: sites.map((i) => diffrg.spikeTrain(sim, i)) }, 0.01, { start: 0, end: sim.duration });
}

// Pairwise structure against the chain (binary sites): significant pairs (|r| sqrt(T) > 5), the
// summed pairwise mutual information, and the mean share of both that crosses a cut of the order.
function cutStats(p) {
  const n = p.sites;
  const T = p.rows;
  const m = new Float64Array(n);
  const c = new Float64Array(n * n);
  for (let t = 0; t < T; t++) {
    const on = [];
    for (let k = 0; k < n; k++) if (p.data[t * n + k]) on.push(k);
    for (const a of on) {
      m[a]++;
      for (const b of on) c[a * n + b]++;
    }
  }
  const H = (x) => (x <= 0 || x >= 1 ? 0 : -x * Math.log2(x) - (1 - x) * Math.log2(1 - x));
  let sig = 0;
  let mi = 0;
  const cross = new Float64Array(n);
  const crossMi = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const [pa, pb, pab] = [m[a] / T, m[b] / T, c[a * n + b] / T];
      if (!(pa > 0 && pa < 1 && pb > 0 && pb < 1)) continue;
      const z = (Math.abs(pab - pa * pb) / Math.sqrt(pa * (1 - pa) * pb * (1 - pb))) * Math.sqrt(T) > 5;
      const I = H(pa) + H(pb) + [pab, pa - pab, pb - pab, 1 - pa - pb + pab].reduce((s, x) => s + (x > 0 ? x * Math.log2(x) : 0), 0);
      mi += I;
      if (z) sig++;
      for (let k = a + 1; k <= b; k++) {
        if (z) cross[k]++;
        crossMi[k] += I;
      }
    }
  }
  const mean = (v) => v.slice(1).reduce((s, x) => s + x, 0) / (n - 1);
  return `significant pairs ${sig} (${((100 * sig) / ((n * (n - 1)) / 2)).toFixed(1)}% of pairs), ${((100 * mean(cross)) / sig).toFixed(1)}% of them across a mean cut; pairwise MI ${mi.toFixed(2)} bits, ${((100 * mean(crossMi)) / mi).toFixed(1)}% across a mean cut`;
}

const stats = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return { m, sd, se: sd / Math.sqrt(xs.length) };
};
const fmt = (xs) => {
  const { m, sd } = stats(xs);
  return Number.isFinite(sd) ? `${m.toFixed(3)} ± ${sd.toFixed(3)}` : m.toFixed(3);
};

const datasets = [...recordings.map((name) => ({ name, load: async () => cut(await diffrg.loadPatterns(join(dataDir, `${name}_spikes.csv`), { bin: '20ms' }), smoke ? 1500 : Infinity) })), { name: 'LIF assemblies (sim)', load: lifAssemblies }];

for (const ds of datasets) {
  const loaded = await ds.load();
  const res = { independent: [], ising: [], kpairwise: [] };
  const bonds = {};
  let cuts = '';
  for (let s = 0; s < splits; s++) {
    for (const o of orders) {
      const so = await diffrg.siteOrder(o, loaded, { seed: s, threads });
      const pats = diffrg.reorderPatterns(loaded.patterns, so.order);
      if (s === 0 && o === 'community') cuts = cutStats(pats);
      for (const kind of o === 'community' ? kinds : ['born']) {
        for (const chi of chisOf(kind)) {
          const first = o === orders[0] && kind === kinds[0] && chi === chisOf(kind)[0];
          const extra = kind === 'born' ? {} : { pseudocounts: [1] };
          const r = await diffrg.fitMps(pats, { chi, seed: s, baselines: first, kind, ...extra, threads });
          if (first) {
            res.independent.push(r.nllIndependent);
            res.ising.push(r.nllIsing);
            res.kpairwise.push(r.nllKPairwise);
          }
          const key = `${kind === 'born' ? o : kind} ${chi}`;
          if (kind === 'mixture') (res[`mixture weights ${chi}`] ??= []).push(r.components.map((c) => `${{ born: 'B', latent: 'L', probability: 'P' }[c.kind]}${c.weight.toFixed(2)}`).join(' '));
          (res[key] ??= []).push(r.nllHeldout);
          (bonds[key] ??= []).push(Math.max(...r.model.bondDims));
        }
      }
    }
  }
  console.log(`\n${ds.name}: ${loaded.patterns.sites} sites, ${loaded.patterns.rows} patterns; held-out NLL (bits/pattern), mean ± sd over ${splits} split(s)`);
  console.log(`  community order (split 0): ${cuts}`);
  console.log(`  independent ${fmt(res.independent)}   Ising (PL) ${fmt(res.ising)}   K-pairwise (PL) ${fmt(res.kpairwise)}`);
  const title = (c) => (c === 'probability' ? 'prob. train community (bond)' : c === 'mixture' ? 'mixture community (bond)' : `MPS ${c} (max bond)`);
  console.log(`  ${'chi'.padEnd(5)}${columns.map((c) => title(c).padEnd(30)).join('')}`);
  for (const chi of allChis) {
    const cell = (c) => (res[`${c} ${chi}`] ? `${fmt(res[`${c} ${chi}`])} (${bonds[`${c} ${chi}`].join('/')})` : '-');
    console.log(`  ${String(chi).padEnd(5)}${columns.map((c) => cell(c).padEnd(30)).join('')}`);
  }
  const f2 = (d) => `${d.m >= 0 ? '+' : ''}${d.m.toFixed(3)}${Number.isFinite(d.se) ? ` ± ${d.se.toFixed(3)} (se)` : ''}`;
  // paired differences on the same splits: best-chi community MPS minus each baseline
  const best = born ? chis.map((c) => [c, stats(res[`community ${c}`]).m]).sort((a, b) => a[1] - b[1])[0][0] : undefined;
  if (born) {
    const diff = (base) => stats(res[`community ${best}`].map((v, i) => v - base[i]));
    console.log(`  MPS community (chi ${best}) - Ising: ${f2(diff(res.ising))}; - K-pairwise: ${f2(diff(res.kpairwise))} bits/pattern (negative: the MPS wins)`);
  }
  if (columns.includes('probability')) {
    const bp = probChis.map((c) => [c, stats(res[`probability ${c}`]).m]).sort((a, b) => a[1] - b[1])[0][0];
    const dp = (base) => stats(res[`probability ${bp}`].map((v, i) => v - base[i]));
    const vsBorn = born ? `; - MPS community (chi ${best}): ${f2(dp(res[`community ${best}`]))}` : '';
    console.log(`  probability train (chi ${bp}) - Ising: ${f2(dp(res.ising))}; - K-pairwise: ${f2(dp(res.kpairwise))}${vsBorn} bits/pattern`);
  }
  if (columns.includes('mixture')) {
    const bm = mixChis.map((c) => [c, stats(res[`mixture ${c}`]).m]).sort((a, b) => a[1] - b[1])[0][0];
    const dm = (base) => stats(res[`mixture ${bm}`].map((v, i) => v - base[i]));
    console.log(`  mixture (chi ${bm}) - Ising: ${f2(dm(res.ising))}; - K-pairwise: ${f2(dm(res.kpairwise))} bits/pattern`);
    // the gain against chi, paired over the same splits
    for (const c of mixChis.slice(1)) console.log(`  mixture chi ${c} - chi ${mixChis[0]}: ${f2(stats(res[`mixture ${c}`].map((v, i) => v - res[`mixture ${mixChis[0]}`][i])))} bits/pattern`);
    for (const c of mixChis) console.log(`  mixture chi ${c} weights per split (P: bagged prob. trains, L: latent classes, B: Born machine chi 2): ${res[`mixture weights ${c}`].join(' | ')}`);
  }
}
console.log(`\ntotal ${((Date.now() - started) / 60000).toFixed(1)} min`);
