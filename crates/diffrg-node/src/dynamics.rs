//! Meso-scale effective dynamics and entropy production (docs/dynamics.md): conversion only.

use crate::job::{CancelToken, Job};
use diffrg_core::activity::{BinOptions, Reduce, SpikeTrains};
use diffrg_core::dynamics::{
    analyse_stream, effective_dynamics, trajectory, Coarsening, DynamicsOptions as CoreOptions, EpEstimate, Estimators, LinearStats,
    ScaleDynamics, SfiFit, StatesEstimate, TrajectoryOptions, TrajectoryRef,
};
use diffrg_core::Error;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::{Arc, Mutex};

#[napi(object)]
#[derive(Default, Clone)]
pub struct DynamicsOptions {
    /// Estimators among "ou", "var", "spectral", "sfi", "states". @default ["ou", "var", "spectral"]
    pub estimators: Option<Vec<String>>,
    /// Bootstrap replicates (0: no intervals). @default 100
    pub bootstrap: Option<u32>,
    /// Target number of time blocks of the bootstrap. @default 64
    pub blocks: Option<u32>,
    /// Frames ahead of the held-out prediction. @default 1
    pub horizon: Option<u32>,
    /// Held-out fraction (the end of the recording). @default 0.2
    pub test_fraction: Option<f64>,
    /// Confidence level. @default 0.95
    pub level: Option<f64>,
    /// @default 0
    pub seed: Option<u32>,
    /// Coarser scales: group of every variable per scale (0xFFFFFFFF: left out).
    pub assignments: Option<Vec<Vec<u32>>>,
    /// "sum" | "mean" of a group. @default "sum"
    pub reduce: Option<String>,
    /// Adds a scale of the top-K principal components.
    pub pca: Option<u32>,
    /// Causal exponential smoothing time constant (s) of the trajectory. @default none
    pub smoothing: Option<f64>,
    /// Number of discrete states of the `states` estimator. @default floor(sqrt(frames / 100)) in [2, 8]
    pub states: Option<u32>,
    /// Highest polynomial degree of the `sfi` drift basis. @default 3
    pub sfi_max_degree: Option<u32>,
    /// Largest `sfi` basis (scalar functions). @default 128
    pub sfi_max_basis: Option<u32>,
    pub threads: Option<u32>,
}

/// What the `sfi` rate rests on (docs/dynamics.md).
#[napi(object)]
pub struct SfiInfoJs {
    pub degree: u32,
    pub basis_size: u32,
    /// Non-gradient directions N_rot of the fitted fields (the bias is 2 N_rot / tau).
    pub rotational: u32,
    /// Information of the drift (nats) and its bias N_b / 2.
    pub information: f64,
    pub information_bias: f64,
    /// Predicted normalised mean squared error of the drift.
    pub drift_error: f64,
    /// Predicted standard error of the rate (nats/s).
    pub rate_error: f64,
    /// Degrees tried and their held-out information rates (nats/s).
    pub validation_degrees: Vec<u32>,
    pub validation_scores: Vec<f64>,
}

/// What the `states` rate rests on.
#[napi(object)]
pub struct StatesInfoJs {
    pub k: u32,
    pub occupied: u32,
    /// The plug-in sum per step before the bias correction.
    pub plug_in: f64,
    /// Transition counts, k x k row-major.
    pub counts: Float64Array,
    pub one_way_pairs: u32,
    pub one_way_fraction: f64,
    pub kmeans_iterations: u32,
    pub kmeans_converged: bool,
}

#[napi(object)]
pub struct EpEstimateJs {
    pub rate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub bias: Option<f64>,
    pub per_step: Option<f64>,
}

