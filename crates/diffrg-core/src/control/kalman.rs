//! The steady-state Kalman filter.
//!
//! For `x_{t+1} = A x_t + B u_t + c + w_t`, `y_t = C x_t + v_t`, `w ~ N(0, W)`, `v ~ N(0, V)`,
//! the predicted error covariance converges to the stabilising solution `P` of the dual DARE
//! `P = A P A^T - A P C^T (C P C^T + V)^{-1} C P A^T + W` ([`super::dare`] on `(A^T, C^T)`).
//! The filter then runs with the constant gain `M = P C^T (C P C^T + V)^{-1}`:
//! predict `x⁻_t = A x̂_{t-1} + B u_{t-1} + c`, update `x̂_t = x⁻_t + M (y_t - C x⁻_t)`, with
//! filtered covariance `P_f = P - M C P` (Kalman 1960; Anderson & Moore, *Optimal Filtering*,
//! ch. 4). It is the exact Gaussian posterior mean whenever the prior covariance of the state is
//! `P` (tested against brute-force conditioning), and the asymptotic one otherwise.

use super::riccati::dare;
use super::{check, check_square, sym};
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};

/// A steady-state Kalman filter.
#[derive(Debug, Clone)]
pub struct KalmanFilter {
    pub a: Mat<f64>,
    pub b: Mat<f64>,
    pub c: Mat<f64>,
    /// Gain `M` (`n x p`).
    pub gain: Mat<f64>,
    /// Predicted (prior) error covariance `P`.
    pub p_pred: Mat<f64>,
    /// Filtered (posterior) error covariance `P - M C P`.
    pub p_filt: Mat<f64>,
    /// Relative residual of the Riccati solution.
    pub residual: f64,
}

/// The steady-state Kalman filter of `(A, B, C)` with process noise `W` and measurement noise
/// `V` (`B` may have 0 columns).
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched shapes, `W` not positive semidefinite, `V` not positive
/// definite, or `(A, C)` not detectable; otherwise as [`dare`].
pub fn kalman(a: MatRef<f64>, b: MatRef<f64>, c: MatRef<f64>, w: MatRef<f64>, v: MatRef<f64>, exec: &Exec) -> Result<KalmanFilter> {
    let n = check_square("A", a)?;
    check("B", b, Some(n), None)?;
    let (p, _) = check("C", c, None, Some(n))?;
    if p == 0 {
        return Err(Error::invalid_input("C: no measurements (0 rows)"));
    }
    let ric = dare(a.transpose(), c.transpose(), w, v, exec).map_err(|e| {
        Error::new(
            e.code,
            e.message.replace("(A, B) not stabilisable or (A, Q) not detectable", "(A, C) not detectable or (A, W) not stabilisable"),
        )
    })?;
    let pp = ric.x;
    let cp = c * &pp;
    let s = &cp * c.transpose() + v;
    // M = P C^T S^{-1}  <=>  S M^T = C P
    let gain = s.partial_piv_lu().solve(&cp).transpose().to_owned();
    let p_filt = sym(&(&pp - &gain * &cp));
    Ok(KalmanFilter { a: a.to_owned(), b: b.to_owned(), c: c.to_owned(), gain, p_pred: pp, p_filt, residual: ric.residual })
}

impl KalmanFilter {
    pub fn states(&self) -> usize {
        self.a.nrows()
    }

    /// `x⁻ = A x + B u + offset` (`offset` may be empty: zero).
    pub fn predict(&self, x: &[f64], u: &[f64], offset: &[f64]) -> Vec<f64> {
        let n = self.states();
        let m = self.b.ncols();
        (0..n)
            .map(|i| {
                let mut s = if offset.is_empty() { 0.0 } else { offset[i] };
                for j in 0..n {
                    s += self.a[(i, j)] * x[j];
                }
                for j in 0..m {
                    s += self.b[(i, j)] * u[j];
                }
                s
            })
            .collect()
    }

