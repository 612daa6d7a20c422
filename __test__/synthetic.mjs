/**
 * Seeded synthetic data shared by the vitest specs and the benchmarks (plain ESM, so that
 * `benches/*.mjs` can import it too): one copy of each generator, so a test and the benchmark
 * that reports the same quantity draw the same trajectories.
 */

/** Seeded uniform generator in [0, 1) (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded standard normals (64-bit LCG + Box-Muller). */
export function normals(seed) {
  let s = BigInt(seed) + 1n;
  const u = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return (Number(s >> 11n) + 0.5) / 2 ** 53;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * The 2D trap with rotation, B = [[k, -e], [e, k]], D = d I, simulated exactly:
 * x_{t+1} = A x_t + sqrt(q) xi, A = exp(-k dt) R(-e dt), S = (d/k) I, q = (d/k)(1 - exp(-2 k dt)).
 * Frame-major (x, y per frame), started in the stationary state. Its entropy production rate is
 * 2 e^2 / k nats/s.
 */
export function rotatingTrap(k, e, d, dt, frames, seed) {
  const z = normals(seed);
  const r = Math.exp(-k * dt);
  const [c, sn] = [Math.cos(e * dt), Math.sin(e * dt)];
  const sd = Math.sqrt((d / k) * (1 - Math.exp(-2 * k * dt)));
  const out = new Float64Array(2 * frames);
  let x = Math.sqrt(d / k) * z();
  let y = Math.sqrt(d / k) * z();
  for (let t = 0; t < frames; t++) {
    out[2 * t] = x;
    out[2 * t + 1] = y;
    [x, y] = [r * (c * x + sn * y) + sd * z(), r * (-sn * x + c * y) + sd * z()];
  }
  return out;
}

/**
 * The rotating Mexican hat: F(x) = -(|x|^2 - 1) x + e (-y, x), D = d I, by Euler-Maruyama with
 * `substeps` steps per frame of dt (frame-major, started at (1, 0)). The rotation is
 * divergence-free and orthogonal to the gradient of the radial potential U = |x|^4/4 - |x|^2/2,
 * so p ~ exp(-U/d), the phase-space velocity is e (-y, x) and sigma = e^2 <|x|^2> / d nats/s.
 */
export function rotatingMexicanHat(e, d, dt, frames, seed, substeps = 10) {
  const z = normals(seed);
  const h = dt / substeps;
  const s = Math.sqrt(2 * d * h);
  const out = new Float64Array(2 * frames);
  let [x, y] = [1, 0];
  for (let t = 0; t < frames; t++) {
    out[2 * t] = x;
    out[2 * t + 1] = y;
    for (let k = 0; k < substeps; k++) {
      const r2 = x * x + y * y;
      [x, y] = [x + (-(r2 - 1) * x - e * y) * h + s * z(), y + (-(r2 - 1) * y + e * x) * h + s * z()];
    }
  }
  return out;
}