#[napi(object)]
pub struct ScaleDynamicsJs {
    pub variables: u32,
    pub frames: f64,
    pub bin_seconds: f64,
    /// Row-major `variables x variables` matrices (absent when the fit failed).
    pub drift: Option<Float64Array>,
    pub diffusion: Option<Float64Array>,
    pub covariance: Option<Float64Array>,
    pub irreversible_drift: Option<Float64Array>,
    pub transition: Option<Float64Array>,
    pub noise: Option<Float64Array>,
    pub timescales: Option<Vec<f64>>,
    pub frequencies: Option<Vec<f64>>,
    pub participation_ratio: Option<f64>,
    pub prediction_r2: Option<f64>,
    pub prediction_r2_diagonal: Option<f64>,
    pub prediction_horizon: Option<u32>,
    pub ou: Option<EpEstimateJs>,
    pub var: Option<EpEstimateJs>,
    pub spectral: Option<EpEstimateJs>,
    pub sfi: Option<EpEstimateJs>,
    pub states: Option<EpEstimateJs>,
    pub sfi_info: Option<SfiInfoJs>,
    pub states_info: Option<StatesInfoJs>,
    pub diagnostics: Vec<String>,
}

fn sfi_info(f: &SfiFit) -> SfiInfoJs {
    SfiInfoJs {
        degree: f.degree as u32,
        basis_size: f.basis_size as u32,
        rotational: f.rotational as u32,
        information: f.information,
        information_bias: f.information_bias,
        drift_error: f.drift_error,
        rate_error: f.rate_error,
        validation_degrees: f.validation.iter().map(|v| v.0 as u32).collect(),
        validation_scores: f.validation.iter().map(|v| v.1).collect(),
    }
}

fn states_info(r: &StatesEstimate) -> StatesInfoJs {
    StatesInfoJs {
        k: r.k as u32,
        occupied: r.occupied as u32,
        plug_in: r.plug_in,
        counts: Float64Array::new(r.counts.iter().map(|&c| c as f64).collect()),
        one_way_pairs: r.one_way_pairs as u32,
        one_way_fraction: r.one_way_fraction,
        kmeans_iterations: r.kmeans.as_ref().map_or(0, |k| k.iterations as u32),
        kmeans_converged: r.kmeans.as_ref().is_some_and(|k| k.converged),
    }
}

fn row_major<M: std::ops::Index<(usize, usize), Output = f64>>(m: &M, n: usize) -> Float64Array {
    let mut v = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            v.push(m[(i, j)]);
        }
    }
    Float64Array::new(v)
}

fn ep_js(e: Option<EpEstimate>) -> Option<EpEstimateJs> {
    e.map(|e| EpEstimateJs { rate: e.rate, ci_low: e.ci[0], ci_high: e.ci[1], bias: e.bias, per_step: e.per_step })
}

fn scale_js(s: ScaleDynamics) -> ScaleDynamicsJs {
    let ou = s.ou.as_ref();
    let n = s.variables;
    ScaleDynamicsJs {
        variables: s.variables as u32,
        frames: s.frames as f64,
        bin_seconds: s.bin_seconds,
        drift: ou.map(|f| row_major(&f.drift, n)),
        diffusion: ou.map(|f| row_major(&f.diffusion, n)),
        covariance: s.var.as_ref().map(|f| row_major(&f.s, n)),
        irreversible_drift: ou.map(|f| row_major(&f.irreversible_drift, n)),
        transition: s.var.as_ref().map(|f| row_major(&f.a, n)),
        noise: s.var.as_ref().map(|f| row_major(&f.q, n)),
        timescales: ou.map(|f| f.timescales.clone()),
        frequencies: ou.map(|f| f.frequencies.clone()),
        participation_ratio: s.participation_ratio,
        prediction_r2: s.prediction.map(|p| p.r2),
        prediction_r2_diagonal: s.prediction.map(|p| p.r2_diagonal),
        prediction_horizon: s.prediction.map(|p| p.horizon as u32),
        ou: ep_js(s.entropy.ou),
        var: ep_js(s.entropy.var),
        spectral: ep_js(s.entropy.spectral),
        sfi: ep_js(s.entropy.sfi),
        states: ep_js(s.entropy.states),
        sfi_info: s.sfi.as_ref().map(sfi_info),
        states_info: s.states.as_ref().map(states_info),
        diagnostics: s.diagnostics,
    }
}

