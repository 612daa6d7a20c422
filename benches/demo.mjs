// The network of `diffrg demo` (not a timing benchmark): the demo pipeline (runDemo, the code
// of `diffrg demo`) on several networks and seeds, with the min-max of every figure the demo
// prints. This is how the demo's network was chosen (docs/lif.md, "The demo network").
//   DEMO_BENCH_NETWORKS=demo,default,a8w8,a8w6,a16w3,a16w4,a12w5 (default: demo)
//   DEMO_BENCH_SEEDS=1,2,3,... (default: 1..10)
import { createRequire } from 'node:module';
import os from 'node:os';
import { SMOKE, machine } from './_common.mjs';

const { runDemo, DEMO_NETWORK } = createRequire(import.meta.url)('../dist/demo.js');
const threads = Number(process.env.DIFFRG_THREADS ?? 2);
const networks = {
  demo: {},
  // the demo before: the simulator's default clustering (4 clusters, 30% of E inputs from the own cluster, weights x2)
  default: { clusters: 4, pRatio: undefined, wRatio: 2 },
  // assemblies of 8 (30 clusters), all-to-all inside, as in the MPS site-order study
  a8w8: { clusters: 30, wRatio: 8 },
  a8w6: { clusters: 30, wRatio: 6 },
  a16w3: { clusters: 15, wRatio: 3 },
  a16w4: { clusters: 15, wRatio: 4 },
  a12w5: { clusters: 20, wRatio: 5 },
};
const names = (process.env.DEMO_BENCH_NETWORKS ?? 'demo').split(',');
const seeds = (process.env.DEMO_BENCH_SEEDS ?? (SMOKE ? '1' : '1,2,3,4,5,6,7,8,9,10')).split(',').map(Number);
console.log(`machine: ${machine()}; threads ${threads}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; seeds ${seeds.join(',')}`);
const figures = {
  'E rate (Hz)': (r) => r.simulation.rateExc,
  'I rate (Hz)': (r) => r.simulation.rateInh,
  'median ISI CV (E)': (r) => r.simulation.isiCvExc,
  'LGD AUROC': (r) => r.inference.lgd.auroc,
  'correlation AUROC': (r) => r.inference.correlation.auroc,
  'LGD - correlation AUROC': (r) => r.inference.lgd.auroc - r.inference.correlation.auroc,
  'Leiden communities': (r) => r.communities.count,
  'ARI inferred graph (E)': (r) => r.communities.ari,
  'ARI true excitatory synapses (E)': (r) => r.communities.trueGraph.ari,
  'RG step 1 pair purity': (r) => r.rg.steps[0]?.assemblyPurity ?? NaN,
  'RG pair purity, chance': (r) => r.rg.steps[0]?.assemblyPurityChance ?? NaN,
  'RG purity, I-free supernodes (min over steps)': (r) => Math.min(...r.rg.steps.map((s) => s.excitatoryOnlySupernodes.assemblyPurity).filter(Number.isFinite)),
  'MPS: identity - community (bits)': (r) => r.mps.nllHeldoutIdentityOrder - r.mps.nllHeldoutCommunityOrder,
  'MPS: independent - community (bits)': (r) => r.mps.nllIndependent - r.mps.nllHeldoutCommunityOrder,
  'MPS: Ising - community (bits)': (r) => r.mps.nllIsing - r.mps.nllHeldoutCommunityOrder,
  'DTNR scales': (r) => r.dtnr.length,
  'DTNR max |flowed - direct| (bits)': (r) => Math.max(...r.dtnr.map((d) => Math.abs(d.nllHeldout - d.nllDirectHeldout))),
  'multi-information, scale 0 (bits)': (r) => r.dtnr[0].multiInformationBits,
  'wall time (s)': (r) => r.seconds,
};
for (const name of names) {
  if (!(name in networks)) throw new Error(`DEMO_BENCH_NETWORKS: unknown network '${name}' (known: ${Object.keys(networks).join(', ')})`);
  // smoke mode: the same pipeline on 10 s of simulation
  const network = SMOKE ? { ...networks[name], duration: 10 } : networks[name];
  const values = Object.fromEntries(Object.keys(figures).map((k) => [k, []]));
  for (const seed of seeds) {
    const r = await runDemo({ seed, threads, network });
    for (const [k, fn] of Object.entries(figures)) values[k].push(fn(r));
  }
  console.log(`\n${name}: ${JSON.stringify({ ...DEMO_NETWORK, ...network })}`);
  for (const [k, all] of Object.entries(values)) {
    const v = all.filter(Number.isFinite); // e.g. no supernode without an I neuron holds two E neurons
    const range = v.length ? `${Math.min(...v).toFixed(3)} .. ${Math.max(...v).toFixed(3)}` : 'n/a';
    console.log(`  ${k.padEnd(46)} ${range}${v.length < all.length ? ` (${all.length - v.length} seeds n/a)` : ''}`);
  }
}
