//! The `sfi` estimator: Stochastic Force Inference of an overdamped Langevin process
//! `dx = F(x) dt + sqrt(2D) dW` with constant diffusion (Frishman & Ronceray, Phys. Rev. X 10,
//! 021009 (2020)), and its bias-corrected entropy production.
//!
//! **Basis.** The scalar functions `b_α(x)` are the monomials up to degree `p` of the z-scored
//! variables `z_i = (x_i - mean_i)/sd_i` (graded order: 1, z_i, z_i z_j, ...), `n_b` of them; a
//! vector field is `d × n_b` coefficients, `N_b = d n_b` parameters. With many variables the
//! basis is capped: the highest degree `p <= max_degree` whose basis has at most `max_basis`
//! functions is the largest tried (degree 1 is always allowed).
//!
//! **Estimators** (steps `Δx_t = x_{t+1} - x_t`, `τ = steps · dt` the duration, `G = Σ_t b(x_t)
//! b(x_t)^T`; sums over the steps):
//! - diffusion, the simple estimator `D̂ = Σ Δx Δx^T / (2τ)` (not the paper's noise-robust
//!   one: no measurement-noise correction; its `O(dt)` drift bias is below the statistical error
//!   at the sampling rates of binned activity);
//! - drift (Itô projection) `F̂(x) = W_F b(x)`, `W_F = Σ Δx b(x_t)^T G^{-1} / dt`;
//! - phase-space velocity (Stratonovich projection, basis at the midpoint `x̄_t`)
//!   `v̂(x) = W_v b(x)`, `W_v = Σ Δx b(x̄_t)^T G^{-1} / dt`;
//! - entropy production `σ̂ = <v̂^T D̂^{-1} v̂> - 2 N_rot / τ` (nats/s): the plug-in value minus
//!   its bias. The paper counts `2 N_b / τ` (each coefficient's noise of covariance `2D/τ`); but
//!   along gradient fields `∇Φ` of the basis the Stratonovich integral `∫ dx ∘ ∇Φ = Φ(x_end) -
//!   Φ(x_0)` is a boundary term with no noise growing with `τ`, so only the `N_rot = d n_b -
//!   (C(d + p + 1, p + 1) - 1)` non-gradient directions of the degree-`p` polynomial fields carry
//!   noise (`N_rot = 1` for the linear fields of 2 variables); diffrg subtracts `2 N_rot / τ`
//!   (see docs/dynamics.md for the measured difference);
//! - information `Î = (τ/4) <F̂^T D̂^{-1} F̂>` (nats; bias `N_b / 2`), the force's predicted
//!   normalised mean squared error `N_b / (2 Î)`, and the predicted standard error of `σ̂`,
//!   `sqrt(8 σ̂ / τ + 8 N_rot / τ²)` (the linear and quadratic terms of the coefficient noise).
//!
//! **Degree.** Chosen on held-out frames: the sums are kept per time block; the drift is fitted
//! on the first blocks and scored on the last `test_fraction` of them by the log-likelihood
//! ratio of the Gaussian increments against pure diffusion,
//! `Σ_test [Δx^T D̂^{-1} F̂ / 2 - dt F̂^T D̂^{-1} F̂ / 4]` per second of test data (the held-out
//! information rate); the degree with the largest score is refitted on all frames.
//!
//! **Interval.** Block bootstrap over time of the per-block sums at the chosen degree;
//! percentile interval of the bias-corrected replicates.
//!
//! Memory: `blocks · (n_b² + 2 d n_b + d²)` sums; the trajectory itself is read in place.

use super::pipeline::percentile_ci;
use super::{EpEstimate, TrajectoryRef};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Options of the `sfi` estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct SfiOptions {
    /// Highest polynomial degree tried (default 3).
    pub max_degree: usize,
    /// Largest basis (scalar functions) tried (default 128).
    pub max_basis: usize,
    /// A fixed degree instead of the held-out choice (default `None`).
    pub degree: Option<usize>,
    /// Fraction of the blocks, at the end, held out to choose the degree (default 0.2).
    pub test_fraction: f64,
    /// Block-bootstrap replicates (default 100; 0: `ci = [rate, rate]`).
    pub bootstrap: usize,
    /// Time blocks (default 64).
    pub blocks: usize,
    /// Confidence level (default 0.95).
    pub level: f64,
    /// Seed of the bootstrap (default 0).
    pub seed: u64,
}

