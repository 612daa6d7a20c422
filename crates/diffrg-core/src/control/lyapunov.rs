//! Lyapunov equations.
//!
//! Continuous: `A X + X A^T + Q = 0` for stable `A` (every `Re λ < 0`), solved by the matrix
//! sign iteration of Roberts (1980, *Int. J. Control* 32:677): with `A_0 = A`, `Q_0 = Q`,
//!
//! `A_{k+1} = (c_k A_k + A_k^{-1}/c_k)/2`, `Q_{k+1} = (c_k Q_k + A_k^{-1} Q_k A_k^{-T}/c_k)/2`,
//!
//! `A_k → sign(A) = -I` quadratically and `X = Q_∞/2`; `c_k = sqrt(||A_k^{-1}|| / ||A_k||)` is
//! the norm scaling that shortens the first steps (Byers 1987). Discrete: `X = A X A^T + Q`
//! for `ρ(A) < 1`, by Smith's doubling `X_{k+1} = X_k + A_k X_k A_k^T`, `A_{k+1} = A_k^2`
//! (after `k` steps `X_k` holds the first `2^k` terms of `Σ A^j Q A^{jT}`).
//!
//! Both cost `O(n^3)` per step and converge in a few tens of steps; unlike the Kronecker solve
//! of [`crate::dynamics::ou::lyapunov`] (`O(n^6)`, limited to `n <= 60`) they serve the
//! 100-state controllers of this family.

use super::{check, check_square, ensure_stable, sym, Time};
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef};

const MAX_ITER: usize = 100;

/// Solves `A X + X A^T + Q = 0` (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched shapes or an unstable `A` (the message names the
/// eigenvalue); `ERR_NOT_FINITE` for non-finite entries; `ERR_NO_CONVERGENCE` when the sign
/// iteration does not settle in 100 steps; `ERR_ABORTED`.
///
/// # Complexity
/// `O(n^3)` per step, typically under 15 steps.
pub fn lyap_continuous(a: MatRef<f64>, q: MatRef<f64>, exec: &Exec) -> Result<Mat<f64>> {
    let n = check_square("A", a)?;
    check("Q", q, Some(n), Some(n))?;
    ensure_stable("A", a, Time::Continuous)?;
    let mut ak = a.to_owned();
    let mut qk = q.to_owned();
    for _ in 0..MAX_ITER {
        exec.check()?;
        let inv = ak.partial_piv_lu().inverse();
        let err = (&ak + Mat::<f64>::identity(n, n)).norm_l2() / (n as f64).sqrt();
        let c = if err > 1e-2 { (inv.norm_l2() / ak.norm_l2()).sqrt() } else { 1.0 };
        let next_q = (&qk * faer::Scale(c) + &inv * &qk * inv.transpose() * faer::Scale(1.0 / c)) * faer::Scale(0.5);
        let next_a = (&ak * faer::Scale(c) + &inv * faer::Scale(1.0 / c)) * faer::Scale(0.5);
        let step = (&next_a - &ak).norm_l2() / (n as f64).sqrt();
        ak = next_a;
        qk = next_q;
        if step < 1e-13 {
            return finite(sym(&qk) * faer::Scale(0.5));
        }
    }
    Err(Error::no_convergence("lyapunov (continuous): the sign iteration did not converge in 100 steps (A close to marginal stability?)"))
}

/// Solves `X = A X A^T + Q` (see the module docs).
///
/// # Errors
/// As [`lyap_continuous`], with stability meaning `ρ(A) < 1`.
pub fn lyap_discrete(a: MatRef<f64>, q: MatRef<f64>, exec: &Exec) -> Result<Mat<f64>> {
    let n = check_square("A", a)?;
    check("Q", q, Some(n), Some(n))?;
    ensure_stable("A", a, Time::Discrete)?;
    let mut ak = a.to_owned();
    let mut x = q.to_owned();
    for _ in 0..MAX_ITER {
        exec.check()?;
        let inc = &ak * &x * ak.transpose();
        x += &inc;
        ak = &ak * &ak;
        if inc.norm_l2() <= 1e-17 * x.norm_l2() || ak.norm_l2() == 0.0 {
            return finite(sym(&x));
        }
    }
    Err(Error::no_convergence("lyapunov (discrete): the doubling did not converge in 100 steps (spectral radius of A close to 1?)"))
}

