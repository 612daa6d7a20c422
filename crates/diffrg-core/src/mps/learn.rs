//! Learning a Born machine from patterns: exact initialisation plus two-site DMRG sweeps.
//!
//! - `learn/init.rs`: the exact empirical initial state (tensor-train SVD of the distinct
//!   patterns) and its mixture with the independent-site model.
//! - `learn/sweep.rs`: the two-site likelihood sweeps (Han et al. 2018) with line search.
//! - `learn/grow.rs`: the bond-dimension ladder (chi 2, 4, 8, ... chosen on the validation
//!   split) and the smoothing pseudo-data (regularisation for a few thousand patterns).
//! - here: [`fit`] (validation, the initial-state selection of [`super::select`], early
//!   stopping) and `refine` (the sweeps from a given initial state).
//!
//! The equations, references and departures from the papers are in the submodules' docs and in
//! docs/mps.md.

mod grow;
mod init;
mod sweep;
#[cfg(test)]
mod tests;

pub(crate) use grow::refine_grown;
pub use grow::{ladder, product_state_warning, smoothed};
pub use init::{exact_init, independent_state, initial_state, mix_initial};

use super::data::Distinct;
use super::eval::nll_bits;
use super::tt::{check_patterns, TensorTrain};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use sweep::{advance, merge, optimise_bond, split_bond, Sweeper};

/// Options of [`fit`]; every default is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnOptions {
    /// Maximum bond dimension. Default 32.
    pub max_bond: usize,
    /// Relative discarded-weight cutoff of every SVD (initialisation and sweeps). Default 1e-10.
    pub cutoff: f64,
    /// Weight `eps` of the independent-site amplitude mixed into the initial state when
    /// `init_mix_grid` is empty (or there is no validation data). Default 0.01; 0 gives the pure
    /// empirical initialisation.
    pub init_mix: f64,
    /// Maximum number of half-sweeps (one direction each). Default 12.
    pub max_half_sweeps: usize,
    /// Stop after this many half-sweeps without a held-out improvement. Default 2.
    pub patience: usize,
    /// Gradient steps per bond. Default 2.
    pub steps_per_bond: usize,
    /// Initial line-search step. Default 0.5.
    pub learning_rate: f64,
    /// Pseudocount per value for the independent-site marginals in the mixture. Default 0.5.
    pub pseudocount: f64,
    /// Limit for the cached per-pattern environments, in bytes. Default 4 GiB.
    pub memory_limit_bytes: u128,
    /// Candidate mixing weights `eps` chosen on the validation split (see
    /// [`super::select`]); `1.0` is the product-state (independent-model) start. Empty: the
    /// single weight `init_mix`. Ignored without validation data. Default
    /// `[1.0, 0.3, 0.1, 0.03, 0.01, 0.001]`.
    pub init_mix_grid: Vec<f64>,
    /// Grow the bond dimension along the ladder 2, 4, 8, ..., `max_bond` from the product-state
    /// start, each rung starting from the previous rung's best state and stopping at the first
    /// rung that does not lower the validation NLL (`learn/grow.rs`). Needs validation data.
    /// Default true.
    pub grow: bool,
    /// Candidate weights `alpha` of the smoothing pseudo-data (patterns drawn from the
    /// independent-site model, total weight `alpha` relative to the training data) chosen on
    /// the validation split for the product-state start; 0 = none. Default `[0, 0.1, 0.3]`.
    pub smoothing_grid: Vec<f64>,
    /// Seed of the smoothing pseudo-data. Default 0.
    pub seed: u64,
    /// Soft threshold of the singular values of every two-site split relative to the leading
    /// one (`learn/sweep.rs`); 0 = hard truncation only. Default 0.
    pub shrink: f64,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            max_bond: 32,
            cutoff: 1e-10,
            init_mix: 0.01,
            max_half_sweeps: 12,
            patience: 2,
            steps_per_bond: 2,
            learning_rate: 0.5,
            pseudocount: 0.5,
            memory_limit_bytes: 4 << 30,
            init_mix_grid: vec![1.0, 0.3, 0.1, 0.03, 0.01, 0.001],
            grow: true,
            smoothing_grid: vec![0.0, 0.1, 0.3],
            seed: 0,
            shrink: 0.0,
        }
    }
}

/// One half-sweep's diagnostics (NLL in bits per pattern).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRecord {
    pub nll_train: f64,
    pub nll_heldout: f64,
    pub max_bond: usize,
    /// Bond-dimension limit of the half-sweep (the ladder's rung).
    pub chi: usize,
    /// Weight of the smoothing pseudo-data of the run (0: none).
    pub smoothing: f64,
    /// Mixing weight `eps` of the run's initial state (1: product-state start).
    pub init_mix: f64,
    /// Mixtures: index of the component (in `components[]`) whose fit the record belongs to; 0
    /// for the single fits.
    pub component: usize,
}

