/**
 * Inputs for the analyze/report specs written at test time (nothing from outside the project):
 * an NWB Units file holding a spike table's trains, and a dense calcium NPY of planted assemblies.
 */
import { readFileSync } from 'node:fs';
import { diffrg } from './helpers';

/** Seeded 64-bit LCG in [0, 1). */
function lcg(seed: number): () => number {
  let s = BigInt(seed) + 1n;
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
}

/**
 * Writes the trains of a `neuron,time_s` CSV as an NWB Units table (`/units/spike_times`,
 * `spike_times_index`, `id`, with the NWB type attributes) through h5wasm.
 */
export async function writeNwbUnits(file: string, csv: string): Promise<void> {
  const trains = new Map<number, number[]>();
  for (const line of readFileSync(csv, 'utf8').trim().split('\n').slice(1)) {
    const [n, t] = line.split(',').map(Number);
    if (!trains.has(n)) trains.set(n, []);
    trains.get(n)!.push(t);
  }
  const ids = [...trains.keys()].sort((a, b) => a - b);
  const times: number[] = [];
  const index: number[] = [];
  for (const id of ids) {
    times.push(...trains.get(id)!.sort((a, b) => a - b));
    index.push(times.length);
  }
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const f = new h5.File(file, 'w');
  f.create_attribute('nwb_version', '2.7.0');
  f.create_attribute('neurodata_type', 'NWBFile');
  f.create_attribute('namespace', 'core');
  const u = f.create_group('units');
  u.create_attribute('neurodata_type', 'Units');
  u.create_attribute('namespace', 'core');
  u.create_attribute('colnames', ['spike_times']);
  u.create_attribute('description', 'spike trains of data/aplysia-pedal-bruno2015 (test fixture)');
  u.create_dataset({ name: 'spike_times', data: Float64Array.from(times) });
  u.create_dataset({ name: 'spike_times_index', data: Int32Array.from(index) });
  u.create_dataset({ name: 'id', data: Int32Array.from(ids) });
  f.close();
}

/**
 * Calcium-like dF/F of 4 assemblies x 10 neurons, 3000 frames (10 Hz): each assembly has
 * Poisson events (0.3 Hz), a member joins an event with probability 0.7, other spikes at
 * 0.05 Hz; each spike adds 1 to a trace that decays with tau = 1 s; plus N(0, 0.1) noise.
 * Float32, neurons x frames, as NPY.
 */
export async function calciumNpy(): Promise<Uint8Array> {
  const rnd = lcg(7);
  const groups = 4;
  const size = 10;
  const n = groups * size;
  const frames = 3000;
  const dt = 0.1;
  const decay = Math.exp(-dt / 1);
  const data = new Float32Array(n * frames);
  const c = new Float64Array(n);
  for (let t = 0; t < frames; t++) {
    const up = Array.from({ length: groups }, () => rnd() < 0.3 * dt);
    for (let i = 0; i < n; i++) {
      const spike = (up[Math.floor(i / size)] && rnd() < 0.7) || rnd() < 0.05 * dt;
      c[i] = c[i] * decay + (spike ? 1 : 0);
      // Box-Muller noise
      const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      data[i * frames + t] = c[i] + 0.1 * g;
    }
  }
  return diffrg.encodeNpy({ dtype: 'float32', shape: [n, frames], data });
}
