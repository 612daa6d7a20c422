//! Controllability Gramians, average and modal controllability, minimum-energy inputs.
//!
//! Continuous time, horizon `T`: `W(T) = ∫_0^T e^{At} B B^T e^{A^T t} dt`, computed exactly by
//! Van Loan's block exponential (Van Loan 1978, *IEEE TAC* 23:395): with
//! `M = [[-A, B B^T], [0, A^T]] T`, `e^M = [[·, F12], [0, F22]]` and `W(T) = F22^T F12` (no
//! stability needed; for a stable `A` with `||A|| T > 8` the exact identity
//! `W(T) = W_∞ - e^{AT} W_∞ e^{A^T T}` is used instead, as `e^{-AT}` would lose precision). Discrete time, horizon `K` steps: `W_K = Σ_{k<K} A^k B B^T A^{kT}`.
//! Infinite horizon (stable `A`): the Lyapunov solutions `A W + W A^T + B B^T = 0` and
//! `W = A W A^T + B B^T` ([`super::lyapunov`]).
//!
//! The minimum-energy input steering `x_0` to `x_f` in time `T` is
//! `u(t) = B^T e^{A^T (T-t)} W(T)^{-1} d` with `d = x_f - e^{AT} x_0`, of energy
//! `∫|u|^2 = d^T W(T)^{-1} d` (discrete: `u_k = B^T A^{T(K-1-k)} W_K^{-1} d`, `d = x_f - A^K x_0`).
//!
//! Average controllability of node `i` is the trace of the Gramian with input `B = e_i`
//! (Gu et al. 2015, *Nat. Commun.* 6:8414), i.e. the diagonal of the infinite-horizon
//! observability Gramian `X = A^T X A + I` (continuous: `A^T X + X A + I = 0`). Modal
//! controllability (Gu et al. 2015, discrete time, symmetric `A`) is
//! `φ_i = Σ_j (1 - λ_j^2) v_{ij}^2` over the eigenpairs `(λ_j, v_j)` of `A`.

use super::lyapunov::{lyap_continuous, lyap_discrete};
use super::{check, check_square, sym, Time};
use crate::dynamics::ou::expm;
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};

/// Options of [`gramian`] and [`min_energy`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GramianOptions {
    /// Default `Discrete`.
    pub time: Time,
    /// Horizon: seconds (continuous) or steps (discrete, a positive integer). Default `None`:
    /// infinite horizon (needs a stable `A`; not allowed for [`min_energy`]).
    pub horizon: Option<f64>,
}

impl Default for GramianOptions {
    fn default() -> Self {
        GramianOptions { time: Time::Discrete, horizon: None }
    }
}

fn steps(h: f64) -> Result<usize> {
    if !(h >= 1.0 && h.fract() == 0.0 && h <= 1e7) {
        return Err(Error::invalid_input(format!("horizon: a discrete horizon is a whole number of steps in 1..=1e7 (got {h})")));
    }
    Ok(h as usize)
}

/// The controllability Gramian of `(A, B)` (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched shapes, a non-positive horizon, or an infinite horizon
/// with an unstable `A`; `ERR_NOT_FINITE`; `ERR_NO_CONVERGENCE`; `ERR_ABORTED`.
pub fn gramian(a: MatRef<f64>, b: MatRef<f64>, opts: &GramianOptions, exec: &Exec) -> Result<Mat<f64>> {
    let n = check_square("A", a)?;
    check("B", b, Some(n), None)?;
    let bb = b * b.transpose();
    match (opts.time, opts.horizon) {
        (Time::Continuous, None) => lyap_continuous(a, bb.as_ref(), exec),
        (Time::Discrete, None) => lyap_discrete(a, bb.as_ref(), exec),
        (Time::Continuous, Some(t)) => {
            if !(t > 0.0 && t.is_finite()) {
                return Err(Error::invalid_input(format!("horizon must be positive and finite (got {t})")));
            }
            // Van Loan's exponential contains e^{-AT}, which loses precision when ||A|| T is
            // large; a stable A then uses W(T) = W_∞ - e^{AT} W_∞ e^{A^T T} instead.
            if a.norm_l2() * t > 8.0 && super::ensure_stable("A", a, Time::Continuous).is_ok() {
                let winf = lyap_continuous(a, bb.as_ref(), exec)?;
                let e = expm(&(a * faer::Scale(t)));
                return Ok(sym(&(&winf - &e * &winf * e.transpose())));
            }
            let m = Mat::from_fn(2 * n, 2 * n, |i, j| match (i < n, j < n) {
                (true, true) => -a[(i, j)] * t,
                (true, false) => bb[(i, j - n)] * t,
                (false, true) => 0.0,
                (false, false) => a[(j - n, i - n)] * t,
            });
            let e = expm(&m);
            let w = e.as_ref().submatrix(n, n, n, n).transpose() * e.as_ref().submatrix(0, n, n, n);
            Ok(sym(&w))
        }
        (Time::Discrete, Some(h)) => {
            let k = steps(h)?;
            let mut w = Mat::<f64>::zeros(n, n);
            let mut p = b.to_owned();
            for i in 0..k {
                if i % 64 == 0 {
                    exec.check()?;
                }
                w += &p * p.transpose();
                p = a * &p;
            }
            Ok(sym(&w))
        }
    }
}

