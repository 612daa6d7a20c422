//! Algebraic Riccati equations and the linear-quadratic regulator.
//!
//! Continuous (CARE): `A^T X + X A - X B R^{-1} B^T X + Q = 0`, LQR gain `K = R^{-1} B^T X`,
//! `u = -K x` minimising `∫ x^T Q x + u^T R u`. Solved through the sign of the Hamiltonian
//! `H = [[A, -G], [-Q, -A^T]]`, `G = B R^{-1} B^T` (Roberts 1980; Byers 1987, *Linear Algebra
//! Appl.* 85:267): `Z = sign(H)` by the scaled Newton iteration `Z ← (c Z + Z^{-1}/c)/2`, then
//! `[Z12; Z22 + I] X = -[Z11 + I; Z21]` in least squares, polished by Newton-Kleinman steps
//! (Kleinman 1968) `(A - G X)^T X' + X' (A - G X) + Q + X G X = 0` while the residual falls.
//!
//! Discrete (DARE): `X = A^T X A - A^T X B (R + B^T X B)^{-1} B^T X A + Q`, gain
//! `K = (R + B^T X B)^{-1} B^T X A`, `u_t = -K x_t` minimising `Σ x^T Q x + u^T R u`. Solved by
//! the structure-preserving doubling algorithm (SDA; Chu, Fan & Lin 2005, *Linear Algebra Appl.*
//! 396:55): `A_0 = A`, `G_0 = G`, `H_0 = Q`, `W = I + G_k H_k`,
//! `A_{k+1} = A_k W^{-1} A_k`, `G_{k+1} = G_k + A_k W^{-1} G_k A_k^T`,
//! `H_{k+1} = H_k + A_k^T H_k W^{-1} A_k`; `H_k → X` quadratically.
//!
//! Integral action ([`lqi`]): the state is augmented with the running sum (integral) of the
//! tracking error `z_{t+1} = z_t + (r - C x_t)` (continuous: `ż = r - C x`), and the LQR of
//! the augmented pair `([[A, 0], [-C, I]], [B; 0])` (continuous: `[[A, 0], [-C, 0]]`) with
//! weights `blkdiag(Q, Q_i)` gives `u = -K_x x - K_z z`: zero steady-state error to constant
//! references and disturbances (Franklin, Powell & Workman, *Digital Control*, §8.5).
//!
//! Every result reports the relative residual `||Riccati(X)||_F / ||X||_F`, and the solution
//! must be stabilising: otherwise `(A, B)` is not stabilisable (or `(A, Q)` not detectable)
//! and the call fails with `ERR_INVALID_INPUT`.

use super::lyapunov::lyap_continuous;
use super::{check, check_psd, check_square, ensure_stable, rel, sym, Time};
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, MatRef};

const MAX_ITER: usize = 100;

/// A Riccati solution with its diagnostics.
#[derive(Debug, Clone)]
pub struct Riccati {
    /// The stabilising solution (symmetric).
    pub x: Mat<f64>,
    /// `||Riccati(X)||_F / ||X||_F`.
    pub residual: f64,
    /// Doubling (discrete) or sign (continuous) steps taken.
    pub iterations: usize,
}

/// A linear-quadratic regulator.
#[derive(Debug, Clone)]
pub struct Lqr {
    /// Gain `K` (`m x n`): `u = -K x`.
    pub k: Mat<f64>,
    /// The Riccati solution.
    pub x: Mat<f64>,
    /// Eigenvalues of `A - B K` as `(re, im)`.
    pub poles: Vec<(f64, f64)>,
    pub residual: f64,
    pub iterations: usize,
}

/// Checks shapes and definiteness; returns `(n, m, R^{-1} B^T)`.
fn prepare(a: MatRef<f64>, b: MatRef<f64>, q: MatRef<f64>, r: MatRef<f64>) -> Result<(usize, usize, Mat<f64>)> {
    let n = check_square("A", a)?;
    let (_, m) = check("B", b, Some(n), None)?;
    if m == 0 {
        return Err(Error::invalid_input("B: no inputs (0 columns)"));
    }
    check("Q", q, Some(n), Some(n))?;
    check("R", r, Some(m), Some(m))?;
    check_psd("Q", &q.to_owned(), false)?;
    check_psd("R", &r.to_owned(), true)?;
    let rinv_bt =
        sym(&r.to_owned()).llt(faer::Side::Lower).map_err(|_| Error::invalid_input("R must be positive definite"))?.solve(b.transpose());
    Ok((n, m, rinv_bt))
}