    /// `x̂ = x⁻ + M (y - C x⁻)`.
    pub fn update(&self, x_pred: &[f64], y: &[f64]) -> Vec<f64> {
        let (n, p) = (self.states(), self.c.nrows());
        let innov: Vec<f64> = (0..p).map(|k| y[k] - (0..n).map(|j| self.c[(k, j)] * x_pred[j]).sum::<f64>()).collect();
        (0..n).map(|i| x_pred[i] + (0..p).map(|k| self.gain[(i, k)] * innov[k]).sum::<f64>()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::mat;
    use super::*;
    use faer::linalg::solvers::DenseSolveCore;

    /// The filter started from the prior `x_0 ~ N(m0, P)` gives the exact posterior mean and
    /// covariance of `x_t` given `y_0..y_t`, computed here by conditioning the joint Gaussian of
    /// all states and observations.
    #[test]
    fn matches_the_exact_gaussian_posterior() {
        let exec = Exec::sequential();
        let a = mat(&[&[0.9, 0.2], &[-0.1, 0.7]]);
        let b = mat(&[&[0.5], &[1.0]]);
        let c = mat(&[&[1.0, 0.5]]);
        let w = mat(&[&[0.2, 0.05], &[0.05, 0.1]]);
        let v = mat(&[&[0.3]]);
        let kf = kalman(a.as_ref(), b.as_ref(), c.as_ref(), w.as_ref(), v.as_ref(), &exec).unwrap();
        let (n, steps) = (2, 6);
        let m0 = [1.0, -2.0];
        let u: Vec<f64> = (0..steps).map(|t| (t as f64 * 0.7).sin()).collect();
        let y: Vec<f64> = (0..steps).map(|t| 0.3 * t as f64 - 1.0 + (t as f64).cos()).collect();
        // joint moments of x_0..x_{T-1}: mean by the deterministic recursion, covariance
        // Cov(x_s, x_t) = Σ_s A^{(t-s)T} for s <= t with Σ_{t+1} = A Σ_t A^T + W, Σ_0 = P
        let mut mean = vec![m0.to_vec()];
        let mut sig = vec![kf.p_pred.clone()];
        for t in 1..steps {
            let prev = &mean[t - 1];
            mean.push((0..n).map(|i| (0..n).map(|j| a[(i, j)] * prev[j]).sum::<f64>() + b[(i, 0)] * u[t - 1]).collect());
            sig.push(&a * &sig[t - 1] * a.transpose() + &w);
        }
        let cross = |s: usize, t: usize| -> Mat<f64> {
            // Cov(x_s, x_t)
            let (lo, hi) = (s.min(t), s.max(t));
            let mut m = sig[lo].clone();
            for _ in lo..hi {
                m = &m * a.transpose();
            }
            if s <= t {
                m
            } else {
                m.transpose().to_owned()
            }
        };
        let last = steps - 1;
        // observations y_t = c x_t + v_t
        let syy = Mat::from_fn(steps, steps, |s, t| (&c * cross(s, t) * c.transpose())[(0, 0)] + if s == t { v[(0, 0)] } else { 0.0 });
        let sxy = Mat::from_fn(n, steps, |i, t| (cross(last, t) * c.transpose())[(i, 0)]);
        let ymean: Vec<f64> = (0..steps).map(|t| (0..n).map(|j| c[(0, j)] * mean[t][j]).sum()).collect();
        let resid = Mat::from_fn(steps, 1, |t, _| y[t] - ymean[t]);
        let inv = syy.partial_piv_lu().inverse();
        let post_mean = Mat::from_fn(n, 1, |i, _| mean[last][i]) + &sxy * &inv * &resid;
        let post_cov = &sig[last] - &sxy * &inv * sxy.transpose();
        // the filter
        let mut x = kf.update(&m0, &[y[0]]);
        for t in 1..steps {
            let xp = kf.predict(&x, &[u[t - 1]], &[]);
            x = kf.update(&xp, &[y[t]]);
        }
        for i in 0..n {
            assert!((x[i] - post_mean[(i, 0)]).abs() < 1e-11, "{x:?} vs {post_mean:?}");
            for j in 0..n {
                assert!((kf.p_filt[(i, j)] - post_cov[(i, j)]).abs() < 1e-11);
            }
        }
    }

    #[test]
    fn undetectable_pair_is_a_typed_error() {
        let exec = Exec::sequential();
        let a = mat(&[&[1.5, 0.0], &[0.0, 0.5]]);
        let c = mat(&[&[0.0, 1.0]]);
        let e = kalman(
            a.as_ref(),
            Mat::<f64>::zeros(2, 0).as_ref(),
            c.as_ref(),
            Mat::<f64>::identity(2, 2).as_ref(),
            mat(&[&[1.0]]).as_ref(),
            &exec,
        )
        .unwrap_err();
        assert!(e.message.contains("not detectable"), "{}", e.message);
    }
}
