//! Sparse + low-rank decomposition of VAR couplings (latent-variable correction).
//!
//! Given the VAR(p) statistics `Γ` (`Np × Np`) and `C₊` (`N × Np`) of the observed neurons,
//! solve the convex program
//!
//! ```text
//! min_{S,L}  ½ tr(B Γ B^T) - tr(B C₊^T)  +  λ Σ_{i≠j} ‖(S_1,ij … S_p,ij)‖₂  +  μ ‖L‖_*,
//!            B = S + L = [A_1 … A_p]
//! ```
//!
//! The smooth part is the expected one-step squared prediction error (up to a constant), so
//! `B = C₊ Γ^{-1}` without penalties (Yule-Walker). `S` is group-sparse across lags
//! (a directed edge `j → i` is present when any of its lags is; self-couplings `i → i` are not
//! penalised), `L` is low-rank as an `N × Np` matrix: influence routed through `r` hidden
//! neurons enters as `W_oh [M_1 … M_p]`, rank `≤ r` (Chandrasekaran, Parrilo & Willsky 2012;
//! Jalali & Sanghavi 2012; Zorzi & Sepulchre 2016 for the AR case).
//!
//! **Solver**: accelerated proximal gradient (FISTA, Beck & Teboulle 2009) on `(S, L)` jointly,
//! step `1/ℓ` with `ℓ = 2 λ_max(Γ)` (Lipschitz constant of the joint gradient, estimated by
//! power iteration with a 10% margin), gradient-based adaptive restart (O'Donoghue & Candès
//! 2015). Proximal maps: group soft-threshold for `S`; singular-value soft-threshold (SVT)
//! for `L`. For large `N` the SVT uses a warm-started randomized subspace iteration (Halko,
//! Martinsson & Tropp 2011) whose subspace grows until the smallest computed singular value
//! falls below the threshold, so every singular value above it is captured; once the subspace
//! would cover a quarter of the rows, the SVT takes every triple from the eigenpairs of `M Mᵀ`
//! instead (one `N × N` symmetric eigendecomposition in place of a thin SVD of `M`).
//! Cost per iteration: one `N × Np × Np` product plus `O(N · Np · k)` for the SVT.

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::infer::yule_walker::{times_gamma, VarDesign};
use crate::linalg::cols::{fold_cols, for_cols_mut};
use faer::{Accum, Col, Mat, MatRef};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Options for [`sparse_low_rank`].
#[derive(Debug, Clone)]
pub struct SlrOptions {
    /// Maximum FISTA iterations. Default 500.
    pub max_iter: usize,
    /// Stop when `‖X_{k+1} - X_k‖_F <= tol ‖X_{k+1}‖_F`. Default 1e-5.
    pub tol: f64,
    /// Use a full thin SVD when `min(N, Np)` is at most this, else the randomized SVT.
    /// Default 200.
    pub full_svd_below: usize,
    /// Seed of the randomized SVT. Default 0.
    pub seed: u64,
}

impl Default for SlrOptions {
    fn default() -> Self {
        SlrOptions { max_iter: 500, tol: 1e-5, full_svd_below: 200, seed: 0 }
    }
}

/// A solution of the sparse + low-rank program.
#[derive(Debug, Clone)]
pub struct SlrFit {
    /// Sparse directed part `[S_1 … S_p]` (`N × Np`, row = target).
    pub s: Mat<f64>,
    /// Low-rank part `[L_1 … L_p]`.
    pub l: Mat<f64>,
    /// Rank of `L` and its singular values (descending), left vectors (`N × r`, loadings on
    /// target neurons) and right vectors (`Np × r`, source neuron × lag loadings).
    pub rank: usize,
    pub singular_values: Vec<f64>,
    pub u: Mat<f64>,
    pub v: Mat<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// Objective value at the solution.
    pub objective: f64,
}

