//! Tensor trains over spike patterns: fit, log-probabilities, compression, sampling,
//! marginals and entropies. Models cross the boundary as plain arrays (`MpsModel`).

use crate::job::{CancelToken, Job};
use diffrg_core::mps::baselines::{Independent, Pairwise, PairwiseOptions};
use diffrg_core::mps::{compress, data, entropy, eval, kpairwise, learn, marginals, mixture, ptt, sample, Core, Kind, TensorTrain};
use diffrg_core::{Error, Result as CoreResult};
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

/// Model input: plain fields plus the core data as a typed array (copied once, no per-element
/// conversion).
pub struct ModelIn {
    kind: String,
    dims: Vec<u32>,
    bond_dims: Vec<u32>,
    data: Vec<f64>,
    /// The cores' data, split once from the typed array when the shapes fit it exactly (then
    /// `data` is empty): large models are copied once, not twice.
    cores: Vec<Vec<f64>>,
}

fn model_in(kind: String, dims: Vec<u32>, bond_dims: Vec<u32>, data: &Float64Array) -> ModelIn {
    let src: &[f64] = data;
    let n = dims.len();
    let lens: Vec<usize> = if bond_dims.len() == n + 1 {
        (0..n).map(|k| bond_dims[k] as usize * dims[k] as usize * bond_dims[k + 1] as usize).collect()
    } else {
        Vec::new()
    };
    if n > 0 && lens.len() == n && lens.iter().sum::<usize>() == src.len() {
        let mut off = 0;
        let cores = lens
            .iter()
            .map(|&len| {
                off += len;
                src[off - len..off].to_vec()
            })
            .collect();
        return ModelIn { kind, dims, bond_dims, data: Vec::new(), cores };
    }
    ModelIn { kind, dims, bond_dims, data: src.to_vec(), cores: Vec::new() }
}

/// Like [`to_tt`] but moves the split core buffers (no second copy).
fn into_tt(mut m: ModelIn) -> CoreResult<TensorTrain> {
    if m.cores.is_empty() {
        return to_tt(&m);
    }
    let kind = Kind::parse(&m.kind, "model.kind")?;
    let bufs = std::mem::take(&mut m.cores);
    let cores = bufs
        .into_iter()
        .enumerate()
        .map(|(k, data)| {
            Core::new(m.bond_dims[k] as usize, m.dims[k] as usize, m.bond_dims[k + 1] as usize, data)
                .map_err(|e| Error::invalid_input(format!("core {k}: {}", e.message)))
        })
        .collect::<CoreResult<Vec<Core>>>()?;
    TensorTrain::new(kind, cores)
}

/// Builds the train from `m.data` (the unsplit path of [`into_tt`]).
fn to_tt(m: &ModelIn) -> CoreResult<TensorTrain> {
    let kind = Kind::parse(&m.kind, "model.kind")?;
    let n = m.dims.len();
    if m.bond_dims.len() != n + 1 {
        return Err(Error::invalid_input(format!("model.bondDims must have {} values (sites + 1), got {}", n + 1, m.bond_dims.len())));
    }
    let mut cores = Vec::with_capacity(n);
    let mut off = 0usize;
    for k in 0..n {
        let (l, d, r) = (m.bond_dims[k] as usize, m.dims[k] as usize, m.bond_dims[k + 1] as usize);
        let len = l * d * r;
        if off + len > m.data.len() {
            return Err(Error::invalid_input(format!("model.data has {} values, too few for the shapes (core {k})", m.data.len())));
        }
        cores.push(
            Core::new(l, d, r, m.data[off..off + len].to_vec()).map_err(|e| Error::invalid_input(format!("core {k}: {}", e.message)))?,
        );
        off += len;
    }
    if off != m.data.len() {
        return Err(Error::invalid_input(format!("model.data has {} values but the shapes need {off}", m.data.len())));
    }
    TensorTrain::new(kind, cores)
}