fn reduce_of(o: &DynamicsOptions) -> diffrg_core::Result<Reduce> {
    o.reduce.as_deref().map_or(Ok(Reduce::default()), |r| Reduce::parse_field(r, "reduce"))
}

fn core_options(o: &DynamicsOptions) -> diffrg_core::Result<CoreOptions> {
    let d = CoreOptions::default();
    let estimators = o.estimators.as_deref().map_or(Ok(d.estimators), Estimators::from_names)?;
    Ok(CoreOptions {
        estimators,
        bootstrap: o.bootstrap.map_or(d.bootstrap, |x| x as usize),
        blocks: o.blocks.map_or(d.blocks, |x| x as usize),
        horizon: o.horizon.map_or(d.horizon, |x| x as usize),
        test_fraction: o.test_fraction.unwrap_or(d.test_fraction),
        level: o.level.unwrap_or(d.level),
        seed: o.seed.map_or(d.seed, |x| x as u64),
        sfi: diffrg_core::dynamics::SfiOptions {
            max_degree: o.sfi_max_degree.map_or(d.sfi.max_degree, |x| x as usize),
            max_basis: o.sfi_max_basis.map_or(d.sfi.max_basis, |x| x as usize),
            ..d.sfi.clone()
        },
        states: diffrg_core::dynamics::StatesOptions { k: o.states.map(|k| k as usize), ..d.states.clone() },
        ..d
    })
}

fn coarsenings(o: &DynamicsOptions) -> diffrg_core::Result<Vec<Coarsening>> {
    let reduce = reduce_of(o)?;
    let mut c: Vec<Coarsening> = o
        .assignments
        .iter()
        .flatten()
        .map(|a| Coarsening::Assignment(a.iter().map(|&g| (g != u32::MAX).then_some(g as usize)).collect(), reduce))
        .collect();
    if let Some(k) = o.pca {
        c.push(Coarsening::Pca(k as usize));
    }
    Ok(c)
}

fn run(t: trajectory::Trajectory, o: &DynamicsOptions, exec: &diffrg_core::Exec) -> diffrg_core::Result<Vec<ScaleDynamicsJs>> {
    let opts = core_options(o)?;
    let c = coarsenings(o)?;
    let r = effective_dynamics(t.view()?, &c, &opts, exec)?;
    Ok(r.into_iter().map(scale_js).collect())
}

fn traj_options(o: &DynamicsOptions) -> TrajectoryOptions {
    TrajectoryOptions { smoothing: o.smoothing, ..Default::default() }
}

