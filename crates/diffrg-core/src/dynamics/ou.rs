//! The `ou` estimator: the entropy production rate of a fitted Ornstein-Uhlenbeck process in
//! closed form, plus the matrix helpers of the OU family (Lyapunov solve, matrix exponential).
//!
//! For `dx = -B x dt + sqrt(2D) dW` in its stationary state `N(0, S)`
//! (Godrèche & Luck, J. Phys. A 52, 035002 (2019); equivalently
//! `σ = Tr(D^{-1} B_irr S B_irr^T)` with `B_irr = B - D S^{-1}`):
//!
//! `σ = Tr(D^{-1} B S B^T) - Tr B` (nats/s),
//!
//! zero iff detailed balance holds (`B S = S B^T`). Requires `D` positive definite.

use super::linear::OuFit;
use crate::error::{ensure_fits, Error, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};

/// `σ = Tr(D^{-1} B S B^T) - Tr B` for drift `b`, diffusion `d`, stationary covariance `s`.
///
/// # Errors
/// `ERR_INVALID_INPUT` when `D` is not positive definite (singular diffusion).
pub fn ou_rate(b: MatRef<f64>, d: MatRef<f64>, s: MatRef<f64>) -> Result<f64> {
    let n = b.nrows();
    let llt = d
        .llt(Side::Lower)
        .map_err(|_| Error::invalid_input("dynamics: the diffusion D is singular or indefinite; the ou entropy production needs D > 0"))?;
    let bsb = b * s * b.transpose();
    let x = llt.solve(&bsb);
    Ok((0..n).map(|i| x[(i, i)] - b[(i, i)]).sum())
}

/// [`ou_rate`] of a fit.
pub fn ou_rate_of(f: &OuFit) -> Result<f64> {
    ou_rate(f.drift.as_ref(), f.diffusion.as_ref(), f.s.as_ref())
}

