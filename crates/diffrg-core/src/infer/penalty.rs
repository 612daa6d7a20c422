//! LGD's penalty selection (docs/lgd.md, step 3): the sparse + low-rank program on the training
//! segment over a grid of multipliers `(a, b)` of the noise-level scales `λ₀(T)`, `μ₀(T)`
//! (Agarwal, Negahban & Wainwright 2012), chosen by the held-out one-step Gaussian
//! log-likelihood (coordinate search: `a` with `b = ∞`, then `b`, then `a`'s neighbours), with
//! the one-standard-error rule (Hastie, Tibshirani & Friedman 2009, §7.10) against the best
//! purely sparse model.

use crate::error::Result;
use crate::exec::{Exec, StageTimer};
use crate::infer::api::{CvPoint, InferOptions};
use crate::infer::lowrank::{lipschitz, sparse_low_rank, SlrFit, SlrOptions};
use crate::infer::yule_walker::{gaussian_loglik, residual_diag, VarDesign};
use faer::Mat;

/// Noise-level penalty scales `(λ₀, μ₀)` for `T` bins.
pub fn penalty_scales(n: usize, p: usize, t: usize) -> (f64, f64) {
    let tf = t as f64;
    let groups = ((n * n).max(2)) as f64;
    let l0 = ((p as f64).sqrt() + (2.0 * groups.ln()).sqrt()) / tf.sqrt();
    let m0 = ((n as f64).sqrt() + ((n * p) as f64).sqrt()) / tf.sqrt();
    (l0, m0)
}

fn offdiag_nnz(s: &Mat<f64>, n: usize, p: usize) -> usize {
    let mut c = 0;
    for i in 0..n {
        for j in 0..n {
            if i != j && (0..p).any(|k| s[(i, k * n + j)] != 0.0) {
                c += 1;
            }
        }
    }
    c
}

struct Cv<'a> {
    train: &'a VarDesign,
    test: &'a VarDesign,
    lip: f64,
    l0: f64,
    m0: f64,
    points: Vec<CvPoint>,
    /// Progress: fits done of at most `planned` (the grids, two neighbours, the full refit).
    fits: usize,
    planned: usize,
}

impl Cv<'_> {
    fn eval(&mut self, a: f64, b: f64, warm: Option<&SlrFit>, o: &InferOptions, exec: &Exec) -> Result<(f64, SlrFit)> {
        // The penalty search only ranks candidates: a 10x looser tolerance is enough there.
        let solver = SlrOptions { tol: o.solver.tol * 10.0, ..o.solver.clone() };
        self.fits += 1;
        exec.progress.set_done(self.fits - 1, self.planned);
        if let Some(pt) = self.points.iter().find(|x| x.lambda_multiplier == a && x.mu_multiplier == b) {
            let ll = pt.loglik;
            let fit = sparse_low_rank(self.train, a * self.l0, b * self.m0, self.lip, warm, &solver, exec)?;
            return Ok((ll, fit));
        }
        let mu = if b.is_finite() { b * self.m0 } else { f64::INFINITY };
        let mut trace = StageTimer::new("lgd penalty search");
        let fit = sparse_low_rank(self.train, a * self.l0, mu, self.lip, warm, &solver, exec)?;
        trace.mark(format_args!("fit a = {a}, b = {b} ({} iterations, rank {})", fit.iterations, fit.rank));
        let bmat = &fit.s + &fit.l;
        let noise = residual_diag(self.train, bmat.as_ref(), exec);
        let resid = residual_diag(self.test, bmat.as_ref(), exec);
        let ll = gaussian_loglik(&resid, &noise);
        self.points.push(CvPoint {
            lambda_multiplier: a,
            mu_multiplier: b,
            loglik: ll,
            rank: fit.rank,
            edges: offdiag_nnz(&fit.s, self.train.n, self.train.p),
            iterations: fit.iterations,
        });
        Ok((ll, fit))
    }
}