impl Default for SfiOptions {
    fn default() -> Self {
        SfiOptions { max_degree: 3, max_basis: 128, degree: None, test_fraction: 0.2, bootstrap: 100, blocks: 64, level: 0.95, seed: 0 }
    }
}

/// The fit and its estimates.
#[derive(Debug, Clone)]
pub struct SfiFit {
    /// Entropy production (bias-corrected `rate`, `bias = 2 N_rot / τ`, block-bootstrap `ci`).
    pub estimate: EpEstimate,
    pub degree: usize,
    /// Scalar basis functions `n_b` (the parameters are `vars · n_b`).
    pub basis_size: usize,
    /// Non-gradient (rotational) directions `N_rot` of the fitted vector fields.
    pub rotational: usize,
    /// `D̂` (`vars × vars`).
    pub diffusion: Mat<f64>,
    /// Drift coefficients `W_F` on the monomials of the z-scored variables (`vars × n_b`).
    pub drift: Mat<f64>,
    /// Exponents of every monomial (`n_b × vars`, row-major).
    pub exponents: Vec<u32>,
    /// `Î` (nats) and its bias `N_b / 2`.
    pub information: f64,
    pub information_bias: f64,
    /// Predicted normalised mean squared error of the drift, `N_b / (2 Î)`.
    pub drift_error: f64,
    /// Predicted standard error of the rate (nats/s).
    pub rate_error: f64,
    /// Held-out information rate (nats/s) of every degree tried.
    pub validation: Vec<(usize, f64)>,
    pub diagnostics: Vec<String>,
}

/// Graded monomials of `d` variables up to degree `p`: each is `parent × z[var]` (the constant
/// has no parent).
struct Basis {
    parent: Vec<usize>,
    var: Vec<usize>,
    /// Functions of degree <= k, for k = 0..=p.
    upto: Vec<usize>,
}

impl Basis {
    fn new(d: usize, p: usize) -> Basis {
        let (mut parent, mut var, mut last) = (vec![usize::MAX], vec![usize::MAX], vec![0usize]);
        let mut upto = vec![1];
        let mut prev = 0..1;
        for _ in 1..=p {
            let start = parent.len();
            for m in prev.clone() {
                for v in last[m]..d {
                    parent.push(m);
                    var.push(v);
                    last.push(v);
                }
            }
            prev = start..parent.len();
            upto.push(parent.len());
        }
        Basis { parent, var, upto }
    }
    fn len(&self) -> usize {
        self.parent.len()
    }
    fn eval(&self, z: &[f64], out: &mut [f64]) {
        out[0] = 1.0;
        for m in 1..self.len() {
            out[m] = out[self.parent[m]] * z[self.var[m]];
        }
    }
    fn exponents(&self, d: usize) -> Vec<u32> {
        let mut e = vec![0u32; self.len() * d];
        for m in 1..self.len() {
            let (p, v) = (self.parent[m], self.var[m]);
            for i in 0..d {
                e[m * d + i] = e[p * d + i];
            }
            e[m * d + v] += 1;
        }
        e
    }
}

/// Number of monomials of degree <= p in d variables, saturating.
fn basis_count(d: usize, p: usize) -> u128 {
    // C(d + p, p)
    let mut c: u128 = 1;
    for i in 1..=p as u128 {
        c = c.saturating_mul(d as u128 + i) / i;
    }
    c
}

/// Per-block sums.
#[derive(Clone)]
struct Sums {
    steps: usize,
    g: Mat<f64>,
    mi: Mat<f64>,
    ms: Mat<f64>,
    q: Mat<f64>,
}

impl Sums {
    fn zeros(d: usize, nb: usize) -> Sums {
        Sums { steps: 0, g: Mat::zeros(nb, nb), mi: Mat::zeros(d, nb), ms: Mat::zeros(d, nb), q: Mat::zeros(d, d) }
    }
    fn add(&mut self, o: &Sums) {
        self.steps += o.steps;
        self.g += &o.g;
        self.mi += &o.mi;
        self.ms += &o.ms;
        self.q += &o.q;
    }
}

