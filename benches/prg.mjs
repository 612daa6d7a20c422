// Phenomenological RG (docs/prg.md): wall time of `phenomenologicalRg` (pairing, every level's
// statistics, 200 cluster-bootstrap replicates) on N units x T frames of latent-drive Bernoulli
// activity (8 latent drives, unit i fires with probability 0.05 + 0.3 drive_{i mod 8}), and the
// exponents it finds. No peer: there is no maintained PyPI package of the method.
// Sizes: DIFFRG_BENCH_PRG_UNITS (default 1024), DIFFRG_BENCH_PRG_FRAMES (50000);
// DIFFRG_BENCH_SMOKE=1 runs tiny sizes (CI).
import { diffrg, machine, rng, time } from './_common.mjs';

const SMOKE = process.env.DIFFRG_BENCH_SMOKE === '1';
const N = Number(process.env.DIFFRG_BENCH_PRG_UNITS ?? (SMOKE ? 64 : 1024));
const T = Number(process.env.DIFFRG_BENCH_PRG_FRAMES ?? (SMOKE ? 2000 : 50000));
const THREADS = Number(process.env.DIFFRG_THREADS ?? 2);

const u = rng(1);
const drives = Array.from({ length: 8 }, () => Uint8Array.from({ length: T }, () => (u() < 0.2 ? 1 : 0)));
const data = new Float64Array(N * T);
for (let i = 0; i < N; i++) {
  const d = drives[i % 8];
  for (let t = 0; t < T; t++) data[i * T + t] = u() < 0.05 + 0.3 * d[t] ? 1 : 0;
}
const activity = { kind: 'raster', neurons: N, samples: T, data, rate: 100 };
console.log(machine());
const { seconds, value: r } = await time(() => diffrg.phenomenologicalRg(activity, { threads: THREADS, seed: 1 }), { repeat: SMOKE ? 1 : 3 });
const e = r.prg.exponents;
const f = (x) => (x ? `${x.value.toFixed(3)} [${x.ci[0].toFixed(3)}, ${x.ci[1].toFixed(3)}]` : '-');
console.log(`prg ${N} units x ${T} frames, ${THREADS} threads: ${seconds.toFixed(2)} s (best of ${SMOKE ? 1 : 3}), ${r.prg.levels.length} levels (K up to ${r.prg.levels.at(-1).meanSize})`);
console.log(`  alpha~ ${f(e.variance)}  beta~ ${f(e.silence)}  mu ${f(e.spectrum)}  z~ ${f(e.autocorrelation)}`);
