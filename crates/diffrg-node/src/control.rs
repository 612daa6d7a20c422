//! Coarse-to-fine control (docs/control.md): identification, LQR, Kalman, Gramians and the
//! closed-loop LIF demonstration. Conversion only; matrices cross row-major as Float64Array.

use crate::job::{guard, to_napi, CancelToken, Job};
use diffrg_core::control::Mat;
use diffrg_core::control::{
    closed_loop, fit_arx, from_row_major, gramian as core_gramian, kalman as core_kalman, lqi, lqr as core_lqr, simulate_custom,
    to_row_major, ArxOptions, ClosedLoopOptions, GramianOptions, LoopRun, Policy, Time, Tracker, TrackingOptions,
};
use diffrg_core::exec::Exec;
use diffrg_core::infer::api::Method;
use diffrg_core::sim::{Controller, DriveMode, Schedule};
use diffrg_core::{Error, ErrorCode};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A dense matrix, row-major.
#[napi(object)]
pub struct MatrixJs {
    pub rows: u32,
    pub cols: u32,
    pub data: Float64Array,
}

fn mat(name: &str, m: &MatrixJs) -> diffrg_core::Result<Mat<f64>> {
    from_row_major(name, m.rows as usize, m.cols as usize, &m.data)
}

fn js(m: &Mat<f64>) -> MatrixJs {
    MatrixJs { rows: m.nrows() as u32, cols: m.ncols() as u32, data: Float64Array::new(to_row_major(m.as_ref())) }
}

fn time(s: Option<&str>) -> diffrg_core::Result<Time> {
    s.map_or(Ok(Time::default()), |s| Time::parse_field(s, "time"))
}

#[napi(object)]
pub struct ArxFitJs {
    pub a: MatrixJs,
    pub b: MatrixJs,
    pub c: Vec<f64>,
    /// Residual covariance on the training transitions.
    pub noise: MatrixJs,
    /// Held-out one-step pooled R² (NaN without a test set).
    pub prediction_r2: f64,
    pub train_r2: f64,
    pub train_frames: u32,
    pub test_frames: u32,
    pub spectral_radius: f64,
}

/// ARX / DMD-with-control fit of `x[t+1] = A x[t] + B u[t] + c` (`x`: frames x n, `u`: frames x m).
#[napi]
pub fn identify_system(x: MatrixJs, u: MatrixJs, ridge: Option<f64>, test_fraction: Option<f64>) -> Result<ArxFitJs> {
    guard(|| {
        let d = ArxOptions::default();
        let o = ArxOptions { ridge: ridge.unwrap_or(d.ridge), test_fraction: test_fraction.unwrap_or(d.test_fraction) };
        let f = fit_arx(&x.data, &u.data, x.rows as usize, x.cols as usize, u.cols as usize, &o)?;
        Ok(ArxFitJs {
            a: js(&f.a),
            b: js(&f.b),
            c: f.c.clone(),
            noise: js(&f.noise),
            prediction_r2: f.r2,
            train_r2: f.r2_train,
            train_frames: f.train_frames as u32,
            test_frames: f.test_frames as u32,
            spectral_radius: f.spectral_radius,
        })
    })
}

#[napi(object)]
pub struct LqrJs {
    /// Gain K (`u = -K x`; with integral action `m x (n + p)`, the last p columns act on the integral).
    pub k: MatrixJs,
    /// Riccati solution.
    pub x: MatrixJs,
    pub poles_re: Vec<f64>,
    pub poles_im: Vec<f64>,
    pub residual: f64,
    pub iterations: u32,
}

