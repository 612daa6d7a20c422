//! Model-predictive control with box constraints.
//!
//! Over a horizon of `N` steps of `x_{k+1} = A x_k + B u_k + d` (`d`: the identified offset
//! plus any disturbance estimate) the controller minimises
//!
//! `J = Σ_{k=1}^{N} (x_k - x_r)^T Q_k (x_k - x_r) + Σ_{k=0}^{N-1} (u_k - u_r)^T R (u_k - u_r)`,
//! `lo <= u_k <= hi`,
//!
//! with `Q_k = Q` and `Q_N = P` (terminal weight; with `P` the DARE solution, the unconstrained
//! first move equals the LQR `-K x`). Condensing the predictions `X = Φ x_0 + Γ U + Λ d` gives
//! the box-constrained QP `min ½ U^T H U + g^T U`, `H = 2 (Γ^T Q̄ Γ + R̄)`,
//! `g = 2 Γ^T Q̄ (Φ x_0 + Λ d - X_r) - 2 R̄ U_r`; `H`, `Γ^T Q̄ Φ`, `Γ^T Q̄ Λ` and `Γ^T Q̄ 1` are
//! built once, so a control step costs three `Nm x n` products plus the QP.
//!
//! The QP is solved by FISTA, accelerated projected gradient (Beck & Teboulle 2009, *SIAM J.
//! Imaging Sci.* 2:183) with step `1/L`, `L = λ_max(H)`, and gradient-based adaptive restart
//! (O'Donoghue & Candès 2015), warm-started from the previous solution shifted by one step.
//! It stops when the projected-gradient optimality measure `||U - Π(U - ∇f(U))||_∞` falls
//! below `tol` (a KKT condition of the box QP); the result says whether it did.

use super::{check, check_psd, check_square};
use crate::error::{Error, Result};
use faer::{Mat, MatRef, Side};

/// A dense box-constrained QP `min ½ x^T H x + g^T x`, `lo <= x <= hi`, `H` positive
/// semidefinite, with its Lipschitz constant precomputed.
#[derive(Debug, Clone)]
pub struct BoxQp {
    /// Row-major `n x n`.
    h: Vec<f64>,
    n: usize,
    lipschitz: f64,
}

/// A QP solution and its diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct QpResult {
    pub x: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// `||x - Π(x - ∇f(x))||_∞` at the returned point.
    pub kkt: f64,
}

