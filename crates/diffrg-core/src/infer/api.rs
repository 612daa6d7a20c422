//! Public entry points of graph inference: options, the result type and dispatch over
//! methods (Latent Graph Diffusion and the baselines share the covariance pass, the
//! surrogates and the output format).

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::infer::covariance::{lagged_covariances, lagged_covariances_dense, CountRaster, CovOptions, CovarianceSet};
use crate::infer::lowrank::SlrOptions;
use crate::infer::surrogates::{benjamini_hochberg, shift_schedule};
use crate::infer::yule_walker::Generator;
use crate::infer::{baselines, lgd};
use faer::{Mat, MatRef};

/// Inference method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Latent Graph Diffusion: VAR(p) with sparse + low-rank latent correction.
    Lgd,
    /// Pearson correlation of binned activity (undirected baseline).
    Correlation,
    /// Partial correlation (inverse covariance; undirected baseline).
    PartialCorrelation,
    /// VAR(p) / Granger regression without latent correction (directed baseline).
    Var,
}

named_enum!(Method, "method" { Lgd => "lgd", Correlation => "correlation", PartialCorrelation => "partial-correlation", Var => "var" });

impl Method {
    pub fn directed(self) -> bool {
        matches!(self, Method::Lgd | Method::Var)
    }
}

/// Options for [`infer_raster`] / [`infer_dense`].
#[derive(Debug, Clone)]
pub struct InferOptions {
    /// Default [`Method::Lgd`].
    pub method: Method,
    /// VAR order `p` (bins) for `lgd` and `var`. Default 1.
    pub max_lag: usize,
    /// Ridge added to `Γ`, relative to its mean diagonal (standardised units). Default 1e-3.
    pub ridge: f64,
    /// Number of circular time-shift surrogates. Default 19.
    pub surrogates: usize,
    /// Largest surrogate shift (bins); bounds the streamed history. Default 2^17.
    pub max_shift_bins: usize,
    /// Smallest surrogate shift (bins), should exceed the correlation time. Default 100.
    pub min_shift_bins: usize,
    /// LGD: fraction of bins used for fitting when choosing penalties (the rest is held out).
    /// Default 0.8.
    pub train_fraction: f64,
    /// LGD: multipliers of the noise-level sparsity penalty `λ₀` tried (docs/lgd.md).
    /// Default `[16, 8, 4, 2, 1, 0.5, 0.25]`.
    pub lambda_grid: Vec<f64>,
    /// LGD: multipliers of the noise-level nuclear-norm penalty `μ₀` tried (plus `∞`, no
    /// latent part). Default `[16, 8, 4, 2, 1, 0.5]`.
    pub mu_grid: Vec<f64>,
    /// LGD: solver options.
    pub solver: SlrOptions,
    /// FDR level for [`InferredGraph::edges`]. Default 0.05.
    pub alpha: f64,
    /// Bin width in seconds (scales the continuous-time generator). Default 1 (per bin).
    pub bin_seconds: f64,
    /// Compute the continuous-time generator (`lgd`, `var`). Default true.
    pub generator: bool,
    /// Seed (surrogate shifts, randomized SVD). Default 0.
    pub seed: u64,
    /// Streaming chunk (bins). Default 16384.
    pub chunk_bins: usize,
    /// Memory limit for dense matrices (bytes). Default 8 GiB.
    pub memory_limit_bytes: u128,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions {
            method: Method::Lgd,
            max_lag: 1,
            ridge: 1e-3,
            surrogates: 19,
            max_shift_bins: 1 << 17,
            min_shift_bins: 100,
            train_fraction: 0.8,
            lambda_grid: vec![16.0, 8.0, 4.0, 2.0, 1.0, 0.5, 0.25],
            mu_grid: vec![16.0, 8.0, 4.0, 2.0, 1.0, 0.5],
            solver: SlrOptions::default(),
            alpha: 0.05,
            bin_seconds: 1.0,
            generator: true,
            seed: 0,
            chunk_bins: 1 << 14,
            memory_limit_bytes: crate::spectral::dense::DEFAULT_DENSE_LIMIT_BYTES,
        }
    }
}