/// The point quantities of one set of sums at `n` basis functions.
struct Eval {
    d: Mat<f64>,
    wf: Mat<f64>,
    sigma_raw: f64,
    info_rate: f64,
}

fn evaluate(s: &Sums, n: usize, dt: f64) -> Result<Eval> {
    let dim = s.q.nrows();
    let tau = s.steps as f64 * dt;
    let d = Mat::from_fn(dim, dim, |i, j| 0.5 * (s.q[(i, j)] + s.q[(j, i)]) / (2.0 * tau));
    let dl = d
        .llt(Side::Lower)
        .map_err(|_| Error::invalid_input("sfi: the diffusion estimate is singular (a variable does not move); drop or merge it"))?;
    let g = s.g.submatrix(0, 0, n, n).to_owned();
    let gl = g.llt(Side::Lower).map_err(|_| {
        Error::invalid_input(format!("sfi: the Gram matrix of the {n} basis functions is singular (too few frames or dependent variables)"))
    })?;
    let quad = |m: MatRef<f64>| -> (Mat<f64>, f64) {
        // W = M G^{-1} / dt; <W b, D^{-1} W b> = tr(D^{-1} M G^{-1} M^T) / (steps dt²)
        let w = gl.solve(m.transpose()).transpose().to_owned() * faer::Scale(1.0 / dt);
        let x = dl.solve(&(&w * m.transpose()));
        let tr: f64 = (0..dim).map(|i| x[(i, i)]).sum();
        (w, tr / (s.steps as f64 * dt))
    };
    let (_, sigma_raw) = quad(s.ms.subcols(0, n));
    let (wf, ff) = quad(s.mi.subcols(0, n));
    Ok(Eval { d, wf, sigma_raw, info_rate: ff / 4.0 })
}

/// Held-out information rate of the drift `wf` (fitted with diffusion `d`) on the sums `te`.
fn held_out(e: &Eval, te: &Sums, n: usize, dt: f64) -> Result<f64> {
    let dl = e.d.llt(Side::Lower).map_err(|_| Error::invalid_input("sfi: singular diffusion"))?;
    let dinv_w = dl.solve(&e.wf);
    let a: f64 = (0..e.wf.nrows()).map(|i| (0..n).map(|k| dinv_w[(i, k)] * te.mi[(i, k)]).sum::<f64>()).sum();
    let wg = &e.wf * te.g.submatrix(0, 0, n, n);
    let b: f64 = (0..e.wf.nrows()).map(|i| (0..n).map(|k| dinv_w[(i, k)] * wg[(i, k)]).sum::<f64>()).sum();
    Ok((0.5 * a - 0.25 * dt * b) / (te.steps as f64 * dt))
}

