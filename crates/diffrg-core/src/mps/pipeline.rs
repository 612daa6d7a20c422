//! The `mpsFit` pipeline: split the patterns three ways (train / validation / test), fit a
//! Born machine ([`super::learn`]) or a probability train ([`super::ptt`]) with selection on
//! the validation split, and score it and the baselines (independent, pairwise, K-pairwise) on
//! the test split, which is never used for fitting or selection (docs/mps.md). A `mixture`
//! fit ([`super::mixture::fit_ensemble`]) bags probability trains and a small Born machine
//! into one probability train.
//!
//! Vocabulary: `validation` is the split that early stopping and selection see; `test` is the
//! held-out split reported at top level ([`PipelineReport::nll_test`]).

use super::baselines::{Independent, Pairwise, PairwiseOptions};
use super::learn::{self, FitReport, LearnOptions};
use super::mixture::{self, ComponentReport, EnsembleOptions};
use super::ptt::{self, PttOptions};
use super::{data, entropy, kpairwise, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;

/// The model family a pipeline fits: a Born machine, a probability train, or a mixture of
/// bagged probability trains and a Born machine (stored as one probability train).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Born,
    Probability,
    Mixture,
}

named_enum!(Family, "kind" { Born => "born", Probability => "probability", Mixture => "mixture" });

/// Options of [`fit_patterns`]. The model options live in `learn` (Born machines) and `ptt`
/// (probability trains); `seed` and `max_bond` here override theirs.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Model family. Default [`Family::Born`].
    pub kind: Family,
    /// Alphabet size per site. Default `None`: the largest value + 1 per site (at least 2).
    pub dims: Option<Vec<usize>>,
    /// Fraction of the patterns in the test split. Default 0.2.
    pub test: f64,
    /// Fraction of the remaining patterns in the validation split. Default 0.2.
    pub validation: f64,
    /// Seed of the splits, of the selection and of the baselines' AIS. Default 0.
    pub seed: u64,
    /// Maximum bond dimension (both model families). Default 32.
    pub max_bond: usize,
    /// A fixed initial mixing weight (no selection over `learn.init_mix_grid`). Default `None`.
    pub init_mix: Option<f64>,
    /// Early-stopping patience; `None` keeps each family's own (2 half-sweeps for Born
    /// machines, 8 EM iterations for probability trains).
    pub patience: Option<usize>,
    /// Also fit the independent, pairwise and (binary sites) K-pairwise baselines. Default true.
    pub baselines: bool,
    /// Weight of the independent model's smoothing pseudo-count. Default 0.5.
    pub independent_alpha: f64,
    /// Share of the progress bar that the model fit covers when the baselines run (they
    /// report no progress). Default 0.8.
    pub fit_progress_share: f64,
    pub learn: LearnOptions,
    pub ptt: PttOptions,
    /// Mixtures: `components`, `bootstrap` and `born_chi` (its `ptt` and `born` options are
    /// replaced by the two above).
    pub mixture: EnsembleOptions,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        let learn = LearnOptions::default();
        PipelineOptions {
            kind: Family::Born,
            dims: None,
            test: 0.2,
            validation: 0.2,
            seed: 0,
            max_bond: learn.max_bond,
            init_mix: None,
            patience: None,
            baselines: true,
            independent_alpha: 0.5,
            fit_progress_share: 0.8,
            learn,
            ptt: PttOptions::default(),
            mixture: EnsembleOptions::default(),
        }
    }
}

/// The fitted model and every figure of the pipeline (NLL in bits per pattern; NaN where a
/// split or a baseline is absent).
#[derive(Debug, Clone)]
pub struct PipelineReport {
    pub model: TensorTrain,
    pub sites: usize,
    pub max_bond: usize,
    /// Test-split size (patterns).
    pub n_test: usize,
    pub nll_test: f64,
    /// The fit's own report (its `n_heldout`/`nll_heldout` are the validation split's).
    pub fit: FitReport,
    pub nll_independent: f64,
    pub nll_independent_train: f64,
    pub nll_ising: f64,
    pub nll_ising_train: f64,
    /// Standard error of ln Z of the pairwise model (0 when exact).
    pub ising_log_z_stderr: f64,
    pub ising_iterations: usize,
    pub ising_converged: bool,
    pub ising_exact_ml: bool,
    pub nll_k_pairwise: f64,
    pub nll_k_pairwise_train: f64,
    /// Iterations and convergence of the K-pairwise fit (0 / true when not fitted).
    pub k_pairwise_iterations: usize,
    pub k_pairwise_converged: bool,
    pub bond_entropies: Vec<f64>,
    /// Mixtures: every component (empty for the other families).
    pub components: Vec<ComponentReport>,
}

/// NLL of `model` on `patterns`, NaN when there are none.
fn nll_or_nan(patterns: &[u8], f: impl FnOnce(&[u8]) -> Result<f64>) -> Result<f64> {
    if patterns.is_empty() {
        Ok(f64::NAN)
    } else {
        f(patterns)
    }
}

