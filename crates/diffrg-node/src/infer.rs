//! Directed-graph inference from spike activity (Latent Graph Diffusion and baselines).

use crate::job::{guard, CancelToken, Job};
use diffrg_core::infer::metrics;
use diffrg_core::infer::{infer_dense_neuron_major, infer_raster, InferOptions, InferredGraph, Method, OwnedRaster};
use diffrg_core::Error;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default)]
pub struct InferOptionsJs {
    /// "lgd" | "correlation" | "partial-correlation" | "var". @default "lgd"
    pub method: Option<String>,
    /// VAR order p in bins (lgd, var). @default 1
    pub max_lag: Option<u32>,
    /// Ridge relative to the mean variance. @default 1e-3
    pub ridge: Option<f64>,
    /// Circular time-shift surrogates. @default 19
    pub surrogates: Option<u32>,
    /// Smallest surrogate shift (bins). @default 100
    pub min_shift_bins: Option<u32>,
    /// Fraction of bins for fitting in the penalty search (lgd). @default 0.8
    pub train_fraction: Option<f64>,
    /// FDR level. @default 0.05
    pub alpha: Option<f64>,
    /// Bin width in seconds (generator units). @default 1
    pub bin_seconds: Option<f64>,
    /// Compute the continuous-time generator. @default true
    pub generator: Option<bool>,
    /// Seed. @default 0
    pub seed: Option<u32>,
    /// Worker threads. @default DIFFRG_THREADS, SLURM_CPUS_PER_TASK or all cores
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct InferResultJs {
    pub n: u32,
    pub method: String,
    pub directed: bool,
    /// Row-major n x n arrays, index source * n + target.
    pub weight: Float64Array,
    pub sparse_weight: Float64Array,
    pub zscore: Float64Array,
    pub pvalue: Float64Array,
    pub qvalue: Float64Array,
    pub score: Float64Array,
    pub lag: Uint32Array,
    pub hidden_rank: u32,
    pub hidden_singular_values: Vec<f64>,
    /// n x r, column-major by mode (mode k occupies [k n, (k+1) n)).
    pub hidden_target_loadings: Float64Array,
    pub lambda: f64,
    pub mu: f64,
    pub iterations: u32,
    pub converged: bool,
    pub generator_defined: Option<bool>,
    pub generator_reason: Option<String>,
    /// n x n generator, row-major by target (G[target * n + source]) when defined.
    pub generator: Option<Float64Array>,
    pub n_bins: f64,
    pub total_spikes: f64,
}

/// Infers a directed graph from spike events (`neurons[k]` fired in bin `bins[k]`).
#[napi(ts_return_type = "Promise<InferResultJs>")]
pub fn infer_spikes(
    neurons: Uint32Array,
    bins: Uint32Array,
    n_neurons: u32,
    n_bins: u32,
    options: Option<InferOptionsJs>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<InferResultJs>> {
    let o = options.unwrap_or_default();
    let neurons = neurons.to_vec();
    let bins = bins.to_vec();
    Job::new(o.threads, token, move |exec| {
        let opts = options_from_js(&o)?;
        if n_neurons == 0 {
            return Err(Error::invalid_input("nNeurons must be positive"));
        }
        let raster = OwnedRaster::from_events(n_neurons as usize, n_bins as usize, &neurons, &bins)?;
        let g = infer_raster(&raster.view(), &opts, exec)?;
        Ok(result_to_js(g))
    })
}

fn options_from_js(o: &InferOptionsJs) -> diffrg_core::Result<InferOptions> {
    let d = InferOptions::default();
    let method = o.method.as_deref().map_or(Ok(d.method), |s| Method::parse_field(s, "method"))?;
    Ok(InferOptions {
        method,
        max_lag: o.max_lag.map(|x| x as usize).unwrap_or(d.max_lag),
        ridge: o.ridge.unwrap_or(d.ridge),
        surrogates: o.surrogates.map(|x| x as usize).unwrap_or(d.surrogates),
        min_shift_bins: o.min_shift_bins.map(|x| x as usize).unwrap_or(d.min_shift_bins),
        train_fraction: o.train_fraction.unwrap_or(d.train_fraction),
        alpha: o.alpha.unwrap_or(d.alpha),
        bin_seconds: o.bin_seconds.unwrap_or(d.bin_seconds),
        generator: o.generator.unwrap_or(d.generator),
        seed: o.seed.map(|x| x as u64).unwrap_or(d.seed),
        ..d
    })
}

fn result_to_js(g: InferredGraph) -> InferResultJs {
    let n = g.n;
    let (rank, sv, loadings) = match &g.hidden {
        Some(h) => {
            let mut l = Vec::with_capacity(n * h.rank);
            for k in 0..h.rank {
                for i in 0..n {
                    l.push(h.target_loadings[(i, k)]);
                }
            }
            (h.rank as u32, h.singular_values.clone(), l)
        }
        None => (0, vec![], vec![]),
    };
    let (gd, gr, gm) = match &g.generator {
        Some(x) => (
            Some(x.defined),
            x.reason.clone(),
            x.matrix.as_ref().map(|m| {
                let mut v = Vec::with_capacity(n * n);
                for i in 0..n {
                    for j in 0..n {
                        v.push(m[(i, j)]);
                    }
                }
                Float64Array::new(v)
            }),
        ),
        None => (None, None, None),
    };
    InferResultJs {
        n: n as u32,
        method: g.method.as_str().into(),
        directed: g.directed,
        weight: Float64Array::new(g.weight),
        sparse_weight: Float64Array::new(g.sparse_weight),
        zscore: Float64Array::new(g.zscore),
        pvalue: Float64Array::new(g.pvalue),
        qvalue: Float64Array::new(g.qvalue),
        score: Float64Array::new(g.score),
        lag: Uint32Array::new(g.lag),
        hidden_rank: rank,
        hidden_singular_values: sv,
        hidden_target_loadings: Float64Array::new(loadings),
        lambda: g.diagnostics.lambda,
        mu: g.diagnostics.mu,
        iterations: g.diagnostics.iterations as u32,
        converged: g.diagnostics.converged,
        generator_defined: gd,
        generator_reason: gr,
        generator: gm,
        n_bins: g.diagnostics.n_bins as f64,
        total_spikes: g.diagnostics.total_activity,
    }
}

/// Infers a directed graph from dense activity (e.g. calcium traces): `data` is
/// `nNeurons x nSamples` row-major (`data[i * nSamples + t]`), used as is (one bin per sample).
#[napi(ts_return_type = "Promise<InferResultJs>")]
pub fn infer_dense_activity(
    data: Float64Array,
    n_neurons: u32,
    n_samples: u32,
    options: Option<InferOptionsJs>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<InferResultJs>> {
    let o = options.unwrap_or_default();
    let data = data.to_vec();
    Job::new(o.threads, token, move |exec| {
        let opts = options_from_js(&o)?;
        let g = infer_dense_neuron_major(&data, n_neurons as usize, n_samples as usize, &opts, exec)?;
        Ok(result_to_js(g))
    })
}

#[napi(object)]
pub struct RankMetrics {
    pub auroc: f64,
    pub aupr: f64,
}

/// AUROC (ties count one half) and AUPR (average precision, ties grouped) of `scores` against
/// binary `labels` (non-zero: positive).
#[napi]
pub fn rank_metrics(scores: Float64Array, labels: Uint8Array) -> Result<RankMetrics> {
    let truth: Vec<bool> = labels.iter().map(|&b| b != 0).collect();
    guard(|| Ok(RankMetrics { auroc: metrics::auroc(&scores, &truth)?, aupr: metrics::aupr(&scores, &truth)? }))
}

/// Matthews correlation coefficient of binary detections against binary labels.
#[napi]
pub fn matthews_correlation(detected: Uint8Array, labels: Uint8Array) -> Result<f64> {
    let d: Vec<bool> = detected.iter().map(|&b| b != 0).collect();
    let t: Vec<bool> = labels.iter().map(|&b| b != 0).collect();
    guard(|| metrics::mcc(&d, &t))
}