/// LQR of (A, B) with weights Q, R ("discrete" default, or "continuous"); with `c` and `qi`,
/// LQR with integral action on `y = C x`.
#[napi]
pub fn lqr(
    a: MatrixJs,
    b: MatrixJs,
    q: MatrixJs,
    r: MatrixJs,
    time_kind: Option<String>,
    c: Option<MatrixJs>,
    qi: Option<MatrixJs>,
) -> Result<LqrJs> {
    guard(|| {
        let exec = Exec::sequential();
        let t = time(time_kind.as_deref())?;
        let (a, b, q, r) = (mat("A", &a)?, mat("B", &b)?, mat("Q", &q)?, mat("R", &r)?);
        let l = match (c, qi) {
            (Some(c), Some(qi)) => {
                lqi(a.as_ref(), b.as_ref(), mat("C", &c)?.as_ref(), q.as_ref(), mat("Qi", &qi)?.as_ref(), r.as_ref(), t, &exec)?
            }
            (None, None) => core_lqr(a.as_ref(), b.as_ref(), q.as_ref(), r.as_ref(), t, &exec)?,
            _ => return Err(Error::invalid_input("integral action needs both C and Qi")),
        };
        Ok(LqrJs {
            k: js(&l.k),
            x: js(&l.x),
            poles_re: l.poles.iter().map(|p| p.0).collect(),
            poles_im: l.poles.iter().map(|p| p.1).collect(),
            residual: l.residual,
            iterations: l.iterations as u32,
        })
    })
}

#[napi(object)]
pub struct KalmanJs {
    pub gain: MatrixJs,
    pub p_pred: MatrixJs,
    pub p_filt: MatrixJs,
    pub residual: f64,
}

/// Steady-state Kalman filter of `x+ = A x + B u + w`, `y = C x + v` (W, V noise covariances).
#[napi]
pub fn kalman(a: MatrixJs, b: MatrixJs, c: MatrixJs, w: MatrixJs, v: MatrixJs) -> Result<KalmanJs> {
    guard(|| {
        let (a, b, c, w, v) = (mat("A", &a)?, mat("B", &b)?, mat("C", &c)?, mat("W", &w)?, mat("V", &v)?);
        let k = core_kalman(a.as_ref(), b.as_ref(), c.as_ref(), w.as_ref(), v.as_ref(), &Exec::sequential())?;
        Ok(KalmanJs { gain: js(&k.gain), p_pred: js(&k.p_pred), p_filt: js(&k.p_filt), residual: k.residual })
    })
}

/// Controllability Gramian ("discrete" default or "continuous"; `horizon`: steps or seconds,
/// absent: infinite).
#[napi]
pub fn gramian(a: MatrixJs, b: MatrixJs, time_kind: Option<String>, horizon: Option<f64>) -> Result<MatrixJs> {
    guard(|| {
        let o = GramianOptions { time: time(time_kind.as_deref())?, horizon };
        Ok(js(&core_gramian(mat("A", &a)?.as_ref(), mat("B", &b)?.as_ref(), &o, &Exec::sequential())?))
    })
}

/// Options of the closed-loop demonstration; defaults: diffrg_core::control::ClosedLoopOptions.
#[napi(object)]
#[derive(Default, Clone)]
pub struct ClosedLoopOptionsJs {
    /// @default 4
    pub assemblies: Option<u32>,
    /// @default 100
    pub assembly_size: Option<u32>,
    /// @default 100
    pub inhibitory: Option<u32>,
    /// @default 0.3
    pub observe: Option<f64>,
    /// @default 0
    pub target_assembly: Option<u32>,
    /// Hz. @default 20
    pub target_rate: Option<f64>,
    /// Control run (s). @default 6
    pub duration: Option<f64>,
    /// Identification run (s). @default 60
    pub id_duration: Option<f64>,
    /// Start of the step (s). @default 2
    pub step_time: Option<f64>,
    /// Integer seed in [0, 2^32 - 1]. @default 1
    pub seed: Option<u32>,
    /// Control period = bin (s). @default 0.01
    pub period: Option<f64>,
    /// "lgd" | "var" | "correlation" | "partial-correlation". @default "correlation"
    pub infer_method: Option<String>,
    /// Operating drive before the step (Hz). @default 15
    pub operating_drive: Option<f64>,
    /// State, integral and input weights of the tracker.
    pub q: Option<f64>,
    pub qi: Option<f64>,
    pub r: Option<f64>,
    /// Drive bound (Hz). @default 1000
    pub max_drive: Option<f64>,
    /// Post-stratify the coarse rates by stimulation (docs/control.md, "Closed loop"). @default true
    pub stratify: Option<bool>,
    pub threads: Option<u32>,
}

