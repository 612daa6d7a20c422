//! Effective linear dynamics: the VAR(1) fit and its exact Ornstein-Uhlenbeck form.
//!
//! From the moments of a trajectory ([`Moments`]: mean `μ`, `C(0)`, `C(1)`) the VAR(1) model
//! `x_{t+1} = A x_t + c + ε_t`, `ε_t ~ N(0, Q)` is the Yule-Walker fit
//!
//! `A = C(1) S^{-1}`, `c = μ - A μ`, `Q = S - A S A^T`, with `S = C(0)`.
//!
//! It is the exact discretisation at step `Δt` of the Ornstein-Uhlenbeck process
//! `dx = -B (x - μ) dt + sqrt(2D) dW` when `A = exp(-B Δt)`, so (Gardiner, *Stochastic Methods*,
//! §4.5.6) `B = -log(A)/Δt` (principal real logarithm; defined iff `A` has no eigenvalue on the
//! closed negative real axis), and the stationary covariance `S` solves both the discrete
//! relation `Q = S - A S A^T` (true by construction) and the Lyapunov equation
//! `B S + S B^T = 2D`, which gives the diffusion exactly: `D = (B S + S B^T)/2`. No Euler step
//! `B ≈ (I - A)/Δt`, `D ≈ Q/(2Δt)` is involved. The fitted drift is stable iff every eigenvalue
//! of `B` has a positive real part (`|λ(A)| < 1`): relaxation times `1/Re λ(B)`, oscillation
//! frequencies `Im λ(B)/2π`. The irreversible part of the drift (the probability current
//! `j(x) = -B_irr (x - μ) p(x)`) is `B_irr = B - D S^{-1}` (zero iff detailed balance holds).

use super::stats::Moments;
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::infer::yule_walker::continuous_generator;
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};

/// The fitted VAR(1) model.
#[derive(Debug, Clone)]
pub struct VarFit {
    pub a: Mat<f64>,
    pub c: Vec<f64>,
    pub q: Mat<f64>,
    /// Stationary covariance `S = C(0)` (symmetrised).
    pub s: Mat<f64>,
}

/// The fitted Ornstein-Uhlenbeck model (see the module docs).
#[derive(Debug, Clone)]
pub struct OuFit {
    /// Drift `B` (`dx = -B (x - μ) dt + ...`), row = affected variable.
    pub drift: Mat<f64>,
    pub diffusion: Mat<f64>,
    pub s: Mat<f64>,
    /// Eigenvalues of `B` as `(re, im)`, slowest relaxation first.
    pub eigenvalues: Vec<(f64, f64)>,
    /// `1/Re λ(B)` (s), slowest first.
    pub timescales: Vec<f64>,
    /// `Im λ(B)/2π` (Hz), same order.
    pub frequencies: Vec<f64>,
    /// `B - D S^{-1}`.
    pub irreversible_drift: Mat<f64>,
    /// Whether `D` is positive definite (needed by the `ou` estimator and by `spectral`).
    pub diffusion_positive: bool,
}

pub(crate) fn sym(m: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]))
}

/// Participation ratio `(Σ λ)^2 / Σ λ^2 = (tr S)^2 / tr(S^2)` of a covariance (0 for `S = 0`).
pub fn participation_ratio(s: MatRef<f64>) -> f64 {
    let n = s.nrows();
    let tr: f64 = (0..n).map(|i| s[(i, i)]).sum();
    let tr2: f64 = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| s[(i, j)] * s[(j, i)]).sum();
    if tr2 > 0.0 {
        tr * tr / tr2
    } else {
        0.0
    }
}

/// Checks that the moments can carry a linear fit: more frames than variables, no constant
/// variable, a positive-definite covariance. Returns the Cholesky factor of `S`.
pub(crate) fn check_covariance(m: &Moments, s: &Mat<f64>) -> Result<faer::linalg::solvers::Llt<f64>> {
    let n = m.n;
    if m.frames <= n {
        return Err(Error::invalid_input(format!(
            "dynamics: {} frames for {n} variables; a linear fit needs more frames than variables",
            m.frames
        )));
    }
    let scale = (0..n).map(|i| s[(i, i)].abs()).fold(0.0, f64::max);
    for i in 0..n {
        if !(s[(i, i)] > 1e-12 * scale) || scale == 0.0 {
            return Err(Error::invalid_input(format!(
                "dynamics: variable {i} is constant (variance {:e}); drop it or coarse-grain",
                s[(i, i)]
            )));
        }
    }
    s.llt(Side::Lower).map_err(|_| {
        Error::invalid_input("dynamics: the covariance of the variables is singular (linearly dependent variables); drop or merge them")
    })
}

/// The VAR(1) fit (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for fewer frames than variables, a constant variable or a singular
/// covariance.
pub fn fit_var(m: &Moments) -> Result<VarFit> {
    let s = sym(&m.c0);
    let llt = check_covariance(m, &s)?;
    // A = C1 S^{-1}  <=>  S A^T = C1^T
    let a = llt.solve(m.c1().transpose()).transpose().to_owned();
    let am = &a * Mat::from_fn(m.n, 1, |i, _| m.mean[i]);
    let c = (0..m.n).map(|i| m.mean[i] - am[(i, 0)]).collect();
    let q = sym(&(&s - &a * m.c1().transpose()));
    Ok(VarFit { a, c, q, s })
}