/// Result diagnostics of [`fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    pub n_train: usize,
    pub n_heldout: usize,
    pub n_distinct_train: usize,
    /// NLL of the initial state (bits per pattern).
    pub init_nll_train: f64,
    pub init_nll_heldout: f64,
    /// Best model's NLL (bits per pattern); held-out is NaN without validation data.
    pub nll_train: f64,
    pub nll_heldout: f64,
    /// Index into `history` of the returned model (None: the initial state).
    pub best_half_sweep: Option<usize>,
    pub history: Vec<SweepRecord>,
    /// Discarded weight (relative) of the initialisation.
    pub init_discarded: f64,
    /// Mixing weight `eps` of the returned model's initial state (1: product-state start).
    pub init_mix: f64,
    /// Every candidate initial state of the validation selection ([`super::select`]).
    pub candidates: Vec<super::select::Candidate>,
    /// Smoothing weight `alpha` of the returned model (0: none).
    pub smoothing: f64,
    /// Every half-sweep of every run of the selection (the validation curve against chi and
    /// sweeps); `history` holds the returned model's run only.
    pub curve: Vec<SweepRecord>,
    /// Set when the returned model is a product state although the training data are
    /// correlated ([`product_state_warning`]).
    pub warning: Option<String>,
}

/// Fits a Born machine to `train` (row-major, `dims.len()` columns) with early stopping on
/// `heldout` (may be empty). With validation data and a non-empty `init_mix_grid`, the
/// initial state is chosen on the validation split ([`super::select::fit_selected`]).
/// Returns the best model (normalised, `Z = 1`) and the report.
///
/// Errors: `ERR_INVALID_INPUT` (shapes, alphabet, options), `ERR_TOO_LARGE` when the
/// environment cache exceeds `memory_limit_bytes`, `ERR_ABORTED`.
pub fn fit(dims: &[usize], train: &[u8], heldout: &[u8], opts: &LearnOptions, exec: &Exec) -> Result<(TensorTrain, FitReport)> {
    let n = dims.len();
    if opts.max_bond == 0 {
        return Err(Error::invalid_input("max_bond must be >= 1"));
    }
    if !(opts.init_mix >= 0.0 && opts.init_mix < 1.0) {
        return Err(Error::invalid_input(format!("init_mix must be in [0, 1), got {}", opts.init_mix)));
    }
    if let Some(e) = opts.init_mix_grid.iter().find(|e| !(**e >= 0.0 && **e <= 1.0)) {
        return Err(Error::invalid_input(format!("init_mix_grid values must be in [0, 1], got {e}")));
    }
    if let Some(a) = opts.smoothing_grid.iter().find(|a| !(**a >= 0.0 && a.is_finite())) {
        return Err(Error::invalid_input(format!("smoothing_grid values must be finite and >= 0, got {a}")));
    }
    if !(opts.shrink >= 0.0 && opts.shrink < 1.0) {
        return Err(Error::invalid_input(format!("shrink must be in [0, 1), got {}", opts.shrink)));
    }
    if !(opts.learning_rate > 0.0) {
        return Err(Error::invalid_input("learning_rate must be > 0"));
    }
    check_patterns(dims, train, "train")?;
    if !heldout.is_empty() {
        check_patterns(dims, heldout, "heldout")?;
    }
    let data = Distinct::new(train, n, "train")?;
    let val = if heldout.is_empty() { None } else { Some(Distinct::new(heldout, n, "heldout")?) };
    ensure_fits(
        "the per-pattern environment cache",
        (data.len() as u128) * (n as u128 + 1) * opts.max_bond as u128,
        opts.memory_limit_bytes,
        "reduce max_bond or the number of distinct training patterns",
    )?;
    let (model, mut rep) = if let (Some(v), false) = (&val, opts.init_mix_grid.is_empty()) {
        super::select::fit_selected(dims, &data, v, opts, exec)?
    } else {
        let (tt, init_discarded) = initial_state(dims, &data, opts, exec)?;
        let (m, mut r) = refine(dims, &data, &data, val.as_ref(), tt, init_discarded, opts.init_mix, opts, exec)?;
        r.curve = r.history.clone();
        (m, r)
    };
    if model.max_bond() == 1 {
        rep.warning = product_state_warning(&data);
    }
    Ok((model, rep))
}

