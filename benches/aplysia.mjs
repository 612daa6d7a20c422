// Real data: communities of graphs inferred from Aplysia pedal ganglion spike trains (Bruno,
// Frost & Humphries 2015; copy in data/aplysia-pedal-bruno2015/) against the published
// consensus ensembles. Nothing is tuned: every recording gets the same settings (the CLI
// defaults: max lag 1, 19 surrogates, FDR 0.05, Leiden resolution 1 seed 42, LRG at its
// automatic tau), for two bin widths fixed in advance (5 ms, the CLI default, and 50 ms).
//
// Pipeline per (recording, bin, method): inferSpikes -> edges with q <= 0.05 -> undirected
// graph with weight |w_ij| + |w_ji| -> leiden / lrg communities. ARI and NMI are computed
// over ALL recorded neurons (a neuron without a significant edge is its own community), so
// sparse graphs are not flattered by dropping neurons.
//
// A last table clusters the neurons by their loadings on LGD's hidden modes.
//
// `node benches/aplysia.mjs` (after `npm run build`; ~5 s), or `npm run bench -- aplysia`.
import { join } from 'node:path';
import { diffrg, here, machine, sized } from './_common.mjs';

const { readActivity, readLabels, inferSpikes, Graph, analyzeCommunities, adjustedRandIndex, normalizedMutualInformation } = diffrg;
const data = join(here, '..', 'data', 'aplysia-pedal-bruno2015');
const recordings = sized(['Feb1312da06', 'Jan1312da04', 'Jan1912da02'], ['Jan1312da04']);
const bins = sized([0.005, 0.05], [0.05]);
const methods = sized(['lgd', 'var', 'partial-correlation', 'correlation'], ['lgd', 'correlation']);
const threads = 2;
console.log(`machine: ${machine()}`);
console.log('| recording | bin | graph | edges (q<=0.05) | neurons with an edge | community method | communities | ARI | NMI |');
console.log('|---|---|---|---|---|---|---|---|---|');
const sums = new Map();
const modeRows = [];

/**
 * Leiden communities of LGD's hidden modes: neuron i's loading vector (U_i,m σ_m over the r
 * modes), cosine similarity between neurons (positive part) as edge weights.
 */
async function hiddenModeCommunities(r) {
  const { n } = r;
  const k = r.hidden.rank;
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, m) => r.hidden.targetLoadings[m * n + i] * r.hidden.singularValues[m]));
  const norm = v.map((x) => Math.hypot(...x) || 1);
  const sources = [];
  const targets = [];
  const weights = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let c = 0;
      for (let m = 0; m < k; m++) c += v[i][m] * v[j][m];
      c /= norm[i] * norm[j];
      if (c > 0) {
        sources.push(i);
        targets.push(j);
        weights.push(c);
      }
    }
  }
  return (await diffrg.leiden(Graph.fromEdges({ n, sources, targets, weights }), { seed: 42, threads })).labels;
}
for (const rec of recordings) {
  const act = await readActivity(join(data, `${rec}_spikes.csv`));
  const truth = await readLabels(join(data, `${rec}_ensembles.csv`));
  const ids = act.ids;
  const ref = ids.map((id) => truth.get(String(id)));
  if (ref.some((x) => x === undefined)) throw new Error(`${rec}: a recorded neuron has no ensemble label`);
  const index = new Map(ids.map((id, k) => [id, k]));
  const neurons = [];
  const times = [];
  act.ids.forEach((id, k) => act.times[k].forEach((t) => (neurons.push(id), times.push(t))));
  for (const bin of bins) {
    for (const method of methods) {
      const r = await inferSpikes({ neurons, times }, { method, binSeconds: bin, generator: false, threads });
      if (method === 'lgd' && r.hidden.rank > 0) {
        const labels = await hiddenModeCommunities(r);
        const refIds = r.ids.map((id) => truth.get(String(id)));
        modeRows.push(`| ${rec} | ${bin * 1e3} ms | ${r.hidden.rank} | ${new Set(labels).size} | ${adjustedRandIndex(labels, refIds).toFixed(3)} | ${normalizedMutualInformation(labels, refIds).toFixed(3)} |`);
      }
      const edges = r.edges(0.05);
      const w = new Map();
      for (const e of edges) {
        const a = index.get(e.source);
        const b = index.get(e.target);
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        w.set(key, (w.get(key) ?? 0) + Math.abs(e.weight));
      }
      const present = new Set();
      const sources = [];
      const targets = [];
      const weights = [];
      for (const [key, x] of w) {
        const [a, b] = key.split(',').map(Number);
        sources.push(a);
        targets.push(b);
        weights.push(x);
        present.add(a);
        present.add(b);
      }
      const g = Graph.fromEdges({ n: ids.length, sources, targets, weights, labels: ids.map(String) });
      for (const cm of ['leiden', 'lrg']) {
        let found;
        let count;
        if (sources.length === 0) {
          found = ids.map((_, k) => `single${k}`);
          count = ids.length;
        } else {
          const c = await analyzeCommunities(g, { method: cm, seed: 42, threads });
          // isolated neurons (no significant edge) are their own communities
          found = c.community.map((x, k) => (present.has(k) ? `c${x}` : `single${k}`));
          count = new Set(found).size;
        }
        const ari = adjustedRandIndex(found, ref);
        const nmi = normalizedMutualInformation(found, ref);
        const key = `${bin}|${method}|${cm}`;
        const s = sums.get(key) ?? [0, 0];
        sums.set(key, [s[0] + ari, s[1] + nmi]);
        console.log(`| ${rec} | ${bin * 1e3} ms | ${method}${method === "lgd" ? ` (rank ${r.hidden.rank})` : ""} | ${w.size} | ${present.size}/${ids.length} | ${cm} | ${count} | ${ari.toFixed(3)} | ${nmi.toFixed(3)} |`);
      }
    }
  }
}
console.log('\nmean over the three recordings:');
console.log('| bin | graph | community method | ARI | NMI |');
console.log('|---|---|---|---|---|');
for (const [key, [a, n]] of sums) {
  const [bin, method, cm] = key.split('|');
  console.log(`| ${Number(bin) * 1e3} ms | ${method} | ${cm} | ${(a / recordings.length).toFixed(3)} | ${(n / recordings.length).toFixed(3)} |`);
}
console.log("\nLeiden communities of LGD's hidden modes (cosine similarity of the neurons' loadings):");
console.log('| recording | bin | hidden rank | communities | ARI | NMI |');
console.log('|---|---|---|---|---|---|');
for (const line of modeRows) console.log(line);
