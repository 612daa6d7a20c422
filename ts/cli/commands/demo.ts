/**
 * `diffrg demo`: the end-to-end pipeline on generated data, with no arguments.
 *
 * 1. Simulate a clustered leaky integrate-and-fire network (ground truth) and observe half of it.
 * 2. Infer the directed graph among observed neurons with Latent Graph Diffusion; score it
 *    against the true synapses (AUROC, AUPR) next to the correlation baseline.
 * 3. Leiden communities of the inferred graph vs the true clusters (ARI, NMI), and the
 *    community-based node order.
 * 4. Laplacian RG of the inferred graph: spectral scan (entropy transition) and a real-space
 *    RG flow halving the number of nodes per step.
 * 5. Tensor-train (MPS) model of the joint spike-pattern distribution: held-out NLL with sites in
 *    community order vs identity order, next to independent and Ising baselines.
 * 6. Diffusion tensor network renormalization of the same patterns along the RG flow of the
 *    inferred graph: per scale, held-out NLL of the flowed model vs a model fitted directly to
 *    the coarse-grained data, and the multi-information.
 */
import { Command, Option } from 'commander';
import { Graph } from '../../graph';
import { simulateLif } from '../../sim';
import { inferSpikes, type InferResult } from '../../infer';
import { leiden, communityOrdering, adjustedRandIndex, normalizedMutualInformation } from '../../community';
import { spectralScan } from '../../spectral';
import { rgFlow } from '../../rg';
import { fitMps, reorderPatterns, type PatternMatrix } from '../../mps';
import { dtnr } from '../../dtnr';
import { siteSubgraph } from '../../patterns';
import { addCommonOptions, info, intOption, printJson, progress } from '../common';

interface Opts {
  json?: boolean;
  threads?: number;
  seed: number;
}