pub(crate) fn from_tt(t: &TensorTrain) -> MpsModel {
    from_tt_scaled(t, 1.0)
}

/// [`from_tt`] with every entry multiplied by `f` (one pass, one buffer).
fn from_tt_scaled(t: &TensorTrain, f: f64) -> MpsModel {
    let mut data = Vec::with_capacity(t.cores().iter().map(|c| c.data.len()).sum());
    for c in t.cores() {
        if f == 1.0 {
            data.extend_from_slice(&c.data);
        } else {
            data.extend(c.data.iter().map(|x| x * f));
        }
    }
    MpsModel {
        kind: t.kind().as_str().into(),
        dims: t.dims().iter().map(|&d| d as u32).collect(),
        bond_dims: t.bond_dims().iter().map(|&d| d as u32).collect(),
        data: Float64Array::new(data),
    }
}

fn n_sites(patterns: &[u8], sites: u32) -> CoreResult<usize> {
    let n = sites as usize;
    if n == 0 || patterns.len() % n != 0 {
        return Err(Error::invalid_input(format!("patterns has {} values, not a multiple of sites = {sites}", patterns.len())));
    }
    Ok(n)
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
    pub nll_heldout: f64,
    pub max_bond: u32,
    /// Bond-dimension limit of the half-sweep (the ladder's rung).
    pub chi: u32,
    /// Smoothing weight of the run.
    pub smoothing: f64,
    /// Mixing weight of the run's initial state (1: product-state start).
    pub init_mix: f64,
}

fn sweep_out(h: &learn::SweepRecord) -> MpsSweep {
    MpsSweep {
        nll_train: h.nll_train,
        nll_heldout: h.nll_heldout,
        max_bond: h.max_bond as u32,
        chi: h.chi as u32,
        smoothing: h.smoothing,
        init_mix: h.init_mix,
    }
}