/// `2 λ_max(Γ)` with a 10% safety margin (power iteration).
pub fn lipschitz(gamma: &Mat<f64>, exec: &Exec) -> Result<f64> {
    let m = gamma.nrows();
    if m == 0 {
        return Ok(1.0);
    }
    let mut v = Col::<f64>::from_fn(m, |i| 1.0 + (i % 7) as f64 * 0.1);
    let mut lam = 0.0;
    for it in 0..200 {
        if it % 20 == 0 {
            exec.check()?;
        }
        let w = gamma * &v;
        let nrm = w.norm_l2();
        if nrm == 0.0 {
            return Ok(1e-12);
        }
        let new = (v.transpose() * &w) / (v.norm_l2() * v.norm_l2());
        v = w / nrm;
        if (new - lam).abs() <= 1e-6 * new.abs() {
            lam = new;
            break;
        }
        lam = new;
    }
    // The Gershgorin bound is always safe; never exceed it.
    let gersh = (0..m).map(|i| (0..m).map(|j| gamma[(i, j)].abs()).sum::<f64>()).fold(0.0, f64::max);
    Ok(2.0 * (1.1 * lam).min(gersh).max(1e-12))
}

fn orth(m: Mat<f64>) -> Mat<f64> {
    m.qr().compute_thin_Q()
}

struct Svt {
    rng: ChaCha8Rng,
    basis: Mat<f64>,
    full_below: usize,
}

struct SvtOut {
    l: Mat<f64>,
    sv: Vec<f64>,
    u: Mat<f64>,
    v: Mat<f64>,
}

impl Svt {
    fn apply(&mut self, m: MatRef<f64>, tau: f64, par: faer::Par) -> Result<SvtOut> {
        let (nr, nc) = (m.nrows(), m.ncols());
        let kmax = nr.min(nc);
        let mut k = (self.basis.ncols() + 10).max(20).min(kmax);
        loop {
            if kmax <= self.full_below {
                return self.full(m, tau);
            }
            if 4 * k >= kmax {
                return self.gram(m, tau, par);
            }
            let mut q0 = Mat::<f64>::zeros(nr, k);
            let kb = self.basis.ncols().min(k);
            for j in 0..k {
                for i in 0..nr {
                    q0[(i, j)] = if j < kb { self.basis[(i, j)] } else { StandardNormal.sample(&mut self.rng) };
                }
            }
            let mut q = orth(q0);
            let mut z = Mat::<f64>::zeros(nc, k);
            for _ in 0..2 {
                faer::linalg::matmul::matmul(z.as_mut(), Accum::Replace, m.transpose(), q.as_ref(), 1.0, par);
                let zo = orth(z.clone());
                let mut y = Mat::<f64>::zeros(nr, k);
                faer::linalg::matmul::matmul(y.as_mut(), Accum::Replace, m, zo.as_ref(), 1.0, par);
                q = orth(y);
            }
            let mut bs = Mat::<f64>::zeros(k, nc);
            faer::linalg::matmul::matmul(bs.as_mut(), Accum::Replace, q.transpose(), m, 1.0, par);
            let svd = bs.thin_svd().map_err(|e| Error::no_convergence(format!("SVT: SVD failed ({e:?})")))?;
            let s = svd.S().column_vector();
            let smin = s[k - 1];
            if smin > tau {
                k = (2 * k).min(kmax);
                continue;
            }
            let r = (0..k).filter(|&i| s[i] > tau).count();
            let u = &q * svd.U().subcols(0, r);
            let v = svd.V().subcols(0, r).to_owned();
            let sv: Vec<f64> = (0..r).map(|i| s[i] - tau).collect();
            self.basis = u.clone();
            return Ok(SvtOut { l: reconstruct(&u, &sv, &v), sv, u, v });
        }
    }