impl BoxQp {
    /// # Errors
    /// `ERR_INVALID_INPUT` when `H` is not symmetric positive semidefinite; `ERR_NOT_FINITE`.
    pub fn new(h: MatRef<f64>) -> Result<Self> {
        let n = check_square("H", h)?;
        let hm = h.to_owned();
        check_psd("H", &hm, false)?;
        let ev = super::sym(&hm)
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| Error::no_convergence(format!("H: eigen-solver failed ({e:?})")))?;
        let lipschitz = ev.iter().cloned().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        let h = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| hm[(i, j)]).collect();
        Ok(BoxQp { h, n, lipschitz })
    }

    fn grad(&self, x: &[f64], g: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            let row = &self.h[i * self.n..(i + 1) * self.n];
            *o = g[i] + row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
        }
    }

    /// Solves the QP from `warm` (clipped into the box), at most `max_iter` iterations.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for lengths that differ from `n`, `lo > hi`, or non-finite `g`.
    pub fn solve(&self, g: &[f64], lo: &[f64], hi: &[f64], warm: &[f64], max_iter: usize, tol: f64) -> Result<QpResult> {
        let n = self.n;
        for (name, v) in [("g", g), ("lo", lo), ("hi", hi), ("warm", warm)] {
            if v.len() != n {
                return Err(Error::invalid_input(format!("qp: {name} has {} values for {n} variables", v.len())));
            }
        }
        crate::error::ensure_finite("g", g)?;
        if let Some(i) = (0..n).find(|&i| !(lo[i] <= hi[i])) {
            return Err(Error::invalid_input(format!("qp: lo[{i}] = {} is not <= hi[{i}] = {}", lo[i], hi[i])));
        }
        let clip = |v: f64, i: usize| v.max(lo[i]).min(hi[i]);
        let step = 1.0 / self.lipschitz;
        let mut x: Vec<f64> = (0..n).map(|i| clip(if warm[i].is_finite() { warm[i] } else { 0.0 }, i)).collect();
        let mut y = x.clone();
        let mut grad = vec![0.0; n];
        let mut t = 1.0f64;
        let mut iterations = 0;
        let kkt_of = |x: &[f64], grad: &mut [f64]| {
            self.grad(x, g, grad);
            (0..n).map(|i| (x[i] - clip(x[i] - grad[i], i)).abs()).fold(0.0, f64::max)
        };
        let mut kkt = kkt_of(&x, &mut grad);
        while kkt > tol && iterations < max_iter {
            iterations += 1;
            self.grad(&y, g, &mut grad);
            let next: Vec<f64> = (0..n).map(|i| clip(y[i] - step * grad[i], i)).collect();
            // adaptive restart when the momentum points uphill
            let uphill: f64 = (0..n).map(|i| (y[i] - next[i]) * (next[i] - x[i])).sum();
            let t_next = if uphill > 0.0 { 1.0 } else { 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt()) };
            let beta = if uphill > 0.0 { 0.0 } else { (t - 1.0) / t_next };
            for i in 0..n {
                y[i] = next[i] + beta * (next[i] - x[i]);
            }
            x = next;
            t = t_next;
            if iterations % 5 == 0 || iterations == max_iter {
                kkt = kkt_of(&x, &mut grad);
            }
        }
        Ok(QpResult { x, iterations, converged: kkt <= tol, kkt })
    }
}

/// Options of [`Mpc`].
#[derive(Debug, Clone, PartialEq)]
pub struct MpcOptions {
    /// Prediction horizon `N` in steps. Default 10.
    pub horizon: usize,
    /// QP iteration cap per control step. Default 500.
    pub max_iter: usize,
    /// QP tolerance on the projected-gradient measure. Default 1e-8.
    pub tol: f64,
}

impl Default for MpcOptions {
    fn default() -> Self {
        MpcOptions { horizon: 10, max_iter: 500, tol: 1e-8 }
    }
}

/// A condensed box-constrained MPC (see the module docs).
#[derive(Debug, Clone)]
pub struct Mpc {
    n: usize,
    m: usize,
    opts: MpcOptions,
    qp: BoxQp,
    /// `Γ^T Q̄ Φ`, `Γ^T Q̄ Λ`, `Γ^T Q̄ 1` (each `Nm x n`, row-major) and `R̄` diagonal blocks.
    f_x: Vec<f64>,
    f_d: Vec<f64>,
    f_r: Vec<f64>,
    r: Mat<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    warm: Vec<f64>,
}