#[napi(object)]
pub struct MpsFitResult {
    pub model: MpsModel,
    pub sites: u32,
    pub chi: u32,
    pub n_train: u32,
    pub n_heldout: u32,
    pub n_distinct_train: u32,
    pub nll_train: f64,
    pub nll_heldout: f64,
    pub n_validation: u32,
    pub nll_validation: f64,
    pub init_mix: f64,
    pub init_mix_candidates: Vec<MpsInitCandidate>,
    pub init_nll_train: f64,
    pub init_nll_heldout: f64,
    pub nll_independent: f64,
    pub nll_independent_train: f64,
    pub nll_ising: f64,
    pub nll_ising_train: f64,
    /// Standard error of ln Z of the pairwise model (0 when exact).
    pub ising_log_z_se: f64,
    /// Most L-BFGS iterations a site's pseudo-likelihood regression used (0 without baselines).
    pub ising_iterations: u32,
    /// Whether every site's regression converged (true without baselines).
    pub ising_converged: bool,
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
    /// 'probability' (bagged EM train) or 'born'.
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
        let n = n_sites(&pats, sites)?;
        let dims: Vec<usize> = match &o.dims {
            Some(d) => {
                if d.len() != n {
                    return Err(Error::invalid_input(format!("dims has {} values for {n} sites", d.len())));
                }
                d.iter().map(|&x| x as usize).collect()
            }
            None => data::infer_dims(&pats, n),
        };
        let seed = o.seed.unwrap_or(0) as u64;
        let (train, val, held) = data::split3(&pats, n, o.heldout.unwrap_or(0.2), o.validation.unwrap_or(0.2), seed)?;
        if train.is_empty() {
            return Err(Error::invalid_input("no training patterns after the test and validation splits"));
        }
        let defaults = learn::LearnOptions::default();
        let opts = learn::LearnOptions {
            max_bond: o.chi.map_or(defaults.max_bond, |c| c as usize),
            init_mix: o.init_mix.unwrap_or(defaults.init_mix),
            init_mix_grid: match (&o.init_mix, &o.init_mix_grid) {
                (Some(_), _) => Vec::new(),
                (None, Some(g)) => g.clone(),
                (None, None) => defaults.init_mix_grid.clone(),
            },
            max_half_sweeps: o.max_half_sweeps.map_or(defaults.max_half_sweeps, |c| c as usize),
            patience: o.patience.map_or(defaults.patience, |c| c as usize),
            cutoff: o.cutoff.unwrap_or(defaults.cutoff),
            grow: o.grow.unwrap_or(defaults.grow),
            smoothing_grid: o.smoothing_grid.clone().unwrap_or_else(|| defaults.smoothing_grid.clone()),
            learning_rate: o.learning_rate.unwrap_or(defaults.learning_rate),
            steps_per_bond: o.steps_per_bond.map_or(defaults.steps_per_bond, |c| c as usize),
            shrink: o.shrink.unwrap_or(defaults.shrink),
            seed,
            ..defaults
        };
        // the baselines' fits do not report progress: the MPS fit covers 80% of the bar then
        let fit_exec = if o.baselines.unwrap_or(true) { exec.part(0.0, 0.8) } else { exec.clone() };
        let pd = ptt::PttOptions::default();
        let po = ptt::PttOptions {
            max_bond: opts.max_bond,
            pseudocount_grid: o.pseudocounts.clone().unwrap_or(pd.pseudocount_grid),
            restarts: o.restarts.map_or(pd.restarts, |r| r as usize),
            noise: o.noise.unwrap_or(pd.noise),
            max_iters: o.max_iters.map_or(pd.max_iters, |r| r as usize),
            patience: o.patience.map_or(pd.patience, |r| r as usize),
            seed,
        };
        let mut components = Vec::new();
        let (model, rep) = match o.kind.as_deref().unwrap_or("born") {
            "mixture" => {
                let ed = mixture::EnsembleOptions::default();
                let eo = mixture::EnsembleOptions {
                    components: o.components.map_or(ed.components, |c| c as usize),
                    bootstrap: o.resample.unwrap_or(ed.bootstrap),
                    born_chi: o.born_chi.map_or(ed.born_chi, |c| c as usize),
                    ptt: po,
                    born: opts.clone(),
                };
                let (m, rep, comps) = mixture::fit_ensemble(&dims, &train, &val, &eo, &fit_exec)?;
                components = comps
                    .iter()
                    .map(|c| MpsComponent {
                        kind: c.kind.as_str().to_string(),
                        weight: c.weight,
                        nll_validation: c.nll_validation,
                        max_bond: c.max_bond as u32,
                    })
                    .collect();
                (m, rep)
            }
            k => match Kind::parse(k, "kind")
                .map_err(|_| Error::invalid_input(format!("kind must be 'born', 'probability' or 'mixture', got '{k}'")))?
            {
                Kind::Born => learn::fit(&dims, &train, &val, &opts, &fit_exec)?,
                Kind::Probability => ptt::fit(&dims, &train, &val, &po, &fit_exec)?,
            },
        };
        let nll_test = if held.is_empty() { f64::NAN } else { learn::nll(&model, &held, exec)? };
        let (ent, _) = entropy::bond_entropies(&model, exec)?;
        let (mut ni, mut nit, mut ns, mut nst, mut se) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        let (mut ising_iterations, mut ising_converged, mut ising_exact_ml) = (0, true, false);
        let (mut nk, mut nkt) = (f64::NAN, f64::NAN);
        if o.baselines.unwrap_or(true) {
            let ind = Independent::fit(&dims, &train, 0.5)?;
            nit = ind.nll_bits(&train)?;
            if !held.is_empty() {
                ni = ind.nll_bits(&held)?;
            }
            let pw = Pairwise::fit(&dims, &train, &PairwiseOptions { seed, ..Default::default() }, exec)?;
            nst = pw.nll_bits(&train)?;
            if !held.is_empty() {
                ns = pw.nll_bits(&held)?;
            }
            se = pw.log_z_se;
            ising_iterations = pw.iterations as u32;
            ising_converged = pw.converged;
            ising_exact_ml = pw.exact_ml;
            if dims.iter().all(|&d| d == 2) {
                let kp = kpairwise::fit_k_pairwise(&dims, &train, &PairwiseOptions { seed, ..Default::default() }, exec)?;
                nkt = kp.nll_bits(&train)?;
                if !held.is_empty() {
                    nk = kp.nll_bits(&held)?;
                }
            }
        }
        Ok(MpsFitResult {
            sites: n as u32,
            chi: opts.max_bond as u32,
            n_train: rep.n_train as u32,
            n_heldout: (held.len() / n) as u32,
            n_distinct_train: rep.n_distinct_train as u32,
            nll_train: rep.nll_train,
            nll_heldout: nll_test,
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
            init_nll_heldout: rep.init_nll_heldout,
            nll_independent: ni,
            nll_independent_train: nit,
            nll_ising: ns,
            nll_ising_train: nst,
            ising_log_z_se: se,
            ising_iterations,
            ising_converged,
            ising_exact_ml,
            nll_k_pairwise: nk,
            nll_k_pairwise_train: nkt,
            bond_entropies: ent,
            history: rep.history.iter().map(sweep_out).collect(),
            curve: rep.curve.iter().map(sweep_out).collect(),
            smoothing: rep.smoothing,
            warning: rep.warning.clone(),
            components,
            model: from_tt(&model),
        })
    })
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
        let kind = Kind::parse(&kind, "model.kind")?;
        let d: Vec<usize> = dims.iter().map(|&x| x as usize).collect();
        let b: Vec<usize> = bond_dims.iter().map(|&x| x as usize).collect();
        let src: &[f64] = &data;
        let cores = compress::CoreRef::split(&d, &b, src, "model")?;
        let opts = compress::CompressOptions { max_bond: o.max_bond.unwrap_or(32) as usize, cutoff: o.cutoff.unwrap_or(0.0) };
        let (c, rep) = compress::compress_borrowed(kind, &cores, &opts, exec)?;
        let f = (rep.log_scale / c.n_sites() as f64).exp();
        Ok(MpsCompressResult { model: from_tt_scaled(&c, f), discarded: rep.discarded, total_discarded: rep.total_discarded })
    })
}