/** AUROC and AUPR of `score` for the positives in `truth` (both over the same candidate pairs). */
export function rankMetrics(score: number[], truth: boolean[]): { auroc: number; aupr: number } {
  const idx = score.map((_, i) => i).sort((a, b) => score[b] - score[a]);
  const pos = truth.filter(Boolean).length;
  const neg = truth.length - pos;
  let tp = 0;
  let fp = 0;
  let auc = 0; // pairs (positive, negative) ranked in the right order
  let ap = 0;
  for (const i of idx) {
    if (truth[i]) {
      tp++;
      ap += tp / (tp + fp);
    } else {
      fp++;
      auc += tp;
    }
  }
  return { auroc: pos && neg ? auc / (pos * neg) : NaN, aupr: pos ? ap / pos : NaN };
}

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

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('demo')
      .description('run the end-to-end pipeline (simulate, infer, communities, Laplacian RG, tensor network) on generated data')
      .addOption(new Option('--seed <S>', 'random seed of the whole pipeline').argParser(intOption('--seed', 0)).default(1)),
  ).action(async (opts: Opts) => {
    const threads = opts.threads;
    const bar = progress('demo', 6);
    const t0 = Date.now();

    // 1. Ground truth.
    // Sparse connectivity (20 E + 8 I inputs per neuron) keeps single synapses identifiable.
    const sim = await simulateLif({ neurons: 300, clusters: 4, kExc: 20, kInh: 8, duration: 60, seed: opts.seed, observe: 0.5, threads });
    bar.update(1);
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

    // 2. Inference.
    const spikes = { neurons, times };
    const lgd = await inferSpikes(spikes, { method: 'lgd', binSeconds: 0.005, threads, seed: opts.seed, start: 0, end: sim.duration });
    const corr = await inferSpikes(spikes, { method: 'correlation', binSeconds: 0.005, threads, seed: opts.seed, start: 0, end: sim.duration });
    const inference = { lgd: score(lgd, truthPairs, sim.n), correlation: score(corr, truthPairs, sim.n) };
    bar.update(2);

    // 3. Communities of the inferred graph: the strongest couplings (mean degree ~8), |weights|, undirected.
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
    const trueClusters = lgd.ids.map((id) => sim.labels[id]);
    const order = await communityOrdering(graph, comm.labels, { threads });
    const communities = {
      edges: graph.edges,
      significantEdges: significant,
      count: comm.communities,
      modularity: comm.modularity,
      ari: adjustedRandIndex(comm.labels, trueClusters),
      nmi: normalizedMutualInformation(comm.labels, trueClusters),
    };
    bar.update(3);

    // 4. Laplacian RG of the inferred graph.
    const lc = graph.largestComponent();
    const scan = await spectralScan(lc, { tauCount: 120, threads });
    // The finest-scale entropy transition, then an RG flow that halves the number of nodes per
    // step (tau chosen per step by bisection to reach the target reduction).
    const strongest = scan.transitions.length
      ? scan.transitions.reduce((a, b) => (b.tau < a.tau ? b : a))
      : { tau: scan.tau[scan.specificHeat.indexOf(Math.max(...scan.specificHeat))], specificHeat: Math.max(...scan.specificHeat) };
    const flow = await rgFlow(lc, { policy: 'fraction', fraction: 0.5, rule: 'real-space', steps: 3, threads });
    const rg = { n: lc.n, transitionTau: strongest.tau, transitionC: strongest.specificHeat, steps: flow.steps.map((s) => ({ n: s.n, edges: s.edges, tau: s.tau })) };
    bar.update(4);

    // 5. Joint spike-pattern model (binary patterns in 10 ms bins) of the 40 most active
    //    observed neurons, sites in community order vs identity (id) order.
    const count = (id: number) => sim.spikeOffsets[id + 1] - sim.spikeOffsets[id];
    const chosen = [...observed].sort((a, b) => count(b) - count(a) || a - b).slice(0, 40).sort((a, b) => a - b);
    const bin = 0.01;
    const bins = Math.floor(sim.duration / bin);
    const data = new Uint8Array(bins * chosen.length);
    chosen.forEach((id, col) => {
      for (let k = sim.spikeOffsets[id]; k < sim.spikeOffsets[id + 1]; k++) {
        const b = Math.floor(sim.spikeTimes[k] / bin);
        if (b < bins) data[b * chosen.length + col] = 1;
      }
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
    bar.update(5);

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
    bar.update(6);
    bar.stop();

    const summary = {
      demo: 'end-to-end',
      seconds: (Date.now() - t0) / 1000,
      simulation: { neurons: sim.n, clusters: sim.clusters, duration: sim.duration, observed: observed.length, rateExc: sim.rateExc, rateInh: sim.rateInh, synapses: sim.sources.length },
      inference,
      communities,
      rg,
      mps,
      dtnr: dtnrSummary,
    };
    if (opts.json) {
      printJson(summary);
      return;
    }
    const f = (x: number, d = 3) => (Number.isFinite(x) ? (Math.abs(x) < 0.5 * 10 ** -d ? 0 : x).toFixed(d) : 'n/a');
    info('diffrg demo: from spikes to renormalized graphs and joint probabilities\n');
    console.log(`1. simulated clustered LIF: ${sim.n} neurons, ${sim.clusters} clusters, ${sim.sources.length} synapses, ${sim.duration} s; E ${f(sim.rateExc, 1)} Hz, I ${f(sim.rateInh, 1)} Hz; observed ${observed.length}`);
    console.log(`2. directed edges among observed neurons: LGD AUROC ${f(inference.lgd.auroc)} AUPR ${f(inference.lgd.aupr)} | correlation AUROC ${f(inference.correlation.auroc)} AUPR ${f(inference.correlation.aupr)}`);
    console.log(`3. Leiden on the inferred graph (${communities.edges} strongest couplings; ${communities.significantEdges} significant at FDR 0.05): ${communities.count} communities, Q ${f(communities.modularity)}, vs true clusters ARI ${f(communities.ari)} NMI ${f(communities.nmi)}`);
    console.log(`4. Laplacian RG: entropy transition at tau ${f(rg.transitionTau, 4)} (C ${f(rg.transitionC)}); real-space flow halving N per step: N ${[rg.n, ...rg.steps.map((s: { n: number }) => s.n)].join(' -> ')} at tau ${rg.steps.map((s: { tau: number }) => f(s.tau, 2)).join(', ')}`);
    console.log(`5. MPS (${mps.sites} most active neurons, chi ${mps.chi}) held-out NLL, bits/pattern: community order ${f(mps.nllHeldoutCommunityOrder)}, identity order ${f(mps.nllHeldoutIdentityOrder)}, independent ${f(mps.nllIndependent)}, Ising ${f(mps.nllIsing)}`);
    console.log(
      `6. DTNR along the RG flow (chi 8): variables ${dtnrSummary.map((d) => d.variables).join(' -> ')}; held-out NLL flowed / direct fit ${dtnrSummary
        .map((d) => `${f(d.nllHeldout, 2)}/${f(d.nllDirectHeldout, 2)}`)
        .join(', ')} bits; multi-information ${dtnrSummary.map((d) => f(d.multiInformationBits, 2)).join(', ')} bits`,
    );
    info(`\ndone in ${f(summary.seconds, 1)} s`);
  });
}