fn finite(name: &str, x: &Mat<f64>) -> Result<()> {
    if (0..x.ncols()).all(|j| (0..x.nrows()).all(|i| x[(i, j)].is_finite())) {
        Ok(())
    } else {
        Err(Error::invalid_input(format!("{name}: the iteration overflowed: the pair (A, B) is not stabilisable or (A, Q) not detectable")))
    }
}

fn care_residual(a: MatRef<f64>, g: &Mat<f64>, q: MatRef<f64>, x: &Mat<f64>) -> f64 {
    let r = a.transpose() * x + x * a - x * g * x + q;
    rel(&r, x)
}

fn dare_residual(a: MatRef<f64>, b: MatRef<f64>, q: MatRef<f64>, r: MatRef<f64>, x: &Mat<f64>) -> f64 {
    let xa = x * a;
    let bxa = b.transpose() * &xa;
    let s = r + b.transpose() * x * b;
    let sol = s.partial_piv_lu().solve(&bxa);
    let res = a.transpose() * &xa - x - bxa.transpose() * sol + q;
    rel(&res, x)
}

/// The stabilising solution of the continuous algebraic Riccati equation (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched shapes, `Q` not symmetric positive semidefinite, `R` not
/// positive definite, or no stabilising solution (`(A, B)` not stabilisable, `(A, Q)` not
/// detectable: Hamiltonian eigenvalues on the imaginary axis); `ERR_NOT_FINITE`;
/// `ERR_NO_CONVERGENCE`; `ERR_ABORTED`.
pub fn care(a: MatRef<f64>, b: MatRef<f64>, q: MatRef<f64>, r: MatRef<f64>, exec: &Exec) -> Result<Riccati> {
    let (n, _, rinv_bt) = prepare(a, b, q, r)?;
    let g = sym(&(b * &rinv_bt));
    let nn = 2 * n;
    let mut z = Mat::from_fn(nn, nn, |i, j| match (i < n, j < n) {
        (true, true) => a[(i, j)],
        (true, false) => -g[(i, j - n)],
        (false, true) => -q[(i - n, j)],
        (false, false) => -a[(j - n, i - n)],
    });
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITER {
        exec.check()?;
        iterations += 1;
        let inv = z.partial_piv_lu().inverse();
        finite("care", &inv)?;
        let c = (inv.norm_l2() / z.norm_l2()).sqrt();
        let c = if c.is_finite() && c > 0.0 { c } else { 1.0 };
        let next = (&z * faer::Scale(c) + &inv * faer::Scale(1.0 / c)) * faer::Scale(0.5);
        let step = (&next - &z).norm_l2() / next.norm_l2();
        z = next;
        if step < 1e-13 {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(Error::invalid_input(
            "care: the Hamiltonian has eigenvalues on or near the imaginary axis: no stabilising solution ((A, B) not stabilisable or (A, Q) not detectable)",
        ));
    }
    let mm = Mat::from_fn(nn, n, |i, j| if i < n { z[(i, j + n)] } else { z[(i, j + n)] + if i - n == j { 1.0 } else { 0.0 } });
    let rhs = Mat::from_fn(nn, n, |i, j| -(z[(i, j)] + if i == j { 1.0 } else { 0.0 }));
    let normal = mm.transpose() * &mm;
    let mut x = sym(&normal.partial_piv_lu().solve(mm.transpose() * &rhs));
    finite("care", &x)?;
    let mut residual = care_residual(a, &g, q, &x);
    // Newton-Kleinman polishing while it helps.
    for _ in 0..4 {
        if residual < 1e-14 {
            break;
        }
        let ac = a - &g * &x;
        let rhs = q + &x * &g * &x;
        let Ok(next) = lyap_continuous(ac.transpose(), rhs.as_ref(), exec) else { break };
        let r2 = care_residual(a, &g, q, &next);
        if !(r2 < residual) {
            break;
        }
        x = next;
        residual = r2;
    }
    ensure_stable("care: the closed loop A - B K", (a - &g * &x).as_ref(), Time::Continuous).map_err(|e| {
        Error::invalid_input(format!("{}: no stabilising solution ((A, B) not stabilisable or (A, Q) not detectable)", e.message))
    })?;
    Ok(Riccati { x, residual, iterations })
}

/// The stabilising solution of the discrete algebraic Riccati equation (see the module docs).
///
/// # Errors
/// As [`care`].
pub fn dare(a: MatRef<f64>, b: MatRef<f64>, q: MatRef<f64>, r: MatRef<f64>, exec: &Exec) -> Result<Riccati> {
    let (n, _, rinv_bt) = prepare(a, b, q, r)?;
    let mut ak = a.to_owned();
    let mut gk = sym(&(b * &rinv_bt));
    let mut hk = sym(&q.to_owned());
    let id = Mat::<f64>::identity(n, n);
    let mut iterations = 0;
    loop {
        exec.check()?;
        iterations += 1;
        let w = &id + &gk * &hk;
        let lu = w.partial_piv_lu();
        let wa = lu.solve(&ak);
        let wg = lu.solve(&gk);
        let next_h = sym(&(&hk + ak.transpose() * &hk * &wa));
        let next_g = sym(&(&gk + &ak * &wg * ak.transpose()));
        ak = &ak * &wa;
        finite("dare", &next_h)?;
        let step = (&next_h - &hk).norm_l2() / next_h.norm_l2().max(f64::MIN_POSITIVE);
        hk = next_h;
        gk = next_g;
        if step < 1e-15 || ak.norm_l2() < 1e-300 {
            break;
        }
        if iterations >= MAX_ITER {
            return Err(Error::no_convergence(
                "dare: the doubling did not converge in 100 steps (a closed-loop eigenvalue close to the unit circle?)",
            ));
        }
    }
    let x = hk;
    let residual = dare_residual(a, b, q, r, &x);
    let k = dlqr_gain(a, b, r, &x);
    ensure_stable("dare: the closed loop A - B K", (a - b * &k).as_ref(), Time::Discrete).map_err(|e| {
        Error::invalid_input(format!("{}: no stabilising solution ((A, B) not stabilisable or (A, Q) not detectable)", e.message))
    })?;
    Ok(Riccati { x, residual, iterations })
}

fn dlqr_gain(a: MatRef<f64>, b: MatRef<f64>, r: MatRef<f64>, x: &Mat<f64>) -> Mat<f64> {
    let s = r + b.transpose() * x * b;
    s.partial_piv_lu().solve(b.transpose() * x * a)
}

/// The LQR of `(A, B)` with weights `Q`, `R` in continuous or discrete time.
///
/// # Errors
/// As [`care`] / [`dare`].
pub fn lqr(a: MatRef<f64>, b: MatRef<f64>, q: MatRef<f64>, r: MatRef<f64>, time: Time, exec: &Exec) -> Result<Lqr> {
    let (ric, k) = match time {
        Time::Continuous => {
            let ric = care(a, b, q, r, exec)?;
            let k = sym(&r.to_owned())
                .llt(faer::Side::Lower)
                .map_err(|_| Error::invalid_input("R must be positive definite"))?
                .solve(b.transpose() * &ric.x);
            (ric, k)
        }
        Time::Discrete => {
            let ric = dare(a, b, q, r, exec)?;
            let k = dlqr_gain(a, b, r, &ric.x);
            (ric, k)
        }
    };
    let poles = super::eigenvalues((a - b * &k).as_ref())?;
    Ok(Lqr { k, x: ric.x, poles, residual: ric.residual, iterations: ric.iterations })
}

/// The integral-action augmented system of [`lqi`]: `([[A, 0], [-C, I]], [B; 0],
/// blkdiag(Q, Q_i))` (continuous time: `[[A, 0], [-C, 0]]`). Shapes are the caller's to check.
pub(crate) fn augment(
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: MatRef<f64>,
    q: MatRef<f64>,
    qi: MatRef<f64>,
    time: Time,
) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    let (n, p, m) = (a.nrows(), c.nrows(), b.ncols());
    let na = n + p;
    let one = if time == Time::Discrete { 1.0 } else { 0.0 };
    let aa = Mat::from_fn(na, na, |i, j| match (i < n, j < n) {
        (true, true) => a[(i, j)],
        (true, false) => 0.0,
        (false, true) => -c[(i - n, j)],
        (false, false) => {
            if i == j {
                one
            } else {
                0.0
            }
        }
    });
    let ba = Mat::from_fn(na, m, |i, j| if i < n { b[(i, j)] } else { 0.0 });
    let qa = Mat::from_fn(na, na, |i, j| match (i < n, j < n) {
        (true, true) => q[(i, j)],
        (false, false) => qi[(i - n, j - n)],
        _ => 0.0,
    });
    (aa, ba, qa)
}