fn finite(x: Mat<f64>) -> Result<Mat<f64>> {
    if (0..x.ncols()).all(|j| (0..x.nrows()).all(|i| x[(i, j)].is_finite())) {
        Ok(x)
    } else {
        Err(Error::no_convergence("lyapunov: the solution overflowed (A too close to instability)"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{max_abs_diff, random};
    use super::*;

    #[test]
    fn continuous_matches_kronecker_reference() {
        let exec = Exec::sequential();
        for (n, seed) in [(1, 1), (3, 2), (8, 3)] {
            // A = M - (||M|| + 1) I is stable
            let m = random(n, n, 1.0, seed);
            let a = &m - Mat::<f64>::identity(n, n) * faer::Scale(m.norm_l2() + 1.0);
            let g = random(n, n, 1.0, seed + 10);
            let q = &g * g.transpose();
            let x = lyap_continuous(a.as_ref(), q.as_ref(), &exec).unwrap();
            let r = &a * &x + &x * a.transpose() + &q;
            assert!(r.norm_l2() < 1e-11 * q.norm_l2(), "n {n}: residual {}", r.norm_l2());
            // the dynamics family's Kronecker solver: B S + S B^T = 2D with B = -A, D = Q/2
            let s = crate::dynamics::ou::lyapunov((-&a).as_ref(), (&q * faer::Scale(0.5)).as_ref()).unwrap();
            assert!(max_abs_diff(&x, &s) < 1e-10 * s.norm_l2(), "n {n}");
        }
    }

    #[test]
    fn discrete_matches_series() {
        let exec = Exec::sequential();
        let n = 5;
        let m = random(n, n, 1.0, 7);
        let a = &m * faer::Scale(0.9 / m.norm_l2());
        let q = Mat::<f64>::identity(n, n);
        let x = lyap_discrete(a.as_ref(), q.as_ref(), &exec).unwrap();
        let mut sum = Mat::<f64>::zeros(n, n);
        let mut p = Mat::<f64>::identity(n, n);
        for _ in 0..2000 {
            sum += &p * p.transpose();
            p = &a * &p;
        }
        assert!(max_abs_diff(&x, &sum) < 1e-11 * sum.norm_l2());
        let r = &a * &x * a.transpose() + &q - &x;
        assert!(r.norm_l2() < 1e-12 * x.norm_l2());
    }

    #[test]
    fn unstable_and_bad_shapes_are_typed_errors() {
        let exec = Exec::sequential();
        let i2 = Mat::<f64>::identity(2, 2);
        let e = lyap_continuous(i2.as_ref(), i2.as_ref(), &exec).unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::InvalidInput);
        assert!(e.message.contains("not stable"), "{}", e.message);
        let e = lyap_discrete(i2.as_ref(), i2.as_ref(), &exec).unwrap_err();
        assert!(e.message.contains("not stable"), "{}", e.message);
        let q3 = Mat::<f64>::identity(3, 3);
        let e = lyap_discrete((&i2 * faer::Scale(0.5)).as_ref(), q3.as_ref(), &exec).unwrap_err();
        assert!(e.message.starts_with("Q: shape 3 x 3"), "{}", e.message);
        let nan = Mat::from_fn(2, 2, |i, _| if i == 0 { f64::NAN } else { -1.0 });
        assert_eq!(lyap_continuous(nan.as_ref(), i2.as_ref(), &exec).unwrap_err().code, crate::error::ErrorCode::NotFinite);
    }
}
