//! Diffusion tensor network renormalization (DTNR): the RG flow of a joint spike-pattern
//! distribution held as a tensor train, coarse-grained along the supernodes of a Laplacian RG
//! flow. See docs/dtnr.md for the equations, references and departures.
//!
//! 1. Sites are placed in the leaf order of the flow's hierarchy ([`super::hierarchy`]), so every
//!    supernode at every scale is a contiguous block of sites.
//! 2. Scale 0: a Born machine `P_0 = Psi^2` is fitted to the (reordered) training patterns
//!    ([`super::learn::fit`], early stopping on a validation split), a probability train
//!    learned by EM ([`super::ptt::fit`], `probability`), or the mixture of the `mps fit`
//!    pipeline ([`super::mixture::fit_ensemble`], `mixture`: bagged EM trains, a latent-class
//!    model and a Born machine, weights on the validation split; recompressed to its own
//!    largest bond, so that the flow does not truncate the fitted model's capacity).
//! 3. Scale t -> t+1: the model's sites inside each scale-(t+1) supernode are contracted with
//!    the block map `f` (any spike, or the spike count capped), which gives the exact
//!    pushforward `P_{t+1}(v) = sum_{s : f(s_B) = v_B} P_t(s)` as a probability train
//!    ([`super::coarse::contract_model`]); it is recompressed to `max_bond` (relative squared
//!    Frobenius truncation error reported, exact) and its negative mass measured.
//! 4. Per scale: number of variables M, state-space size `prod d` vs parameters, Shannon
//!    entropy `H_t` (exact by enumeration up to `exact_limit` states, else sampled with a 95%
//!    interval), `H_t / M`, multi-information `I_t = sum_k H(v_k) - H_t`, bond entropies, and
//!    the consistency check: held-out NLL of the empirically coarse-grained held-out patterns
//!    under the flowed model `P_t` vs under a Born machine fitted directly to the coarse-grained
//!    training patterns (same bond dimension, same splits), with the independent model as a
//!    reference.

use super::baselines::Independent;
use super::block::BlockMap;
use super::coarse::{coarse_patterns, flow_step, nll_nonneg, NegativeMass};
use super::compress::CompressOptions;
use super::data::{infer_dims, reorder_columns, split3};
use super::entropy::{bond_entropies, shannon_sampled};
use super::hierarchy::{leaf_order, Hierarchy};
use super::learn::{FitReport, LearnOptions};
use super::marginals::marginals;
use super::mixture::EnsembleOptions;
use super::pipeline::Family;
use super::ptt::PttOptions;
use super::sample::sample;
use super::tt::{check_patterns, Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;

/// Options of [`dtnr`]; every default is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct DtnrOptions {
    /// Bond-dimension limit of the fitted models and of every recompression. Default 32.
    pub max_bond: usize,
    /// Relative cutoff of the recompression (see [`CompressOptions::cutoff`]). Default 0.
    pub cutoff: f64,
    /// Block map. Default [`BlockMap::Any`].
    pub map: BlockMap,
    /// Fitting options (its `max_bond` is replaced by `max_bond`). Default [`LearnOptions::default`].
    pub learn: LearnOptions,
    /// Fraction of patterns held out for the consistency check (never used in fitting). Default 0.2.
    pub heldout: f64,
    /// Fraction of the remaining patterns used for early stopping. Default 0.2.
    pub validation: f64,
    /// Seed of the splits and of every sampling estimate. Default 0.
    pub seed: u64,
    /// Samples of the sampled entropy and negative-mass estimates. Default 20000.
    pub samples: usize,
    /// Enumerate exactly when the state space has at most this many states. Default 2^20.
    pub exact_limit: u128,
    /// Fit the direct models of the consistency check. Default true.
    pub direct: bool,
    /// Pseudocount of the independent reference model. Default 0.5.
    pub pseudocount: f64,
    /// Fit probability trains by EM ([`super::ptt`]; its `max_bond` is replaced by `max_bond`)
    /// instead of Born machines, at scale 0 and for the direct models. Default None (Born).
    pub probability: Option<PttOptions>,
    /// Fit the mixture of [`super::mixture::fit_ensemble`] (its `ptt.max_bond` is replaced by
    /// `max_bond`) at scale 0 and for the direct models; takes precedence over `probability`.
    /// Default None.
    pub mixture: Option<EnsembleOptions>,
}

