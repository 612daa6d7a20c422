//! Baselines exposed through the same API as LGD: Pearson correlation, partial correlation
//! and VAR(p)/Granger regression without latent correction. All use the one covariance pass
//! and the circular time-shift surrogates of `surrogates.rs` for p-values.
//!
//! - Correlation: `r_ij = C(0)_ij / sqrt(C(0)_ii C(0)_jj)`; surrogate `m` uses the circular
//!   covariance at lag `d_m` (entry `(i,j)` at relative shift `+d_m`, its transpose at
//!   `-d_m`: `2M` null values per pair). Undirected: both directions get the same value.
//! - Partial correlation: `ρ_ij = -P_ij / sqrt(P_ii P_jj)`, `P = (R + ρI)^{-1}` with `R` the
//!   correlation matrix; surrogate `m` inverts the correlation matrix whose off-diagonal part
//!   is the symmetrised circular correlation at shift `d_m` (independent neurons with the
//!   observed autocorrelations).
//! - VAR/Granger: ridge Yule-Walker `B = C₊ (Γ + ρI)^{-1}` on standardised activity; the edge
//!   statistic is the coupling summed over lags, `Σ_k B_k,ij`; surrogate `m` replaces the
//!   off-diagonal lagged cross-covariances by circular ones at lags `d_m + k`
//!   (`B^{(m)} = C₊^{(m)} (Γ + ρI)^{-1}`), which is row `i` of the regression after shifting
//!   target `i` by `d_m` relative to every source.
//!
//! The ranking score of every method is `|z|` of its surrogate-standardised statistic.

use crate::error::Result;
use crate::exec::Exec;
use crate::infer::api::{assemble, Diagnostics, InferOptions, InferredGraph, Method, RowStats};
use crate::infer::covariance::CovarianceSet;
use crate::infer::surrogates::surrogate_pvalues;
use crate::infer::yule_walker::{continuous_generator, design, scaled, standard_scale, RidgeSolver, VarDesign};
use faer::linalg::solvers::DenseSolveCore;
use faer::Mat;

/// Standardised VAR statistics shared by `var` and `lgd`.
pub(crate) struct VarStats {
    pub scale: Vec<f64>,
    pub design: VarDesign,
    /// `B = C₊ (Γ+ρI)^{-1}` (standardised, `N × Np`).
    pub b: Mat<f64>,
    /// Surrogate couplings `B^{(m)}`.
    pub surrogate_b: Vec<Mat<f64>>,
    /// Cholesky factor of `Γ + ρI` (reused for Wald variances).
    pub solver: RidgeSolver,
}

pub(crate) fn var_stats(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<VarStats> {
    let (n, p) = (set.n, o.max_lag);
    let scale = standard_scale(&set.full.cov[0]);
    let d = design(&scaled(&set.full.cov, &scale), p)?;
    let solver = RidgeSolver::new(&d.gamma, o.ridge, exec)?;
    let b = exec.install(|| solver.solve_right(d.cplus.as_ref()));
    let mut surrogate_b = Vec::with_capacity(set.shifts.len());
    for m in 0..set.shifts.len() {
        exec.check()?;
        let cp = Mat::from_fn(n, n * p, |i, c| {
            let (k, j) = (c / n, c % n);
            if i == j {
                d.cplus[(i, c)]
            } else {
                set.shifted[m][k][(i, j)] * scale[i] * scale[j]
            }
        });
        surrogate_b.push(exec.install(|| solver.solve_right(cp.as_ref())));
    }
    Ok(VarStats { scale, design: d, b, surrogate_b, solver })
}

/// `Σ_k X[:, kN..(k+1)N]`.
pub(crate) fn net(x: &Mat<f64>, n: usize, p: usize) -> Mat<f64> {
    Mat::from_fn(n, n, |i, j| (0..p).map(|k| x[(i, k * n + j)]).sum())
}

/// Strongest lag (1-based) per `(target, source)`, row-major `target * n + source`.
pub(crate) fn strongest_lag(x: &Mat<f64>, n: usize, p: usize) -> Vec<u32> {
    let mut out = vec![0u32; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut best = (0usize, -1.0f64);
            for k in 0..p {
                let v = x[(i, k * n + j)].abs();
                if v > best.1 {
                    best = (k, v);
                }
            }
            out[i * n + j] = best.0 as u32 + 1;
        }
    }
    out
}

