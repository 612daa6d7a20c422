//! Tensor trains over spike patterns: fit, log-probabilities, compression, sampling,
//! marginals and entropies. Models cross the boundary as plain arrays (`MpsModel`).

use crate::job::{CancelToken, Job};
use crate::set;
use diffrg_core::mps::{compress, entropy, eval, learn, marginals, pipeline, sample, Kind, TensorTrain};
use diffrg_core::Result as CoreResult;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A tensor train as flat arrays: core k has shape (bondDims[k], dims[k], bondDims[k+1]),
/// row-major, concatenated in `data`. Returned models hand their core buffer to JavaScript as
/// a Float64Array without per-element conversion (an external ArrayBuffer over the Rust
/// allocation).
#[napi(object)]
pub struct MpsModel {
    /// "born" | "probability"
    pub kind: String,
    pub dims: Vec<u32>,
    /// N + 1 values, both ends 1.
    pub bond_dims: Vec<u32>,
    pub data: Float64Array,
}

/// Model input, converted (copied once, shapes checked) by the core's
/// [`compress::train_from_flat`]; an error surfaces when the job runs.
pub struct ModelIn(CoreResult<TensorTrain>);

fn usizes(v: &[u32]) -> Vec<usize> {
    v.iter().map(|&x| x as usize).collect()
}

fn model_in(kind: String, dims: Vec<u32>, bond_dims: Vec<u32>, data: &Float64Array) -> ModelIn {
    ModelIn(
        Kind::parse_field(&kind, "model.kind")
            .and_then(|k| compress::train_from_flat(k, &usizes(&dims), &usizes(&bond_dims), data, "model")),
    )
}

fn into_tt(m: ModelIn) -> CoreResult<TensorTrain> {
    m.0
}

pub(crate) fn from_tt(t: &TensorTrain) -> MpsModel {
    let mut data = Vec::with_capacity(t.cores().iter().map(|c| c.data.len()).sum());
    for c in t.cores() {
        data.extend_from_slice(&c.data);
    }
    MpsModel {
        kind: t.kind().as_str().into(),
        dims: t.dims().iter().map(|&d| d as u32).collect(),
        bond_dims: t.bond_dims().iter().map(|&d| d as u32).collect(),
        data: Float64Array::new(data),
    }
}