impl DtnrOptions {
    /// Supernodes kept per step of the RG flow that provides the DTNR's scales (the flow runs
    /// with the `fraction` tau policy; the facade and the CLI read these).
    pub const FLOW_FRACTION: f64 = 0.5;
    /// Steps of that flow (it stops early at one supernode).
    pub const FLOW_STEPS: usize = 8;
    /// Selects the model family: probability trains get [`PttOptions`] seeded with `seed`.
    pub fn with_kind(mut self, kind: crate::mps::Kind) -> Self {
        self.probability = match kind {
            crate::mps::Kind::Born => None,
            crate::mps::Kind::Probability => Some(PttOptions { seed: self.seed, ..Default::default() }),
        };
        self.mixture = None;
        self
    }
    /// Selects the model family by the pipeline's name (`born`, `probability`, `mixture`); the
    /// mixture gets the pipeline's defaults seeded with `seed`.
    pub fn with_family(self, family: Family) -> Self {
        match family {
            Family::Born => self.with_kind(crate::mps::Kind::Born),
            Family::Probability => self.with_kind(crate::mps::Kind::Probability),
            Family::Mixture => {
                let seed = self.seed;
                let mut o = self.with_kind(crate::mps::Kind::Born);
                let d = EnsembleOptions::default();
                o.mixture =
                    Some(EnsembleOptions { ptt: PttOptions { seed, ..d.ptt.clone() }, born: LearnOptions { seed, ..d.born.clone() }, ..d });
                o
            }
        }
    }
}

impl Default for DtnrOptions {
    fn default() -> Self {
        DtnrOptions {
            max_bond: 32,
            cutoff: 0.0,
            map: BlockMap::Any,
            learn: LearnOptions::default(),
            heldout: 0.2,
            validation: 0.2,
            seed: 0,
            samples: 20_000,
            exact_limit: 1 << 20,
            direct: true,
            pseudocount: 0.5,
            probability: None,
            mixture: None,
        }
    }
}

/// Shannon entropy of a model, exact or sampled.
#[derive(Debug, Clone, PartialEq)]
pub struct EntropyValue {
    pub bits: f64,
    pub std_error: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub exact: bool,
    /// Samples of the estimate (0 when exact).
    pub samples: usize,
}

/// Everything recorded at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleRecord {
    pub scale: usize,
    pub variables: usize,
    pub dims: Vec<usize>,
    /// `log2 prod_k d_k`.
    pub state_space_log2: f64,
    /// Parameters of the model train at this scale (the Born machine at scale 0).
    pub parameters: usize,
    pub bond_dims: Vec<usize>,
    pub entropy: EntropyValue,
    pub entropy_per_variable: f64,
    /// `H(v_k)` from the exact single-variable marginals.
    pub site_entropies: Vec<f64>,
    /// `sum_k H(v_k) - H` (bits); `multi_information_ci` propagates the entropy interval.
    pub multi_information: f64,
    pub multi_information_ci: (f64, f64),
    /// Bond entropies (bits) of the model train: of `Psi` at scale 0, of the vector `P` after.
    pub bond_entropies: Vec<f64>,
    /// Recompression error of the step that produced this scale (0 at scale 0).
    pub truncation_error: f64,
    pub negative_mass: NegativeMass,
    /// Bond dimensions of the exact coarse train before recompression (scale 0: the model's).
    pub bond_dims_before: Vec<usize>,
    /// NLL (bits per pattern) of the coarse-grained training / held-out patterns under the
    /// flowed model, and held-out patterns that hit the conditional floor.
    pub nll_train: f64,
    pub nll_heldout: f64,
    pub heldout_floored: usize,
    /// Direct fit to the coarse-grained training patterns (NaN when disabled).
    pub nll_direct_train: f64,
    pub nll_direct_heldout: f64,
    /// Independent-variable model fitted to the coarse-grained training patterns (held-out NLL).
    pub nll_independent: f64,
    /// Distinct coarse-grained training patterns.
    pub distinct_train: usize,
}

/// Result of [`dtnr`].
#[derive(Debug, Clone)]
pub struct DtnrResult {
    pub hierarchy: Hierarchy,
    pub scales: Vec<ScaleRecord>,
    /// Flowed model per scale: the Born machine at scale 0, probability trains after.
    pub models: Vec<TensorTrain>,
    /// Directly fitted Born machines per scale (empty when disabled).
    pub direct: Vec<TensorTrain>,
    pub n_train: usize,
    pub n_validation: usize,
    pub n_heldout: usize,
}

/// Size of the joint state space (saturating).
pub(super) fn states(dims: &[usize]) -> u128 {
    dims.iter().fold(1u128, |a, &d| a.saturating_mul(d as u128))
}

fn h_bits(p: &[f64]) -> f64 {
    let z: f64 = p.iter().map(|x| x.max(0.0)).sum();
    if !(z > 0.0) {
        return 0.0;
    }
    -p.iter().filter(|&&x| x > 0.0).map(|&x| (x / z) * (x / z).log2()).sum::<f64>()
}