/// Hidden low-rank modes of the latent correction `L = U diag(σ) V^T`.
#[derive(Debug, Clone)]
pub struct HiddenModes {
    pub rank: usize,
    pub singular_values: Vec<f64>,
    /// `N × r`: how strongly each observed (target) neuron is driven by each mode.
    pub target_loadings: Mat<f64>,
    /// `Np × r`: source neuron (row `k N + j` is neuron `j` at lag `k + 1`) loadings.
    pub source_loadings: Mat<f64>,
}

/// One point of the held-out penalty search.
#[derive(Debug, Clone, PartialEq)]
pub struct CvPoint {
    pub lambda_multiplier: f64,
    /// `f64::INFINITY` means no latent part.
    pub mu_multiplier: f64,
    /// Held-out one-step Gaussian log-likelihood per bin.
    pub loglik: f64,
    pub rank: usize,
    /// Non-zero off-diagonal edges of `S`.
    pub edges: usize,
    pub iterations: usize,
}

/// Diagnostics of one inference.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub n_bins: usize,
    pub total_activity: f64,
    pub shifts: Vec<usize>,
    pub lambda: f64,
    pub mu: f64,
    pub cv: Vec<CvPoint>,
    pub iterations: usize,
    pub converged: bool,
}

/// A signed, weighted, directed graph with per-edge significance. All arrays are `n × n`
/// row-major with index `source * n + target` (`source` influences `target`); diagonal
/// entries are 0 (weight) / 1 (p-value) and never reported as edges.
#[derive(Debug, Clone)]
pub struct InferredGraph {
    pub n: usize,
    pub method: Method,
    pub directed: bool,
    /// Signed coupling in original units (expected change of the target's activity per unit
    /// of the source's activity, summed over lags); the correlation value for undirected
    /// baselines.
    pub weight: Vec<f64>,
    /// LGD: the sparse component `S` (summed over lags, original units); empty otherwise.
    pub sparse_weight: Vec<f64>,
    /// Signed z-score against the surrogate null. Baselines: of the statistic the p-values
    /// test. LGD: the moderated, null-centred z of the total coupling `B_YW = S̃ + L̂` (direct
    /// part plus hidden-mode part; the statistic that orders its ranking tiers), while its
    /// p-values test the direct part `S̃ = B_YW - L̂` alone (docs/lgd.md, "Output").
    pub zscore: Vec<f64>,
    pub pvalue: Vec<f64>,
    /// Benjamini-Hochberg q-values over all ordered pairs (unordered pairs if undirected).
    pub qvalue: Vec<f64>,
    /// Strongest lag (bins, 1..=p) per edge; 0 for undirected methods.
    pub lag: Vec<u32>,
    /// Ranking score (higher = stronger evidence), used for AUROC/AUPR.
    pub score: Vec<f64>,
    pub hidden: Option<HiddenModes>,
    pub generator: Option<Generator>,
    pub diagnostics: Diagnostics,
}

/// One reported edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub source: usize,
    pub target: usize,
    pub weight: f64,
    pub pvalue: f64,
    pub qvalue: f64,
    pub lag: u32,
}

impl InferredGraph {
    /// Edges with `q <= alpha` (all off-diagonal pairs when `alpha >= 1`), strongest score
    /// first. Undirected methods report each pair once per direction.
    pub fn edges(&self, alpha: f64) -> Vec<Edge> {
        let n = self.n;
        let mut out: Vec<(f64, Edge)> = vec![];
        for s in 0..n {
            for t in 0..n {
                let k = s * n + t;
                if s != t && (alpha >= 1.0 || self.qvalue[k] <= alpha) {
                    out.push((
                        self.score[k],
                        Edge {
                            source: s,
                            target: t,
                            weight: self.weight[k],
                            pvalue: self.pvalue[k],
                            qvalue: self.qvalue[k],
                            lag: self.lag[k],
                        },
                    ));
                }
            }
        }
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        out.into_iter().map(|x| x.1).collect()
    }

    /// Ranking scores of the `n (n-1)` off-diagonal ordered pairs, row-major skipping the
    /// diagonal (the order of [`crate::infer::synthetic::edge_labels`]).
    pub fn offdiag_scores(&self) -> Vec<f64> {
        crate::infer::synthetic::offdiag(&self.score, self.n)
    }
}