/// Standard error of the held-out log-likelihood difference between couplings `b1` and `b2`
/// (paired: the same held-out bins). With `d_t = (b1 - b2) x_past`, `δ_i = Var(d_i)` (from
/// `Γ` of the held-out segment) and `r_i` the held-out residual variance of `b2`, the per-bin
/// difference of neuron `i`'s term `-(e_1² - e_2²)/(2σ_i²)` has variance
/// `≈ (4 r_i δ_i + 2 δ_i²)/(4σ_i⁴)` (Gaussian innovations independent of the past); summed
/// over neurons and divided by the `T` held-out bins.
pub(crate) fn paired_loglik_se(train: &VarDesign, test: &VarDesign, b1: &Mat<f64>, b2: &Mat<f64>, t: usize, exec: &Exec) -> f64 {
    let diff = b1 - b2;
    let par = exec.par();
    let mut dg = Mat::<f64>::zeros(test.n, test.n * test.p);
    exec.install(|| faer::linalg::matmul::matmul(dg.as_mut(), faer::Accum::Replace, diff.as_ref(), test.gamma.as_ref(), 1.0, par));
    let noise = residual_diag(train, b2.as_ref(), exec);
    let r = residual_diag(test, b2.as_ref(), exec);
    let mut var = 0.0;
    for i in 0..test.n {
        let delta: f64 = (0..test.n * test.p).map(|c| dg[(i, c)] * diff[(i, c)]).sum::<f64>().max(0.0);
        if noise[i] > 0.0 {
            var += (4.0 * r[i].max(0.0) * delta + 2.0 * delta * delta) / (4.0 * noise[i] * noise[i]);
        }
    }
    (var / t.max(1) as f64).sqrt()
}

/// The chosen multipliers, the fit at them (a warm start for the full-data refit), every grid
/// point evaluated, and the progress steps planned (the grids, two neighbours, the refit).
pub(crate) struct Selection {
    pub lambda_multiplier: f64,
    pub mu_multiplier: f64,
    pub fit: Option<SlrFit>,
    pub points: Vec<CvPoint>,
    pub planned: usize,
}

/// Selects the penalty multipliers on the training design `d_tr` (`train_bins` bins) by the
/// held-out log-likelihood on `d_te` (`test_bins` bins).
pub(crate) fn select_penalties(
    d_tr: &VarDesign,
    d_te: &VarDesign,
    train_bins: usize,
    test_bins: usize,
    o: &InferOptions,
    exec: &Exec,
) -> Result<Selection> {
    let (n, p) = (d_tr.n, d_tr.p);
    let (l0, m0) = penalty_scales(n, p, train_bins);
    let planned = o.lambda_grid.len() + o.mu_grid.len() + 3;
    let mut cv = Cv { train: d_tr, test: d_te, lip: lipschitz(&d_tr.gamma, exec)?, l0, m0, points: vec![], fits: 0, planned };
    let mut lgrid = o.lambda_grid.clone();
    lgrid.sort_by(|a, b| b.total_cmp(a)); // strongest penalty first (warm starts)
    let mut mgrid = o.mu_grid.clone();
    mgrid.sort_by(|a, b| b.total_cmp(a));

    let mut best = (f64::NEG_INFINITY, lgrid[0], f64::INFINITY);
    let mut warm: Option<SlrFit> = None;
    let mut best_fit: Option<SlrFit> = None;
    for &a in &lgrid {
        let (ll, fit) = cv.eval(a, f64::INFINITY, warm.as_ref(), o, exec)?;
        if ll > best.0 {
            best = (ll, a, f64::INFINITY);
            best_fit = Some(fit.clone());
        }
        warm = Some(fit);
    }
    let a_star = best.1;
    let sparse_only = (best, best_fit.clone());
    warm = best_fit.clone();
    for &b in &mgrid {
        let (ll, fit) = cv.eval(a_star, b, warm.as_ref(), o, exec)?;
        if ll > best.0 {
            best = (ll, a_star, b);
            best_fit = Some(fit.clone());
        }
        warm = Some(fit);
    }
    if best.2.is_finite() {
        let b_star = best.2;
        let pos = lgrid.iter().position(|&x| x == a_star).unwrap_or(0);
        let neighbours: Vec<f64> =
            [pos.checked_sub(1), Some(pos + 1)].into_iter().flatten().filter_map(|k| lgrid.get(k).copied()).collect();
        for a in neighbours {
            let (ll, fit) = cv.eval(a, b_star, best_fit.as_ref(), o, exec)?;
            if ll > best.0 {
                best = (ll, a, b_star);
                best_fit = Some(fit);
            }
        }
    }
    // One-standard-error rule (Hastie, Tibshirani & Friedman 2009, §7.10): keep the latent
    // part only if it beats the best purely sparse model by more than the paired standard
    // error of the held-out log-likelihood difference.
    if best.2.is_finite() {
        if let (Some(fl), Some(fs)) = (&best_fit, &sparse_only.1) {
            let se = paired_loglik_se(d_tr, d_te, &(&fl.s + &fl.l), &(&fs.s + &fs.l), test_bins, exec);
            if best.0 - sparse_only.0 .0 <= se {
                best = sparse_only.0;
                best_fit = sparse_only.1;
            }
        }
    }
    let (_, lambda_multiplier, mu_multiplier) = best;
    Ok(Selection { lambda_multiplier, mu_multiplier, fit: best_fit, points: cv.points, planned })
}