fn to_options(o: &ClosedLoopOptionsJs, policy: Policy) -> diffrg_core::Result<ClosedLoopOptions> {
    let mut c = ClosedLoopOptions::default();
    c.tracking.policy = policy;
    macro_rules! set {
        ($($f:ident => $g:ident as $t:ty),*) => { $(if let Some(v) = o.$f { c.$g = v as $t; })* };
    }
    set!(assemblies => assemblies as usize, assembly_size => assembly_size as usize, inhibitory => inhibitory as usize,
        observe => observe as f64, target_assembly => target_assembly as usize, target_rate => target_rate as f64,
        duration => duration as f64, id_duration => id_duration as f64, step_time => step_time as f64, period => period as f64,
        operating_drive => operating_drive as f64, seed => seed as u64);
    if let Some(b) = o.stratify {
        c.stratify = b;
    }
    if let Some(m) = &o.infer_method {
        c.infer_method = Method::parse_field(m, "inferMethod")?;
    }
    for (v, f) in [(o.q, &mut c.tracking.q), (o.qi, &mut c.tracking.qi), (o.r, &mut c.tracking.r), (o.max_drive, &mut c.tracking.hi)] {
        if let Some(v) = v {
            *f = v;
        }
    }
    Ok(c)
}

#[napi(object)]
pub struct LoopRunJs {
    pub final_error_fraction: f64,
    pub off_target_max_hz: f64,
    pub rms_error_hz: f64,
    pub baseline_hz: Vec<f64>,
    pub final_hz: Vec<f64>,
    pub periods: u32,
    /// periods x assemblies, row-major.
    pub rates: Float64Array,
    /// periods x channels, row-major.
    pub drive: Float64Array,
    /// Target assembly's reference per period.
    pub reference: Float64Array,
    pub qp_iterations: u32,
    pub qp_converged: bool,
    /// Fraction of the last second's periods with some channel's drive at a bound.
    pub saturated_fraction: f64,
    /// The final error measured on the observed neurons of the target assembly (what the
    /// controller sees), as a fraction of the observed step.
    pub observed_final_error_fraction: f64,
    /// The observed target neurons' post-stratified rate: baseline and last second's mean (Hz).
    pub observed_baseline_hz: f64,
    pub observed_final_hz: f64,
}

fn run_js(r: LoopRun) -> LoopRunJs {
    LoopRunJs {
        final_error_fraction: r.final_error_fraction,
        off_target_max_hz: r.off_target_max_hz,
        rms_error_hz: r.rms_error_hz,
        baseline_hz: r.baseline_hz,
        final_hz: r.final_hz,
        periods: r.periods as u32,
        rates: Float64Array::new(r.rates),
        drive: Float64Array::new(r.drive),
        reference: Float64Array::new(r.reference),
        qp_iterations: r.qp_iterations as u32,
        qp_converged: r.qp_converged,
        saturated_fraction: r.saturated_fraction,
        observed_final_error_fraction: r.observed_final_error_fraction,
        observed_baseline_hz: r.observed_baseline_hz,
        observed_final_hz: r.observed_final_hz,
    }
}

#[napi(object)]
pub struct IdentificationJs {
    pub prediction_r2: f64,
    pub train_r2: f64,
    pub communities: u32,
    pub ari: f64,
    pub spectral_radius: f64,
    pub observed: Uint32Array,
    /// Community of every observed neuron (0xFFFFFFFF: left out of the coarse state).
    pub labels: Uint32Array,
    pub a: MatrixJs,
    pub b: MatrixJs,
    pub c: Vec<f64>,
}

#[napi(object)]
pub struct ClosedLoopJs {
    pub identification: IdentificationJs,
    pub closed_loop: LoopRunJs,
    pub open_loop: LoopRunJs,
    pub random_partition: LoopRunJs,
    pub step_hz: f64,
    /// False when the target is out of reach of the identified model within the drive bounds.
    pub reachable: bool,
    pub channels: u32,
    pub assemblies: u32,
    pub period: f64,
    pub controller: String,
    pub seed: u32,
    pub target_assembly: u32,
    pub target_rate: f64,
}