/// Shannon entropy and single-variable entropies of a model. Exact: enumeration of the
/// non-negative part `max(P, 0)` (renormalised). Sampled: exact sequential samples (negative
/// conditional weights clipped for probability trains) with the sampler's own log-probability.
pub fn model_entropy(tt: &TensorTrain, exact_limit: u128, samples: usize, seed: u64, exec: &Exec) -> Result<(EntropyValue, Vec<f64>)> {
    let dims = tt.dims();
    if states(&dims) <= exact_limit.min(1 << 24) {
        let p = tt.dense_probabilities()?;
        let mut marg: Vec<Vec<f64>> = dims.iter().map(|&d| vec![0.0; d]).collect();
        for (idx, &q) in p.iter().enumerate() {
            if q <= 0.0 {
                continue;
            }
            let mut rem = idx;
            for k in (0..dims.len()).rev() {
                marg[k][rem % dims[k]] += q;
                rem /= dims[k];
            }
        }
        let h = h_bits(&p);
        let site = marg.iter().map(|m| h_bits(m)).collect();
        return Ok((EntropyValue { bits: h, std_error: 0.0, ci_low: h, ci_high: h, exact: true, samples: 0 }, site));
    }
    let site = marginals(tt, exec)?.iter().map(|m| h_bits(m)).collect();
    let n = samples.max(2);
    let est = match tt.kind() {
        Kind::Born => shannon_sampled(tt, n, seed, exec)?,
        Kind::Probability => {
            // the sampler's own log-probabilities (clipped weights), not re-evaluated ones
            super::entropy::Estimate::from_log2_probs(&sample(tt, n, seed, exec)?.log2_prob)
        }
    };
    Ok((
        EntropyValue { bits: est.value, std_error: est.std_error, ci_low: est.ci_low, ci_high: est.ci_high, exact: false, samples: n },
        site,
    ))
}

struct Split {
    fit: Vec<u8>,
    val: Vec<u8>,
    test: Vec<u8>,
}

fn coarse_split(s: &Split, n: usize, blocks: &[(usize, usize)], map: BlockMap) -> Split {
    Split {
        fit: coarse_patterns(&s.fit, n, blocks, map),
        val: coarse_patterns(&s.val, n, blocks, map),
        test: coarse_patterns(&s.test, n, blocks, map),
    }
}

/// Checks that a pattern matrix of `sites` columns has one column per node of `g` (the check a
/// caller with a row-major matrix and its column count makes before [`dtnr`]).
///
/// # Errors
/// `ERR_INVALID_INPUT` when `sites` differs from the number of nodes.
pub fn check_columns(g: &Graph, sites: usize) -> Result<()> {
    if sites != g.n() {
        return Err(Error::invalid_input(format!("patterns have {sites} columns but the graph has {} nodes", g.n())));
    }
    Ok(())
}