/// A random model (seeded), for tests and benchmarks.
#[napi]
pub fn mps_random(kind: String, dims: Vec<u32>, chi: u32, seed: u32) -> Result<MpsModel> {
    crate::job::guard(|| {
        let k = Kind::parse(&kind, "kind")?;
        let d: Vec<usize> = dims.iter().map(|&x| x as usize).collect();
        Ok(from_tt(&TensorTrain::random(k, &d, chi as usize, seed as u64)?))
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
        if evidence.len() % 2 != 0 {
            return Err(Error::invalid_input("evidence must hold (site, value) pairs"));
        }
        let ev: Vec<(usize, u8)> = evidence.chunks(2).map(|p| (p[0] as usize, p[1].min(255) as u8)).collect();
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
        let n = o.samples.unwrap_or(10_000) as usize;
        let est = if n >= 2 { Some(entropy::shannon_sampled(&t, n, o.seed.unwrap_or(0) as u64, exec)?) } else { None };
        Ok(MpsEntropies {
            bond_entropies: bond,
            renyi2: r2,
            shannon: est.as_ref().map_or(f64::NAN, |e| e.value),
            shannon_std_error: est.as_ref().map_or(f64::NAN, |e| e.std_error),
            shannon_ci_low: est.as_ref().map_or(f64::NAN, |e| e.ci_low),
            shannon_ci_high: est.as_ref().map_or(f64::NAN, |e| e.ci_high),
        })
    })
}
