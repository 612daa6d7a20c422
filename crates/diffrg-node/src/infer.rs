//! Directed-graph inference from spike activity (Latent Graph Diffusion and baselines).

use crate::job::{guard, CancelToken, Job};
use diffrg_core::exec::StageTimer;
use diffrg_core::infer::lgd::{LgdNullInputs, LgdPartial};
use diffrg_core::infer::metrics;
use diffrg_core::infer::shard::{lgd_shard_dense_neuron_major, lgd_shard_raster, merge_lgd_null, LgdShard, SurrogatePart};
use diffrg_core::infer::{infer_dense_neuron_major, infer_raster, InferOptions, InferredGraph, Method, OwnedRaster};
use diffrg_core::spectral::shard::Shard;
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
    /// lgd only: compute shard `index` of `count` of the surrogates (see `lgdShard` of the
    /// result). @default none (the whole run)
    pub shard: Option<InferShardSpec>,
}

/// Shard `index` (0-based) of `count`.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct InferShardSpec {
    pub index: u32,
    pub count: u32,
}

/// The lag-summed surrogate statistics of one shard: surrogates `first..first + k` of
/// `total`, each `n x n` row-major by target (`[m][target * n + source]`), concatenated.
#[napi(object)]
pub struct SurrogatePartJs {
    pub total: u32,
    pub first: u32,
    pub n: u32,
    pub surrogates: Float64Array,
}

/// The statistics the surrogate null is applied to (shard 0), `n x n` row-major by target.
#[napi(object)]
pub struct LgdNullJs {
    pub n: u32,
    pub stat: Float64Array,
    pub centred: Float64Array,
    pub inv_white_sd: Float64Array,
    /// 1 where the sparse estimate selected the pair.
    pub selected: Uint8Array,
}

/// One shard of a sharded LGD run: its surrogates, and on shard 0 the null's statistics (the
/// result's other fields are then the fit's; `zscore`, `pvalue`, `qvalue`, `score` come from
/// `mergeLgdShards`). On shards > 0 the result's arrays are empty.
#[napi(object)]
pub struct LgdShardJs {
    pub index: u32,
    pub count: u32,
    pub part: SurrogatePartJs,
    pub null: Option<LgdNullJs>,
}

/// The surrogate-dependent outputs of a merged LGD run (row-major `source * n + target`).
#[napi(object)]
pub struct LgdNullStatsJs {
    pub zscore: Float64Array,
    pub pvalue: Float64Array,
    pub qvalue: Float64Array,
    pub score: Float64Array,
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
    /// Present when `options.shard` was given.
    pub lgd_shard: Option<LgdShardJs>,
    /// `inferSpikes` only: the spike table's neuron ids in row order.
    pub ids: Option<Float64Array>,
}

/// Infers a directed graph from a spike table: neuron `neurons[k]` (a non-negative integer
/// below 2^53) fired at `times[k]` seconds, binned in `binSeconds` on `[start, end)` (default 0
/// and one bin after the latest spike). The result's `ids` are the table's neuron ids in row
/// order.
#[napi(ts_return_type = "Promise<InferResultJs>")]
#[allow(clippy::too_many_arguments)]
pub fn infer_spikes(
    neurons: Float64Array,
    times: Float64Array,
    bin_seconds: f64,
    start: Option<f64>,
    end: Option<f64>,
    options: Option<InferOptionsJs>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<InferResultJs>> {
    let o = options.unwrap_or_default();
    let neurons = neurons.to_vec();
    let times = times.to_vec();
    Job::new(o.threads, token, move |exec| {
        let opts = options_from_js(&o)?;
        let mut timer = StageTimer::new("infer");
        let table = OwnedRaster::from_spike_table(&neurons, &times, bin_seconds, start, end)?;
        drop((neurons, times));
        timer.mark("spike table (validated, indexed, binned)");
        let n = table.ids.len();
        let mut res = match o.shard {
            Some(sh) => shard_to_js(lgd_shard_raster(&table.raster.view(), &opts, shard_of(sh), exec)?, n),
            None => result_to_js(infer_raster(&table.raster.view(), &opts, exec)?),
        };
        res.ids = Some(Float64Array::new(table.ids.iter().map(|&id| id as f64).collect()));
        Ok(res)
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
        lgd_shard: None,
        ids: None,
    }
}

fn shard_of(s: InferShardSpec) -> Shard {
    Shard { index: s.index as usize, count: s.count as usize }
}

fn shard_to_js(s: LgdShard, n: usize) -> InferResultJs {
    let part = SurrogatePartJs {
        total: s.part.total as u32,
        first: s.part.first as u32,
        n: n as u32,
        surrogates: Float64Array::new(s.part.to_rows()),
    };
    let (mut res, null) = match s.partial {
        Some(LgdPartial { graph, null }) => {
            let (stat, centred, inv, selected) = null.to_rows();
            let nj = LgdNullJs {
                n: n as u32,
                stat: Float64Array::new(stat),
                centred: Float64Array::new(centred),
                inv_white_sd: Float64Array::new(inv),
                selected: Uint8Array::new(selected.into_iter().map(u8::from).collect()),
            };
            (result_to_js(graph), Some(nj))
        }
        None => {
            let stub = InferredGraph {
                n,
                method: Method::Lgd,
                directed: true,
                weight: vec![],
                sparse_weight: vec![],
                zscore: vec![],
                pvalue: vec![],
                qvalue: vec![],
                lag: vec![],
                score: vec![],
                hidden: None,
                generator: None,
                diagnostics: Default::default(),
            };
            (result_to_js(stub), None)
        }
    };
    res.lgd_shard = Some(LgdShardJs { index: s.shard.index as u32, count: s.shard.count as u32, part, null });
    res
}

/// Merges the surrogate parts of all shards of one LGD run (any order) and applies the null
/// to shard 0's statistics: the `zscore`, `pvalue`, `qvalue` and `score` of the unsharded run.
#[napi]
pub fn merge_lgd_shards(shard0: LgdNullJs, parts: Vec<SurrogatePartJs>) -> Result<LgdNullStatsJs> {
    guard(|| {
        let selected = shard0.selected.iter().map(|&b| b != 0).collect();
        let inputs = LgdNullInputs::from_rows(shard0.n as usize, &shard0.stat, &shard0.centred, &shard0.inv_white_sd, selected)?;
        let core_parts = parts
            .iter()
            .map(|p| SurrogatePart::from_rows(p.total as usize, p.first as usize, p.n as usize, &p.surrogates))
            .collect::<diffrg_core::Result<Vec<_>>>()?;
        let s = merge_lgd_null(&inputs, core_parts)?;
        Ok(LgdNullStatsJs {
            zscore: Float64Array::new(s.zscore),
            pvalue: Float64Array::new(s.pvalue),
            qvalue: Float64Array::new(s.qvalue),
            score: Float64Array::new(s.score),
        })
    })
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
        if let Some(sh) = o.shard {
            let s = lgd_shard_dense_neuron_major(&data, n_neurons as usize, n_samples as usize, &opts, shard_of(sh), exec)?;
            return Ok(shard_to_js(s, n_neurons as usize));
        }
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
