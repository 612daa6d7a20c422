// Strong scaling on one node: wall time, speed-up and efficiency of diffrg's main kernels at
// 1, 2, 4, ... threads up to the node's cores, with the node's memory bandwidth (a STREAM-like
// triad, `memoryBandwidth`) measured in the same run at each thread count, and the fraction of
// it the memory-bound SLQ lockstep reaches.
//
//   npm run bench -- scaling                      (sizes from the node: full on >= 8 cores)
//   DIFFRG_SCALING=smoke node benches/scaling.mjs (seconds on 2 cores; what CI can afford)
//
// Each thread count of a kernel runs in a fresh child process (this script with
// DIFFRG_SCALING_CHILD=kernel:threads), as a user's runs would: when this script ran every thread
// count in one process, LGD at full size took 26.8-27.2 s on 2 threads after its 1-thread run, and
// 19.0-19.2 s in a fresh process (2-core machine, 2026-12-06), which biased every speed-up.
//
// Env: DIFFRG_SCALING = full | small | smoke (default: full on >= 8 cores, small below),
// DIFFRG_SCALING_THREADS = "1,2,4" (default: powers of two up to the cores, and the cores),
// DIFFRG_SCALING_KERNELS = "slq,lif,lgd,rg,mps" (default: all),
// DIFFRG_SCALING_SLQ_N = BA size of the SLQ kernel (overrides the size preset).
//
// Kernels (full size; the issue's targets are in docs/benchmarks.md):
//   slq  SLQ lockstep, BA N = 10^6 m = 3, 30 probes x 100 steps (no reorthogonalisation)
//   lif  LIF simulator, 10,000 neurons, 10 s
//   lgd  LGD inference, 1,000 observed neurons, 1.2 x 10^6 bins of 5 ms (penalty search, fit, 19 surrogates)
//   rg   sparse real-space RG step, BA N = 10^5 m = 2, tau = 0.3
//   mps  MPS compression, 100 sites, chi 128 -> 32
import { spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SMOKE, chainSpikes, diffrg, machine, time } from './_common.mjs';

const cores = os.availableParallelism?.() ?? os.cpus().length;
const preset = process.env.DIFFRG_SCALING ?? (SMOKE ? 'smoke' : cores >= 8 ? 'full' : 'small');
const SIZES = {
  full: { slqN: 1_000_000, lifN: 10_000, lifT: 10, lgdN: 1000, lgdSeconds: 6000, rgN: 100_000, mpsSites: 100, mpsChi: 128, mpsTo: 32 },
  small: { slqN: 200_000, lifN: 5_000, lifT: 2, lgdN: 300, lgdSeconds: 600, rgN: 50_000, mpsSites: 100, mpsChi: 128, mpsTo: 32 },
  smoke: { slqN: 20_000, lifN: 1_000, lifT: 0.3, lgdN: 40, lgdSeconds: 60, rgN: 5_000, mpsSites: 30, mpsChi: 32, mpsTo: 8 },
}[preset];
if (!SIZES) throw new Error(`DIFFRG_SCALING must be full, small or smoke (got '${preset}')`);
if (process.env.DIFFRG_SCALING_SLQ_N) SIZES.slqN = Number(process.env.DIFFRG_SCALING_SLQ_N);
const threadList = process.env.DIFFRG_SCALING_THREADS
  ? process.env.DIFFRG_SCALING_THREADS.split(',').map(Number)
  : [...new Set([...Array(Math.floor(Math.log2(cores)) + 1).keys()].map((k) => 2 ** k).concat(cores))].sort((a, b) => a - b);
const kernels = (process.env.DIFFRG_SCALING_KERNELS ?? 'slq,lif,lgd,rg,mps').split(',');
const smoke = preset === 'smoke';