/// The exact OU form of a VAR(1) fit sampled every `dt` seconds.
///
/// # Errors
/// `ERR_INVALID_INPUT` when `log A` is not defined (an eigenvalue of `A` on the closed negative
/// real axis, or an ill-conditioned eigenbasis) or the drift is unstable (an eigenvalue of `B`
/// with non-positive real part); the message says which. `ERR_NO_CONVERGENCE` when the
/// eigen-solver fails.
pub fn fit_ou(v: &VarFit, dt: f64, exec: &Exec) -> Result<OuFit> {
    let n = v.a.nrows();
    let g = continuous_generator(v.a.as_ref(), dt, exec)?;
    let Some(gm) = g.matrix.filter(|_| g.defined) else {
        return Err(Error::invalid_input(format!("dynamics: the drift B = -log(A)/dt is not defined: {}", g.reason.unwrap_or_default())));
    };
    let drift = Mat::from_fn(n, n, |i, j| -gm[(i, j)]);
    let mut eig: Vec<(f64, f64)> = g
        .eigenvalues
        .iter()
        .map(|&(re, im)| {
            let (r, th) = ((re * re + im * im).sqrt(), im.atan2(re));
            (-r.ln() / dt, -th / dt)
        })
        .collect();
    if let Some(&(re, im)) = eig.iter().find(|e| !(e.0 > 0.0)) {
        return Err(Error::invalid_input(format!(
            "dynamics: the fitted drift is unstable (eigenvalue {re:.4e}{im:+.4e}i of B has a non-positive real part; |eig A| >= 1)"
        )));
    }
    eig.sort_by(|a, b| a.0.total_cmp(&b.0));
    let timescales = eig.iter().map(|e| 1.0 / e.0).collect();
    let frequencies = eig.iter().map(|e| e.1 / (2.0 * std::f64::consts::PI)).collect();
    let bs = &drift * &v.s;
    let diffusion = Mat::from_fn(n, n, |i, j| 0.5 * (bs[(i, j)] + bs[(j, i)]));
    let diffusion_positive = diffusion.llt(Side::Lower).is_ok();
    let sllt = v.s.llt(Side::Lower).map_err(|_| Error::invalid_input("dynamics: singular covariance"))?;
    // D S^{-1} = (S^{-1} D)^T
    let ds = sllt.solve(&diffusion).transpose().to_owned();
    let irreversible_drift = &drift - &ds;
    Ok(OuFit { drift, diffusion, s: v.s.clone(), eigenvalues: eig, timescales, frequencies, irreversible_drift, diffusion_positive })
}

/// Held-out prediction of the fitted VAR(1) against the no-coupling (diagonal) model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Frames ahead.
    pub horizon: usize,
    /// Pooled `1 - Σ_i RSS_i / Σ_i TSS_i` of the full model on the test frames.
    pub r2: f64,
    /// The same for independent AR(1) models per variable.
    pub r2_diagonal: f64,
    pub train_frames: usize,
    pub test_frames: usize,
}

/// `horizon`-step prediction `x̂_{t+k} = μ + A^k (x_t - μ)` with `A`, `μ` from `train`,
/// scored on `test` (the moments of the later frames; see docs/dynamics.md).
pub fn prediction(train: &Moments, test: &Moments, horizon: usize) -> Result<Prediction> {
    let n = train.n;
    let fit = fit_var(train)?;
    let k = train
        .lags
        .iter()
        .position(|&l| l == horizon)
        .ok_or_else(|| Error::invalid_input(format!("dynamics: no statistics at lag {horizon}")))?;
    let mut ak = Mat::<f64>::identity(n, n);
    for _ in 0..horizon {
        ak = &fit.a * &ak;
    }
    let diag = Mat::from_fn(n, n, |i, j| if i == j { (train.c1()[(i, i)] / train.c0[(i, i)]).powi(horizon as i32) } else { 0.0 });
    // Second moments of the test frames about the training mean: E[(x-μ)(x-μ)^T] = C0 + δ δ^T
    // with δ = mean_test - μ; the same for the lagged pairs.
    let delta: Vec<f64> = (0..n).map(|i| test.mean[i] - train.mean[i]).collect();
    let sxx = Mat::from_fn(n, n, |i, j| test.c0[(i, j)] + delta[i] * delta[j]);
    let syx = Mat::from_fn(n, n, |i, j| test.cl[k][(i, j)] + delta[i] * delta[j]);
    let rss = |a: &Mat<f64>| {
        let axx = a * &sxx;
        let ayx = a * syx.transpose();
        (0..n)
            .map(|i| {
                let mut v = sxx[(i, i)] - 2.0 * ayx[(i, i)];
                for j in 0..n {
                    v += axx[(i, j)] * a[(i, j)];
                }
                v
            })
            .sum::<f64>()
    };
    let tss: f64 = (0..n).map(|i| test.c0[(i, i)]).sum();
    if !(tss > 0.0) {
        return Err(Error::invalid_input("dynamics: the test frames are constant"));
    }
    Ok(Prediction {
        horizon,
        r2: 1.0 - rss(&ak) / tss,
        r2_diagonal: 1.0 - rss(&diag) / tss,
        train_frames: train.frames,
        test_frames: test.frames,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn mat(rows: &[&[f64]]) -> Mat<f64> {
        Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
    }

    /// Population moments of the OU process `(B, D)` sampled every `dt`.
    pub fn ou_moments(b: &Mat<f64>, d: &Mat<f64>, dt: f64) -> Moments {
        let n = b.nrows();
        let s = super::super::ou::lyapunov(b.as_ref(), d.as_ref()).unwrap();
        let a = super::super::ou::expm(&Mat::from_fn(n, n, |i, j| -b[(i, j)] * dt));
        Moments { n, dt, frames: 1_000_000, pairs: vec![999_999], lags: vec![1], mean: vec![0.0; n], cl: vec![&a * &s], c0: s }
    }
}
