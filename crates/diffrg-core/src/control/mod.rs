//! Control of coarse linear dynamics: the analysis and design half of coarse-to-fine control.
//!
//! The systems are `ẋ = A x + B u` (continuous time) or `x_{t+1} = A x_t + B u_t + c`
//! (discrete time, the form identified from binned rates by [`sysid`]). One method
//! per file; the shared checks live here.
//!
//! - [`lyapunov`]: continuous (matrix sign iteration) and discrete (Smith doubling) Lyapunov
//!   equations.
//! - [`sysid`]: ARX / DMD-with-control fit of `x_{t+1} = A x_t + B u_t + c` with held-out
//!   prediction.
//! - [`gramian`]: controllability Gramians (finite and infinite horizon), average and modal
//!   controllability, minimum-energy inputs.
//! - [`riccati`]: continuous (Hamiltonian sign function + Newton-Kleinman) and discrete
//!   (structure-preserving doubling) algebraic Riccati equations, LQR, LQR with integral action.
//! - [`kalman`]: the steady-state Kalman filter.
//! - [`mpc`]: model-predictive control with box constraints (condensed QP solved by
//!   accelerated projected gradient, FISTA).
//!
//! - [`tracking`]: set-point tracking on an identified model (Kalman + LQR/MPC with integral
//!   action) and its open-loop static inverse.
//! - [`closed_loop`]: the coarse-to-fine demonstration on the LIF network (identify, infer
//!   communities, fit, steer one assembly).
//!
//! Matrices are faer `Mat<f64>`, row = affected variable. See docs/control.md.

use crate::error::{Error, Result};
pub use faer::Mat;
use faer::MatRef;

pub mod closed_loop;
pub mod gramian;
pub mod kalman;
pub mod lyapunov;
pub mod mpc;
pub mod riccati;
pub mod sysid;
pub mod tracking;

pub use closed_loop::{closed_loop, simulate_custom, ClosedLoopOptions, ClosedLoopResult, CustomRun, Identification, LoopRun};
pub use gramian::{average_controllability, gramian, min_energy, modal_controllability, GramianOptions, MinEnergy};
pub use kalman::{kalman, KalmanFilter};
pub use lyapunov::{lyap_continuous, lyap_discrete};
pub use mpc::{box_qp, BoxQp, Mpc, MpcOptions, QpResult};
pub use riccati::{care, dare, lqi, lqr, Lqr, Riccati};
pub use sysid::{fit_arx, ArxFit, ArxOptions};
pub use tracking::{Policy, Tracker, TrackingOptions};

/// Continuous (`ẋ = A x + B u`) or discrete (`x_{t+1} = A x_t + B u_t`) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Time {
    Continuous,
    /// Default: identified coarse models are discrete.
    #[default]
    Discrete,
}

named_enum!(Time, "time" { Continuous => "continuous", Discrete => "discrete" });

/// A `rows x cols` matrix from row-major values (the layout matrices cross the binding in).
///
/// # Errors
/// `ERR_INVALID_INPUT` naming `name` when `data` does not hold `rows * cols` values.
pub fn from_row_major(name: &str, rows: usize, cols: usize, data: &[f64]) -> Result<Mat<f64>> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(Error::invalid_input(format!("{name}: {} values for a {rows} x {cols} matrix", data.len())));
    }
    Ok(Mat::from_fn(rows, cols, |i, j| data[i * cols + j]))
}

/// The row-major values of `m` (inverse of [`from_row_major`]).
pub fn to_row_major(m: MatRef<f64>) -> Vec<f64> {
    let (r, c) = (m.nrows(), m.ncols());
    (0..r * c).map(|k| m[(k / c, k % c)]).collect()
}

/// Checks that `m` is `rows x cols` (`None`: any) with finite entries; returns its shape.
pub(crate) fn check(name: &str, m: MatRef<f64>, rows: Option<usize>, cols: Option<usize>) -> Result<(usize, usize)> {
    let (r, c) = (m.nrows(), m.ncols());
    if rows.is_some_and(|x| x != r) || cols.is_some_and(|x| x != c) {
        return Err(Error::invalid_input(format!(
            "{name}: shape {r} x {c}, expected {} x {}",
            rows.map_or("any".into(), |x| x.to_string()),
            cols.map_or("any".into(), |x| x.to_string())
        )));
    }
    for j in 0..c {
        for i in 0..r {
            if !m[(i, j)].is_finite() {
                return Err(Error::not_finite(format!("{name}[{i}, {j}] is {} (finite values required)", m[(i, j)])));
            }
        }
    }
    Ok((r, c))
}