/// The closed-loop demonstration with a built-in controller ("lqr" | "mpc"), run in Rust.
#[napi(ts_return_type = "Promise<ClosedLoopJs>")]
pub fn simulate_lif_closed_loop(
    options: Option<ClosedLoopOptionsJs>,
    controller: String,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<ClosedLoopJs>> {
    let o = options.unwrap_or_default();
    Job::new(o.threads, token, move |exec| {
        let c = to_options(&o, Policy::parse_field(&controller, "controller")?)?;
        let r = closed_loop(&c, exec)?;
        let id = r.identification;
        Ok(ClosedLoopJs {
            identification: IdentificationJs {
                prediction_r2: id.prediction_r2,
                train_r2: id.r2_train,
                communities: id.communities as u32,
                ari: id.ari,
                spectral_radius: id.spectral_radius,
                observed: Uint32Array::new(id.observed),
                labels: Uint32Array::new(id.labels.iter().map(|&l| l.min(u32::MAX as usize) as u32).collect()),
                a: js(&id.fit.a),
                b: js(&id.fit.b),
                c: id.fit.c.clone(),
            },
            closed_loop: run_js(r.closed_loop),
            open_loop: run_js(r.open_loop),
            random_partition: run_js(r.random_partition),
            step_hz: r.step_hz,
            reachable: r.reachable,
            channels: r.channels as u32,
            assemblies: r.assemblies as u32,
            period: r.period,
            controller: r.policy.as_str().into(),
            seed: c.seed as u32,
            target_assembly: c.target_assembly as u32,
            target_rate: c.target_rate,
        })
    })
}

#[napi(object)]
pub struct CustomRunJs {
    pub periods: u32,
    pub channels: u32,
    pub assemblies: u32,
    pub period: f64,
    /// periods x channels, row-major.
    pub drive: Float64Array,
    /// periods x observed, row-major.
    pub counts: Uint32Array,
    /// periods x assemblies, row-major (all excitatory neurons of each assembly).
    pub rates: Float64Array,
    pub observed: Uint32Array,
    /// Assembly of every neuron (`assemblies` for inhibitory neurons).
    pub labels: Uint32Array,
}

struct JsController<'a> {
    f: &'a Function<'a, FnArgs<(f64, Uint32Array)>, Vec<f64>>,
}

impl Controller for JsController<'_> {
    fn control(&mut self, t: f64, counts: &[u32]) -> diffrg_core::Result<Vec<f64>> {
        self.f
            .call((t, Uint32Array::new(counts.to_vec())).into())
            .map_err(|e| Error::new(ErrorCode::InvalidInput, format!("controller callback failed at t = {t} s: {}", e.reason)))
    }
}

/// The demonstration's network under a JavaScript controller `(t, counts) => drive[]`, called
/// synchronously on the JS thread every period (slower than the built-ins; blocks the event
/// loop). A callback that throws or returns a non-finite or negative value is ERR_INVALID_INPUT.
#[napi]
pub fn simulate_lif_closed_loop_callback(
    options: Option<ClosedLoopOptionsJs>,
    callback: Function<FnArgs<(f64, Uint32Array)>, Vec<f64>>,
) -> Result<CustomRunJs> {
    let o = options.unwrap_or_default();
    let c = to_options(&o, Policy::Lqr).map_err(to_napi)?;
    let exec = crate::job::exec(o.threads, None);
    guard(|| {
        let mut ctl = JsController { f: &callback };
        Ok(custom_js(simulate_custom(&c, &mut ctl, &exec)?, &c))
    })
}

fn custom_js(r: diffrg_core::control::CustomRun, c: &ClosedLoopOptions) -> CustomRunJs {
    CustomRunJs {
        periods: r.record.periods as u32,
        channels: r.record.channels as u32,
        assemblies: c.assemblies as u32,
        period: c.period,
        drive: Float64Array::new(r.record.drive),
        counts: Uint32Array::new(r.record.counts),
        rates: Float64Array::new(r.rates),
        observed: Uint32Array::new(r.observed),
        labels: Uint32Array::new(r.labels),
    }
}