/// Standardised coupling to original units: `B_ij σ_i / σ_j` (`σ = 1/scale`).
pub(crate) fn unscale(x: &Mat<f64>, scale: &[f64]) -> Mat<f64> {
    Mat::from_fn(x.nrows(), x.ncols(), |i, j| if scale[i] > 0.0 && scale[j] > 0.0 { x[(i, j)] * scale[j] / scale[i] } else { 0.0 })
}

/// Continuous-time generator of the lag-1 coupling `a` (standardised) in original units.
pub(crate) fn generator_of(
    a_std: &Mat<f64>,
    scale: &[f64],
    o: &InferOptions,
    exec: &Exec,
) -> Result<Option<crate::infer::yule_walker::Generator>> {
    if !o.generator {
        return Ok(None);
    }
    let n = scale.len();
    let a = unscale(&Mat::from_fn(n, n, |i, j| a_std[(i, j)]), scale);
    Ok(Some(continuous_generator(a.as_ref(), o.bin_seconds, exec)?))
}

/// VAR(p)/Granger baseline (module docs).
pub fn var(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    let (n, p) = (set.n, o.max_lag);
    let vs = var_stats(set, o, exec)?;
    let stat = net(&vs.b, n, p);
    let sur: Vec<Mat<f64>> = vs.surrogate_b.iter().map(|b| net(b, n, p)).collect();
    let (z, pv) = exec.install(|| surrogate_pvalues(&stat, &sur))?;
    let st = RowStats { weight: unscale(&stat, &vs.scale), z, p: pv, lag: strongest_lag(&vs.b, n, p), sparse: None, score: None };
    let mut g = assemble(Method::Var, st, Diagnostics { converged: true, ..Default::default() });
    g.generator = generator_of(&vs.b, &vs.scale, o, exec)?;
    Ok(g)
}

fn correlation_matrix(c: &Mat<f64>, scale: &[f64]) -> Mat<f64> {
    Mat::from_fn(c.nrows(), c.ncols(), |i, j| c[(i, j)] * scale[i] * scale[j])
}

/// Pearson correlation baseline (module docs).
pub fn correlation(set: &CovarianceSet, _o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    let scale = standard_scale(&set.full.cov[0]);
    let r = correlation_matrix(&set.full.cov[0], &scale);
    let mut sur = Vec::with_capacity(2 * set.shifts.len());
    for m in 0..set.shifts.len() {
        let s = correlation_matrix(&set.shifted[m][0], &scale);
        sur.push(s.transpose().to_owned());
        sur.push(s);
    }
    let (z, pv) = exec.install(|| surrogate_pvalues(&r, &sur))?;
    Ok(assemble(
        Method::Correlation,
        RowStats { weight: r, z, p: pv, lag: vec![], sparse: None, score: None },
        Diagnostics { converged: true, ..Default::default() },
    ))
}

fn partial_from(r: &Mat<f64>, ridge: f64, exec: &Exec) -> Mat<f64> {
    let n = r.nrows();
    let mut m = r.clone();
    for i in 0..n {
        m[(i, i)] = 1.0 + ridge;
    }
    let par = exec.par();
    let inv = exec.install(move || {
        faer::set_global_parallelism(par);
        m.partial_piv_lu().inverse()
    });
    Mat::from_fn(n, n, |i, j| if i == j { 1.0 } else { -inv[(i, j)] / (inv[(i, i)] * inv[(j, j)]).abs().sqrt() })
}

/// Partial-correlation baseline (module docs).
pub fn partial_correlation(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    let n = set.n;
    let scale = standard_scale(&set.full.cov[0]);
    let r = correlation_matrix(&set.full.cov[0], &scale);
    let stat = partial_from(&r, o.ridge, exec);
    let mut sur = Vec::with_capacity(set.shifts.len());
    for m in 0..set.shifts.len() {
        exec.check()?;
        let s = correlation_matrix(&set.shifted[m][0], &scale);
        let sym = Mat::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.5 * (s[(i, j)] + s[(j, i)]) });
        sur.push(partial_from(&sym, o.ridge, exec));
    }
    let (z, pv) = exec.install(|| surrogate_pvalues(&stat, &sur))?;
    Ok(assemble(
        Method::PartialCorrelation,
        RowStats { weight: stat, z, p: pv, lag: vec![], sparse: None, score: None },
        Diagnostics { converged: true, ..Default::default() },
    ))
}