/// Per-target-row statistics (`N × N`, row = target, col = source) into the output layout.
pub(crate) struct RowStats {
    pub weight: Mat<f64>,
    pub z: Mat<f64>,
    pub p: Mat<f64>,
    pub lag: Vec<u32>,
    pub sparse: Option<Mat<f64>>,
    /// Optional ranking score (row = target); `|z|` when absent.
    pub score: Option<Mat<f64>>,
}

pub(crate) fn assemble(method: Method, st: RowStats, diagnostics: Diagnostics) -> InferredGraph {
    let n = st.weight.nrows();
    let directed = method.directed();
    let mut weight = vec![0.0; n * n];
    let mut zscore = vec![0.0; n * n];
    let mut pvalue = vec![1.0; n * n];
    let mut score = vec![0.0; n * n];
    let mut lag = vec![0u32; n * n];
    let mut sparse_weight = if st.sparse.is_some() { vec![0.0; n * n] } else { vec![] };
    for s in 0..n {
        for t in 0..n {
            if s == t {
                continue;
            }
            let k = s * n + t;
            weight[k] = st.weight[(t, s)];
            zscore[k] = st.z[(t, s)];
            pvalue[k] = st.p[(t, s)];
            score[k] = match &st.score {
                Some(sc) => sc[(t, s)],
                None => st.z[(t, s)].abs(),
            };
            lag[k] = if st.lag.is_empty() { 0 } else { st.lag[t * n + s] };
            if let Some(sp) = &st.sparse {
                sparse_weight[k] = sp[(t, s)];
            }
        }
    }
    let mut qvalue = vec![1.0; n * n];
    if directed {
        let idx: Vec<usize> = (0..n * n).filter(|k| k / n != k % n).collect();
        let q = benjamini_hochberg(&idx.iter().map(|&k| pvalue[k]).collect::<Vec<_>>());
        for (c, &k) in idx.iter().enumerate() {
            qvalue[k] = q[c];
        }
    } else {
        let idx: Vec<usize> = (0..n * n).filter(|k| k / n < k % n).collect();
        let q = benjamini_hochberg(&idx.iter().map(|&k| pvalue[k]).collect::<Vec<_>>());
        for (c, &k) in idx.iter().enumerate() {
            let (s, t) = (k / n, k % n);
            qvalue[k] = q[c];
            qvalue[t * n + s] = q[c];
        }
    }
    InferredGraph {
        n,
        method,
        directed,
        weight,
        sparse_weight,
        zscore,
        pvalue,
        qvalue,
        lag,
        score,
        hidden: None,
        generator: None,
        diagnostics,
    }
}

fn validate(o: &InferOptions) -> Result<()> {
    if o.method.directed() && o.max_lag == 0 {
        return Err(Error::invalid_input("max_lag must be >= 1 for the lgd and var methods"));
    }
    if o.surrogates < 2 {
        return Err(Error::invalid_input(format!("surrogates must be >= 2 (got {})", o.surrogates)));
    }
    if !(o.train_fraction > 0.0 && o.train_fraction < 1.0) {
        return Err(Error::invalid_input(format!("train_fraction must be in (0, 1) (got {})", o.train_fraction)));
    }
    if o.lambda_grid.is_empty() || o.lambda_grid.iter().any(|&x| !(x > 0.0) || !x.is_finite()) {
        return Err(Error::invalid_input("lambda_grid must be a non-empty list of positive multipliers"));
    }
    if o.mu_grid.iter().any(|&x| !(x > 0.0)) {
        return Err(Error::invalid_input("mu_grid entries must be positive"));
    }
    if !(o.alpha > 0.0 && o.alpha <= 1.0) {
        return Err(Error::invalid_input(format!("alpha must be in (0, 1] (got {})", o.alpha)));
    }
    if !(o.bin_seconds > 0.0) || !o.bin_seconds.is_finite() {
        return Err(Error::invalid_input(format!("bin_seconds must be positive (got {})", o.bin_seconds)));
    }
    Ok(())
}