/// Checks that `a` is square, non-empty and finite; returns its size.
pub(crate) fn check_square(name: &str, a: MatRef<f64>) -> Result<usize> {
    let (n, _) = check(name, a, Some(a.ncols()), None)?;
    if n == 0 {
        return Err(Error::invalid_input(format!("{name}: empty matrix")));
    }
    Ok(n)
}

/// Symmetric part `(M + M^T)/2` (owned by the dynamics family).
pub(crate) use crate::dynamics::linear::sym;

/// Checks that `m` is symmetric positive (semi)definite: `strict` asks for a Cholesky factor,
/// otherwise the smallest eigenvalue may be down to `-1e-12 ||m||`.
pub(crate) fn check_psd(name: &str, m: &Mat<f64>, strict: bool) -> Result<()> {
    let n = m.nrows();
    let scale = m.norm_l2().max(f64::MIN_POSITIVE);
    for i in 0..n {
        for j in 0..i {
            if (m[(i, j)] - m[(j, i)]).abs() > 1e-10 * scale {
                return Err(Error::invalid_input(format!("{name} must be symmetric ({name}[{i}, {j}] != {name}[{j}, {i}])")));
            }
        }
    }
    if strict {
        sym(m).llt(faer::Side::Lower).map_err(|_| Error::invalid_input(format!("{name} must be positive definite")))?;
    } else {
        let ev = sym(m)
            .self_adjoint_eigenvalues(faer::Side::Lower)
            .map_err(|e| Error::no_convergence(format!("{name}: eigen-solver failed ({e:?})")))?;
        if ev.iter().any(|&l| l < -1e-12 * scale) {
            return Err(Error::invalid_input(format!("{name} must be positive semidefinite")));
        }
    }
    Ok(())
}

/// Eigenvalues of a general real matrix as `(re, im)`.
pub(crate) fn eigenvalues(a: MatRef<f64>) -> Result<Vec<(f64, f64)>> {
    let v = a.eigenvalues().map_err(|e| Error::no_convergence(format!("eigenvalues failed: {e:?}")))?;
    Ok(v.iter().map(|z| (z.re, z.im)).collect())
}

/// `Err(InvalidInput)` unless every eigenvalue of `a` is stable: real part `< 0`
/// (continuous) or modulus `< 1` (discrete). `what` names the matrix in the message.
pub(crate) fn ensure_stable(what: &str, a: MatRef<f64>, time: Time) -> Result<()> {
    for (re, im) in eigenvalues(a)? {
        let bad = match time {
            Time::Continuous => !(re < 0.0),
            Time::Discrete => !((re * re + im * im).sqrt() < 1.0),
        };
        if bad {
            let cond = if time == Time::Continuous { "a negative real part" } else { "modulus below 1" };
            return Err(Error::invalid_input(format!("{what} is not stable: eigenvalue {re:.6}{im:+.6}i (every eigenvalue needs {cond})")));
        }
    }
    Ok(())
}

/// Relative Frobenius norm `||r|| / max(||s||, tiny)`.
pub(crate) fn rel(r: &Mat<f64>, s: &Mat<f64>) -> f64 {
    r.norm_l2() / s.norm_l2().max(f64::MIN_POSITIVE)
}

#[cfg(test)]
pub(crate) mod testutil {
    use faer::Mat;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub use crate::dynamics::linear::tests::mat;

    /// A seeded matrix with entries uniform in `[-s, s]`.
    pub fn random(r: usize, c: usize, s: f64, seed: u64) -> Mat<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Mat::from_fn(r, c, |_, _| rng.random_range(-s..s))
    }

    pub fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
        let mut m = 0.0f64;
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                m = m.max((a[(i, j)] - b[(i, j)]).abs());
            }
        }
        m
    }
}