/// LQR with integral action on the outputs `y = C x` (see the module docs): `K` is
/// `m x (n + p)`, its first `n` columns act on `x`, the last `p` on the error integral `z`.
///
/// # Errors
/// As [`lqr`], plus `ERR_INVALID_INPUT` when `C` or `Q_i` have the wrong shape.
#[allow(clippy::too_many_arguments)]
pub fn lqi(
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: MatRef<f64>,
    q: MatRef<f64>,
    qi: MatRef<f64>,
    r: MatRef<f64>,
    time: Time,
    exec: &Exec,
) -> Result<Lqr> {
    let n = check_square("A", a)?;
    let (p, _) = check("C", c, None, Some(n))?;
    check("Qi", qi, Some(p), Some(p))?;
    check("Q", q, Some(n), Some(n))?;
    check("B", b, Some(n), None)?;
    let (aa, ba, qa) = augment(a, b, c, q, qi, time);
    lqr(aa.as_ref(), ba.as_ref(), qa.as_ref(), r, time, exec)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{mat, max_abs_diff, random};
    use super::*;

    #[test]
    fn scalar_continuous_lqr() {
        let exec = Exec::sequential();
        let one = mat(&[&[1.0]]);
        let l = lqr(mat(&[&[-1.0]]).as_ref(), one.as_ref(), one.as_ref(), one.as_ref(), Time::Continuous, &exec).unwrap();
        let s2 = 2f64.sqrt();
        assert!((l.k[(0, 0)] - (s2 - 1.0)).abs() < 1e-14, "{:?}", l.k);
        assert!((l.poles[0].0 + s2).abs() < 1e-14 && l.poles[0].1 == 0.0);
        assert!(l.residual < 1e-14);
    }

    #[test]
    fn scalar_discrete_riccati_is_the_golden_ratio() {
        // a = b = q = r = 1: X^2 - X - 1 = 0
        let exec = Exec::sequential();
        let one = mat(&[&[1.0]]);
        let ric = dare(one.as_ref(), one.as_ref(), one.as_ref(), one.as_ref(), &exec).unwrap();
        assert!((ric.x[(0, 0)] - (1.0 + 5f64.sqrt()) / 2.0).abs() < 1e-14);
    }

    #[test]
    fn random_systems_solve_their_riccati_equations() {
        let exec = Exec::sequential();
        for (n, m, seed) in [(1, 1, 1u64), (4, 2, 2), (10, 3, 3), (30, 5, 4)] {
            let a = random(n, n, 1.5 / (n as f64).sqrt(), seed); // spectral radius around 1.5: unstable
            let b = random(n, m, 1.0, seed + 100);
            let g = random(n, n, 1.0, seed + 200);
            let q = &g * g.transpose() + Mat::<f64>::identity(n, n) * faer::Scale(0.1);
            let r = Mat::<f64>::identity(m, m) * faer::Scale(0.5);
            let d = dare(a.as_ref(), b.as_ref(), q.as_ref(), r.as_ref(), &exec).unwrap();
            assert!(d.residual < 1e-12, "dare n {n}: {}", d.residual);
            let c = care(a.as_ref(), b.as_ref(), q.as_ref(), r.as_ref(), &exec).unwrap();
            assert!(c.residual < 1e-10, "care n {n}: {}", c.residual);
            // the stabilising solution is positive semidefinite
            assert!(check_psd("X", &c.x, false).is_ok() && check_psd("X", &d.x, false).is_ok());
        }
    }

    /// python-control's `dlqr` on seeded random systems (fixtures/dlqr.txt, written by
    /// benches/peers/control_fixture.py): X and K agree to 1e-9 relative.
    #[test]
    fn dlqr_agrees_with_python_control() {
        let exec = Exec::sequential();
        let text = include_str!("fixtures/dlqr.txt");
        let mut systems = 0;
        let mut lines = text.lines().filter(|l| !l.starts_with('#')).peekable();
        while let Some(head) = lines.next() {
            let dims: Vec<usize> = head.split_whitespace().skip(1).map(|v| v.parse().unwrap()).collect();
            let (n, m) = (dims[0], dims[1]);
            let mut read = |name: &str, r: usize, c: usize| {
                let line = lines.next().unwrap();
                let mut it = line.split_whitespace();
                assert_eq!(it.next(), Some(name));
                let v: Vec<f64> = it.map(|x| x.parse().unwrap()).collect();
                assert_eq!(v.len(), r * c);
                Mat::from_fn(r, c, |i, j| v[i * c + j])
            };
            let (a, b, q, r, x, k) = (read("A", n, n), read("B", n, m), read("Q", n, n), read("R", m, m), read("X", n, n), read("K", m, n));
            let l = lqr(a.as_ref(), b.as_ref(), q.as_ref(), r.as_ref(), Time::Discrete, &exec).unwrap();
            assert!(max_abs_diff(&l.x, &x) < 1e-9 * x.norm_max().max(1.0), "n {n}: X differs by {}", max_abs_diff(&l.x, &x));
            assert!(max_abs_diff(&l.k, &k) < 1e-9 * k.norm_max().max(1.0), "n {n}: K differs by {}", max_abs_diff(&l.k, &k));
            assert!(l.residual < 1e-12, "n {n}: residual {}", l.residual);
            systems += 1;
        }
        assert_eq!(systems, 7);
    }

    #[test]
    fn unstabilisable_pairs_and_bad_weights_are_typed_errors() {
        let exec = Exec::sequential();
        // an unstable mode that B does not reach
        let a = mat(&[&[2.0, 0.0], &[0.0, 0.5]]);
        let b = mat(&[&[0.0], &[1.0]]);
        let q = Mat::<f64>::identity(2, 2);
        let r = mat(&[&[1.0]]);
        for time in [Time::Discrete, Time::Continuous] {
            let e = lqr(a.as_ref(), b.as_ref(), q.as_ref(), r.as_ref(), time, &exec).unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::InvalidInput, "{time:?}: {}", e.message);
            assert!(e.message.contains("stabilis"), "{time:?}: {}", e.message);
        }
        let e = dare(a.as_ref(), b.as_ref(), q.as_ref(), mat(&[&[0.0]]).as_ref(), &exec).unwrap_err();
        assert_eq!(e.message, "R must be positive definite");
        let e = dare(a.as_ref(), b.as_ref(), mat(&[&[1.0, 2.0], &[0.0, 1.0]]).as_ref(), r.as_ref(), &exec).unwrap_err();
        assert!(e.message.starts_with("Q must be symmetric"), "{}", e.message);
    }

    #[test]
    fn integral_action_removes_a_constant_disturbance() {
        let exec = Exec::sequential();
        let a = mat(&[&[0.9, 0.1], &[0.0, 0.8]]);
        let b = mat(&[&[0.0], &[1.0]]);
        let c = mat(&[&[1.0, 0.0]]);
        let l = lqi(
            a.as_ref(),
            b.as_ref(),
            c.as_ref(),
            Mat::<f64>::identity(2, 2).as_ref(),
            mat(&[&[0.1]]).as_ref(),
            mat(&[&[1.0]]).as_ref(),
            Time::Discrete,
            &exec,
        )
        .unwrap();
        assert_eq!((l.k.nrows(), l.k.ncols()), (1, 3));
        let (mut x, mut z) = ([0.0f64; 2], 0.0);
        let (rref, dist) = (1.0, 0.3);
        for _ in 0..2000 {
            let u = -(l.k[(0, 0)] * x[0] + l.k[(0, 1)] * x[1] + l.k[(0, 2)] * z);
            let y = x[0];
            x = [0.9 * x[0] + 0.1 * x[1], 0.8 * x[1] + u + dist];
            z += rref - y;
        }
        assert!((x[0] - rref).abs() < 1e-9, "{x:?}");
    }
}
