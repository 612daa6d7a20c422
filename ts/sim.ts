/**
 * Clustered leaky integrate-and-fire simulator (ground truth for graph inference).
 * Model, parameters and numerics: docs/lif.md.
 */
import * as path from 'node:path';
import native = require('./native');
import { callNative, checkSeed, runNative, type RunOptions } from './run';
import { InvalidInputError } from './errors';
import { writeFilesAtomic } from './io/atomic';

export type ObserveMode = 'random' | 'stratified' | 'clusters';

/** Options of {@link simulateLif}. Times in seconds, rates in Hz, potentials and weights in mV. */
export interface SimulateLifOptions extends RunOptions {
  /** Number of neurons (80 % excitatory). @default 10000 */
  neurons?: number;
  /** Number of excitatory clusters K. @default 20 */
  clusters?: number;
  /** Simulated time (s). @default 1 */
  duration?: number;
  /** Seed (non-negative integer): network, initial state, external drive, subsample. @default 1 */
  seed?: number;
  /** Fraction of neurons observed. @default 1 */
  observe?: number;
  /** How observed neurons are chosen. @default 'random' */
  observeMode?: ObserveMode;
  /** Integration step (s). @default 1e-4 */
  dt?: number;
  /** Membrane time constants (s). @default 0.02 (E), 0.01 (I) */
  tauMExc?: number;
  tauMInh?: number;
  /** Synaptic current decay times (s). @default 0.005 */
  tauSynExc?: number;
  tauSynInh?: number;
  /** Threshold and reset (mV above rest). @default 20, 10 */
  vThreshold?: number;
  vReset?: number;
  /** Refractory period (s). @default 0.002 */
  tRef?: number;
  /** External Poisson rate per neuron (Hz). @default 2000 */
  extRateExc?: number;
  extRateInh?: number;
  /** External spike weight (mV). @default 2 */
  wExt?: number;
  /** Fraction of excitatory neurons. @default 0.8 */
  excFraction?: number;
  /** Expected E and I in-degrees. @default 80, 20 */
  kExc?: number;
  kInh?: number;
  /** E->E p_in / p_out; by default derived from `inFraction`. */
  pRatio?: number;
  /** Fraction of an E neuron's E inputs from its own cluster (when `pRatio` is unset). @default 0.3 */
  inFraction?: number;
  /** In-cluster E->E weight factor. @default 2 */
  wRatio?: number;
  /** Deal inhibitory neurons to clusters too. @default false */
  clusterInhibitory?: boolean;
  /** p_in / p_out for pairs involving I neurons when `clusterInhibitory`. @default 2 */
  pRatioInh?: number;
  /** Weights (mV): E->E between clusters, E->I, |I->E|, |I->I|. @default 0.75, 1.5, 4, 4 */
  wEe?: number;
  wIe?: number;
  wEi?: number;
  wIi?: number;
  /** Synaptic delay range (s). @default 0.0005, 0.002 */
  delayMin?: number;
  delayMax?: number;
  /** Randomly permute neuron ids (ids then carry no type/cluster information). @default true */
  shuffleIds?: boolean;
  /**
   * Directed E->E coupling around the ring of clusters (c -> c+1 more likely, c+1 -> c less, the
   * mean in-degree kept), in [0, 1]; needs at least 3 clusters. @default 0
   */
  feedforward?: number;
  /** Polling period of `onProgress` (the completed fraction of simulated time). @default 200 */
  progressIntervalMs?: number;
}

/** Result of {@link simulateLif}: spikes of all neurons and the full ground truth. */
export interface LifSimulation {
  n: number;
  clusters: number;
  steps: number;
  threads: number;
  dt: number;
  duration: number;
  /** Mean rates of E and I neurons (Hz). */
  rateExc: number;
  rateInh: number;
  /** Spike times (s) of neuron i: `spikeTimes.subarray(spikeOffsets[i], spikeOffsets[i + 1])`. */
  spikeOffsets: Float64Array;
  spikeTimes: Float64Array;
  /** All synapses (`source` -> `target`), sorted by source then target; weights in mV, negative = inhibitory. */
  sources: Uint32Array;
  targets: Uint32Array;
  weights: Float64Array;
  /** Synaptic delays (s). */
  delays: Float64Array;
  /** Cluster of each neuron; unclustered inhibitory neurons get the label `clusters`. */
  labels: Uint32Array;
  /** 1 for excitatory neurons. */
  excitatory: Uint8Array;
  /** Observed neuron ids (sorted). */
  observed: Uint32Array;
}

