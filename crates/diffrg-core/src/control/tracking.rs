//! Set-point tracking on an identified coarse model: steady-state Kalman filter + LQR with
//! integral action (or box-constrained MPC on the same augmented system), and the open-loop
//! static inverse of the same model.
//!
//! Model `x_{t+1} = A x_t + B u_t + c + w` (from [`super::sysid`]), measurement `y_t = x_t + v`
//! (binned coarse rates; `V` the Poisson variance of each rate). For a requested change `Δx`
//! of the coarse state from a measured baseline `x_b` (reached with the operating input `u_0`):
//!
//! - steady-state gain `G = (I - A)^{-1} B`; static inverse `Δu = (GᵀG + εI)^{-1} Gᵀ Δx`
//!   (least squares when there are more coarse variables than inputs), `u_r = clip(u_0 + Δu)`,
//!   reachable set point `x_r = x_b + G (u_r - u_0)`; the open-loop controller applies `u_r`;
//! - integral action on `z_{t+1} = z_t + C_i (x_r - y_t)` (the measured rates, not the
//!   estimate: with a biased model the filter's estimate settles away from the measurements) with `C_i = I` (`n <= m`) or `G⁺`
//!   (`n > m`: the input-space error, so that the integrator has as many states as it can
//!   steer); gain from [`super::riccati::lqi`] on the deviation system `ξ = [x - x_r; z]`;
//! - LQR: `u = clip(u_r - K ξ)` with conditional integration (the integrator holds while an
//!   input saturates: anti-windup); MPC: [`super::mpc::Mpc`] on the augmented deviation system
//!   with the LQI Riccati solution as terminal weight and bounds `lo - u_r <= v <= hi - u_r`.

use super::kalman::{kalman, KalmanFilter};
use super::mpc::{Mpc, MpcOptions};
use super::riccati::{augment, lqi};
use super::sysid::ArxFit;
use super::Time;
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::solvers::Solve;
use faer::Mat;

/// The feedback law of a [`Tracker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// LQR with integral action. Default.
    #[default]
    Lqr,
    /// Box-constrained MPC on the same augmented system.
    Mpc,
}

named_enum!(Policy, "controller" { Lqr => "lqr", Mpc => "mpc" });

/// Weights and bounds of a [`Tracker`] (coarse states in Hz, inputs in the drive's unit).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingOptions {
    pub policy: Policy,
    /// State weight `Q = q I` on `x - x_r`. Default 1.
    pub q: f64,
    /// Integral weight `Q_i = q_i I`. Default 0.3.
    pub qi: f64,
    /// Input weight `R = r I`. Default 1e-4 (inputs in Hz of Poisson drive are ~100x the rates).
    pub r: f64,
    /// Input bounds (every channel). Default `[0, 1000]`.
    pub lo: f64,
    pub hi: f64,
    /// LQR: hold the integrator while an input saturates. Default false (measured: with noisy
    /// rates some channel saturates often enough that the integrator barely moves).
    pub anti_windup: bool,
    /// MPC horizon and QP settings. Default horizon 10, 200 iterations, tol 1e-6.
    pub mpc: MpcOptions,
}

impl Default for TrackingOptions {
    fn default() -> Self {
        TrackingOptions {
            policy: Policy::Lqr,
            q: 1.0,
            qi: 0.3,
            r: 1e-4,
            lo: 0.0,
            hi: 1000.0,
            anti_windup: false,
            mpc: MpcOptions { horizon: 10, max_iter: 200, tol: 1e-6 },
        }
    }
}

/// A Kalman filter + integral-action tracker on an identified model (see the module docs).
#[derive(Debug, Clone)]
pub struct Tracker {
    fit_c: Vec<f64>,
    filter: KalmanFilter,
    /// `m x (n + p)` LQI gain.
    k: Mat<f64>,
    /// `p x n` integrated error map.
    ci: Mat<f64>,
    /// `n x m` steady-state gain.
    g: Mat<f64>,
    mpc: Option<(Mat<f64>, Mat<f64>, Mat<f64>, Mat<f64>)>,
    mpc_ctl: Option<Mpc>,
    opts: TrackingOptions,
    pub x_hat: Vec<f64>,
    pub z: Vec<f64>,
    pub x_r: Vec<f64>,
    pub u_r: Vec<f64>,
    u_prev: Vec<f64>,
    /// The last measurement (the integrator acts on it, not on the estimate: a biased model
    /// would otherwise leave an offset between the estimate and the measured rates).
    y: Vec<f64>,
    /// Largest QP iteration count seen (MPC).
    pub qp_iterations: usize,
    /// Whether every QP converged (MPC).
    pub qp_converged: bool,
    /// Whether the last [`Tracker::set_target`] had to clip the static inverse to the bounds
    /// (the requested change is out of reach: `x_r` is the nearest reachable set point).
    pub clipped: bool,
}