    /// Every singular triple above `tau` from the eigenpairs of the Gram matrix `M Mᵀ`
    /// (`nrows <= ncols`): `σ² = λ`, `V = Mᵀ U Σ⁻¹`, so `SVT(M) = U diag(1 - τ/σ) Uᵀ M`: a
    /// symmetric eigendecomposition and three products instead of a thin SVD. Squaring costs
    /// accuracy only below
    /// `σ ≈ √ε σ_max`; when `tau` is down there the thin SVD is used instead.
    fn gram(&mut self, m: MatRef<f64>, tau: f64, par: faer::Par) -> Result<SvtOut> {
        let (nr, nc) = (m.nrows(), m.ncols());
        if nr > nc {
            return self.full(m, tau);
        }
        let mut a = Mat::<f64>::zeros(nr, nr);
        faer::linalg::matmul::matmul(a.as_mut(), Accum::Replace, m, m.transpose(), 1.0, par);
        let eig = a.self_adjoint_eigen(faer::Side::Lower).map_err(|e| Error::no_convergence(format!("SVT: eigensolver failed ({e:?})")))?;
        let lam = eig.S().column_vector();
        let lmax = lam[nr - 1].max(0.0);
        if tau * tau <= 1e-8 * lmax {
            return self.full(m, tau);
        }
        // Eigenvalues ascending: the singular values above tau are the last r, largest first.
        let r = (0..nr).filter(|&i| lam[i] > tau * tau).count();
        let sigma: Vec<f64> = (0..r).map(|q| lam[nr - 1 - q].sqrt()).collect();
        let u = Mat::from_fn(nr, r, |i, q| eig.U()[(i, nr - 1 - q)]);
        let mut w = Mat::<f64>::zeros(r, nc); // Uᵀ M = Σ Vᵀ
        faer::linalg::matmul::matmul(w.as_mut(), Accum::Replace, u.transpose(), m, 1.0, par);
        let v = Mat::from_fn(nc, r, |j, q| w[(q, j)] / sigma[q]);
        let sv: Vec<f64> = sigma.iter().map(|s| s - tau).collect();
        let mut l = Mat::<f64>::zeros(nr, nc);
        let us = Mat::from_fn(nr, r, |i, q| u[(i, q)] * (1.0 - tau / sigma[q]));
        faer::linalg::matmul::matmul(l.as_mut(), Accum::Replace, us.as_ref(), w.as_ref(), 1.0, par);
        self.basis = u.clone();
        Ok(SvtOut { l, sv, u, v })
    }

    fn full(&mut self, m: MatRef<f64>, tau: f64) -> Result<SvtOut> {
        let svd = m.thin_svd().map_err(|e| Error::no_convergence(format!("SVT: SVD failed ({e:?})")))?;
        let s = svd.S().column_vector();
        let r = (0..s.nrows()).filter(|&i| s[i] > tau).count();
        let u = svd.U().subcols(0, r).to_owned();
        let v = svd.V().subcols(0, r).to_owned();
        let sv: Vec<f64> = (0..r).map(|i| s[i] - tau).collect();
        self.basis = u.clone();
        Ok(SvtOut { l: reconstruct(&u, &sv, &v), sv, u, v })
    }
}

fn reconstruct(u: &Mat<f64>, sv: &[f64], v: &Mat<f64>) -> Mat<f64> {
    let mut us = u.clone();
    for (k, &s) in sv.iter().enumerate() {
        for i in 0..us.nrows() {
            us[(i, k)] *= s;
        }
    }
    &us * v.transpose()
}

/// `out = y - step (g - c)`: the gradient step from `y` with `g = BΓ`, `c = C₊`.
fn gradient_step(out: &mut Mat<f64>, y: &Mat<f64>, g: &Mat<f64>, c: &Mat<f64>, step: f64) {
    for_cols_mut(out.as_mut(), |col, o| {
        let (y, g, c) = (y.col_as_slice(col), g.col_as_slice(col), c.col_as_slice(col));
        for (i, x) in o.iter_mut().enumerate() {
            *x = y[i] - step * (g[i] - c[i]);
        }
    });
}

/// Group soft-threshold of the off-diagonal lag groups of `m` (`N × Np`) in place: the group
/// norms `‖(m_{i,j}, m_{i,N+j}, …)‖₂` (`N × N`), then every entry scaled by its group's factor.
fn group_prox(m: &mut Mat<f64>, n: usize, p: usize, tau: f64) {
    let mut norm = Mat::<f64>::zeros(n, n);
    for_cols_mut(norm.as_mut(), |j, out| {
        for k in 0..p {
            for (o, x) in out.iter_mut().zip(m.col_as_slice(k * n + j)) {
                *o += x * x;
            }
        }
    });
    for_cols_mut(m.as_mut(), |c, col| {
        let j = c % n;
        for (i, (x, &nr2)) in col.iter_mut().zip(norm.col_as_slice(j)).enumerate() {
            if i != j {
                let nr = nr2.sqrt();
                *x *= if nr > tau { 1.0 - tau / nr } else { 0.0 };
            }
        }
    });
}