impl Mpc {
    /// Builds the controller; `terminal` is `Q_N` (`None`: `Q`), `lo`/`hi` the per-input bounds.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for mismatched shapes, a zero horizon, non-symmetric or indefinite
    /// weights, `lo > hi`; `ERR_NOT_FINITE`; `ERR_TOO_LARGE` for a horizon whose condensed QP
    /// would not fit in 1 GiB.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        a: MatRef<f64>,
        b: MatRef<f64>,
        q: MatRef<f64>,
        r: MatRef<f64>,
        terminal: Option<MatRef<f64>>,
        lo: &[f64],
        hi: &[f64],
        opts: &MpcOptions,
    ) -> Result<Self> {
        let n = check_square("A", a)?;
        let (_, m) = check("B", b, Some(n), None)?;
        check("Q", q, Some(n), Some(n))?;
        check("R", r, Some(m), Some(m))?;
        check_psd("Q", &q.to_owned(), false)?;
        check_psd("R", &r.to_owned(), false)?;
        let qn = terminal.unwrap_or(q);
        check("terminal", qn, Some(n), Some(n))?;
        check_psd("terminal", &qn.to_owned(), false)?;
        let nh = opts.horizon;
        if nh == 0 {
            return Err(Error::invalid_input("horizon must be at least 1"));
        }
        if lo.len() != m || hi.len() != m {
            return Err(Error::invalid_input(format!("lo/hi: {} and {} bounds for {m} inputs", lo.len(), hi.len())));
        }
        if let Some(i) = (0..m).find(|&i| !(lo[i] <= hi[i]) || lo[i].is_nan()) {
            return Err(Error::invalid_input(format!("lo[{i}] = {} is not <= hi[{i}] = {}", lo[i], hi[i])));
        }
        crate::error::ensure_fits(
            "the condensed MPC prediction matrix",
            (nh * n) as u128 * (nh * m) as u128 * 3,
            1 << 30,
            "shorten the horizon",
        )?;
        // powers A^0..A^N and the prefix sums Σ_{j<k} A^j
        let mut pow = vec![Mat::<f64>::identity(n, n)];
        for k in 1..=nh {
            pow.push(a * &pow[k - 1]);
        }
        let mut lam = vec![Mat::<f64>::zeros(n, n)];
        for k in 1..=nh {
            lam.push(&lam[k - 1] + &pow[k - 1]);
        }
        let ab: Vec<Mat<f64>> = pow.iter().map(|p| p * b).collect();
        // Γ^T Q̄ row block j (input step j) = Σ_{k>j} (A^{k-1-j} B)^T Q_k placed at state step k
        let (nm, nn) = (nh * m, nh * n);
        let gamma = Mat::from_fn(nn, nm, |r, c| {
            let (k, i) = (r / n + 1, r % n);
            let (j, l) = (c / m, c % m);
            if j < k {
                ab[k - 1 - j][(i, l)]
            } else {
                0.0
            }
        });
        let qbar = |k: usize| if k == nh { qn } else { q };
        let gtq = Mat::from_fn(nm, nn, |r, c| {
            let k = c / n + 1;
            let (i, qq) = (c % n, qbar(k));
            (0..n).map(|s| gamma[(k * n - n + s, r)] * qq[(s, i)]).sum::<f64>()
        });
        let phi = Mat::from_fn(nn, n, |r, c| pow[r / n + 1][(r % n, c)]);
        let lmb = Mat::from_fn(nn, n, |r, c| lam[r / n + 1][(r % n, c)]);
        let ones = Mat::from_fn(nn, n, |r, c| if r % n == c { 1.0 } else { 0.0 });
        let mut h = &gtq * &gamma * faer::Scale(2.0);
        for j in 0..nh {
            for a1 in 0..m {
                for a2 in 0..m {
                    h[(j * m + a1, j * m + a2)] += 2.0 * r[(a1, a2)];
                }
            }
        }
        let qp = BoxQp::new(super::sym(&h).as_ref())?;
        let flat =
            |x: Mat<f64>| (0..x.nrows()).flat_map(|i| (0..x.ncols()).map(move |j| (i, j))).map(|(i, j)| x[(i, j)]).collect::<Vec<f64>>();
        let f_x = flat(&gtq * &phi * faer::Scale(2.0));
        let f_d = flat(&gtq * &lmb * faer::Scale(2.0));
        let f_r = flat(&gtq * &ones * faer::Scale(2.0));
        let lo: Vec<f64> = (0..nm).map(|i| lo[i % m]).collect();
        let hi: Vec<f64> = (0..nm).map(|i| hi[i % m]).collect();
        let warm = (0..nm).map(|i| lo[i].max(0.0).min(hi[i])).collect();
        Ok(Mpc { n, m, opts: opts.clone(), qp, f_x, f_d, f_r, r: r.to_owned(), lo, hi, warm })
    }

    /// One control step from state `x0` towards `x_ref` (inputs near `u_ref`) with offset `d`.
    /// Returns the QP solution; its first `m` values are the input to apply now.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for wrong lengths; `ERR_NOT_FINITE` for non-finite values.
    pub fn step(&mut self, x0: &[f64], x_ref: &[f64], u_ref: &[f64], d: &[f64]) -> Result<QpResult> {
        let (n, m) = (self.n, self.m);
        for (name, v, len) in [("x0", x0, n), ("xRef", x_ref, n), ("uRef", u_ref, m), ("offset", d, n)] {
            if v.len() != len {
                return Err(Error::invalid_input(format!("mpc: {name} has {} values, expected {len}", v.len())));
            }
            crate::error::ensure_finite(name, v)?;
        }
        let nm = self.opts.horizon * m;
        let ru: Vec<f64> = (0..m).map(|i| (0..m).map(|j| self.r[(i, j)] * u_ref[j]).sum::<f64>()).collect();
        let g: Vec<f64> = (0..nm)
            .map(|r| {
                let row = r * n..(r + 1) * n;
                let dot = |f: &[f64], v: &[f64]| f[row.clone()].iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
                dot(&self.f_x, x0) + dot(&self.f_d, d) - dot(&self.f_r, x_ref) - 2.0 * ru[r % m]
            })
            .collect();
        let res = self.qp.solve(&g, &self.lo, &self.hi, &self.warm, self.opts.max_iter, self.opts.tol)?;
        // shift the plan by one step for the next warm start
        self.warm = (0..nm).map(|i| if i + m < nm { res.x[i + m] } else { res.x[i] }).collect();
        Ok(res)
    }

    pub fn inputs(&self) -> usize {
        self.m
    }
}