/// The demonstration's network in open loop under a schedule (entry k sets channel
/// `channel[k]` to `value[k]` Hz from `time[k]` s on; rows sorted, times >= 0: violations are
/// ERR_INVALID_INPUT naming the row).
#[napi(ts_return_type = "Promise<CustomRunJs>")]
pub fn simulate_lif_schedule(
    options: Option<ClosedLoopOptionsJs>,
    time: Float64Array,
    channel: Uint32Array,
    value: Float64Array,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<CustomRunJs>> {
    let o = options.unwrap_or_default();
    let (time, channel, value) = (time.to_vec(), channel.iter().map(|&c| c as usize).collect::<Vec<_>>(), value.to_vec());
    Job::new(o.threads, token, move |exec| {
        let c = to_options(&o, Policy::Lqr)?;
        let mut schedule = Schedule::new(time, channel, value, c.assemblies, DriveMode::Rate)?;
        Ok(custom_js(simulate_custom(&c, &mut schedule, exec)?, &c))
    })
}

/// Tracker options; defaults: diffrg_core::control::TrackingOptions.
#[napi(object)]
#[derive(Default)]
pub struct TrackerOptionsJs {
    /// "lqr" | "mpc". @default "lqr"
    pub controller: Option<String>,
    /// State weight. @default 1
    pub q: Option<f64>,
    /// Integral weight. @default 0.3
    pub qi: Option<f64>,
    /// Input weight. @default 1e-4
    pub r: Option<f64>,
    /// Input bounds. @default 0, 1000
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// MPC horizon (steps). @default 10
    pub horizon: Option<u32>,
}

/// A Kalman filter + LQR/MPC tracker with integral action on an identified coarse model
/// (docs/control.md "Set-point tracking"), stepped from JavaScript.
#[napi]
pub struct CoarseTracker {
    inner: Tracker,
}

#[napi]
impl CoarseTracker {
    /// `a`, `b`, offset `c` and residual covariance `noise` of the model; `measVar`: variance of
    /// each measured coarse variable.
    #[napi(constructor)]
    pub fn new(
        a: MatrixJs,
        b: MatrixJs,
        c: Vec<f64>,
        noise: MatrixJs,
        meas_var: Vec<f64>,
        options: Option<TrackerOptionsJs>,
    ) -> Result<Self> {
        guard(|| {
            let o = options.unwrap_or_default();
            let mut t = TrackingOptions::default();
            if let Some(s) = &o.controller {
                t.policy = Policy::parse_field(s, "controller")?;
            }
            for (v, f) in [(o.q, &mut t.q), (o.qi, &mut t.qi), (o.r, &mut t.r), (o.lo, &mut t.lo), (o.hi, &mut t.hi)] {
                if let Some(v) = v {
                    *f = v;
                }
            }
            if let Some(h) = o.horizon {
                t.mpc.horizon = h as usize;
            }
            let inner = Tracker::from_model(mat("A", &a)?, mat("B", &b)?, c, mat("noise", &noise)?, &meas_var, &t, &Exec::sequential())?;
            Ok(CoarseTracker { inner })
        })
    }

    /// Starts the filter at `x0` with input `u0` in force.
    #[napi]
    pub fn reset(&mut self, x0: Vec<f64>, u0: Vec<f64>) -> Result<()> {
        guard(|| self.inner.reset(&x0, &u0))
    }

    /// Target: change `dx` from the baseline `xB` held with `u0`; returns the static-inverse input.
    #[napi]
    pub fn set_target(&mut self, x_b: Vec<f64>, dx: Vec<f64>, u0: Vec<f64>) -> Result<Float64Array> {
        guard(|| self.inner.set_target(&x_b, &dx, &u0)).map(Float64Array::new)
    }

    /// False when the last `setTarget` had to clip the static-inverse input to the bounds: the
    /// requested change is out of reach of the model and the tracker holds the nearest reachable
    /// set point. True before any target is set.
    #[napi(getter)]
    pub fn reachable(&self) -> bool {
        !self.inner.clipped
    }

    /// One control period: filter the measurement `y`, return the input for the next period.
    #[napi]
    pub fn step(&mut self, y: Float64Array) -> Result<Float64Array> {
        let y = y.to_vec();
        guard(|| self.inner.step(&y)).map(Float64Array::new)
    }
}