const child = process.env.DIFFRG_SCALING_CHILD?.split(':');
if (!child) console.log(machine());
if (!child) console.log(`preset ${preset}, threads ${threadList.join(', ')}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

// Memory bandwidth at each thread count (smaller arrays in smoke mode: 3 x 16 MiB).
const triad = new Map();
for (const t of child ? [] : new Set(threadList)) {
  const r = await diffrg.memoryBandwidth({ threads: t, length: smoke ? 1 << 21 : 1 << 24, repeats: smoke ? 3 : 5 });
  triad.set(t, r.bytesPerSecond);
}
if (!child) console.log(`triad bandwidth (GB/s): ${[...triad.keys()].map((t) => `${t}: ${(triad.get(t) / 1e9).toFixed(1)}`).join(', ')}`);

/** Rewrites DIFFRG_SCALING_JSON (when set) with the rows measured so far. */
function writeJson() {
  if (!process.env.DIFFRG_SCALING_JSON) return;
  const file = process.env.DIFFRG_SCALING_JSON;
  writeFileSync(`${file}.tmp`, JSON.stringify({ machine: machine(), preset, triad: Object.fromEntries(triad), table }, null, 2));
  renameSync(`${file}.tmp`, file);
}

const B = 32; // lockstep lanes for 30 probes (slq.rs: blocks of up to 32)
const table = [];

async function measure(name, setup, run, bytes) {
  if (child) {
    // One thread count in this (fresh) process: print the input's label, modelled bytes and time.
    if (child[0] !== name) return;
    const input = await setup();
    const { seconds } = await time(() => run(input, Number(child[1])), { repeat: name === 'mps' ? 3 : 1, warm: name === 'mps' });
    console.log(JSON.stringify({ label: input.label, bytes: bytes ? bytes(input) : null, seconds }));
    return;
  }
  // Each thread count's row is printed (and the JSON rewritten) as soon as it is measured, so a
  // run stopped by a time limit (scripts/device-scaling.sh) keeps the rows it has.
  let first;
  for (const t of threadList) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, DIFFRG_SCALING: preset, DIFFRG_SCALING_CHILD: `${name}:${t}` },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    const last = r.stdout?.trim().split('\n').pop();
    if (r.status !== 0 || !last) throw new Error(`scaling: ${name} on ${t} threads failed (exit ${r.status})`);
    const input = JSON.parse(last);
    if (!first) {
      first = { t, seconds: input.seconds };
      console.log(`\n${name}: ${input.label}`);
      console.log('threads   wall s   speed-up   efficiency' + (bytes ? '   modelled GB/s   of triad' : ''));
    }
    const speed = first.seconds / input.seconds;
    const eff = speed / (t / first.t);
    let extra = '';
    if (bytes) {
      const bw = input.bytes / input.seconds;
      extra = `   ${(bw / 1e9).toFixed(1).padStart(13)}   ${((100 * bw) / triad.get(t)).toFixed(0).padStart(7)}%`;
      if (bw > triad.get(t)) extra += '   (above the triad: the working set fits in cache at this size; use the full size)';
    }
    // base: the 1-thread time when the list starts at 1
    table.push({ kernel: name, threads: t, seconds: input.seconds, speedup: speed, base: first.seconds * first.t, ...(bytes ? { fractionOfTriad: input.bytes / input.seconds / triad.get(t) } : {}) });
    writeJson(); // before the row is printed: a run stopped in between has the row in the JSON only
    console.log(`${String(t).padStart(7)}   ${input.seconds.toFixed(3).padStart(6)}   ${speed.toFixed(2).padStart(7)}x   ${(100 * eff).toFixed(0).padStart(9)}%${extra}`);
  }
}

if (kernels.includes('slq')) {
  const steps = 100;
  await measure(
    'slq',
    () => {
      const g = diffrg.Graph.barabasiAlbert(SIZES.slqN, 3, 1);
      return { g, label: `BA N=${g.n} m=3, 30 probes x ${steps} steps, lockstep (reorth none), ${g.edges} edges` };
    },
    ({ g }, threads) => diffrg.spectralScan(g, { method: 'slq', reorth: 'none', deflate: 0, probes: 30, steps, tauCount: 10, threads }),
    // per step: CSR (4 B index + 8 B value per stored entry), every gathered 32-lane row from
    // memory (an upper bound: hub rows stay in cache), and q_{j-1}, q_j read, q_{j+1} written
    ({ g }) => steps * (2 * g.edges * (12 + 8 * B) + 3 * g.n * B * 8),
  );
}

if (kernels.includes('lif')) {
  await measure(
    'lif',
    () => ({ label: `${SIZES.lifN} neurons, 20 clusters, ${SIZES.lifT} s` }),
    (_, threads) => diffrg.simulateLif({ neurons: SIZES.lifN, clusters: 20, duration: SIZES.lifT, seed: 1, threads }),
  );
}

if (kernels.includes('lgd')) {
  await measure(
    'lgd',
    () => {
      const data = chainSpikes(SIZES.lgdN, SIZES.lgdSeconds);
      return { data, label: `${SIZES.lgdN} neurons, ${Math.round(SIZES.lgdSeconds / 0.005)} bins of 5 ms, ${data.neurons.length} spikes (penalty search, fit, 19 surrogates)` };
    },
    ({ data }, threads) => diffrg.inferSpikes(data, { method: 'lgd', binSeconds: 0.005, maxLag: 1, start: 0, end: SIZES.lgdSeconds, generator: false, threads }),
  );
}

if (kernels.includes('rg')) {
  await measure(
    'rg',
    () => {
      const g = diffrg.Graph.barabasiAlbert(SIZES.rgN, 2, 1);
      return { g, label: `sparse real-space RG step, BA N=${g.n} m=2, tau=0.3` };
    },
    ({ g }, threads) => diffrg.coarseGrain(g, { tau: 0.3, method: 'local', threads }),
  );
}

if (kernels.includes('mps')) {
  await measure(
    'mps',
    () => {
      const m = diffrg.randomMps('born', new Array(SIZES.mpsSites).fill(2), SIZES.mpsChi, 1);
      return { m, label: `${SIZES.mpsSites} sites, chi ${SIZES.mpsChi} -> ${SIZES.mpsTo}` };
    },
    ({ m }, threads) => diffrg.compressMps(m, { maxBond: SIZES.mpsTo, threads }),
  );
}

if (child) process.exit(0);
console.log(`\nload after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