#[napi(object)]
#[derive(Default)]
pub struct MpsFitOptions {
    /// Maximum bond dimension. @default 32
    pub chi: Option<u32>,
    /// Alphabet size per site. @default max value + 1 per site (at least 2)
    pub dims: Option<Vec<u32>>,
    /// Fraction of the patterns in the test split (never used for fitting or selection; all
    /// held-out NLLs are measured on it). @default 0.2
    pub heldout: Option<f64>,
    /// Fraction of the remaining patterns in the validation split (early stopping and the
    /// choice of the initial mixing weight). @default 0.2
    pub validation: Option<f64>,
    /// Seed of the splits and of AIS. @default 0
    pub seed: Option<u32>,
    /// Fixed weight of the independent model in the initial amplitude (no selection).
    /// @default chosen on the validation split from `initMixGrid`
    pub init_mix: Option<f64>,
    /// Candidate mixing weights (1 = product-state start). @default [1, 0.3, 0.1, 0.03, 0.01, 0.001]
    pub init_mix_grid: Option<Vec<f64>>,
    /// Maximum half-sweeps. @default 12
    pub max_half_sweeps: Option<u32>,
    /// Early-stopping patience (half-sweeps; EM iterations for probability trains). @default 2
    /// (8 for probability trains)
    pub patience: Option<u32>,
    /// Relative SVD cutoff. @default 1e-10
    pub cutoff: Option<f64>,
    /// Grow the bond dimension along the ladder 2, 4, 8, ..., chi on the validation split.
    /// @default true
    pub grow: Option<bool>,
    /// Candidate weights of the smoothing pseudo-data (independent-model patterns) chosen on the
    /// validation split; 0 = none. @default [0, 0.1, 0.3]
    pub smoothing_grid: Option<Vec<f64>>,
    /// Initial line-search step of the two-site updates. @default 0.5
    pub learning_rate: Option<f64>,
    /// Gradient steps per bond. @default 2
    pub steps_per_bond: Option<u32>,
    /// Soft threshold of the singular values relative to the leading one. @default 0
    pub shrink: Option<f64>,
    /// Also fit the independent and pairwise (pseudo-likelihood) baselines. @default true
    pub baselines: Option<bool>,
    /// 'born' (Born machine, two-site sweeps), 'probability' (non-negative train learned by
    /// EM with smoothed counts) or 'mixture' (bagged probability trains plus a Born machine,
    /// mixture weights on the validation split; the model is a probability train; docs/mps.md).
    /// @default 'born'
    pub kind: Option<String>,
    /// Mixtures: bagged probability trains (each on a bootstrap resample). @default 4
    pub components: Option<u32>,
    /// Mixtures: fit each probability train on a bootstrap resample of the training set
    /// (false: the full set, seeds only). @default true
    pub resample: Option<bool>,
    /// Mixtures: bond dimension of the added Born machine (0: none). @default 2
    pub born_chi: Option<u32>,
    /// Mixtures: largest class count of the added latent-class component (a mixture of
    /// independent-site models; also capped by `chi`; 0: none). @default 32
    pub latent_classes: Option<u32>,
    /// Probability trains: candidate Dirichlet masses per hidden state chosen on the validation
    /// split. @default [1, 10]
    pub pseudocounts: Option<Vec<f64>>,
    /// Probability trains: ladders with different seeds per pseudocount, best by validation.
    /// @default 1
    pub restarts: Option<u32>,
    /// Probability trains: relative noise on the split hidden states. @default 0.5
    pub noise: Option<f64>,
    /// Probability trains: EM iterations per rung at most. @default 200
    pub max_iters: Option<u32>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct MpsSweep {
    pub nll_train: f64,
    /// NLL on the validation split.
    pub nll_validation: f64,
    /// Deprecated alias of `nll_validation` (one release).
    pub nll_heldout: f64,
    pub max_bond: u32,
    /// Bond-dimension limit of the half-sweep (the ladder's rung).
    pub chi: u32,
    /// Smoothing weight of the run.
    pub smoothing: f64,
    /// Mixing weight of the run's initial state (1: product-state start).
    pub init_mix: f64,
    /// Mixtures: index into `components` of the fit the record belongs to (0 otherwise).
    pub component: u32,
}

fn sweep_out(h: &learn::SweepRecord) -> MpsSweep {
    MpsSweep {
        nll_train: h.nll_train,
        nll_validation: h.nll_heldout,
        nll_heldout: h.nll_heldout,
        max_bond: h.max_bond as u32,
        chi: h.chi as u32,
        smoothing: h.smoothing,
        init_mix: h.init_mix,
        component: h.component as u32,
    }
}

#[napi(object)]
pub struct MpsFitResult {
    pub model: MpsModel,
    pub sites: u32,
    pub chi: u32,
    pub n_train: u32,
    /// Test-split size (never used for fitting or selection).
    pub n_test: u32,
    /// Deprecated alias of `n_test` (one release).
    pub n_heldout: u32,
    pub n_distinct_train: u32,
    pub nll_train: f64,
    /// NLL on the test split.
    pub nll_test: f64,
    /// Deprecated alias of `nll_test` (one release).
    pub nll_heldout: f64,
    pub n_validation: u32,
    pub nll_validation: f64,
    pub init_mix: f64,
    pub init_mix_candidates: Vec<MpsInitCandidate>,
    pub init_nll_train: f64,
    /// Validation NLL of the initial state.
    pub init_nll_validation: f64,
    /// Deprecated alias of `init_nll_validation` (one release).
    pub init_nll_heldout: f64,
    pub nll_independent: f64,
    pub nll_independent_train: f64,
    pub nll_ising: f64,
    pub nll_ising_train: f64,
    /// Standard error of ln Z of the pairwise model (0 when exact).
    pub ising_log_z_stderr: f64,
    /// Deprecated alias of `ising_log_z_stderr` (one release).
    pub ising_log_z_se: f64,
    /// Most L-BFGS iterations a site's pseudo-likelihood regression used (0 without baselines).
    pub ising_iterations: u32,
    /// Whether every site's regression converged (true without baselines).
    pub ising_converged: bool,
    /// Iterations and convergence of the K-pairwise fit (0 / true when not fitted).
    pub k_pairwise_iterations: u32,
    pub k_pairwise_converged: bool,
    /// Whether the Ising (and K-pairwise) baselines are exact maximum-likelihood fits (small
    /// binary systems); otherwise pseudo-likelihood.
    pub ising_exact_ml: bool,
    /// K-pairwise model (Tkacik et al. 2014) on the test / training split (NaN without
    /// baselines or for non-binary sites).
    pub nll_k_pairwise: f64,
    pub nll_k_pairwise_train: f64,
    pub bond_entropies: Vec<f64>,
    pub history: Vec<MpsSweep>,
    /// Every half-sweep of every run of the selection (validation NLL against chi and sweeps).
    pub curve: Vec<MpsSweep>,
    /// Smoothing weight of the returned model (0: none).
    pub smoothing: f64,
    /// Set when the model is a product state although the training data are correlated.
    pub warning: Option<String>,
    /// Mixtures: every component (empty for the other kinds).
    pub components: Vec<MpsComponent>,
}

/// One component of a mixture fit.
#[napi(object)]
pub struct MpsComponent {
    /// 'probability' (bagged EM train), 'latent' (latent-class model) or 'born'.
    pub kind: String,
    /// Mixture weight (fitted on the validation split).
    pub weight: f64,
    /// The component's own validation NLL (bits per pattern).
    pub nll_validation: f64,
    pub max_bond: u32,
}

/// One candidate initial state of the validation selection (NLL in bits per pattern; NaN when
/// screened out before the sweeps).
#[napi(object)]
pub struct MpsInitCandidate {
    pub init_mix: f64,
    pub init_nll_validation: f64,
    pub nll_validation: f64,
    pub nll_train: f64,
    pub smoothing: f64,
}

/// Fits a Born machine to a row-major pattern matrix (u8, `sites` columns).
#[napi(ts_return_type = "Promise<MpsFitResult>")]
pub fn mps_fit(
    patterns: Uint8Array,
    sites: u32,
    options: Option<MpsFitOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<MpsFitResult>> {
    let o = options.unwrap_or_default();
    let pats = patterns.to_vec();
    Job::new(o.threads, token, move |exec| {
        let r = pipeline::fit_patterns(&pats, sites as usize, &fit_options(&o)?, exec)?;
        let rep = &r.fit;
        Ok(MpsFitResult {
            sites: r.sites as u32,
            chi: r.max_bond as u32,
            n_train: rep.n_train as u32,
            n_test: r.n_test as u32,
            n_heldout: r.n_test as u32,
            n_distinct_train: rep.n_distinct_train as u32,
            nll_train: rep.nll_train,
            nll_test: r.nll_test,
            nll_heldout: r.nll_test,
            n_validation: rep.n_heldout as u32,
            nll_validation: rep.nll_heldout,
            init_mix: rep.init_mix,
            init_mix_candidates: rep
                .candidates
                .iter()
                .map(|c| MpsInitCandidate {
                    init_mix: c.init_mix,
                    init_nll_validation: c.init_nll_validation,
                    nll_validation: c.nll_validation,
                    nll_train: c.nll_train,
                    smoothing: c.smoothing,
                })
                .collect(),
            init_nll_train: rep.init_nll_train,
            init_nll_validation: rep.init_nll_heldout,
            init_nll_heldout: rep.init_nll_heldout,
            nll_independent: r.nll_independent,
            nll_independent_train: r.nll_independent_train,
            nll_ising: r.nll_ising,
            nll_ising_train: r.nll_ising_train,
            ising_log_z_stderr: r.ising_log_z_stderr,
            ising_log_z_se: r.ising_log_z_stderr,
            ising_iterations: r.ising_iterations as u32,
            ising_converged: r.ising_converged,
            ising_exact_ml: r.ising_exact_ml,
            nll_k_pairwise: r.nll_k_pairwise,
            nll_k_pairwise_train: r.nll_k_pairwise_train,
            k_pairwise_iterations: r.k_pairwise_iterations as u32,
            k_pairwise_converged: r.k_pairwise_converged,
            history: rep.history.iter().map(sweep_out).collect(),
            curve: rep.curve.iter().map(sweep_out).collect(),
            smoothing: rep.smoothing,
            warning: rep.warning.clone(),
            components: r
                .components
                .iter()
                .map(|c| MpsComponent {
                    kind: c.component.as_str().to_string(),
                    weight: c.weight,
                    nll_validation: c.nll_validation,
                    max_bond: c.max_bond as u32,
                })
                .collect(),
            model: from_tt(&r.model),
            bond_entropies: r.bond_entropies,
        })
    })
}

/// Maps the napi options onto the core's (defaults: [`pipeline::PipelineOptions::default`]).
fn fit_options(o: &MpsFitOptions) -> CoreResult<pipeline::PipelineOptions> {
    let mut p = pipeline::PipelineOptions::default();
    set(&mut p.kind, o.kind.as_deref().map(|k| pipeline::Family::parse_field(k, "kind")).transpose()?);
    p.dims = o.dims.as_deref().map(usizes);
    set(&mut p.test, o.heldout);
    set(&mut p.validation, o.validation);
    set(&mut p.seed, o.seed.map(u64::from));
    set(&mut p.max_bond, o.chi.map(|c| c as usize));
    p.init_mix = o.init_mix;
    p.patience = o.patience.map(|c| c as usize);
    set(&mut p.baselines, o.baselines);
    let l = &mut p.learn;
    set(&mut l.init_mix_grid, o.init_mix_grid.clone());
    set(&mut l.max_half_sweeps, o.max_half_sweeps.map(|c| c as usize));
    set(&mut l.cutoff, o.cutoff);
    set(&mut l.grow, o.grow);
    set(&mut l.smoothing_grid, o.smoothing_grid.clone());
    set(&mut l.learning_rate, o.learning_rate);
    set(&mut l.steps_per_bond, o.steps_per_bond.map(|c| c as usize));
    set(&mut l.shrink, o.shrink);
    let t = &mut p.ptt;
    set(&mut t.pseudocount_grid, o.pseudocounts.clone());
    set(&mut t.restarts, o.restarts.map(|c| c as usize));
    set(&mut t.noise, o.noise);
    set(&mut t.max_iters, o.max_iters.map(|c| c as usize));
    let m = &mut p.mixture;
    set(&mut m.components, o.components.map(|c| c as usize));
    set(&mut m.bootstrap, o.resample);
    set(&mut m.born_chi, o.born_chi.map(|c| c as usize));
    set(&mut m.latent_classes, o.latent_classes.map(|c| c as usize));
    Ok(p)
}

#[napi(object)]
#[derive(Default)]
pub struct MpsRunOptions {
    pub threads: Option<u32>,
}

/// log2 P of every pattern row.
#[napi(ts_return_type = "Promise<Array<number>>")]
pub fn mps_log_prob(
    kind: String,
    dims: Vec<u32>,
    bond_dims: Vec<u32>,
    data: Float64Array,
    patterns: Uint8Array,
    options: Option<MpsRunOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<Vec<f64>>> {
    let o = options.unwrap_or_default();
    let pats = patterns.to_vec();
    let model = model_in(kind, dims, bond_dims, &data);
    Job::new(o.threads, token, move |exec| {
        let t = into_tt(model)?;
        eval::log2_prob(&t, &pats, exec)
    })
}

#[napi(object)]
#[derive(Default)]
pub struct MpsCompressOptions {
    /// Maximum bond dimension (0 = unlimited). @default 32
    pub max_bond: Option<u32>,
    /// Relative per-bond discarded-weight cutoff. @default 0
    pub cutoff: Option<f64>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct MpsCompressResult {
    pub model: MpsModel,
    /// Relative discarded weight per bond (1..N-1).
    pub discarded: Vec<f64>,
    /// ||T - T~||^2 / ||T||^2.
    pub total_discarded: f64,
}

/// Compresses a model; the result is rescaled to the original norm.
///
/// Unlike the other calls, the input cores are not copied: the job reads the caller's
/// Float64Array in place (napi keeps a reference to it until the job ends), so the 26 MB of a
/// 100-site chi-128 model cost no copy and no page faults. The JavaScript side must not write
/// to (or transfer) `data` while the promise is pending; the facade documents this.
#[napi(ts_return_type = "Promise<MpsCompressResult>")]
pub fn mps_compress(
    kind: String,
    dims: Vec<u32>,
    bond_dims: Vec<u32>,
    data: Float64Array,
    options: Option<MpsCompressOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<MpsCompressResult>> {
    let o = options.unwrap_or_default();
    Job::new(o.threads, token, move |exec| {
        let kind = Kind::parse_field(&kind, "model.kind")?;
        let cores = compress::CoreRef::split(&usizes(&dims), &usizes(&bond_dims), &data, "model")?;
        let mut opts = compress::CompressOptions::default();
        set(&mut opts.max_bond, o.max_bond.map(|c| c as usize));
        set(&mut opts.cutoff, o.cutoff);
        let (c, rep) = compress::compress_borrowed_rescaled(kind, &cores, &opts, exec)?;
        Ok(MpsCompressResult { model: from_tt(&c), discarded: rep.discarded, total_discarded: rep.total_discarded })
    })
}

/// A random model (seeded), for tests and benchmarks.
#[napi]
pub fn mps_random(kind: String, dims: Vec<u32>, chi: u32, seed: u32) -> Result<MpsModel> {
    crate::job::guard(|| {
        let k = Kind::parse_field(&kind, "kind")?;
        Ok(from_tt(&TensorTrain::random(k, &usizes(&dims), chi as usize, seed as u64)?))
    })
}

#[napi(object)]
pub struct MpsSamples {
    /// Row-major n x sites, values as numbers.
    pub patterns: Vec<u32>,
    pub log2_prob: Vec<f64>,
    pub clipped: u32,
}

/// Exact samples.
#[napi(ts_return_type = "Promise<MpsSamples>")]
pub fn mps_sample(
    kind: String,
    dims: Vec<u32>,
    bond_dims: Vec<u32>,
    data: Float64Array,
    count: u32,
    seed: u32,
    options: Option<MpsRunOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<MpsSamples>> {
    let o = options.unwrap_or_default();
    let model = model_in(kind, dims, bond_dims, &data);
    Job::new(o.threads, token, move |exec| {
        let t = into_tt(model)?;
        let s = sample::sample(&t, count as usize, seed as u64, exec)?;
        Ok(MpsSamples { patterns: s.patterns.iter().map(|&v| v as u32).collect(), log2_prob: s.log2_prob, clipped: s.clipped as u32 })
    })
}

#[napi(object)]
pub struct MpsMarginals {
    /// Per site, P(s_k = a | evidence).
    pub single: Vec<Vec<f64>>,
    /// Pairs (i < j) in order with their d_i x d_j tables (row-major), when requested.
    pub pair_i: Vec<u32>,
    pub pair_j: Vec<u32>,
    pub pair_tables: Vec<Vec<f64>>,
}

/// Single-site (and optionally pairwise) marginals, conditioned on `evidence` given as
/// (site, value) pairs flattened `[site0, value0, site1, value1, ...]`.
#[napi(ts_return_type = "Promise<MpsMarginals>")]
pub fn mps_marginals(
    kind: String,
    dims: Vec<u32>,
    bond_dims: Vec<u32>,
    data: Float64Array,
    evidence: Vec<u32>,
    pairs: bool,
    options: Option<MpsRunOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<MpsMarginals>> {
    let o = options.unwrap_or_default();
    let model = model_in(kind, dims, bond_dims, &data);
    Job::new(o.threads, token, move |exec| {
        let t = into_tt(model)?;
        let ev = marginals::evidence_pairs(&evidence)?;
        let single = marginals::conditional_marginals(&t, &ev, exec)?;
        let (mut pi, mut pj, mut pt) = (Vec::new(), Vec::new(), Vec::new());
        if pairs {
            for p in marginals::pair_marginals(&t, &ev, exec)? {
                pi.push(p.i as u32);
                pj.push(p.j as u32);
                pt.push(p.table);
            }
        }
        Ok(MpsMarginals { single, pair_i: pi, pair_j: pj, pair_tables: pt })
    })
}

#[napi(object)]
#[derive(Default)]
pub struct MpsEntropyOptions {
    /// Samples for the Shannon estimate (0 = skip). @default 10000
    pub samples: Option<u32>,
    /// @default 0
    pub seed: Option<u32>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct MpsEntropies {
    /// Bits, bonds 1..N-1.
    pub bond_entropies: Vec<f64>,
    pub renyi2: f64,
    pub shannon: f64,
    pub shannon_stderr: f64,
    /// Deprecated alias of `shannon_stderr` (one release).
    pub shannon_std_error: f64,
    pub shannon_ci_low: f64,
    pub shannon_ci_high: f64,
}

/// Bond entropies, exact Renyi-2 and sampled Shannon entropy (bits).
#[napi(ts_return_type = "Promise<MpsEntropies>")]
pub fn mps_entropies(
    kind: String,
    dims: Vec<u32>,
    bond_dims: Vec<u32>,
    data: Float64Array,
    options: Option<MpsEntropyOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<MpsEntropies>> {
    let o = options.unwrap_or_default();
    let model = model_in(kind, dims, bond_dims, &data);
    Job::new(o.threads, token, move |exec| {
        let t = into_tt(model)?;
        let (bond, _) = entropy::bond_entropies(&t, exec)?;
        let r2 = entropy::renyi2(&t, exec)?;
        let mut so = entropy::ShannonOptions::default();
        set(&mut so.samples, o.samples.map(|c| c as usize));
        set(&mut so.seed, o.seed.map(u64::from));
        let est = entropy::shannon_optional(&t, &so, exec)?;
        Ok(MpsEntropies {
            bond_entropies: bond,
            renyi2: r2,
            shannon: est.as_ref().map_or(f64::NAN, |e| e.value),
            shannon_stderr: est.as_ref().map_or(f64::NAN, |e| e.std_error),
            shannon_std_error: est.as_ref().map_or(f64::NAN, |e| e.std_error),
            shannon_ci_low: est.as_ref().map_or(f64::NAN, |e| e.ci_low),
            shannon_ci_high: est.as_ref().map_or(f64::NAN, |e| e.ci_high),
        })
    })
}