/// The covariance pass the method needs (lags, split, surrogate shifts).
pub fn covariance_plan(o: &InferOptions, n_bins: usize) -> Result<CovOptions> {
    validate(o)?;
    let p = if o.method.directed() { o.max_lag } else { 0 };
    let shift_lags: Vec<usize> = if o.method.directed() { (1..=p).collect() } else { vec![0] };
    let max_extra = *shift_lags.iter().max().unwrap_or(&0);
    let shifts = shift_schedule(n_bins.saturating_sub(max_extra + 1), o.surrogates, o.max_shift_bins, o.min_shift_bins, o.seed)?;
    let split_bin = if o.method == Method::Lgd { Some(((n_bins as f64) * o.train_fraction).floor() as usize) } else { None };
    Ok(CovOptions {
        max_lag: p,
        split_bin,
        shifts,
        shift_lags,
        chunk_bins: o.chunk_bins,
        memory_limit_bytes: o.memory_limit_bytes,
        ..Default::default()
    })
}

/// Inference from precomputed statistics (the output of [`covariance_plan`]'s pass).
pub fn infer_from_covariances(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    validate(o)?;
    let mut g = match o.method {
        Method::Lgd => lgd::lgd(set, o, exec)?,
        Method::Var => baselines::var(set, o, exec)?,
        Method::Correlation => baselines::correlation(set, o, exec)?,
        Method::PartialCorrelation => baselines::partial_correlation(set, o, exec)?,
    };
    g.diagnostics.n_bins = set.full.n_bins;
    g.diagnostics.total_activity = set.total_activity;
    g.diagnostics.shifts = set.shifts.clone();
    Ok(g)
}

/// Infers a graph from a sparse spike-count raster (one streaming pass + dense `N × N` work).
pub fn infer_raster(r: &CountRaster, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    let plan = covariance_plan(o, r.n_bins)?;
    // Progress: the covariance pass (bins streamed) is the first half, the fit the second.
    let mut trace = crate::exec::StageTimer::new("infer");
    let set = lagged_covariances(r, &plan, &exec.part(0.0, 0.5))?;
    trace.mark("covariance pass");
    infer_from_covariances(&set, o, &exec.part(0.5, 1.0))
}

/// Infers a graph from dense activity (`T × N`, one row per bin), e.g. calcium traces.
/// The samples are used as bins (no re-binning); `o.bin_seconds` should be the sampling
/// period (it only scales the continuous-time generator).
pub fn infer_dense(x: MatRef<f64>, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    let plan = covariance_plan(o, x.nrows())?;
    let set = lagged_covariances_dense(x, &plan, &exec.part(0.0, 0.5))?;
    infer_from_covariances(&set, o, &exec.part(0.5, 1.0))
}

/// [`infer_dense`] on neuron-major data: `data[i * n_samples + t]` is neuron `i` at sample
/// `t` (the layout of the activity readers). Errors name the first non-finite element.
pub fn infer_dense_neuron_major(data: &[f64], n_neurons: usize, n_samples: usize, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    check_dense_neuron_major(data, n_neurons, n_samples, o)?;
    // neuron-major data is the column-major layout of the samples x neurons matrix: no copy
    infer_dense(MatRef::from_column_major_slice(data, n_samples, n_neurons), o, exec)
}

/// The checks of [`infer_dense_neuron_major`]'s input (shape, finite values, memory).
pub(crate) fn check_dense_neuron_major(data: &[f64], n_neurons: usize, n_samples: usize, o: &InferOptions) -> Result<()> {
    let (n, t) = (n_neurons, n_samples);
    if n == 0 || t == 0 {
        return Err(Error::invalid_input(format!("dense activity must be non-empty (got {n} neurons x {t} samples)")));
    }
    if data.len() != n * t {
        return Err(Error::invalid_input(format!("dense activity has {} values, expected neurons x samples = {n} x {t}", data.len())));
    }
    if let Some(k) = data.iter().position(|v| !v.is_finite()) {
        return Err(Error::not_finite(format!("dense activity: neuron {} sample {} is {}", k / t, k % t, data[k])));
    }
    crate::error::ensure_fits(
        "dense activity (samples x neurons)",
        n as u128 * t as u128,
        o.memory_limit_bytes,
        "use fewer samples or neurons",
    )
}
