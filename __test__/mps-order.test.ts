import { describe, expect, it } from 'vitest';
import { diffrg } from './helpers';

/**
 * Issue 5, section 2: on clustered LIF simulations, at equal bond dimension, the community-based
 * site order must give a lower held-out NLL than the identity and random orders.
 *
 * Network (docs/mps.md, "Site order on clustered LIF data"): 200 neurons, 20 E clusters of 8,
 * all-to-all inside a cluster (pRatio large: p_in clamps to 1) with 8x stronger weights
 * (wRatio 8, 6 mV), sparse elsewhere (kExc 20, kInh 8). Ids are shuffled by the simulator, so
 * the identity order carries no cluster information. Sites: 6 random members of each of
 * 4 clusters (24 sites), 10 ms binary bins.
 */
async function clusteredPatterns(seed: number, wRatio: number) {
  const sim = await diffrg.simulateLif({ neurons: 200, clusters: 20, kExc: 20, kInh: 8, pRatio: 1000, wRatio, duration: 40, seed, threads: 2 });
  const sites: number[] = [];
  for (let c = 0; c < 4; c++) {
    const members: number[] = [];
    for (let i = 0; i < sim.n; i++) if (sim.excitatory[i] && sim.labels[i] === c) members.push(i);
    sites.push(...diffrg.randomOrder(members.length, seed * 100 + c).slice(0, 6).map((k) => members[k]));
  }
  sites.sort((a, b) => a - b);
  const times = sites.map((i) => diffrg.spikeTrain(sim, i));
  const loaded = diffrg.binSpikes({ kind: 'spikes', ids: sites, times }, 0.01, { start: 0, end: sim.duration });
  return { loaded, truth: sites.map((i) => sim.labels[i]) };
}

async function heldout(loaded: Awaited<ReturnType<typeof clusteredPatterns>>['loaded'], order: number[], seed: number) {
  const r = await diffrg.fitMps(diffrg.reorderPatterns(loaded.patterns, order), { chi: 2, seed, baselines: false, threads: 2 });
  return r.nllHeldout;
}

describe('site order on clustered LIF data (seeded)', () => {
  it('community order (inferred graph, and true clusters) beats identity and random orders at chi 2', async () => {
    const seed = 4;
    const { loaded, truth } = await clusteredPatterns(seed, 8);
    const inferred = await diffrg.siteOrder('community', loaded, { seed, threads: 2 });
    expect(diffrg.adjustedRandIndex(inferred.communities!, truth)).toBeGreaterThan(0.9);
    const byTruth = await diffrg.communitySiteOrder(loaded, { labels: truth, threads: 2 });
    const nll = {
      inferred: await heldout(loaded, inferred.order, seed),
      truth: await heldout(loaded, byTruth.order, seed),
      identity: await heldout(loaded, (await diffrg.siteOrder('identity', loaded)).order, seed),
      random: await heldout(loaded, (await diffrg.siteOrder('random', loaded, { seed })).order, seed),
    };
    for (const community of [nll.inferred, nll.truth]) {
      expect(community).toBeLessThan(nll.identity - 0.2);
      expect(community).toBeLessThan(nll.random - 0.2);
    }
  });
});