/// A minimum-energy input and its cost.
#[derive(Debug, Clone)]
pub struct MinEnergy {
    /// `d^T W^{-1} d`.
    pub energy: f64,
    /// The input at `samples` times (rows; continuous: `t = T (s + 1/2)/samples`; discrete: the
    /// `K` steps), `m` columns.
    pub input: Mat<f64>,
    /// The Gramian used.
    pub gramian: Mat<f64>,
}

/// The minimum-energy input from `x0` to `xf` over a finite horizon (see the module docs);
/// `samples` sets the continuous-time sampling of the returned input (ignored in discrete time).
///
/// # Errors
/// As [`gramian`]; `ERR_INVALID_INPUT` when the horizon is infinite or the Gramian is singular
/// (the system is not controllable in that horizon).
pub fn min_energy(
    a: MatRef<f64>,
    b: MatRef<f64>,
    x0: &[f64],
    xf: &[f64],
    samples: usize,
    opts: &GramianOptions,
    exec: &Exec,
) -> Result<MinEnergy> {
    let n = check_square("A", a)?;
    let h = opts.horizon.ok_or_else(|| Error::invalid_input("horizon: a minimum-energy input needs a finite horizon"))?;
    for (name, v) in [("x0", x0), ("xf", xf)] {
        if v.len() != n {
            return Err(Error::invalid_input(format!("{name}: {} values for {n} states", v.len())));
        }
        crate::error::ensure_finite(name, v)?;
    }
    let w = gramian(a, b, opts, exec)?;
    let llt = w.llt(Side::Lower).map_err(|_| Error::invalid_input("gramian: singular: the system is not controllable in this horizon"))?;
    let col = |v: &[f64]| Mat::from_fn(n, 1, |i, _| v[i]);
    let m = b.ncols();
    match opts.time {
        Time::Continuous => {
            let d = col(xf) - expm(&(a * faer::Scale(h))) * col(x0);
            let lam = llt.solve(&d);
            let energy = (d.transpose() * &lam)[(0, 0)];
            let samples = samples.max(1);
            let mut input = Mat::<f64>::zeros(samples, m);
            for s in 0..samples {
                let t = h * (s as f64 + 0.5) / samples as f64;
                let u = b.transpose() * expm(&(a.transpose() * faer::Scale(h - t))) * &lam;
                (0..m).for_each(|j| input[(s, j)] = u[(j, 0)]);
            }
            Ok(MinEnergy { energy, input, gramian: w })
        }
        Time::Discrete => {
            let k = steps(h)?;
            let mut ak = Mat::<f64>::identity(n, n);
            for _ in 0..k {
                ak = a * &ak;
            }
            let d = col(xf) - &ak * col(x0);
            let lam = llt.solve(&d);
            let energy = (d.transpose() * &lam)[(0, 0)];
            let mut input = Mat::<f64>::zeros(k, m);
            // u_{K-1-j} = B^T (A^T)^j λ
            let mut v = lam.clone();
            for j in 0..k {
                let u = b.transpose() * &v;
                (0..m).for_each(|c| input[(k - 1 - j, c)] = u[(c, 0)]);
                v = a.transpose() * &v;
            }
            Ok(MinEnergy { energy, input, gramian: w })
        }
    }
}