fn diag(n: usize, v: f64) -> Mat<f64> {
    Mat::from_fn(n, n, |i, j| if i == j { v } else { 0.0 })
}

fn matvec(m: &Mat<f64>, x: &[f64]) -> Vec<f64> {
    (0..m.nrows()).map(|i| (0..m.ncols()).map(|j| m[(i, j)] * x[j]).sum()).collect()
}

impl Tracker {
    /// `meas_var`: the variance of each measured coarse variable (diagonal of `V`).
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for an identified system that is unstable (spectral radius >= 1:
    /// no static inverse), bad weights or bounds, or Riccati equations without a stabilising
    /// solution (the message says which).
    pub fn new(fit: &ArxFit, meas_var: &[f64], opts: &TrackingOptions, exec: &Exec) -> Result<Tracker> {
        let (n, m) = (fit.a.nrows(), fit.b.ncols());
        if meas_var.len() != n {
            return Err(Error::invalid_input(format!("tracker: {} measurement variances for {n} states", meas_var.len())));
        }
        for (name, v) in [("q", opts.q), ("qi", opts.qi), ("r", opts.r)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid_input(format!("tracker: {name} must be positive and finite (got {v})")));
            }
        }
        if !(opts.lo.is_finite() && opts.hi.is_finite() && opts.lo < opts.hi) {
            return Err(Error::invalid_input(format!("tracker: bounds lo = {} < hi = {} required", opts.lo, opts.hi)));
        }
        if !(fit.spectral_radius < 1.0) {
            return Err(Error::invalid_input(format!(
                "tracker: the identified coarse system is unstable (spectral radius {:.4} >= 1); identify on a longer or less driven run",
                fit.spectral_radius
            )));
        }
        // G = (I - A)^{-1} B
        let ia = Mat::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 }) - &fit.a;
        let g = ia.partial_piv_lu().solve(&fit.b);
        let ci = if n <= m { diag(n, 1.0) } else { pinv(&g)? };
        // Kalman: V = diag(meas_var), W = the ARX residual covariance less V (floored)
        let v = Mat::from_fn(n, n, |i, j| if i == j { meas_var[i].max(1e-9) } else { 0.0 });
        let w =
            Mat::from_fn(n, n, |i, j| if i == j { (fit.noise[(i, i)] - meas_var[i]).max(0.1 * fit.noise[(i, i)]).max(1e-9) } else { 0.0 });
        let ident = diag(n, 1.0);
        let filter = kalman(fit.a.as_ref(), fit.b.as_ref(), ident.as_ref(), w.as_ref(), v.as_ref(), exec)
            .map_err(|e| Error::new(e.code, format!("tracker: Kalman filter: {}", e.message)))?;
        let p = ci.nrows();
        let l = lqi(
            fit.a.as_ref(),
            fit.b.as_ref(),
            ci.as_ref(),
            diag(n, opts.q).as_ref(),
            diag(p, opts.qi).as_ref(),
            diag(m, opts.r).as_ref(),
            Time::Discrete,
            exec,
        )
        .map_err(|e| Error::new(e.code, format!("tracker: LQR with integral action: {}", e.message)))?;
        let mpc = if opts.policy == Policy::Mpc {
            let (aa, ba, qa) =
                augment(fit.a.as_ref(), fit.b.as_ref(), ci.as_ref(), diag(n, opts.q).as_ref(), diag(p, opts.qi).as_ref(), Time::Discrete);
            Some((aa, ba, qa, l.x.clone()))
        } else {
            None
        };
        Ok(Tracker {
            fit_c: fit.c.clone(),
            filter,
            k: l.k,
            ci,
            g,
            mpc,
            mpc_ctl: None,
            opts: opts.clone(),
            x_hat: vec![0.0; n],
            z: vec![0.0; p],
            x_r: vec![0.0; n],
            u_r: vec![0.0; m],
            u_prev: vec![0.0; m],
            y: vec![],
            qp_iterations: 0,
            qp_converged: true,
            clipped: false,
        })
    }

    /// [`Tracker::new`] from model matrices (`a`, `b`, offset `c`, residual covariance
    /// `noise`) instead of an [`ArxFit`].
    ///
    /// # Errors
    /// As [`Tracker::new`]; `ERR_INVALID_INPUT` for mismatched shapes.
    pub fn from_model(
        a: Mat<f64>,
        b: Mat<f64>,
        c: Vec<f64>,
        noise: Mat<f64>,
        meas_var: &[f64],
        opts: &TrackingOptions,
        exec: &Exec,
    ) -> Result<Tracker> {
        let n = super::check_square("A", a.as_ref())?;
        super::check("B", b.as_ref(), Some(n), None)?;
        super::check("noise", noise.as_ref(), Some(n), Some(n))?;
        if c.len() != n {
            return Err(Error::invalid_input(format!("c: {} values for {n} states", c.len())));
        }
        let spectral_radius = super::eigenvalues(a.as_ref())?.iter().map(|(re, im)| (re * re + im * im).sqrt()).fold(0.0, f64::max);
        let fit = ArxFit { a, b, c, noise, r2: f64::NAN, r2_train: f64::NAN, train_frames: 0, test_frames: 0, spectral_radius };
        Tracker::new(&fit, meas_var, opts, exec)
    }

    pub fn states(&self) -> usize {
        self.x_hat.len()
    }

    pub fn inputs(&self) -> usize {
        self.u_r.len()
    }

    /// Starts the filter at `x0` with the input `u0` in force.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` when `x0` or `u0` does not match the model's states or inputs.
    pub fn reset(&mut self, x0: &[f64], u0: &[f64]) -> Result<()> {
        if x0.len() != self.states() || u0.len() != self.inputs() {
            return Err(Error::invalid_input(format!(
                "reset: x0 has {} values and u0 {}; the model has {} states and {} inputs",
                x0.len(),
                u0.len(),
                self.states(),
                self.inputs()
            )));
        }
        self.x_hat = x0.to_vec();
        self.y = x0.to_vec();
        self.u_prev = u0.to_vec();
        self.z.iter_mut().for_each(|z| *z = 0.0);
        Ok(())
    }

    /// Filters one measurement `y` (the coarse rates of the period that just ended).
    pub fn observe(&mut self, y: &[f64]) {
        self.y = y.to_vec();
        let pred = self.filter.predict(&self.x_hat, &self.u_prev, &self.fit_c);
        self.x_hat = self.filter.update(&pred, y);
    }

    /// Sets the target: change `dx` from the baseline `x_b` held with input `u0`. Computes the
    /// static inverse `u_r` and the reachable set point `x_r`; returns `u_r`.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for wrong lengths or non-finite values; for an MPC, as [`Mpc::new`].
    pub fn set_target(&mut self, x_b: &[f64], dx: &[f64], u0: &[f64]) -> Result<Vec<f64>> {
        let (n, m) = (self.states(), self.inputs());
        if x_b.len() != n || dx.len() != n || u0.len() != m {
            return Err(Error::invalid_input("tracker: target lengths do not match the model"));
        }
        crate::error::ensure_finite("target", dx)?;
        let du = matvec(&pinv(&self.g)?, dx);
        self.u_r = (0..m).map(|j| (u0[j] + du[j]).clamp(self.opts.lo, self.opts.hi)).collect();
        self.clipped = (0..m).any(|j| self.u_r[j] != u0[j] + du[j]);
        let applied: Vec<f64> = (0..m).map(|j| self.u_r[j] - u0[j]).collect();
        let gx = matvec(&self.g, &applied);
        self.x_r = (0..n).map(|i| x_b[i] + gx[i]).collect();
        if let Some((aa, ba, qa, xn)) = &self.mpc {
            let lo: Vec<f64> = self.u_r.iter().map(|u| self.opts.lo - u).collect();
            let hi: Vec<f64> = self.u_r.iter().map(|u| self.opts.hi - u).collect();
            let rr = diag(m, self.opts.r);
            self.mpc_ctl = Some(Mpc::new(aa.as_ref(), ba.as_ref(), qa.as_ref(), rr.as_ref(), Some(xn.as_ref()), &lo, &hi, &self.opts.mpc)?);
        }
        Ok(self.u_r.clone())
    }

    /// The feedback input for the current estimate (after [`Tracker::observe`] and
    /// [`Tracker::set_target`]); updates the integrator.
    ///
    /// # Errors
    /// As [`Mpc::step`].
    pub fn control(&mut self) -> Result<Vec<f64>> {
        let (n, m) = (self.states(), self.inputs());
        let err: Vec<f64> = (0..n).map(|i| self.x_hat[i] - self.x_r[i]).collect();
        let xi: Vec<f64> = err.iter().chain(self.z.iter()).copied().collect();
        let zero = vec![0.0; xi.len()];
        let (u, saturated) = match self.mpc_ctl.as_mut() {
            Some(mpc) => {
                let res = mpc.step(&xi, &zero, &vec![0.0; m], &zero)?;
                self.qp_iterations = self.qp_iterations.max(res.iterations);
                self.qp_converged &= res.converged;
                ((0..m).map(|j| (self.u_r[j] + res.x[j]).clamp(self.opts.lo, self.opts.hi)).collect::<Vec<f64>>(), false)
            }
            None => {
                let v = matvec(&self.k, &xi);
                let raw: Vec<f64> = (0..m).map(|j| self.u_r[j] - v[j]).collect();
                let u: Vec<f64> = raw.iter().map(|x| x.clamp(self.opts.lo, self.opts.hi)).collect();
                let sat = self.opts.anti_windup && raw.iter().zip(&u).any(|(a, b)| a != b);
                (u, sat)
            }
        };
        if !saturated {
            let meas: Vec<f64> = if self.y.len() == n { (0..n).map(|i| self.y[i] - self.x_r[i]).collect() } else { err.clone() };
            let e = matvec(&self.ci, &meas);
            for (z, e) in self.z.iter_mut().zip(e) {
                *z -= e;
            }
        }
        self.u_prev = u.clone();
        Ok(u)
    }

    /// One control period: [`Tracker::observe`] then [`Tracker::control`].
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` / `ERR_NOT_FINITE` for a measurement of the wrong length or with
    /// non-finite values; as [`Tracker::control`].
    pub fn step(&mut self, y: &[f64]) -> Result<Vec<f64>> {
        if y.len() != self.states() {
            return Err(Error::invalid_input(format!("tracker: measurement has {} values for {} states", y.len(), self.states())));
        }
        crate::error::ensure_finite("measurement", y)?;
        self.observe(y);
        self.control()
    }

    /// Records `u` as the input in force (open-loop use).
    pub fn hold(&mut self, u: &[f64]) {
        self.u_prev = u.to_vec();
    }
}

/// `(GᵀG + ε tr(GᵀG)/m I)^{-1} Gᵀ` with `ε = 1e-9`.
fn pinv(g: &Mat<f64>) -> Result<Mat<f64>> {
    let m = g.ncols();
    let mut gtg = g.transpose() * g;
    let tr = (0..m).map(|i| gtg[(i, i)]).sum::<f64>() / m as f64;
    for i in 0..m {
        gtg[(i, i)] += 1e-9 * tr.max(f64::MIN_POSITIVE);
    }
    let sol = gtg.partial_piv_lu().solve(g.transpose());
    if (0..sol.nrows()).any(|i| (0..sol.ncols()).any(|j| !sol[(i, j)].is_finite())) {
        return Err(Error::invalid_input("tracker: the steady-state gain has no inverse (inputs do not reach the coarse state)"));
    }
    Ok(sol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::sysid::ArxFit;

    fn fit(a: f64, b: f64, c: f64) -> ArxFit {
        ArxFit {
            a: Mat::from_fn(1, 1, |_, _| a),
            b: Mat::from_fn(1, 1, |_, _| b),
            c: vec![c],
            noise: Mat::from_fn(1, 1, |_, _| 0.01),
            r2: f64::NAN,
            r2_train: f64::NAN,
            train_frames: 0,
            test_frames: 0,
            spectral_radius: a.abs(),
        }
    }

    #[test]
    fn tracks_a_scalar_plant_with_model_error_without_offset() {
        // model x+ = 0.5 x + 1 u + 1; plant gain 20% lower: integral action removes the offset
        // that the static inverse leaves.
        let exec = Exec::sequential();
        for policy in [Policy::Lqr, Policy::Mpc] {
            let o = TrackingOptions { policy, q: 1.0, qi: 0.1, r: 0.1, lo: 0.0, hi: 100.0, ..Default::default() };
            let mut t = Tracker::new(&fit(0.5, 1.0, 1.0), &[1e-6], &o, &exec).unwrap();
            let x_b = 2.0; // (1 - 0.5)^{-1} * 1 at u = 0
            t.reset(&[x_b], &[0.0]).unwrap();
            let ur = t.set_target(&[x_b], &[3.0], &[0.0]).unwrap();
            assert!((ur[0] - 1.5).abs() < 1e-6, "{ur:?}");
            let mut x = x_b;
            let mut x_open = x_b;
            for _ in 0..200 {
                t.observe(&[x]);
                let u = t.control().unwrap();
                x = 0.5 * x + 0.8 * u[0] + 1.0;
                x_open = 0.5 * x_open + 0.8 * ur[0] + 1.0;
            }
            assert!((x - 5.0).abs() < 1e-3, "{policy}: {x}");
            assert!((x_open - 4.4).abs() < 1e-6, "{x_open}");
        }
    }

    #[test]
    fn unstable_model_is_a_typed_error() {
        let e = Tracker::new(&fit(1.2, 1.0, 0.0), &[1.0], &TrackingOptions::default(), &Exec::sequential()).unwrap_err();
        assert!(e.message.contains("unstable"), "{}", e.message);
    }
}