/// `(‖new - old‖², ‖new‖², ⟨y - new, new - old⟩)` summed in column-task order.
fn step_sums(new: &Mat<f64>, old: &Mat<f64>, y: &Mat<f64>) -> [f64; 3] {
    let parts = fold_cols(
        new.as_ref(),
        || [0.0; 3],
        |a, c, nc| {
            let (oc, yc) = (old.col_as_slice(c), y.col_as_slice(c));
            for i in 0..nc.len() {
                let d = nc[i] - oc[i];
                a[0] += d * d;
                a[1] += nc[i] * nc[i];
                a[2] += (yc[i] - nc[i]) * d;
            }
        },
    );
    parts.iter().fold([0.0; 3], |s, a| [s[0] + a[0], s[1] + a[1], s[2] + a[2]])
}

/// The extrapolated point `y = new + beta (new - old)`.
fn extrapolate(y: &mut Mat<f64>, new: &Mat<f64>, old: &Mat<f64>, beta: f64) {
    for_cols_mut(y.as_mut(), |c, yc| {
        let (nc, oc) = (new.col_as_slice(c), old.col_as_slice(c));
        for i in 0..yc.len() {
            yc[i] = nc[i] + beta * (nc[i] - oc[i]);
        }
    });
}

/// `a + b`.
fn add(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), a.ncols());
    for_cols_mut(out.as_mut(), |c, o| {
        for (o, (x, y)) in o.iter_mut().zip(a.col_as_slice(c).iter().zip(b.col_as_slice(c))) {
            *o = x + y;
        }
    });
    out
}

fn objective(d: &VarDesign, s: &Mat<f64>, l: &Mat<f64>, sv: &[f64], lambda: f64, mu: f64, par: faer::Par) -> f64 {
    let (n, p) = (d.n, d.p);
    let b = add(s, l);
    let mut bg = Mat::<f64>::zeros(n, n * p);
    times_gamma(bg.as_mut(), b.as_ref(), d.gamma.as_ref(), par);
    let smooth = fold_cols(
        b.as_ref(),
        || 0.0,
        |f, c, bc| {
            let (gc, cc) = (bg.col_as_slice(c), d.cplus.col_as_slice(c));
            for i in 0..bc.len() {
                *f += 0.5 * gc[i] * bc[i] - bc[i] * cc[i];
            }
        },
    );
    let groups: f64 = (0..n)
        .flat_map(|j| (0..n).filter(move |&i| i != j).map(move |i| (i, j)))
        .map(|(i, j)| (0..p).map(|k| s[(i, k * n + j)].powi(2)).sum::<f64>().sqrt())
        .sum();
    let mut f = smooth.iter().sum::<f64>() + lambda * groups;
    if mu.is_finite() {
        f += mu * sv.iter().sum::<f64>();
    }
    f
}

