/**
 * The demo pipeline (`runDemo`): the end-to-end pipeline on generated data, as a library module
 * that `diffrg demo` (ts/cli/commands/demo.ts) only prints and benches/demo.mjs imports.
 *
 * 1. Simulate a LIF network with planted cell assemblies (ground truth) and observe a random
 *    half of it.
 * 2. Infer the directed graph among observed neurons with Latent Graph Diffusion; score it
 *    against the true synapses (AUROC, AUPR) next to the correlation baseline.
 * 3. Leiden communities of the inferred graph vs the planted assemblies (ARI, NMI over the
 *    observed excitatory neurons), next to Leiden on the true excitatory synapses among the
 *    same neurons (the reference), and the community-based node order.
 * 4. Laplacian RG of the inferred graph: spectral scan (entropy transition) and a real-space
 *    RG flow halving the number of nodes per step; per step, how often the supernodes keep
 *    excitatory neurons of one assembly together (against chance).
 * 5. Tensor-train (MPS) model of the joint spike-pattern distribution: held-out NLL with sites in
 *    community order vs identity order, next to independent and Ising baselines.
 * 6. Diffusion tensor network renormalization of the same patterns along the RG flow of the
 *    inferred graph: per scale, held-out NLL of the flowed model vs a model fitted directly to
 *    the coarse-grained data, and the multi-information.
 * 7. Meso-scale dynamics of the same neurons along the same RG flow: effective OU dynamics of
 *    the smoothed spike counts and their entropy production (ou, var, spectral) per scale.
 * 8. Coarse-to-fine control: identify a 4-assembly network's coarse dynamics from a short run,
 *    then step one assembly's rate with LQR in closed loop (docs/control.md).
 *
 * Network choice (measured over seeds 1-10, docs/lif.md "The demo network"): the simulator's
 * default clustering (4 clusters, in-cluster weight x2, 30% of E inputs from the own cluster) is
 * in the asynchronous irregular regime where clusters leave almost no trace in the spikes
 * (Leiden ARI ~0, MPS = independent model). The demo plants assemblies instead: 15 assemblies
 * of 16 excitatory neurons, all-to-all inside (`pRatio` large clamps p_in to 1), in-assembly
 * E->E weights x3.5, 20 E + 8 I inputs per neuron.
 */
import { Graph } from './graph';
import { connectionProbabilities, simulateLif, type LifSimulation } from './sim';
import { inferSpikes, rankMetrics, type InferResult } from './infer';
import { binSpikeTimes, OUTSIDE, pairPurity, spikeTrainStats } from './spikes';
import { leiden, communityOrdering, adjustedRandIndex, normalizedMutualInformation } from './community';
import { spectralScan } from './spectral';
import { rgFlow } from './rg';
import { fitMps, reorderPatterns, type PatternMatrix } from './mps';
import { dtnr } from './dtnr';
import { siteSubgraph } from './patterns';
import { writeDemoRecords } from './analyze/demo';
import { effectiveDynamics } from './dynamics';
import { simulateLifClosedLoop, closedLoopSummary } from './control';


/** The demo's network: cell assemblies (see the file comment). */
export const DEMO_NETWORK = {
  neurons: 300,
  /** 240 E neurons in 15 assemblies of 16. */
  clusters: 15,
  /** p_in / p_out; large values clamp p_in to 1 (all-to-all inside an assembly). */
  pRatio: 1000,
  /** In-assembly E->E weight factor over the between-assembly 0.75 mV. */
  wRatio: 3.5,
  kExc: 20,
  kInh: 8,
  duration: 60,
  observe: 0.5,
} as const;

/** Scores the |weights| of an inference result against the true directed synapses among observed neurons. */
function score(r: InferResult, truthPairs: Set<number>, nAll: number): { auroc: number; aupr: number } {
  const s: number[] = [];
  const t: boolean[] = [];
  for (let a = 0; a < r.n; a++) {
    for (let b = 0; b < r.n; b++) {
      if (a === b) continue;
      s.push(Math.abs(r.score[a * r.n + b]));
      t.push(truthPairs.has(r.ids[a] * nAll + r.ids[b]));
    }
  }
  return rankMetrics(s, t);
}