/// Runs the pipeline on a row-major pattern matrix (`sites` columns).
///
/// Errors: `ERR_INVALID_INPUT` (shapes, fractions, empty training split, options),
/// `ERR_TOO_LARGE`, `ERR_ABORTED`.
pub fn fit_patterns(patterns: &[u8], sites: usize, o: &PipelineOptions, exec: &Exec) -> Result<PipelineReport> {
    let n = sites;
    if n == 0 || patterns.len() % n != 0 {
        return Err(Error::invalid_input(format!("patterns has {} values, not a multiple of sites = {sites}", patterns.len())));
    }
    let dims = match &o.dims {
        Some(d) if d.len() != n => return Err(Error::invalid_input(format!("dims has {} values for {n} sites", d.len()))),
        Some(d) => d.clone(),
        None => data::infer_dims(patterns, n),
    };
    let (train, val, test) = data::split3(patterns, n, o.test, o.validation, o.seed)?;
    if train.is_empty() {
        return Err(Error::invalid_input("no training patterns after the test and validation splits"));
    }
    let fit_exec = if o.baselines { exec.part(0.0, o.fit_progress_share) } else { exec.clone() };
    let born = || {
        let mut lo = LearnOptions { max_bond: o.max_bond, seed: o.seed, ..o.learn.clone() };
        if let Some(m) = o.init_mix {
            lo.init_mix = m;
            lo.init_mix_grid = Vec::new();
        }
        if let Some(p) = o.patience {
            lo.patience = p;
        }
        lo
    };
    let po = PttOptions { max_bond: o.max_bond, seed: o.seed, patience: o.patience.unwrap_or(o.ptt.patience), ..o.ptt.clone() };
    let mut components = Vec::new();
    let (model, fit) = match o.kind {
        Family::Born => learn::fit(&dims, &train, &val, &born(), &fit_exec)?,
        Family::Probability => ptt::fit(&dims, &train, &val, &po, &fit_exec)?,
        Family::Mixture => {
            let eo = EnsembleOptions { ptt: po, born: born(), ..o.mixture.clone() };
            let (m, rep, comps) = mixture::fit_ensemble(&dims, &train, &val, &eo, &fit_exec)?;
            components = comps;
            (m, rep)
        }
    };
    let nll_test = nll_or_nan(&test, |p| learn::nll(&model, p, exec))?;
    let (bond_entropies, _) = entropy::bond_entropies(&model, exec)?;
    let mut r = PipelineReport {
        sites: n,
        max_bond: o.max_bond,
        n_test: test.len() / n,
        nll_test,
        fit,
        nll_independent: f64::NAN,
        nll_independent_train: f64::NAN,
        nll_ising: f64::NAN,
        nll_ising_train: f64::NAN,
        ising_log_z_stderr: f64::NAN,
        ising_iterations: 0,
        ising_converged: true,
        ising_exact_ml: false,
        nll_k_pairwise: f64::NAN,
        nll_k_pairwise_train: f64::NAN,
        k_pairwise_iterations: 0,
        k_pairwise_converged: true,
        bond_entropies,
        components,
        model,
    };
    if o.baselines {
        let ind = Independent::fit(&dims, &train, o.independent_alpha)?;
        r.nll_independent_train = ind.nll_bits(&train)?;
        r.nll_independent = nll_or_nan(&test, |p| ind.nll_bits(p))?;
        let po = PairwiseOptions { seed: o.seed, ..Default::default() };
        let pw = Pairwise::fit(&dims, &train, &po, exec)?;
        r.nll_ising_train = pw.nll_bits(&train)?;
        r.nll_ising = nll_or_nan(&test, |p| pw.nll_bits(p))?;
        r.ising_log_z_stderr = pw.log_z_se;
        r.ising_iterations = pw.iterations;
        r.ising_converged = pw.converged;
        r.ising_exact_ml = pw.exact_ml;
        if dims.iter().all(|&d| d == 2) {
            let kp = kpairwise::fit_k_pairwise(&dims, &train, &po, exec)?;
            r.nll_k_pairwise_train = kp.nll_bits(&train)?;
            r.nll_k_pairwise = nll_or_nan(&test, |p| kp.nll_bits(p))?;
            r.k_pairwise_iterations = kp.iterations;
            r.k_pairwise_converged = kp.converged;
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::eval;

    fn patterns(rows: usize, n: usize, seed: u64) -> Vec<u8> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(rows * n);
        for _ in 0..rows {
            // a common driver makes the sites correlated
            let drive = rng.random::<f64>() < 0.3;
            for _ in 0..n {
                out.push(u8::from(rng.random::<f64>() < if drive { 0.8 } else { 0.1 }));
            }
        }
        out
    }

    #[test]
    fn splits_add_up_and_test_nll_matches_a_direct_evaluation() {
        let n = 5;
        let pats = patterns(400, n, 3);
        let o = PipelineOptions { max_bond: 4, ..Default::default() };
        let exec = Exec::default();
        let r = fit_patterns(&pats, n, &o, &exec).unwrap();
        assert_eq!(r.n_test + r.fit.n_train + r.fit.n_heldout, 400);
        let (_, _, test) = data::split3(&pats, n, o.test, o.validation, o.seed).unwrap();
        let lp = eval::log2_prob(&r.model, &test, &exec).unwrap();
        let direct = -lp.iter().sum::<f64>() / lp.len() as f64;
        assert!((direct - r.nll_test).abs() <= 1e-9 * (1.0 + direct.abs()), "{direct} vs {}", r.nll_test);
        // the baselines ran on the binary sites, and their solvers report convergence
        assert!(r.nll_independent.is_finite() && r.nll_ising.is_finite() && r.nll_k_pairwise.is_finite());
        assert!(r.ising_iterations > 0 || r.ising_exact_ml);
        assert_eq!(r.bond_entropies.len(), n - 1);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let exec = Exec::default();
        let o = PipelineOptions::default();
        assert!(fit_patterns(&[0, 1, 0], 2, &o, &exec).is_err());
        assert!(fit_patterns(&[0, 1], 0, &o, &exec).is_err());
        let o = PipelineOptions { dims: Some(vec![2]), ..Default::default() };
        assert!(fit_patterns(&[0, 1, 0, 1], 2, &o, &exec).is_err());
        let o = PipelineOptions { test: 0.5, validation: 1.0, ..Default::default() };
        assert!(fit_patterns(&[0, 1, 0, 1], 2, &o, &exec).is_err());
    }
}