/// Two-site sweeps from the left-canonical initial state `tt` (norm in the last core) on
/// `data` (the training data, possibly with smoothing pseudo-data) with early stopping on `val`;
/// training NLLs are reported on `train`. Returns the best state (normalised) and its report.
#[allow(clippy::too_many_arguments)]
pub(crate) fn refine(
    dims: &[usize],
    data: &Distinct,
    train: &Distinct,
    val: Option<&Distinct>,
    mut tt: TensorTrain,
    init_discarded: f64,
    init_mix: f64,
    opts: &LearnOptions,
    exec: &Exec,
) -> Result<(TensorTrain, FitReport)> {
    let n = dims.len();
    let m = data.len();
    // the initial state is left-canonical with the norm in the last core: make Z = 1
    {
        let last = tt.cores_mut().last_mut().expect("n >= 1");
        let nrm = last.data.iter().map(|x| x * x).sum::<f64>().sqrt();
        if !(nrm > 0.0) {
            return Err(Error::invalid_input("the initial state is zero"));
        }
        last.data.iter_mut().for_each(|x| *x /= nrm);
    }
    let eval = |t: &TensorTrain| -> Result<(f64, f64)> {
        let tr = nll_bits(t, &train.patterns, Some(&train.weights), exec)?;
        let va = match val {
            Some(v) => nll_bits(t, &v.patterns, Some(&v.weights), exec)?,
            None => f64::NAN,
        };
        Ok((tr, va))
    };
    let (init_tr, init_va) = eval(&tt)?;
    let mut report = FitReport {
        n_train: train.total,
        n_heldout: val.map_or(0, |v| v.total),
        n_distinct_train: train.len(),
        init_nll_train: init_tr,
        init_nll_heldout: init_va,
        nll_train: init_tr,
        nll_heldout: init_va,
        best_half_sweep: None,
        history: Vec::new(),
        init_discarded,
        init_mix,
        candidates: Vec::new(),
        smoothing: 0.0,
        curve: Vec::new(),
        warning: None,
    };
    if n < 2 || opts.max_half_sweeps == 0 {
        return Ok((tt, report));
    }
    let score = |tr: f64, va: f64| if va.is_nan() { tr } else { va };
    let mut best = (score(init_tr, init_va), tt.clone());
    // centre is at N-1 (left-canonical): build left environments for all bonds
    let mut sw = Sweeper { x: &data.patterns, n, m, w: &data.weights, left: vec![Vec::new(); n + 1], right: vec![Vec::new(); n + 1] };
    sw.left[0] = vec![1.0; m];
    sw.right[n] = vec![1.0; m];
    exec.install(|| -> Result<()> {
        for k in 0..n - 1 {
            exec.check()?;
            let c = tt.core(k);
            let next = advance(&data.patterns, n, k, &sw.left[k], c.left, c.right, c.dim, &|a| c.slice(a));
            sw.left[k + 1] = next;
        }
        let mut lr = opts.learning_rate;
        let mut stale = 0usize;
        for half in 0..opts.max_half_sweeps {
            let leftward = half % 2 == 0;
            if leftward {
                // bonds (k-1, k) for k = n-1 .. 1, centre moves to 0
                for k in (1..n).rev() {
                    exec.check()?;
                    let (a, b) = (tt.core(k - 1).clone(), tt.core(k).clone());
                    let dims4 = (a.left, a.dim, b.dim, b.right);
                    let mut bm = merge(&a, &b);
                    optimise_bond(&sw, k - 1, &mut bm, dims4, opts, &mut lr);
                    let (na, nb) = split_bond(&bm, dims4, opts.max_bond, opts.cutoff, opts.shrink, false)?;
                    let next = advance(&data.patterns, n, k, &sw.right[k + 1], nb.right, nb.left, nb.dim, &|s| nb.slice(s).transpose());
                    sw.right[k] = next;
                    sw.left[k] = Vec::new();
                    let cores = tt.cores_mut();
                    cores[k - 1] = na;
                    cores[k] = nb;
                }
            } else {
                for k in 0..n - 1 {
                    exec.check()?;
                    let (a, b) = (tt.core(k).clone(), tt.core(k + 1).clone());
                    let dims4 = (a.left, a.dim, b.dim, b.right);
                    let mut bm = merge(&a, &b);
                    optimise_bond(&sw, k, &mut bm, dims4, opts, &mut lr);
                    let (na, nb) = split_bond(&bm, dims4, opts.max_bond, opts.cutoff, opts.shrink, true)?;
                    let next = advance(&data.patterns, n, k, &sw.left[k], na.left, na.right, na.dim, &|s| na.slice(s));
                    sw.left[k + 1] = next;
                    sw.right[k + 1] = Vec::new();
                    let cores = tt.cores_mut();
                    cores[k] = na;
                    cores[k + 1] = nb;
                }
            }
            let (tr, va) = eval(&tt)?;
            exec.progress.set_done(half + 1, opts.max_half_sweeps);
            report.history.push(SweepRecord {
                nll_train: tr,
                nll_heldout: va,
                max_bond: tt.max_bond(),
                chi: opts.max_bond,
                smoothing: 0.0,
                init_mix,
                component: 0,
            });
            let sc = score(tr, va);
            if sc < best.0 - 1e-9 {
                best = (sc, tt.clone());
                report.best_half_sweep = Some(half);
                report.nll_train = tr;
                report.nll_heldout = va;
                stale = 0;
            } else {
                stale += 1;
                if !va.is_nan() && stale >= opts.patience {
                    break;
                }
            }
        }
        // early stopping ends the run before the last half-sweep
        exec.progress.set(1.0);
        Ok(())
    })?;
    let mut out = best.1;
    super::canonical::normalize(&mut out)?;
    Ok((out, report))
}

/// Mean NLL in bits per pattern of `patterns` under `tt`.
pub fn nll(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<f64> {
    nll_bits(tt, patterns, None, exec)
}