/// Stochastic Force Inference of `t` (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for fewer than 2 blocks of steps, a bad option, a singular diffusion or
/// a singular Gram matrix at degree 1; `ERR_TOO_LARGE`; `ERR_ABORTED`. A degree whose Gram
/// matrix is singular is skipped with a diagnostic.
///
/// # Complexity
/// `O(steps · n_b² )` flops (GEMM), parallel over blocks; `O(blocks · n_b²)` memory.
pub fn sfi(t: TrajectoryRef, o: &SfiOptions, exec: &Exec) -> Result<SfiFit> {
    let (dim, dt) = (t.vars, t.dt);
    if !(o.test_fraction > 0.0 && o.test_fraction < 1.0) {
        return Err(Error::invalid_input(format!("sfi: testFraction must be in (0, 1) (got {})", o.test_fraction)));
    }
    if !(o.level > 0.0 && o.level < 1.0) || o.bootstrap == 1 || o.max_degree == 0 || o.degree == Some(0) {
        return Err(Error::invalid_input("sfi: level must be in (0, 1), bootstrap 0 or >= 2, degrees >= 1"));
    }
    let steps = t.frames.saturating_sub(1);
    let nblocks = o.blocks.max(2).min(steps);
    if nblocks < 2 {
        return Err(Error::invalid_input(format!("sfi: {} frames are too few", t.frames)));
    }
    let top = o.degree.unwrap_or(o.max_degree);
    let mut p = 1;
    while p < top && basis_count(dim, p + 1) <= o.max_basis as u128 {
        p += 1;
    }
    let mut diagnostics = Vec::new();
    if p < top {
        diagnostics.push(format!("sfi: degree capped at {p} ({} variables; maxBasis {})", dim, o.max_basis));
    }
    let basis = Basis::new(dim, p);
    let nb = basis.len();
    ensure_fits(
        "the sfi block sums",
        (nblocks * (nb * nb + 2 * dim * nb + dim * dim)) as u128,
        4 << 30,
        "use fewer variables or a lower degree",
    )?;
    let (mean, sd) = t.zscore();
    let chunk = 2048;
    let blocks: Vec<Sums> = exec.install(|| {
        (0..nblocks)
            .into_par_iter()
            .map(|b| -> Result<Sums> {
                let (lo, hi) = (b * steps / nblocks, (b + 1) * steps / nblocks);
                let mut s = Sums::zeros(dim, nb);
                s.steps = hi - lo;
                let (mut z, mut zm) = (vec![0.0; dim], vec![0.0; dim]);
                let mut c0 = lo;
                while c0 < hi {
                    exec.check()?;
                    let c = chunk.min(hi - c0);
                    let mut bt = Mat::<f64>::zeros(nb, c);
                    let mut bm = Mat::<f64>::zeros(nb, c);
                    let mut dx = Mat::<f64>::zeros(dim, c);
                    let mut col = vec![0.0; nb];
                    for j in 0..c {
                        let (x0, x1) = (t.frame(c0 + j), t.frame(c0 + j + 1));
                        for i in 0..dim {
                            z[i] = (x0[i] - mean[i]) / sd[i];
                            zm[i] = (0.5 * (x0[i] + x1[i]) - mean[i]) / sd[i];
                            dx[(i, j)] = x1[i] - x0[i];
                        }
                        basis.eval(&z, &mut col);
                        bt.col_mut(j).iter_mut().zip(&col).for_each(|(a, v)| *a = *v);
                        basis.eval(&zm, &mut col);
                        bm.col_mut(j).iter_mut().zip(&col).for_each(|(a, v)| *a = *v);
                    }
                    matmul(s.g.as_mut(), Accum::Add, bt.as_ref(), bt.transpose(), 1.0, Par::Seq);
                    matmul(s.mi.as_mut(), Accum::Add, dx.as_ref(), bt.transpose(), 1.0, Par::Seq);
                    matmul(s.ms.as_mut(), Accum::Add, dx.as_ref(), bm.transpose(), 1.0, Par::Seq);
                    matmul(s.q.as_mut(), Accum::Add, dx.as_ref(), dx.transpose(), 1.0, Par::Seq);
                    c0 += c;
                }
                Ok(s)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    exec.progress.set(0.5);
    let sum = |idx: &mut dyn Iterator<Item = usize>| {
        let mut s = Sums::zeros(dim, nb);
        for b in idx {
            s.add(&blocks[b]);
        }
        s
    };
    let all = sum(&mut (0..nblocks));
    // degree on held-out blocks
    let mut validation = Vec::new();
    let degree = match o.degree {
        Some(_) => p,
        None => {
            let ntest = ((nblocks as f64 * o.test_fraction).round() as usize).clamp(1, nblocks - 1);
            let (tr, te) = (sum(&mut (0..nblocks - ntest)), sum(&mut (nblocks - ntest..nblocks)));
            let mut best = (1, f64::NEG_INFINITY);
            for k in 1..=p {
                let n = basis.upto[k];
                match evaluate(&tr, n, dt).and_then(|e| held_out(&e, &te, n, dt)) {
                    Ok(score) => {
                        validation.push((k, score));
                        if score > best.1 {
                            best = (k, score);
                        }
                    }
                    Err(e) => diagnostics.push(format!("sfi: degree {k} skipped in validation: {}", e.message)),
                }
            }
            best.0
        }
    };
    let n = basis.upto[degree];
    if steps < 10 * n {
        diagnostics.push(format!("sfi: {steps} steps for {n} basis functions (fewer than 10 per function): the estimate is dominated by its noise and bias; coarse-grain or record longer"));
    }
    let e = evaluate(&all, n, dt)?;
    let tau = all.steps as f64 * dt;
    let params = (dim * n) as f64;
    let rotational = (dim * n).saturating_sub(basis_count(dim, degree + 1).saturating_sub(1) as usize);
    let rot = rotational as f64;
    let bias = 2.0 * rot / tau;
    let rate = e.sigma_raw - bias;
    let ci = if o.bootstrap == 0 {
        [rate, rate]
    } else {
        let mut reps: Vec<f64> = exec.install(|| {
            (0..o.bootstrap)
                .into_par_iter()
                .filter_map(|r| {
                    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
                    rng.set_stream(r as u64);
                    let s = sum(&mut (0..nblocks).map(|_| rng.random_range(0..nblocks)));
                    evaluate(&s, n, dt).ok().map(|e| e.sigma_raw - 2.0 * rot / (s.steps as f64 * dt))
                })
                .collect()
        });
        if reps.len() < o.bootstrap {
            diagnostics.push(format!("sfi: {} of {} bootstrap replicates failed and were left out", o.bootstrap - reps.len(), o.bootstrap));
        }
        percentile_ci(&mut reps, o.level).unwrap_or([rate, rate])
    };
    let information = e.info_rate * tau;
    let information_bias = params / 2.0;
    Ok(SfiFit {
        estimate: EpEstimate { rate, ci, per_step: None, bias: Some(bias) },
        degree,
        basis_size: n,
        rotational,
        diffusion: e.d,
        drift: e.wf,
        exponents: basis.exponents(dim)[..n * dim].to_vec(),
        information,
        information_bias,
        drift_error: params / (2.0 * information).max(f64::MIN_POSITIVE),
        rate_error: (8.0 * rate.max(0.0) / tau + 8.0 * rot / (tau * tau)).sqrt(),
        validation,
        diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::super::pipeline::tests::trap_data;
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn basis_is_graded_and_complete() {
        let b = Basis::new(2, 3);
        assert_eq!(b.upto, vec![1, 3, 6, 10]);
        assert_eq!(basis_count(2, 3), 10);
        assert_eq!(basis_count(10, 3), 286);
        let mut out = vec![0.0; 10];
        b.eval(&[2.0, 3.0], &mut out);
        assert_eq!(out, vec![1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 8.0, 12.0, 18.0, 27.0]);
        assert_eq!(&b.exponents(2)[12..16], &[3, 0, 2, 1]);
    }

    #[test]
    fn rotating_trap_gives_2e2_over_k() {
        let (data, frames, dt) = trap_data(false);
        let t = TrajectoryRef::new(&data, frames, 2, dt).unwrap();
        let f = sfi(t, &SfiOptions { bootstrap: 30, ..Default::default() }, &Exec::with_threads(2)).unwrap();
        let e = &f.estimate;
        assert!((e.rate - 0.18).abs() < 0.03, "{e:?} {:?}", f.validation);
        assert!(e.ci[0] < e.rate && e.rate < e.ci[1], "{e:?}");
        for i in 0..2 {
            assert!((f.diffusion[(i, i)] - 0.5).abs() < 0.025, "{:?}", f.diffusion);
        }
        assert!(f.diffusion[(0, 1)].abs() < 0.025);
        assert!((e.rate - 0.18).abs() < 3.0 * f.rate_error, "{e:?} error {}", f.rate_error);
        assert!(f.information > f.information_bias && f.drift_error < 0.1, "{f:?}");
        // a linear drift: the fixed degree-1 fit gives the drift -B x on z-scored coordinates
        let g = sfi(t, &SfiOptions { degree: Some(1), bootstrap: 0, ..Default::default() }, &Exec::with_threads(2)).unwrap();
        assert_eq!((g.degree, g.basis_size, g.rotational), (1, 3, 1));
        let sd = (0.5f64).sqrt();
        assert!((g.drift[(0, 1)] / sd + 1.0).abs() < 0.1 && (g.drift[(0, 2)] / sd - 0.3).abs() < 0.1, "{:?}", g.drift);
    }

    /// Euler-Maruyama (10 substeps per frame) of `F = -(r² - 1) x + e J x`, `D = d I`.
    fn mexican_hat(e: f64, d: f64, dt: f64, frames: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = dt / 10.0;
        let s = (2.0 * d * h).sqrt();
        let (mut x, mut y) = (1.0, 0.0);
        let mut out = Vec::with_capacity(2 * frames);
        for _ in 0..frames {
            out.push(x);
            out.push(y);
            for _ in 0..10 {
                let r2 = x * x + y * y;
                let (gx, gy): (f64, f64) = (StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng));
                let fx = -(r2 - 1.0) * x - e * y;
                let fy = -(r2 - 1.0) * y + e * x;
                x += fx * h + s * gx;
                y += fy * h + s * gy;
            }
        }
        out
    }

    #[test]
    fn nonlinear_drift_prefers_the_cubic_basis() {
        // U = r⁴/4 - r²/2 and a rotation e J x (divergence-free, orthogonal to ∇U): p ∝ exp(-U/d),
        // v = e J x, σ = e² <r²> / d.
        let (e, d, dt, frames) = (1.0, 0.5, 0.01, 200_000);
        let data = mexican_hat(e, d, dt, frames, 5);
        let t = TrajectoryRef::new(&data, frames, 2, dt).unwrap();
        let f = sfi(t, &SfiOptions { bootstrap: 0, ..Default::default() }, &Exec::with_threads(2)).unwrap();
        let score = |k: usize| f.validation.iter().find(|v| v.0 == k).unwrap().1;
        assert_eq!(f.degree, 3, "{:?}", f.validation);
        assert!(score(3) > score(1), "{:?}", f.validation);
        let r2: f64 = data.chunks(2).map(|p| p[0] * p[0] + p[1] * p[1]).sum::<f64>() / frames as f64;
        let exact = e * e * r2 / d;
        assert!((f.estimate.rate - exact).abs() < 0.1 * exact + 3.0 * f.rate_error, "{:?} vs {exact}", f.estimate);
    }

    #[test]
    fn reversible_control_is_within_its_error() {
        let (data, frames, dt) = trap_data(true);
        let t = TrajectoryRef::new(&data, frames, 2, dt).unwrap();
        let f = sfi(t, &SfiOptions { bootstrap: 30, ..Default::default() }, &Exec::with_threads(2)).unwrap();
        let e = &f.estimate;
        assert!(e.rate.abs() <= 3.0 * f.rate_error.max(e.bias.unwrap()), "{e:?} error {}", f.rate_error);
        assert!(e.ci[0] <= 0.0 + 3.0 * f.rate_error, "{e:?}");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let e = Exec::sequential();
        let data = [0.0, 1.0, 0.5, 0.2, 0.3, 0.1];
        let t = TrajectoryRef::new(&data, 3, 2, 0.1).unwrap();
        assert!(sfi(t, &SfiOptions { bootstrap: 1, ..Default::default() }, &e).is_err());
        // a variable that never moves: singular diffusion, a typed error naming it
        let flat: Vec<f64> = (0..400).map(|k| if k % 2 == 0 { (k as f64 * 0.37).sin() } else { 2.0 }).collect();
        let t = TrajectoryRef::new(&flat, 200, 2, 0.1).unwrap();
        let err = sfi(t, &SfiOptions { bootstrap: 0, ..Default::default() }, &e).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidInput);
        // many variables: the degree is capped with a diagnostic
        let wide: Vec<f64> = (0..20 * 150).map(|k| ((k * 7919) % 1013) as f64 / 1013.0).collect();
        let t = TrajectoryRef::new(&wide, 150, 20, 0.1).unwrap();
        let f = sfi(t, &SfiOptions { bootstrap: 0, max_basis: 64, ..Default::default() }, &e).unwrap();
        assert!(f.degree == 1 && f.diagnostics.iter().any(|d| d.contains("capped")), "{:?}", f.diagnostics);
        // 149 steps for 21 functions: said
        assert!(f.diagnostics.iter().any(|d| d.contains("fewer than 10 per function")), "{:?}", f.diagnostics);
    }
}