/// Solves one box QP (see [`BoxQp`]).
///
/// # Errors
/// As [`BoxQp::new`] and [`BoxQp::solve`].
pub fn box_qp(h: MatRef<f64>, g: &[f64], lo: &[f64], hi: &[f64], max_iter: usize, tol: f64) -> Result<QpResult> {
    let qp = BoxQp::new(h)?;
    qp.solve(g, lo, hi, &vec![0.0; lo.len()], max_iter, tol)
}

#[cfg(test)]
mod tests {
    use super::super::riccati::lqr;
    use super::super::testutil::{mat, random};
    use super::super::Time;
    use super::*;
    use crate::exec::Exec;

    /// Brute force over the 3^n active sets (lower, free, upper) of a small box QP.
    fn brute(h: &Mat<f64>, g: &[f64], lo: &[f64], hi: &[f64]) -> (Vec<f64>, f64) {
        use faer::linalg::solvers::Solve;
        let n = g.len();
        let f = |x: &[f64]| (0..n).map(|i| g[i] * x[i] + 0.5 * (0..n).map(|j| x[i] * h[(i, j)] * x[j]).sum::<f64>()).sum::<f64>();
        let mut best = (vec![], f64::INFINITY);
        for code in 0..3usize.pow(n as u32) {
            let state: Vec<usize> = (0..n).map(|i| code / 3usize.pow(i as u32) % 3).collect();
            let free: Vec<usize> = (0..n).filter(|&i| state[i] == 1).collect();
            let mut x: Vec<f64> = (0..n).map(|i| [lo[i], 0.0, hi[i]][state[i]]).collect();
            if !free.is_empty() {
                let hf = Mat::from_fn(free.len(), free.len(), |a, b| h[(free[a], free[b])]);
                let rhs = Mat::from_fn(free.len(), 1, |a, _| {
                    -g[free[a]] - (0..n).filter(|j| state[*j] != 1).map(|j| h[(free[a], j)] * x[j]).sum::<f64>()
                });
                let sol = hf.partial_piv_lu().solve(&rhs);
                for (a, &i) in free.iter().enumerate() {
                    x[i] = sol[(a, 0)];
                }
            }
            if (0..n).all(|i| x[i] >= lo[i] - 1e-12 && x[i] <= hi[i] + 1e-12) && f(&x) < best.1 {
                best = (x.clone(), f(&x));
            }
        }
        best
    }