/// Runs the DTNR flow of `patterns` (row-major, one column per node of `g`, values 0..255)
/// along the nested `assignments` of an RG flow of `g` (`assignments[t - 1]` = composed
/// assignment after step t). See the module docs.
///
/// Errors: `ERR_INVALID_INPUT` (shapes, non-nested assignments, options, too few patterns),
/// `ERR_TOO_LARGE` (memory), `ERR_ABORTED`.
pub fn dtnr(g: &Graph, patterns: &[u8], assignments: &[Vec<usize>], opts: &DtnrOptions, exec: &Exec) -> Result<DtnrResult> {
    let n = g.n();
    if n == 0 {
        return Err(Error::invalid_input("graph has no nodes"));
    }
    if patterns.len() % n != 0 || patterns.is_empty() {
        return Err(Error::invalid_input(format!(
            "patterns has {} values, not a non-empty multiple of the graph's {n} nodes (one column per node)",
            patterns.len()
        )));
    }
    if opts.max_bond == 0 {
        return Err(Error::invalid_input("max_bond (chi) must be >= 1"));
    }
    if let BlockMap::Count { cap } = opts.map {
        if cap == 0 || cap > 255 {
            return Err(Error::invalid_input(format!("count cap must be in 1..=255, got {cap}")));
        }
    }
    if !(opts.heldout > 0.0 && opts.heldout < 1.0) {
        return Err(Error::invalid_input(format!("heldout fraction must be in (0, 1), got {}", opts.heldout)));
    }
    let hierarchy = leaf_order(g, assignments, exec)?;
    let ordered = reorder_columns(patterns, &hierarchy.order);
    let dims0 = infer_dims(&ordered, n);
    check_patterns(&dims0, &ordered, "patterns")?;
    let (fit0, val0, test) = split3(&ordered, n, opts.heldout, opts.validation, opts.seed)?;
    if fit0.is_empty() || test.is_empty() {
        return Err(Error::invalid_input(format!("{} patterns are too few for the held-out and validation splits", patterns.len() / n)));
    }
    let (n_train, n_validation, n_heldout) = (fit0.len() / n, val0.len() / n, test.len() / n);
    let learn = LearnOptions { max_bond: opts.max_bond, ..opts.learn.clone() };
    let prob = opts.probability.as_ref().map(|p| PttOptions { max_bond: opts.max_bond, ..p.clone() });
    let mix = opts.mixture.as_ref().map(|m| EnsembleOptions { ptt: PttOptions { max_bond: opts.max_bond, ..m.ptt.clone() }, ..m.clone() });
    let fit = |dims: &[usize], train: &[u8], val: &[u8], exec: &Exec| -> Result<(TensorTrain, FitReport)> {
        match (&mix, &prob) {
            (Some(m), _) => super::mixture::fit_ensemble(dims, train, val, m, exec).map(|(t, r, _)| (t, r)),
            (None, Some(p)) => super::ptt::fit(dims, train, val, p, exec),
            (None, None) => super::learn::fit(dims, train, val, &learn, exec),
        }
    };
    let mut comp = CompressOptions { max_bond: opts.max_bond, cutoff: opts.cutoff };
    let mut data = Split { fit: fit0, val: val0, test };
    let mut dims = dims0;
    let mut nvars = n;
    let mut scales = Vec::new();
    let mut models: Vec<TensorTrain> = Vec::new();
    let mut direct = Vec::new();
    for t in 0..hierarchy.variables.len() {
        exec.check()?;
        let seed = opts.seed.wrapping_add(1000 + 17 * t as u64);
        // the fits of scale t report within scale t's share of the bar
        let scale_part = exec.part(t as f64 / hierarchy.variables.len() as f64, (t + 1) as f64 / hierarchy.variables.len() as f64);
        let (model, trunc, neg, before) = if t == 0 {
            let (m, _) = fit(&dims, &data.fit, &data.val, &scale_part)?;
            if mix.is_some() {
                // a mixture's bonds are the sum of its components': keep them through the flow
                comp.max_bond = comp.max_bond.max(m.max_bond());
            }
            let b = m.bond_dims();
            (m, 0.0, NegativeMass { value: 0.0, std_error: 0.0, lower_bound: 0.0, estimated: false }, b)
        } else {
            let blocks = &hierarchy.blocks[t - 1];
            data = coarse_split(&data, nvars, blocks, opts.map);
            nvars = blocks.len();
            dims = vec![opts.map.values(); nvars];
            let (m, rep) =
                flow_step(models.last().expect("scale 0 exists"), blocks, opts.map, &comp, opts.exact_limit, opts.samples, seed, exec)?;
            (m, rep.truncation_error, rep.negative_mass, rep.bond_dims_before)
        };
        let (entropy, site_entropies) = model_entropy(&model, opts.exact_limit, opts.samples, seed.wrapping_add(1), exec)?;
        let sum_site: f64 = site_entropies.iter().sum();
        let (bond, _) = if nvars > 1 { bond_entropies(&model, exec)? } else { (Vec::new(), Vec::new()) };
        let (nll_train, _) = nll_nonneg(&model, &data.fit, exec)?;
        let (nll_heldout, heldout_floored) = nll_nonneg(&model, &data.test, exec)?;
        let (nll_direct_train, nll_direct_heldout) = if !opts.direct {
            (f64::NAN, f64::NAN)
        } else if t == 0 {
            direct.push(model.clone());
            (nll_train, nll_heldout)
        } else {
            let (m, rep) = fit(&dims, &data.fit, &data.val, &scale_part)?;
            let (h, _) = nll_nonneg(&m, &data.test, exec)?;
            direct.push(m);
            (rep.nll_train, h)
        };
        let ind = Independent::fit(&dims, &data.fit, opts.pseudocount)?;
        let distinct_train = super::data::Distinct::new(&data.fit, nvars, "train")?.len();
        scales.push(ScaleRecord {
            scale: t,
            variables: nvars,
            state_space_log2: dims.iter().map(|&d| (d as f64).log2()).sum(),
            dims: dims.clone(),
            parameters: model.n_params(),
            bond_dims: model.bond_dims(),
            entropy_per_variable: entropy.bits / nvars as f64,
            multi_information: sum_site - entropy.bits,
            multi_information_ci: (sum_site - entropy.ci_high, sum_site - entropy.ci_low),
            entropy,
            site_entropies,
            bond_entropies: bond,
            truncation_error: trunc,
            negative_mass: neg,
            bond_dims_before: before,
            nll_train,
            nll_heldout,
            heldout_floored,
            nll_direct_train,
            nll_direct_heldout,
            nll_independent: ind.nll_bits(&data.test)?,
            distinct_train,
        });
        models.push(model);
        exec.progress.set_done(t + 1, hierarchy.variables.len());
    }
    Ok(DtnrResult { hierarchy, scales, models, direct, n_train, n_validation, n_heldout })
}

#[cfg(test)]
#[path = "dtnr_tests.rs"]
pub(crate) mod tests;