/// Solves the sparse + low-rank program (module docs) for penalties `lambda >= 0` and
/// `mu > 0` (`mu = ∞` fixes `L = 0`), starting from `warm` when given. `lip` is
/// [`lipschitz`]`(Γ)`.
///
/// Not converging within `max_iter` is reported in the result (`converged = false`), not as
/// an error. Errors: `ERR_INVALID_INPUT` for bad penalties, `ERR_ABORTED`.
pub fn sparse_low_rank(
    d: &VarDesign,
    lambda: f64,
    mu: f64,
    lip: f64,
    warm: Option<&SlrFit>,
    o: &SlrOptions,
    exec: &Exec,
) -> Result<SlrFit> {
    if !(lambda >= 0.0) || !lambda.is_finite() {
        return Err(Error::invalid_input(format!("lambda must be finite and >= 0 (got {lambda})")));
    }
    if !(mu > 0.0) {
        return Err(Error::invalid_input(format!("mu must be > 0 (got {mu}); use infinity for no low-rank part")));
    }
    let (n, p) = (d.n, d.p);
    let np = n * p;
    let par = exec.par();
    let step = 1.0 / lip;
    let mut svt = Svt { rng: ChaCha8Rng::seed_from_u64(o.seed), basis: Mat::zeros(n, 0), full_below: o.full_svd_below };
    let (mut xs, mut xl) = match warm {
        Some(w) => (w.s.clone(), if mu.is_finite() { w.l.clone() } else { Mat::zeros(n, np) }),
        None => (Mat::<f64>::zeros(n, np), Mat::<f64>::zeros(n, np)),
    };
    if let Some(w) = warm {
        if mu.is_finite() {
            svt.basis = w.u.clone();
        }
    }
    let mut last = SvtOut { l: xl.clone(), sv: vec![], u: Mat::zeros(n, 0), v: Mat::zeros(np, 0) };
    if let Some(w) = warm.filter(|_| mu.is_finite()) {
        last = SvtOut { l: w.l.clone(), sv: w.singular_values.clone(), u: w.u.clone(), v: w.v.clone() };
    }
    let (mut ys, mut yl) = (xs.clone(), xl.clone());
    let (mut ns, mut nl) = (Mat::<f64>::zeros(n, np), Mat::<f64>::zeros(n, np));
    let mut t = 1.0f64;
    let mut g = Mat::<f64>::zeros(n, np);
    let mut iterations = 0;
    let mut converged = false;
    // Every elementwise step runs column-parallel (crate::linalg::cols), like the product.
    exec.install(|| -> Result<()> {
        for it in 0..o.max_iter {
            exec.check()?;
            iterations = it + 1;
            // g = BΓ (C₊ is subtracted in the gradient steps)
            if mu.is_finite() {
                let b = add(&ys, &yl);
                times_gamma(g.as_mut(), b.as_ref(), d.gamma.as_ref(), par);
            } else {
                times_gamma(g.as_mut(), ys.as_ref(), d.gamma.as_ref(), par);
            }
            gradient_step(&mut ns, &ys, &g, &d.cplus, step);
            group_prox(&mut ns, n, p, step * lambda);
            let mut sums = step_sums(&ns, &xs, &ys);
            if mu.is_finite() {
                gradient_step(&mut nl, &yl, &g, &d.cplus, step);
                last = svt.apply(nl.as_ref(), step * mu, par)?;
                nl.copy_from(&last.l);
                let sl = step_sums(&nl, &xl, &yl);
                sums = [sums[0] + sl[0], sums[1] + sl[1], sums[2] + sl[2]];
            }
            let (diff, norm, inner) = (sums[0].sqrt(), sums[1].sqrt(), sums[2]);
            // Gradient restart: <Y - X_new, X_new - X_old> > 0.
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let beta = if inner > 0.0 {
                t = 1.0;
                0.0
            } else {
                let b = (t - 1.0) / t_next;
                t = t_next;
                b
            };
            extrapolate(&mut ys, &ns, &xs, beta);
            std::mem::swap(&mut xs, &mut ns);
            if mu.is_finite() {
                extrapolate(&mut yl, &nl, &xl, beta);
                std::mem::swap(&mut xl, &mut nl);
            }
            if diff <= o.tol * norm || norm == 0.0 && diff == 0.0 {
                converged = true;
                break;
            }
        }
        Ok(())
    })?;
    let obj = exec.install(|| objective(d, &xs, &xl, &last.sv, lambda, mu, par));
    let rank = if mu.is_finite() { last.sv.len() } else { 0 };
    Ok(SlrFit {
        s: xs,
        l: xl,
        rank,
        singular_values: if mu.is_finite() { last.sv } else { vec![] },
        u: if mu.is_finite() { last.u } else { Mat::zeros(n, 0) },
        v: if mu.is_finite() { last.v } else { Mat::zeros(np, 0) },
        iterations,
        converged,
        objective: obj,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::yule_walker::{design, yule_walker};
    use rand::Rng;

    fn random_design(n: usize, p: usize, seed: u64) -> VarDesign {
        // Γ from a random well-conditioned covariance; C₊ arbitrary.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Mat::from_fn(3 * n * p, n * p, |_, _| rng.random::<f64>() - 0.5);
        let gamma = (x.transpose() * &x) * (1.0 / (3 * n * p) as f64) + Mat::<f64>::identity(n * p, n * p) * 0.2;
        let cplus = Mat::from_fn(n, n * p, |_, _| rng.random::<f64>() - 0.5);
        VarDesign { n, p, c0: Mat::identity(n, n), gamma, cplus }
    }

    #[test]
    fn no_penalty_is_yule_walker() {
        let d = random_design(6, 2, 1);
        let lip = lipschitz(&d.gamma, &Exec::sequential()).unwrap();
        let o = SlrOptions { tol: 1e-10, max_iter: 20_000, ..Default::default() };
        let fit = sparse_low_rank(&d, 0.0, f64::INFINITY, lip, None, &o, &Exec::sequential()).unwrap();
        assert!(fit.converged);
        let (b, _) = yule_walker(&d, 0.0, &Exec::sequential()).unwrap();
        for i in 0..6 {
            for j in 0..12 {
                assert!((fit.s[(i, j)] - b[(i, j)]).abs() < 1e-7);
            }
        }
    }

    #[test]
    fn kkt_conditions_hold() {
        let (n, p) = (8, 2);
        let d = random_design(n, p, 2);
        let lip = lipschitz(&d.gamma, &Exec::sequential()).unwrap();
        let lambda = 0.3;
        let o = SlrOptions { tol: 1e-11, max_iter: 50_000, ..Default::default() };
        // The first nuclear penalty giving a proper low-rank part (0 < rank < n).
        let (mu, fit) = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
            .iter()
            .map(|&mu| (mu, sparse_low_rank(&d, lambda, mu, lip, None, &o, &Exec::sequential()).unwrap()))
            .find(|(_, f)| f.rank >= 1 && f.rank < n)
            .expect("some penalty gives an intermediate rank");
        assert!(fit.converged);
        assert!(fit.rank >= 1 && fit.rank < n, "rank {}", fit.rank);
        let g = (&fit.s + &fit.l) * &d.gamma - &d.cplus;
        // Sparse part: zero groups have ‖G_g‖ <= λ, active groups G_g = -λ S_g/‖S_g‖,
        // diagonal groups have G_g = 0.
        for i in 0..n {
            for j in 0..n {
                let gn: f64 = (0..p).map(|k| g[(i, k * n + j)].powi(2)).sum::<f64>().sqrt();
                let sn: f64 = (0..p).map(|k| fit.s[(i, k * n + j)].powi(2)).sum::<f64>().sqrt();
                if i == j {
                    assert!(gn < 1e-6, "diag gradient {gn}");
                } else if sn == 0.0 {
                    assert!(gn <= lambda + 1e-6);
                } else {
                    for k in 0..p {
                        let want = -lambda * fit.s[(i, k * n + j)] / sn;
                        assert!((g[(i, k * n + j)] - want).abs() < 1e-6);
                    }
                }
            }
        }
        // Low-rank part: ‖G‖₂ <= μ and U^T G V = -μ I.
        let sv = g.singular_values().unwrap();
        assert!(sv[0] <= mu * (1.0 + 1e-6), "{} > {mu}", sv[0]);
        let utgv = fit.u.transpose() * &g * &fit.v;
        for a in 0..fit.rank {
            for b in 0..fit.rank {
                let want = if a == b { -mu } else { 0.0 };
                assert!((utgv[(a, b)] - want).abs() < 1e-5);
            }
        }
        // Objective is not larger than at neighbouring feasible points.
        let warm = sparse_low_rank(&d, lambda, mu, lip, Some(&fit), &o, &Exec::sequential()).unwrap();
        assert!(warm.iterations < 10 && (warm.objective - fit.objective).abs() < 1e-9);
    }

    #[test]
    fn randomized_svt_matches_full() {
        let (nr, nc) = (260, 300);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let u = Mat::from_fn(nr, 4, |_, _| rng.random::<f64>() - 0.5);
        let v = Mat::from_fn(nc, 4, |_, _| rng.random::<f64>() - 0.5);
        let m = &u * v.transpose() * 3.0 + Mat::from_fn(nr, nc, |_, _| 0.01 * (rng.random::<f64>() - 0.5));
        let tau = 0.5;
        let mut a = Svt { rng: ChaCha8Rng::seed_from_u64(1), basis: Mat::zeros(nr, 0), full_below: 10 };
        let mut b = Svt { rng: ChaCha8Rng::seed_from_u64(1), basis: Mat::zeros(nr, 0), full_below: 10_000 };
        let ra = a.apply(m.as_ref(), tau, faer::Par::Seq).unwrap();
        let rb = b.apply(m.as_ref(), tau, faer::Par::Seq).unwrap();
        assert_eq!(ra.sv.len(), 4);
        assert_eq!(rb.sv.len(), 4);
        assert!((&ra.l - &rb.l).norm_l2() < 1e-8 * rb.l.norm_l2());
        // Warm restart keeps the result.
        let rc = a.apply(m.as_ref(), tau, faer::Par::Seq).unwrap();
        assert!((&rc.l - &rb.l).norm_l2() < 1e-8 * rb.l.norm_l2());
        // The Gram-eigenpair path (high rank), against the thin SVD, with many triples kept.
        let noisy = &m + Mat::from_fn(nr, nc, |_, _| rng.random::<f64>() - 0.5);
        for tau in [0.5, 2.0, 4.0] {
            let g = b.gram(noisy.as_ref(), tau, faer::Par::rayon(2)).unwrap();
            let f = b.full(noisy.as_ref(), tau).unwrap();
            assert_eq!(g.sv.len(), f.sv.len());
            assert!(g.sv.len() > 10, "tau {tau}: rank {}", g.sv.len());
            assert!((&g.l - &f.l).norm_l2() < 1e-10 * f.l.norm_l2(), "tau {tau}");
            for (x, y) in g.sv.iter().zip(&f.sv) {
                assert!((x - y).abs() < 1e-10 * f.sv[0]);
            }
            // Left and right vectors reproduce L = U diag(sv) Vᵀ.
            assert!((reconstruct(&g.u, &g.sv, &g.v) - &f.l).norm_l2() < 1e-10 * f.l.norm_l2());
        }
    }

    #[test]
    fn recovers_planted_sparse_plus_low_rank() {
        // Γ = I: the program is robust PCA of C₊ = S* + L*; with small penalties the support of
        // S* and the rank of L* are recovered.
        let n = 30;
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut s = Mat::<f64>::zeros(n, n);
        for i in 0..n {
            s[(i, i)] = 0.5;
            for _ in 0..2 {
                let j = rng.random_range(0..n);
                if j != i {
                    s[(i, j)] = if rng.random::<bool>() { 0.6 } else { -0.6 };
                }
            }
        }
        let a = Mat::from_fn(n, 1, |_, _| 0.2 + 0.2 * rng.random::<f64>());
        let b = Mat::from_fn(n, 1, |_, _| 0.2 + 0.2 * rng.random::<f64>());
        let l = &a * b.transpose();
        let d = design(&[Mat::identity(n, n), &s + &l], 1).unwrap();
        let lip = lipschitz(&d.gamma, &Exec::sequential()).unwrap();
        let fit = sparse_low_rank(&d, 0.1, 0.4, lip, None, &SlrOptions::default(), &Exec::sequential()).unwrap();
        assert_eq!(fit.rank, 1);
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    assert_eq!(fit.s[(i, j)] != 0.0, s[(i, j)] != 0.0, "({i},{j})");
                }
            }
        }
        assert!(lambda_checks());
        fn lambda_checks() -> bool {
            let d = design(&[Mat::identity(2, 2), Mat::identity(2, 2)], 1).unwrap();
            sparse_low_rank(&d, -1.0, 1.0, 2.0, None, &SlrOptions::default(), &Exec::sequential()).is_err()
                && sparse_low_rank(&d, 0.1, 0.0, 2.0, None, &SlrOptions::default(), &Exec::sequential()).is_err()
        }
    }
}