/// Stationary covariance `S` of a stable OU process: `B S + S B^T = 2D`, by the Kronecker
/// (vectorised) linear system (dense, `O(n^6)`: small `n`, references and tests).
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched shapes or a singular system (`B` with eigenvalues
/// `λ_i + λ_j = 0`); `ERR_TOO_LARGE` above `n = 60`.
pub fn lyapunov(b: MatRef<f64>, d: MatRef<f64>) -> Result<Mat<f64>> {
    let n = b.nrows();
    if b.ncols() != n || d.nrows() != n || d.ncols() != n {
        return Err(Error::invalid_input("lyapunov: B and D must be square and of the same size"));
    }
    ensure_fits("the Lyapunov system", (n * n) as u128 * (n * n) as u128, 8 * 60u128.pow(4), "use n <= 60")?;
    let nn = n * n;
    // vec(S) column-major: (I ⊗ B + B ⊗ I) vec S = vec(2D)
    let k = Mat::from_fn(nn, nn, |r, c| {
        let (i, j) = (r % n, r / n);
        let (p, q) = (c % n, c / n);
        (if q == j { b[(i, p)] } else { 0.0 }) + (if p == i { b[(j, q)] } else { 0.0 })
    });
    let rhs = Mat::from_fn(nn, 1, |r, _| 2.0 * d[(r % n, r / n)]);
    let lu = k.partial_piv_lu();
    let x = lu.solve(&rhs);
    if !(0..nn).all(|r| x[(r, 0)].is_finite()) {
        return Err(Error::invalid_input("lyapunov: singular system (B is not stable)"));
    }
    Ok(Mat::from_fn(n, n, |i, j| 0.5 * (x[(i + j * n, 0)] + x[(j + i * n, 0)])))
}

/// Matrix exponential by scaling and squaring of a degree-18 Taylor polynomial (accurate to
/// rounding for the moderate norms of `-B Δt`; tests and simulation).
pub fn expm(m: &Mat<f64>) -> Mat<f64> {
    let n = m.nrows();
    let norm = m.norm_l1().max(m.norm_l2());
    let s = if norm > 0.5 { (norm / 0.5).log2().ceil() as i32 } else { 0 };
    let scaled = m * faer::Scale(0.5f64.powi(s));
    let mut term = Mat::<f64>::identity(n, n);
    let mut sum = Mat::<f64>::identity(n, n);
    for k in 1..=18 {
        term = &term * &scaled * faer::Scale(1.0 / k as f64);
        sum += &term;
    }
    for _ in 0..s {
        sum = &sum * &sum;
    }
    sum
}

/// Inverse of a symmetric positive-definite matrix (None when it is not).
#[cfg(test)]
pub(crate) fn spd_inverse(m: MatRef<f64>) -> Option<Mat<f64>> {
    use faer::linalg::solvers::DenseSolveCore;
    m.llt(Side::Lower).ok().map(|l| l.inverse())
}

#[cfg(test)]
mod tests {
    use super::super::linear::tests::{mat, ou_moments};
    use super::super::linear::{fit_ou, fit_var};
    use super::*;
    use crate::exec::Exec;

    #[test]
    fn trap_with_rotation_closed_form() {
        // B = [[k,-e],[e,k]], D = d I: S = (d/k) I and σ = 2 e²/k.
        let (k, e, d) = (1.0, 0.3, 0.5);
        let b = mat(&[&[k, -e], &[e, k]]);
        let dm = mat(&[&[d, 0.0], &[0.0, d]]);
        let s = lyapunov(b.as_ref(), dm.as_ref()).unwrap();
        assert!((s[(0, 0)] - d / k).abs() < 1e-12 && s[(0, 1)].abs() < 1e-12);
        let sigma = ou_rate(b.as_ref(), dm.as_ref(), s.as_ref()).unwrap();
        assert!((sigma - 0.18).abs() < 1e-12, "{sigma}");
    }

    #[test]
    fn brownian_gyrator_closed_form() {
        // U = (u1 x1² + u2 x2²)/2 + c x1 x2, temperatures T1, T2, unit mobility:
        // B = [[u1, c], [c, u2]], D = diag(T1, T2); σ = c² (T1 - T2)² / (T1 T2 (u1 + u2)).
        for &(u1, u2, c, t1, t2) in &[(1.3, 0.7, 0.4, 1.0, 2.5), (2.0, 1.0, -0.5, 0.3, 0.9), (1.0, 1.0, 0.2, 1.0, 1.0)] {
            let b = mat(&[&[u1, c], &[c, u2]]);
            let d = mat(&[&[t1, 0.0], &[0.0, t2]]);
            let s = lyapunov(b.as_ref(), d.as_ref()).unwrap();
            let sigma = ou_rate(b.as_ref(), d.as_ref(), s.as_ref()).unwrap();
            let exact = c * c * (t1 - t2) * (t1 - t2) / (t1 * t2 * (u1 + u2));
            assert!((sigma - exact).abs() < 1e-12 * (1.0 + exact), "{sigma} vs {exact}");
        }
    }

    #[test]
    fn symmetric_drift_isotropic_noise_is_reversible() {
        let b = mat(&[&[2.0, 0.5, -0.3], &[0.5, 1.5, 0.2], &[-0.3, 0.2, 1.0]]);
        let d = Mat::<f64>::identity(3, 3) * faer::Scale(0.7);
        let s = lyapunov(b.as_ref(), d.as_ref()).unwrap();
        assert!(ou_rate(b.as_ref(), d.as_ref(), s.as_ref()).unwrap().abs() < 1e-12);
    }

    #[test]
    fn exact_discretisation_recovers_drift_and_diffusion() {
        // Population moments of the sampled process: the fit must return B and D exactly
        // (no Euler error) at a coarse step.
        let b = mat(&[&[1.0, -0.3], &[0.3, 1.0]]);
        let d = mat(&[&[0.5, 0.1], &[0.1, 0.4]]);
        for dt in [0.01, 0.5] {
            let m = ou_moments(&b, &d, dt);
            let f = fit_ou(&fit_var(&m).unwrap(), dt, &Exec::sequential()).unwrap();
            for i in 0..2 {
                for j in 0..2 {
                    assert!((f.drift[(i, j)] - b[(i, j)]).abs() < 1e-9, "dt {dt}");
                    assert!((f.diffusion[(i, j)] - d[(i, j)]).abs() < 1e-9, "dt {dt}");
                }
            }
            assert!((f.timescales[0] - 1.0).abs() < 1e-9);
            assert!((f.frequencies[0].abs() - 0.3 / (2.0 * std::f64::consts::PI)).abs() < 1e-9);
            // B_irr = B - D S^{-1} gives the same rate as the closed form.
            let sinv = spd_inverse(f.s.as_ref()).unwrap();
            let dinv = spd_inverse(f.diffusion.as_ref()).unwrap();
            let x = &dinv * &f.irreversible_drift * &f.s * f.irreversible_drift.transpose();
            let via_irr = x[(0, 0)] + x[(1, 1)];
            let sigma = ou_rate_of(&f).unwrap();
            assert!((via_irr - sigma).abs() < 1e-9, "{via_irr} vs {sigma}");
            let _ = sinv;
        }
    }

    #[test]
    fn unstable_or_undefined_drift_is_a_typed_error() {
        // A with a negative eigenvalue: no real logarithm.
        let m = super::super::stats::Moments {
            n: 1,
            dt: 1.0,
            frames: 100,
            pairs: vec![99],
            lags: vec![1],
            mean: vec![0.0],
            c0: mat(&[&[1.0]]),
            cl: vec![mat(&[&[-0.5]])],
        };
        let e = fit_ou(&fit_var(&m).unwrap(), 1.0, &Exec::sequential()).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidInput);
        assert!(e.message.contains("not defined"), "{}", e.message);
        // |A| > 1: unstable drift.
        let mut m2 = m.clone();
        m2.cl = vec![mat(&[&[1.2]])];
        let e = fit_ou(&fit_var(&m2).unwrap(), 1.0, &Exec::sequential()).unwrap_err();
        assert!(e.message.contains("unstable"), "{}", e.message);
        // Singular diffusion is a typed error of the estimator.
        let z = Mat::<f64>::zeros(2, 2);
        assert!(ou_rate(Mat::<f64>::identity(2, 2).as_ref(), z.as_ref(), Mat::<f64>::identity(2, 2).as_ref()).is_err());
    }
}