/** Median coefficient of variation of the inter-spike intervals (the core's `spikeTrainStats`) of E neurons with >= 10 spikes (1 for a Poisson process). */
function medianIsiCv(sim: LifSimulation): number {
  const stats = spikeTrainStats(sim, 0, sim.duration);
  const cvs: number[] = [];
  for (let i = 0; i < sim.n; i++) if (sim.excitatory[i] && stats.count[i] >= 10) cvs.push(stats.isiCv[i]);
  cvs.sort((x, y) => x - y);
  return cvs.length ? (cvs[(cvs.length - 1) >> 1] + cvs[cvs.length >> 1]) / 2 : NaN;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  seed: number;
  threads?: number;
  /** Network overrides (parameter studies, benches/demo.mjs); the CLI uses {@link DEMO_NETWORK}. */
  network?: Partial<Record<keyof typeof DEMO_NETWORK, number | undefined>>;
  /** Called with each step's human-readable line as soon as the step is computed. */
  onLine?: (line: string) => void;
  /** Called with the number of completed steps (1..7). */
  onStep?: (done: number) => void;
  /** Also write the analysis records and the report (`diffrg report` layout) into this directory. */
  out?: string;
  /** With `out`: PNG figures too. */
  png?: boolean;
}

/** Runs the seven demo steps and returns the JSON summary printed by `diffrg demo --json`. */
export async function runDemo(opts: DemoOptions) {
  const threads = opts.threads;
  const f = (x: number, d = 3) => (Number.isFinite(x) ? (Math.abs(x) < 0.5 * 10 ** -d ? 0 : x).toFixed(d) : 'n/a');
  const say = (line: string) => opts.onLine?.(line);
  const t0 = Date.now();

  // 1. Ground truth.
  const net = { ...DEMO_NETWORK, ...opts.network };
  const sim = await simulateLif({ ...net, seed: opts.seed, threads });
  const observed = Array.from(sim.observed);
  const neurons: number[] = [];
  const times: number[] = [];
  for (const i of observed) {
    for (let k = sim.spikeOffsets[i]; k < sim.spikeOffsets[i + 1]; k++) {
      neurons.push(i);
      times.push(sim.spikeTimes[k]);
    }
  }
  const truthPairs = new Set<number>();
  for (let e = 0; e < sim.sources.length; e++) truthPairs.add(sim.sources[e] * sim.n + sim.targets[e]);
  const nExc = sim.excitatory.reduce((a, b) => a + b, 0);
  const observedExc = observed.filter((i) => sim.excitatory[i]).length;
  const conn = connectionProbabilities(sim);
  const simulation = {
    neurons: sim.n,
    excitatory: nExc,
    clusters: sim.clusters,
    assemblySize: nExc / sim.clusters,
    pInside: conn.inside,
    pBetween: conn.between,
    wRatio: net.wRatio,
    duration: sim.duration,
    observed: observed.length,
    observedExcitatory: observedExc,
    rateExc: sim.rateExc,
    rateInh: sim.rateInh,
    isiCvExc: medianIsiCv(sim),
    synapses: sim.sources.length,
  };
  opts.onStep?.(1);
  say(
    `1. simulated LIF network with cell assemblies: ${sim.n} neurons (${nExc} E in ${sim.clusters} assemblies of ${f(simulation.assemblySize, 0)}; E->E connection probability ${f(conn.inside, 2)} inside an assembly, ${f(conn.between, 3)} between; in-assembly weight x${net.wRatio}), ${sim.sources.length} synapses, ${sim.duration} s; E ${f(sim.rateExc, 1)} Hz (median ISI CV ${f(simulation.isiCvExc, 2)}), I ${f(sim.rateInh, 1)} Hz; observed ${observed.length} at random (${observedExc} E)`,
  );

  // 2. Inference.
  const spikes = { neurons, times };
  const lgd = await inferSpikes(spikes, { method: 'lgd', binSeconds: 0.005, threads, seed: opts.seed, start: 0, end: sim.duration });
  const corr = await inferSpikes(spikes, { method: 'correlation', binSeconds: 0.005, threads, seed: opts.seed, start: 0, end: sim.duration });
  const inference = { lgd: score(lgd, truthPairs, sim.n), correlation: score(corr, truthPairs, sim.n) };
  opts.onStep?.(2);
  say(
    `2. directed synapses among the observed neurons (5 ms bins): LGD AUROC ${f(inference.lgd.auroc)} AUPR ${f(inference.lgd.aupr)} | correlation AUROC ${f(inference.correlation.auroc)} AUPR ${f(inference.correlation.aupr)}`,
  );

  // 3. Communities of the inferred graph: the strongest couplings (mean degree ~8), |weights|,
  //    undirected. Scored on the observed E neurons (inhibitory neurons are unclustered: the
  //    simulator gives them one "pool" label that is not a community). Reference: Leiden on
  //    the true excitatory synapses among the same observed neurons (|w|, undirected).
  const significant = lgd.edges(0.05).length;
  const edges = lgd.edges(1).slice(0, 4 * lgd.n);
  const index = new Map(lgd.ids.map((id, k) => [id, k]));
  const graph = Graph.fromEdges(
    {
      n: lgd.n,
      sources: edges.map((e) => index.get(e.source)!),
      targets: edges.map((e) => index.get(e.target)!),
      weights: edges.map((e) => Math.abs(e.weight)),
      labels: lgd.ids.map(String),
    },
    { directed: true, symmetrize: true },
  );
  const comm = await leiden(graph, { seed: opts.seed, threads });
  const excNodes = lgd.ids.map((id, k) => (sim.excitatory[id] ? k : -1)).filter((k) => k >= 0);
  const assemblyOf = lgd.ids.map((id) => sim.labels[id]);
  const onExc = (labels: ArrayLike<number>) => excNodes.map((k) => labels[k]);
  const trueExc = { sources: [] as number[], targets: [] as number[], weights: [] as number[] };
  for (let e = 0; e < sim.sources.length; e++) {
    const a = index.get(sim.sources[e]);
    const b = index.get(sim.targets[e]);
    if (a === undefined || b === undefined || !sim.excitatory[sim.sources[e]]) continue;
    trueExc.sources.push(a);
    trueExc.targets.push(b);
    trueExc.weights.push(Math.abs(sim.weights[e]));
  }
  const trueGraph = Graph.fromEdges({ n: lgd.n, ...trueExc, labels: lgd.ids.map(String) }, { directed: true, symmetrize: true });
  const commTrue = await leiden(trueGraph, { seed: opts.seed, threads });
  const order = await communityOrdering(graph, comm.labels, { threads });
  const communities = {
    edges: graph.edges,
    significantEdges: significant,
    count: comm.communities,
    modularity: comm.modularity,
    scoredNeurons: excNodes.length,
    assembliesObserved: new Set(onExc(assemblyOf)).size,
    ari: adjustedRandIndex(onExc(comm.labels), onExc(assemblyOf)),
    nmi: normalizedMutualInformation(onExc(comm.labels), onExc(assemblyOf)),
    trueGraph: { edges: trueGraph.edges, count: commTrue.communities, ari: adjustedRandIndex(onExc(commTrue.labels), onExc(assemblyOf)) },
  };
  opts.onStep?.(3);
  say(
    `3. Leiden on the inferred graph (${communities.edges} strongest couplings; ${communities.significantEdges} significant at FDR 0.05): ${communities.count} communities, Q ${f(communities.modularity)}; vs the ${communities.assembliesObserved} planted assemblies (${communities.scoredNeurons} observed E neurons) ARI ${f(communities.ari)} NMI ${f(communities.nmi)} | reference, Leiden on the true excitatory synapses: ARI ${f(communities.trueGraph.ari)}`,
  );

  // 4. Laplacian RG of the inferred graph.
  const lc = graph.largestComponent();
  const scan = await spectralScan(lc, { tauCount: 120, threads });
  // The finest-scale entropy transition, then an RG flow that halves the number of nodes per
  // step (tau chosen per step by bisection to reach the target reduction).
  const strongest = scan.transitions.length
    ? scan.transitions.reduce((a, b) => (b.tau < a.tau ? b : a))
    : { tau: scan.tau[scan.specificHeat.indexOf(Math.max(...scan.specificHeat))], specificHeat: Math.max(...scan.specificHeat) };
  const flow = await rgFlow(lc, { policy: 'fraction', fraction: 0.5, rule: 'real-space', steps: 3, threads });
  // Supernodes vs assemblies: pair purity over the E neurons of the component, for all
  // supernodes and for the supernodes without an inhibitory neuron (unclustered I neurons
  // couple to many assemblies and act as hubs of the inferred graph).
  const lcIds = lc.labels.map(Number);
  const lcAssembly = lcIds.map((id) => sim.labels[id]);
  const lcExc = lcIds.map((id, k) => (sim.excitatory[id] ? k : -1)).filter((k) => k >= 0);
  const rg = {
    n: lc.n,
    excitatory: lcExc.length,
    transitionTau: strongest.tau,
    transitionC: strongest.specificHeat,
    steps: flow.steps.map((s) => {
      const p = pairPurity(s.assignment, lcAssembly, lcExc);
      const withInh = new Set(lcIds.flatMap((id, k) => (sim.excitatory[id] ? [] : [s.assignment[k]])));
      const pure = lcExc.filter((k) => !withInh.has(s.assignment[k]));
      const q = pairPurity(s.assignment, lcAssembly, pure);
      return {
        n: s.n,
        edges: s.edges,
        tau: s.tau,
        assemblyPurity: p.purity,
        assemblyPurityChance: p.chance,
        excitatoryOnlySupernodes: { neurons: pure.length, assemblyPurity: q.purity },
      };
    }),
  };
  opts.onStep?.(4);
  say(
    `4. Laplacian RG of the inferred graph: entropy transition at tau ${f(rg.transitionTau, 4)} (C ${f(rg.transitionC)}); real-space flow halving N per step: N ${[rg.n, ...rg.steps.map((s) => s.n)].join(' -> ')} at tau ${rg.steps.map((s) => f(s.tau, 2)).join(', ')}; E neuron pairs in one supernode that are in one assembly: ${rg.steps.map((s) => f(s.assemblyPurity, 2)).join(', ')} (chance ${f(rg.steps[0]?.assemblyPurityChance ?? NaN, 2)}); in supernodes without an I neuron: ${rg.steps
      .map((s) => f(s.excitatoryOnlySupernodes.assemblyPurity, 2))
      .join(', ')} (holding ${rg.steps.map((s) => s.excitatoryOnlySupernodes.neurons).join(', ')} of ${rg.excitatory} E)`,
  );

  // 5. Joint spike-pattern model (binary patterns in 10 ms bins) of the 40 most active
  //    observed neurons, sites in community order vs identity (id) order. Ids are shuffled by
  //    the simulator, so the identity order carries no assembly information.
  const count = (id: number) => sim.spikeOffsets[id + 1] - sim.spikeOffsets[id];
  const chosen = [...observed].sort((a, b) => count(b) - count(a) || a - b).slice(0, 40).sort((a, b) => a - b);
  const bin = 0.01;
  // whole bins of the recording, binned by the core's rule (docs/activity-io.md, "Binning")
  const bins = Math.floor(sim.duration / bin);
  const data = new Uint8Array(bins * chosen.length);
  chosen.forEach((id, col) => {
    const { index } = binSpikeTimes(sim.spikeTimes.subarray(sim.spikeOffsets[id], sim.spikeOffsets[id + 1]), bin, 0, bins * bin);
    for (const b of index) if (b !== OUTSIDE) data[b * chosen.length + col] = 1;
  });
  const patterns: PatternMatrix = { rows: bins, sites: chosen.length, data };
  const colOf = new Map(chosen.map((id, c) => [id, c]));
  const communityOrder = Array.from(order.order, (k) => colOf.get(lgd.ids[k])).filter((c): c is number => c !== undefined);
  const fitOpts = { chi: 8, seed: opts.seed, threads, maxHalfSweeps: 4 };
  const byCommunity = await fitMps(reorderPatterns(patterns, communityOrder), { ...fitOpts, baselines: true });
  const byIdentity = await fitMps(patterns, fitOpts);
  const mps = {
    sites: chosen.length,
    patterns: bins,
    chi: fitOpts.chi,
    nllHeldoutCommunityOrder: byCommunity.nllHeldout,
    nllHeldoutIdentityOrder: byIdentity.nllHeldout,
    nllIndependent: byCommunity.nllIndependent,
    nllIsing: byCommunity.nllIsing,
  };
  opts.onStep?.(5);
  say(
    `5. MPS (${mps.sites} most active neurons, 10 ms bins, chi ${mps.chi}) held-out NLL, bits/pattern: community order ${f(mps.nllHeldoutCommunityOrder)} (${f(mps.nllHeldoutIdentityOrder - mps.nllHeldoutCommunityOrder)} below identity order ${f(mps.nllHeldoutIdentityOrder)}, ${f(mps.nllIndependent - mps.nllHeldoutCommunityOrder)} below independent ${f(mps.nllIndependent)}); pairwise Ising ${f(mps.nllIsing)}`,
  );

  // 6. DTNR: the same patterns coarse-grained along the Laplacian RG flow of the inferred
  //    graph restricted to these neurons (supernodes = contiguous blocks, block variable = any
  //    spike), with the flowed model checked against models fitted to the coarse data.
  const sub = siteSubgraph(graph, chosen).graph;
  const flowed = await dtnr(patterns, sub, { chi: 8, seed: opts.seed, threads, maxHalfSweeps: 4, samples: 5000 });
  const dtnrSummary = flowed.scales.map((sc) => ({
    variables: sc.variables,
    entropyPerVariable: sc.entropyPerVariable,
    multiInformationBits: sc.multiInformationBits,
    nllHeldout: sc.nllHeldout,
    nllDirectHeldout: sc.nllDirectHeldout,
    truncationError: sc.truncationError,
  }));
  const worst = Math.max(0, ...dtnrSummary.map((d) => Math.abs(d.nllHeldout - d.nllDirectHeldout)));
  opts.onStep?.(6);
  say(
    `6. DTNR along the RG flow (chi 8): variables ${dtnrSummary.map((d) => d.variables).join(' -> ')}; held-out NLL flowed / direct fit ${dtnrSummary
      .map((d) => `${f(d.nllHeldout, 2)}/${f(d.nllDirectHeldout, 2)}`)
      .join(', ')} bits (largest gap ${f(worst)}); multi-information ${dtnrSummary.map((d) => f(d.multiInformationBits, 2)).join(', ')} bits${flowed.flowStopped ? ` (flow ended: ${flowed.flowStopped})` : ''}`,
  );

  // 7. Entropy production across the scales of the same flow: spike counts of the same neurons
  //    in 10 ms bins, smoothed causally (50 ms), coarse-grained by summing supernodes.
  const dyn = await effectiveDynamics(
    { kind: 'spikes', ids: chosen, times: chosen.map((id) => sim.spikeTimes.subarray(sim.spikeOffsets[id], sim.spikeOffsets[id + 1])) },
    { graph: sub, assignments: [], flow: { steps: 3 }, binSeconds: 0.01, smoothing: 0.05, bootstrap: 20, seed: opts.seed, threads },
  );
  const rate = (e: { rate: number } | null | undefined) => e?.rate ?? NaN;
  const dynamics = dyn.scales.map((sc) => ({
    variables: sc.variables,
    ou: rate(sc.entropyProduction.ou),
    var: rate(sc.entropyProduction.var),
    spectral: sc.entropyProduction.spectral?.rate ?? null,
    ouCi: sc.entropyProduction.ou?.ci ?? null,
    slowestTimescale: sc.timescales?.[0] ?? null,
    predictionR2: sc.predictionR2,
    predictionR2Diagonal: sc.predictionR2Diagonal,
  }));
  opts.onStep?.(7);
  say(
    `7. entropy production along the RG flow (10 ms bins, 50 ms smoothing), nats/s: variables ${dynamics.map((d) => d.variables).join(' -> ')}; ou ${dynamics.map((d) => f(d.ou, 1)).join(', ')}; var ${dynamics.map((d) => f(d.var, 1)).join(', ')}; spectral (fine OU projected) ${dynamics.slice(1).map((d) => f(d.spectral ?? NaN, 1)).join(', ')}; held-out R2 coupled/independent at scale 0 ${f(dynamics[0].predictionR2 ?? NaN, 3)}/${f(dynamics[0].predictionR2Diagonal ?? NaN, 3)}`,
  );


  let report: { report: string; figures: Record<string, { svg: string; png?: string }> } | null = null;
  if (opts.out) {
    const spikeTrains = { kind: 'spikes' as const, ids: observed.slice().sort((a, b) => a - b), times: [] as Float64Array[] };
    spikeTrains.times = spikeTrains.ids.map((i) => sim.spikeTimes.slice(sim.spikeOffsets[i], sim.spikeOffsets[i + 1]));
    const rep = await writeDemoRecords(
      opts.out,
      {
        seed: opts.seed,
        network: net,
        spikes: spikeTrains,
        lgd,
        edges,
        comm,
        order,
        scan,
        componentIds: lcIds,
        flow,
        flowOptions: { rule: 'real-space', fraction: 0.5, steps: 3 },
        mps: { ids: chosen, binSeconds: bin, patterns: bins, chi: fitOpts.chi, byCommunity, byIdentity, options: { sites: chosen.length, binSeconds: bin, chi: fitOpts.chi, maxHalfSweeps: fitOpts.maxHalfSweeps } },
        dtnr: { result: flowed, chi: 8, options: { chi: 8, samples: 5000, maxHalfSweeps: 4 } },
      },
      { png: opts.png },
    );
    report = { report: rep.report, figures: rep.figures };
    say(`report: ${rep.report}`);
  }
  // 8. Coarse-to-fine control (docs/control.md): its own 4-assembly network, a short
  //    identification run (20 s) and a 4 s closed loop stepping assembly 0 to 20 Hz.
  const control = closedLoopSummary(await simulateLifClosedLoop({ seed: opts.seed, idDuration: 20, duration: 4, threads }, 'lqr'));
  say(
    `8. closed-loop control (4 assemblies, 30% observed, 20 s identification): ${control.identification.communities} communities (ARI ${f(control.identification.ari, 2)}); LQR steps assembly 0 by ${f(control.stepHz, 1)} Hz to 20 Hz: final error ${f(100 * control.closedLoop.finalErrorFraction, 0)}%, off-target ${f(control.closedLoop.offTargetMaxHz, 1)} Hz, RMS ${f(control.closedLoop.rmsErrorHz, 1)} Hz vs open loop ${f(control.openLoop.rmsErrorHz, 1)} Hz`,
  );
  const seconds = (Date.now() - t0) / 1000;
  return { demo: 'end-to-end', seed: opts.seed, seconds, network: net, simulation, inference, communities, rg, mps, dtnr: dtnrSummary, dtnrFlowStopped: flowed.flowStopped ?? null, dynamics, control, ...(report ? { report } : {}) };
}