    #[test]
    fn box_qp_matches_active_set_enumeration() {
        for seed in 0..5u64 {
            let n = 4;
            let m = random(n, n, 1.0, seed);
            let h = &m * m.transpose() + Mat::<f64>::identity(n, n) * faer::Scale(0.1);
            let g: Vec<f64> = random(n, 1, 2.0, seed + 50).col(0).iter().cloned().collect();
            let (lo, hi) = (vec![-0.3; n], vec![0.5; n]);
            let res = box_qp(h.as_ref(), &g, &lo, &hi, 20000, 1e-12).unwrap();
            assert!(res.converged, "seed {seed}: {res:?}");
            let (x, _) = brute(&h, &g, &lo, &hi);
            for i in 0..n {
                assert!((res.x[i] - x[i]).abs() < 1e-9, "seed {seed}: {:?} vs {x:?}", res.x);
            }
        }
        let h = Mat::<f64>::identity(2, 2);
        assert!(box_qp(h.as_ref(), &[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0], 10, 1e-9).unwrap_err().message.contains("lo[0]"));
    }

    #[test]
    fn unconstrained_mpc_with_riccati_terminal_is_lqr() {
        let exec = Exec::sequential();
        let (n, m) = (4, 2);
        let a = random(n, n, 0.7, 11);
        let b = random(n, m, 1.0, 12);
        let q = Mat::<f64>::identity(n, n);
        let r = Mat::<f64>::identity(m, m) * faer::Scale(0.3);
        let l = lqr(a.as_ref(), b.as_ref(), q.as_ref(), r.as_ref(), Time::Discrete, &exec).unwrap();
        let big = vec![1e6; m];
        let opts = MpcOptions { horizon: 5, max_iter: 20000, tol: 1e-11 };
        let mut mpc = Mpc::new(
            a.as_ref(),
            b.as_ref(),
            q.as_ref(),
            r.as_ref(),
            Some(l.x.as_ref()),
            &big.iter().map(|v| -v).collect::<Vec<_>>(),
            &big,
            &opts,
        )
        .unwrap();
        let x0 = [1.0, -0.5, 0.3, 2.0];
        let res = mpc.step(&x0, &[0.0; 4], &[0.0; 2], &[0.0; 4]).unwrap();
        assert!(res.converged);
        for i in 0..m {
            let u = -(0..n).map(|j| l.k[(i, j)] * x0[j]).sum::<f64>();
            assert!((res.x[i] - u).abs() < 1e-8, "{} vs {u}", res.x[i]);
        }
    }

    #[test]
    fn mpc_respects_bounds_and_tracks_with_offset() {
        // scalar x+ = 0.5 x + u + 1 towards x_r = 4 with 0 <= u <= 1: the steady input would be
        // 1 (x = 0.5*4 + 1 + 1), reachable at the bound; towards 10 it saturates at 1
        let a = mat(&[&[0.5]]);
        let b = mat(&[&[1.0]]);
        let opts = MpcOptions { horizon: 8, max_iter: 5000, tol: 1e-10 };
        let mut mpc =
            Mpc::new(a.as_ref(), b.as_ref(), mat(&[&[1.0]]).as_ref(), mat(&[&[1e-6]]).as_ref(), None, &[0.0], &[1.0], &opts).unwrap();
        let mut x = 0.0;
        for _ in 0..40 {
            let u = mpc.step(&[x], &[4.0], &[0.0], &[1.0]).unwrap().x[0];
            assert!((0.0..=1.0).contains(&u));
            x = 0.5 * x + u + 1.0;
        }
        assert!((x - 4.0).abs() < 1e-3, "{x}");
        let res = mpc.step(&[x], &[10.0], &[0.0], &[1.0]).unwrap();
        assert_eq!(res.x[0], 1.0);
        assert!(Mpc::new(
            a.as_ref(),
            b.as_ref(),
            mat(&[&[1.0]]).as_ref(),
            mat(&[&[1.0]]).as_ref(),
            None,
            &[0.0],
            &[1.0],
            &MpcOptions { horizon: 0, ..opts }
        )
        .is_err());
    }
}