/// Average controllability of every node (the trace of the infinite-horizon Gramian with input
/// at that node alone; see the module docs).
///
/// # Errors
/// As [`gramian`] with an infinite horizon.
pub fn average_controllability(a: MatRef<f64>, time: Time, exec: &Exec) -> Result<Vec<f64>> {
    let n = check_square("A", a)?;
    let i = Mat::<f64>::identity(n, n);
    let x = match time {
        Time::Continuous => lyap_continuous(a.transpose(), i.as_ref(), exec)?,
        Time::Discrete => lyap_discrete(a.transpose(), i.as_ref(), exec)?,
    };
    Ok((0..n).map(|k| x[(k, k)]).collect())
}

/// Modal controllability of every node of a symmetric discrete-time `A` (Gu et al. 2015).
///
/// # Errors
/// `ERR_INVALID_INPUT` when `A` is not symmetric; `ERR_NO_CONVERGENCE` when the eigen-solver fails.
pub fn modal_controllability(a: MatRef<f64>) -> Result<Vec<f64>> {
    let n = check_square("A", a)?;
    let scale = a.norm_l2();
    if (0..n).any(|i| (0..i).any(|j| (a[(i, j)] - a[(j, i)]).abs() > 1e-12 * scale)) {
        return Err(Error::invalid_input("A: modal controllability needs a symmetric A (Gu et al. 2015)"));
    }
    let evd = a.self_adjoint_eigen(Side::Lower).map_err(|e| Error::no_convergence(format!("eigen-solver failed: {e:?}")))?;
    let (s, u) = (evd.S().column_vector(), evd.U());
    Ok((0..n).map(|i| (0..n).map(|j| (1.0 - s[j] * s[j]) * u[(i, j)] * u[(i, j)]).sum()).collect())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{mat, max_abs_diff, random};
    use super::*;

    #[test]
    fn scalar_finite_horizon_gramian_and_min_energy() {
        let exec = Exec::sequential();
        let (a, b) = (mat(&[&[-1.0]]), mat(&[&[1.0]]));
        let opts = GramianOptions { time: Time::Continuous, horizon: Some(1.0) };
        let w = gramian(a.as_ref(), b.as_ref(), &opts, &exec).unwrap();
        let exact = (1.0 - (-2.0f64).exp()) / 2.0;
        assert!((w[(0, 0)] - exact).abs() < 1e-13 && (w[(0, 0)] - 0.4323).abs() < 1e-4);
        let me = min_energy(a.as_ref(), b.as_ref(), &[0.0], &[1.0], 2000, &opts, &exec).unwrap();
        assert!((me.energy - 1.0 / exact).abs() < 1e-12 && (me.energy - 2.313).abs() < 1e-3, "{}", me.energy);
        // the sampled input reaches x = 1 with that energy: x(T) = ∫ e^{-(T-t)} u dt, midpoint rule
        let (mut x, mut e) = (0.0, 0.0);
        for s in 0..2000 {
            let t = (s as f64 + 0.5) / 2000.0;
            x += (-(1.0 - t)).exp() * me.input[(s, 0)] / 2000.0;
            e += me.input[(s, 0)].powi(2) / 2000.0;
        }
        assert!((x - 1.0).abs() < 1e-6 && (e - me.energy).abs() < 1e-5, "{x} {e}");
    }

    #[test]
    fn infinite_horizon_trace_and_limits() {
        let exec = Exec::sequential();
        let a = Mat::<f64>::identity(3, 3) * faer::Scale(-1.0);
        let b = Mat::from_fn(3, 1, |i, _| if i == 0 { 1.0 } else { 0.0 });
        let w = gramian(a.as_ref(), b.as_ref(), &GramianOptions { time: Time::Continuous, horizon: None }, &exec).unwrap();
        let tr: f64 = (0..3).map(|i| w[(i, i)]).sum();
        assert!((tr - 0.5).abs() < 1e-14, "{tr}");
        // long finite horizons approach the infinite one, continuous and discrete
        let m = random(4, 4, 1.0, 3);
        let ac = &m - Mat::<f64>::identity(4, 4) * faer::Scale(m.norm_l2() + 0.5);
        let b = random(4, 2, 1.0, 4);
        let inf = gramian(ac.as_ref(), b.as_ref(), &GramianOptions { time: Time::Continuous, horizon: None }, &exec).unwrap();
        let fin = gramian(ac.as_ref(), b.as_ref(), &GramianOptions { time: Time::Continuous, horizon: Some(60.0) }, &exec).unwrap();
        assert!(max_abs_diff(&inf, &fin) < 1e-10 * inf.norm_l2());
        // a short horizon (Van Loan) against the identity W(T) = W_∞ - e^{AT} W_∞ e^{A^T T}
        let t = 0.5;
        let fin = gramian(ac.as_ref(), b.as_ref(), &GramianOptions { time: Time::Continuous, horizon: Some(t) }, &exec).unwrap();
        let e = expm(&(&ac * faer::Scale(t)));
        let id = &inf - &e * &inf * e.transpose();
        assert!(max_abs_diff(&id, &fin) < 1e-12 * inf.norm_l2(), "{}", max_abs_diff(&id, &fin));
        let ad = &m * faer::Scale(0.8 / m.norm_l2());
        let inf = gramian(ad.as_ref(), b.as_ref(), &GramianOptions::default(), &exec).unwrap();
        let fin = gramian(ad.as_ref(), b.as_ref(), &GramianOptions { time: Time::Discrete, horizon: Some(400.0) }, &exec).unwrap();
        assert!(max_abs_diff(&inf, &fin) < 1e-12 * inf.norm_l2());
    }

    #[test]
    fn discrete_min_energy_reaches_target() {
        let exec = Exec::sequential();
        let a = random(3, 3, 0.6, 9);
        let b = random(3, 1, 1.0, 10);
        let opts = GramianOptions { time: Time::Discrete, horizon: Some(6.0) };
        let (x0, xf) = ([1.0, -0.5, 0.2], [0.0, 1.0, 2.0]);
        let me = min_energy(a.as_ref(), b.as_ref(), &x0, &xf, 0, &opts, &exec).unwrap();
        let mut x = Mat::from_fn(3, 1, |i, _| x0[i]);
        let mut e = 0.0;
        for k in 0..6 {
            x = &a * &x + &b * faer::Scale(me.input[(k, 0)]);
            e += me.input[(k, 0)].powi(2);
        }
        assert!((0..3).all(|i| (x[(i, 0)] - xf[i]).abs() < 1e-9), "{x:?}");
        assert!((e - me.energy).abs() < 1e-9 * e);
        // an uncontrollable pair: B only reaches the first of two decoupled states
        let a = Mat::<f64>::identity(2, 2) * faer::Scale(0.5);
        let b = mat(&[&[1.0], &[0.0]]);
        let err = min_energy(a.as_ref(), b.as_ref(), &[0.0, 0.0], &[1.0, 1.0], 0, &opts, &exec).unwrap_err();
        assert!(err.message.contains("not controllable"), "{}", err.message);
        let err = min_energy(a.as_ref(), b.as_ref(), &[0.0], &[1.0, 1.0], 0, &opts, &exec).unwrap_err();
        assert!(err.message.starts_with("x0:"), "{}", err.message);
    }

    #[test]
    fn average_and_modal_controllability() {
        let exec = Exec::sequential();
        let m = random(4, 4, 1.0, 5);
        let s = sym(&m);
        let a = &s * faer::Scale(0.9 / s.norm_l2());
        let avg = average_controllability(a.as_ref(), Time::Discrete, &exec).unwrap();
        for i in 0..4 {
            let b = Mat::from_fn(4, 1, |r, _| if r == i { 1.0 } else { 0.0 });
            let w = gramian(a.as_ref(), b.as_ref(), &GramianOptions::default(), &exec).unwrap();
            let tr: f64 = (0..4).map(|k| w[(k, k)]).sum();
            assert!((avg[i] - tr).abs() < 1e-12 * tr);
        }
        // diagonal A: node i has the single mode λ_i, φ_i = 1 - λ_i^2
        let d = Mat::from_fn(3, 3, |i, j| if i == j { [0.1, 0.5, -0.9][i] } else { 0.0 });
        let phi = modal_controllability(d.as_ref()).unwrap();
        for (p, l) in phi.iter().zip([0.1f64, 0.5, -0.9]) {
            assert!((p - (1.0 - l * l)).abs() < 1e-14);
        }
        assert!(modal_controllability(random(3, 3, 1.0, 1).as_ref()).is_err());
    }
}