/** Spike times of neuron `i` (a view, no copy). */
export function spikeTrain(sim: LifSimulation, i: number): Float64Array {
  return sim.spikeTimes.subarray(sim.spikeOffsets[i], sim.spikeOffsets[i + 1]);
}

/**
 * Realised E->E connection probabilities of a simulated network (the core's
 * `sim::connection_probabilities`, docs/lif.md): the fraction of ordered pairs of distinct
 * excitatory neurons that are synapses, inside a cluster and between clusters (NaN without pairs).
 */
export function connectionProbabilities(sim: LifSimulation): { inside: number; between: number } {
  return callNative(() => native.connectionProbabilities(sim.sources, sim.targets, sim.labels, sim.excitatory));
}

/**
 * Simulates a clustered E/I LIF network (current-based, exponential synapses, delays, Poisson
 * drive). Deterministic for a seed, whatever the number of threads.
 */
export async function simulateLif(options: SimulateLifOptions = {}): Promise<LifSimulation> {
  const { signal: _s, onProgress: _p, progressIntervalMs, ...rest } = options;
  for (const [k, v] of Object.entries(rest)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new InvalidInputError(`${k} must be a finite number (got ${v})`);
  }
  for (const k of ['neurons', 'clusters'] as const) {
    const v = rest[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 2 ** 31)) throw new InvalidInputError(`${k} must be a positive integer (got ${v})`);
  }
  checkSeed(rest.seed);
  return runNative(options, (token) => native.simulateLif(rest, token), progressIntervalMs);
}

function decimalsFor(dt: number): number {
  return Math.min(12, Math.max(3, Math.ceil(-Math.log10(dt)) + 2));
}

/** Joins CSV lines in chunks (avoids one huge intermediate array of strings). */
function csv(header: string, count: number, line: (k: number) => string): string {
  const parts: string[] = [header + '\n'];
  let chunk: string[] = [];
  for (let k = 0; k < count; k++) {
    chunk.push(line(k));
    if (chunk.length === 65536) {
      parts.push(chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) parts.push(chunk.join('\n') + '\n');
  return parts.join('');
}

/** Paths written by {@link writeLifOutputs}. */
export interface LifOutputFiles {
  spikes: string;
  observed: string;
  truthEdges: string;
  truthCommunities: string;
}

/**
 * Writes the CLI contract files into `dir` (atomically, as one set: all or none): `spikes.csv` (`neuron,time_s`,
 * observed neurons only, grouped by neuron, times increasing), `observed.csv` (`neuron`),
 * `truth_edges.csv` (`source,target,weight`, all neurons) and `truth_communities.csv`
 * (`neuron,community`).
 */
export async function writeLifOutputs(sim: LifSimulation, dir: string): Promise<LifOutputFiles> {
  const files: LifOutputFiles = {
    spikes: path.join(dir, 'spikes.csv'),
    observed: path.join(dir, 'observed.csv'),
    truthEdges: path.join(dir, 'truth_edges.csv'),
    truthCommunities: path.join(dir, 'truth_communities.csv'),
  };
  const dec = decimalsFor(sim.dt);
  const obs = sim.observed;
  let total = 0;
  for (const i of obs) total += sim.spikeOffsets[i + 1] - sim.spikeOffsets[i];
  const neuronOf = new Uint32Array(total);
  const timeOf = new Float64Array(total);
  let k = 0;
  for (const i of obs) {
    for (const t of spikeTrain(sim, i)) {
      neuronOf[k] = i;
      timeOf[k++] = t;
    }
  }
  // one set: a failure writes none of them
  await writeFilesAtomic([
    { file: files.spikes, data: csv('neuron,time_s', total, (j) => `${neuronOf[j]},${timeOf[j].toFixed(dec)}`) },
    { file: files.observed, data: csv('neuron', obs.length, (j) => String(obs[j])) },
    { file: files.truthEdges, data: csv('source,target,weight', sim.sources.length, (j) => `${sim.sources[j]},${sim.targets[j]},${sim.weights[j]}`) },
    { file: files.truthCommunities, data: csv('neuron,community', sim.n, (j) => `${j},${sim.labels[j]}`) },
  ]);
  return files;
}
