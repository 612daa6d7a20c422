//! Phenomenological RG (docs/prg.md): conversion only.

use crate::job::{CancelToken, Job};
use diffrg_core::activity::{BinOptions, SpikeTrains};
use diffrg_core::dynamics::prg::{Exponent, PrgResult};
use diffrg_core::dynamics::{phenomenological_rg, trajectory, PrgOptions as CoreOptions, TrajectoryOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default, Clone)]
pub struct PrgOptions {
    /// Highest PRG level (clusters of 2^maxLevel units). @default as many as minClusters allows
    pub max_level: Option<u32>,
    /// A level is made only with at least this many clusters. @default 4
    pub min_clusters: Option<u32>,
    /// Divide each unit by the mean of its non-zero values. @default true
    pub normalize: Option<bool>,
    /// Bootstrap replicates over clusters (0: no intervals). @default 200
    pub bootstrap: Option<u32>,
    /// Confidence level. @default 0.95
    pub level: Option<f64>,
    /// @default 0
    pub seed: Option<u32>,
    /// Largest autocorrelation lag (frames). @default 1000
    pub max_lag: Option<u32>,
    /// Cluster sizes whose covariance spectrum is computed. @default 4 and 512
    pub spectrum_min_size: Option<u32>,
    pub spectrum_max_size: Option<u32>,
    /// Also fit the exponents of the data with every unit circularly shifted in time (the
    /// pairing's selection-bias floor). @default false
    pub shuffle: Option<bool>,
    /// A second hierarchy: group of every unit per level (0xFFFFFFFF: left out).
    pub assignments: Option<Vec<Vec<u32>>>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct ExponentJs {
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub stderr: Option<f64>,
    pub points: u32,
    /// The exponent of the circularly shifted data (with `shuffle`).
    pub null: Option<f64>,
}

#[napi(object)]
pub struct PrgLevelJs {
    /// Index of the level in the hierarchy given (0: the units).
    pub source: u32,
    pub clusters: u32,
    pub mean_size: f64,
    pub min_size: u32,
    pub max_size: u32,
    pub variance: f64,
    pub silence: f64,
    pub free_energy: Option<f64>,
    pub autocorrelation: Float64Array,
    pub autocorrelation_time: Option<f64>,
    pub spectrum: Float64Array,
    pub spectrum_size: u32,
    pub spectrum_clusters: u32,
    /// Cluster of every unit at this level (0xFFFFFFFF: left out).
    pub assignment: Uint32Array,
}

#[napi(object)]
pub struct PrgResultJs {
    pub levels: Vec<PrgLevelJs>,
    pub variance: Option<ExponentJs>,
    pub silence: Option<ExponentJs>,
    pub spectrum: Option<ExponentJs>,
    pub autocorrelation: Option<ExponentJs>,
    pub frames: f64,
    pub bin_seconds: f64,
    pub diagnostics: Vec<String>,
}

#[napi(object)]
pub struct PrgOutputJs {
    pub prg: PrgResultJs,
    /// The statistics along `options.assignments` (absent without it).
    pub lrg: Option<PrgResultJs>,
}

fn exponent_js(e: Option<Exponent>) -> Option<ExponentJs> {
    e.map(|e| ExponentJs { value: e.value, ci_low: e.ci[0], ci_high: e.ci[1], stderr: e.stderr, points: e.points as u32, null: e.null })
}

fn result_js(r: PrgResult, units: usize) -> PrgResultJs {
    let levels = r
        .levels
        .into_iter()
        .zip(&r.clusters)
        .map(|(l, c)| {
            let mut a = vec![u32::MAX; units];
            for (g, members) in c.iter().enumerate() {
                members.iter().for_each(|&i| a[i] = g as u32);
            }
            PrgLevelJs {
                source: l.source as u32,
                clusters: l.clusters as u32,
                mean_size: l.mean_size,
                min_size: l.min_size as u32,
                max_size: l.max_size as u32,
                variance: l.variance,
                silence: l.silence,
                free_energy: l.free_energy,
                autocorrelation: Float64Array::new(l.autocorrelation),
                autocorrelation_time: l.autocorrelation_time,
                spectrum: Float64Array::new(l.spectrum),
                spectrum_size: l.spectrum_size as u32,
                spectrum_clusters: l.spectrum_clusters as u32,
                assignment: Uint32Array::new(a),
            }
        })
        .collect();
    PrgResultJs {
        levels,
        variance: exponent_js(r.variance),
        silence: exponent_js(r.silence),
        spectrum: exponent_js(r.spectrum),
        autocorrelation: exponent_js(r.autocorrelation),
        frames: r.frames as f64,
        bin_seconds: r.bin_seconds,
        diagnostics: r.diagnostics,
    }
}

fn core_options(o: &PrgOptions) -> CoreOptions {
    let d = CoreOptions::default();
    CoreOptions {
        max_level: o.max_level.map(|x| x as usize),
        min_clusters: o.min_clusters.map_or(d.min_clusters, |x| x as usize),
        normalize: o.normalize.unwrap_or(d.normalize),
        bootstrap: o.bootstrap.map_or(d.bootstrap, |x| x as usize),
        level: o.level.unwrap_or(d.level),
        seed: o.seed.map_or(d.seed, |x| x as u64),
        max_lag: o.max_lag.map_or(d.max_lag, |x| x as usize),
        spectrum_min_size: o.spectrum_min_size.map_or(d.spectrum_min_size, |x| x as usize),
        spectrum_max_size: o.spectrum_max_size.map_or(d.spectrum_max_size, |x| x as usize),
        shuffle: o.shuffle.unwrap_or(d.shuffle),
    }
}

fn run(t: trajectory::Trajectory, o: &PrgOptions, exec: &diffrg_core::Exec) -> diffrg_core::Result<PrgOutputJs> {
    let a: Option<Vec<Vec<Option<usize>>>> =
        o.assignments.as_ref().map(|a| a.iter().map(|l| l.iter().map(|&g| (g != u32::MAX).then_some(g as usize)).collect()).collect());
    let (prg, lrg) = phenomenological_rg(t.view()?, a.as_deref(), &core_options(o), exec)?;
    Ok(PrgOutputJs { prg: result_js(prg, t.vars), lrg: lrg.map(|r| result_js(r, t.vars)) })
}

/// Phenomenological RG of dense activity: `data[i * samples + t]` is row `i` at sample `t`,
/// samples `dt` seconds apart (one frame per sample).
#[napi(ts_return_type = "Promise<PrgOutputJs>")]
pub fn prg_dense(
    data: Float64Array,
    rows: u32,
    samples: u32,
    dt: f64,
    options: Option<PrgOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<PrgOutputJs>> {
    let o = options.unwrap_or_default();
    let data = data.to_vec();
    Job::new(o.threads, token, move |exec| {
        let t = trajectory::from_dense(&data, rows as usize, samples as usize, dt, &TrajectoryOptions::default(), exec)?;
        run(t, &o, exec)
    })
}

/// Phenomenological RG of spike trains binned at `binSeconds` from `start` (the activity
/// family's grid): neuron `r`'s sorted spike times are `times[offsets[r]..offsets[r + 1]]`.
#[napi(ts_return_type = "Promise<PrgOutputJs>")]
pub fn prg_spikes(
    offsets: Float64Array,
    times: Float64Array,
    bin_seconds: f64,
    start: Option<f64>,
    stop: Option<f64>,
    options: Option<PrgOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<PrgOutputJs>> {
    let o = options.unwrap_or_default();
    let offsets: Vec<usize> = offsets.iter().map(|&x| x as usize).collect();
    let times = times.to_vec();
    Job::new(o.threads, token, move |exec| {
        let trains = SpikeTrains::from_parts(offsets, times, None)?;
        let bin = BinOptions { bin_width: bin_seconds, t_start: start, t_stop: stop };
        let t = trajectory::from_spikes(&trains, &bin, &TrajectoryOptions::default(), exec)?;
        run(t, &o, exec)
    })
}