/// Effective dynamics of dense activity: `data[i * samples + t]` is row `i` at sample `t`,
/// samples `dt` seconds apart (one frame per sample).
#[napi(ts_return_type = "Promise<Array<ScaleDynamicsJs>>")]
pub fn dynamics_dense(
    data: Float64Array,
    rows: u32,
    samples: u32,
    dt: f64,
    options: Option<DynamicsOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<Vec<ScaleDynamicsJs>>> {
    let o = options.unwrap_or_default();
    let data = data.to_vec();
    Job::new(o.threads, token, move |exec| {
        let t = trajectory::from_dense(&data, rows as usize, samples as usize, dt, &traj_options(&o), exec)?;
        run(t, &o, exec)
    })
}

/// Effective dynamics of spike trains binned at `binSeconds` from `start`: neuron `r`'s sorted
/// spike times are `times[offsets[r]..offsets[r + 1]]` (seconds).
#[napi(ts_return_type = "Promise<Array<ScaleDynamicsJs>>")]
pub fn dynamics_spikes(
    offsets: Float64Array,
    times: Float64Array,
    bin_seconds: f64,
    start: Option<f64>,
    stop: Option<f64>,
    options: Option<DynamicsOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<Vec<ScaleDynamicsJs>>> {
    let o = options.unwrap_or_default();
    let offsets: Vec<usize> = offsets.iter().map(|&x| x as usize).collect();
    let times = times.to_vec();
    Job::new(o.threads, token, move |exec| {
        let trains = SpikeTrains::from_parts(offsets, times, None)?;
        let bin = BinOptions { bin_width: bin_seconds, t_start: start, t_stop: stop };
        let t = trajectory::from_spikes(&trains, &bin, &traj_options(&o), exec)?;
        run(t, &o, exec)
    })
}

/// Entropy production and effective dynamics of a frame-major trajectory
/// (`data[t * vars + i]`), one scale plus the requested coarsenings.
#[napi(ts_return_type = "Promise<Array<ScaleDynamicsJs>>")]
pub fn dynamics_trajectory(
    data: Float64Array,
    frames: u32,
    vars: u32,
    dt: f64,
    options: Option<DynamicsOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<Vec<ScaleDynamicsJs>>> {
    let o = options.unwrap_or_default();
    let data = data.to_vec();
    Job::new(o.threads, token, move |exec| {
        TrajectoryRef::new(&data, frames as usize, vars as usize, dt)?;
        let t = trajectory::Trajectory { data, frames: frames as usize, vars: vars as usize, dt };
        run(t, &o, exec)
    })
}

/// A streaming accumulator: `push` frame-major chunks (any number of frames), then `finish`.
/// Memory is O(blocks x vars^2), independent of the number of frames.
#[napi]
pub struct DynamicsStream {
    inner: Arc<Mutex<LinearStats>>,
}

#[napi]
impl DynamicsStream {
    /// `vars` variables sampled every `dt` seconds; `options.blocks` and `options.horizon` fix
    /// the per-block statistics.
    #[napi(constructor)]
    pub fn new(vars: u32, dt: f64, options: Option<DynamicsOptions>) -> napi::Result<Self> {
        let o = options.unwrap_or_default();
        let c = core_options(&o).map_err(crate::job::to_napi)?;
        let s = LinearStats::new(vars as usize, dt, c.horizon, c.blocks).map_err(crate::job::to_napi)?;
        Ok(DynamicsStream { inner: Arc::new(Mutex::new(s)) })
    }

    /// Frames pushed so far.
    #[napi(getter)]
    pub fn frames(&self) -> f64 {
        self.inner.lock().map(|s| s.frames as f64).unwrap_or(f64::NAN)
    }

    /// Adds the frames of `chunk` (frame-major, a whole number of frames).
    #[napi(ts_return_type = "Promise<number>")]
    pub fn push(&self, chunk: Float64Array, threads: Option<u32>, token: Option<&CancelToken>) -> AsyncTask<Job<u32>> {
        let inner = self.inner.clone();
        let chunk = chunk.to_vec();
        Job::new(threads, token, move |exec| {
            let mut s = inner.lock().map_err(|_| Error::internal("dynamics stream poisoned"))?;
            s.push(&chunk, exec)?;
            Ok(0)
        })
    }

    /// Fits every scale (the streamed variables, then `options.assignments` / `options.pca`).
    #[napi(ts_return_type = "Promise<Array<ScaleDynamicsJs>>")]
    pub fn finish(&self, options: Option<DynamicsOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<Vec<ScaleDynamicsJs>>> {
        let o = options.unwrap_or_default();
        let inner = self.inner.clone();
        Job::new(o.threads, token, move |exec| {
            let s = inner.lock().map_err(|_| Error::internal("dynamics stream poisoned"))?;
            let scales = analyse_stream(&s, &coarsenings(&o)?, &core_options(&o)?, exec)?;
            Ok(scales.into_iter().map(scale_js).collect())
        })
    }
}
