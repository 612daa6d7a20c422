//! Regularisation of the Born-machine fit by model selection on a validation split.
//!
//! The exact empirical initial state `Psi_emp = sum_j sqrt(p_j) |x_j>` memorises the training
//! set: a pattern never seen in training has zero amplitude. Mixed with the independent-site
//! amplitude (all amplitudes non-negative),
//!
//! `Psi_eps = sqrt(1 - eps) Psi_emp + sqrt(eps) Psi_ind`,  `P_eps(s) >= eps P_ind(s)`,
//!
//! an unseen pattern costs about `log2(1 / eps)` bits more than under the independent model.
//! On sparse spike data with N ~ 100 neurons almost every held-out pattern is new, so a small
//! `eps` (the former fixed 0.01) makes the model worse than independent neurons on held-out
//! data, and likelihood sweeps only lower the training NLL further (Han et al. 2018 start from
//! random states and rely on early stopping alone). `eps` is therefore a hyper-parameter:
//!
//! 1. every `eps` of `init_mix_grid` gives a candidate initial state (`eps = 1`: the product
//!    state of the smoothed site marginals, exactly the independent model; the empirical state
//!    is computed once and mixed per candidate, then recompressed to `max_bond`);
//! 2. the candidates are screened by their validation NLL;
//! 3. the product-state start (`eps = 1`, when in the grid; the sweeps then grow the bond
//!    dimension from 1 and learn the correlations the validation data support) is refined along
//!    the bond-dimension ladder, once per smoothing weight of `smoothing_grid`
//!    ([`super::learn`]'s `grow.rs`), with early stopping on the validation split, and so is the best-screened
//!    mixed start (`eps < 1`) when its validation NLL is below the product start's (on sparse
//!    data, where almost every held-out pattern is new, it never is: one refinement, not two);
//! 4. the refined model with the lowest validation NLL is returned (ties: earlier in the grid).
//!
//! Because the product-state candidate starts at the independent model and early stopping only
//! keeps states that lower the validation NLL, the returned model's validation NLL is at most
//! the independent model's. Its held-out (test) NLL must be measured on a third split never
//! used for selection or stopping ([`super::data::split3`]); `diffrg mps fit` and `diffrg dtnr`
//! do so. Every step is deterministic, so the selection is bit-reproducible for a seed.

use super::data::Distinct;
use super::eval::nll_bits;
use super::learn::{exact_init, independent_state, mix_initial, refine, smoothed, FitReport, LearnOptions};
use super::tt::TensorTrain;
use crate::error::Result;
use crate::exec::Exec;

/// One candidate initial state of the selection (NLL in bits per pattern).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Mixing weight `eps` (1: product-state start).
    pub init_mix: f64,
    /// Validation NLL of the initial state.
    pub init_nll_validation: f64,
    /// Validation NLL after the sweeps (NaN: screened out, not refined).
    pub nll_validation: f64,
    /// Training NLL after the sweeps (NaN: not refined).
    pub nll_train: f64,
    /// Smoothing weight `alpha` of the best refinement of this start (0: none).
    pub smoothing: f64,
}

/// Fits with the initial mixing weight chosen on `val` (module docs). Called by
/// [`super::learn::fit`] with a non-empty `opts.init_mix_grid` whose values it has range-checked.
pub(crate) fn fit_selected(
    dims: &[usize],
    data: &Distinct,
    val: &Distinct,
    opts: &LearnOptions,
    exec: &Exec,
) -> Result<(TensorTrain, FitReport)> {
    let mut grid: Vec<f64> = Vec::new();
    for &e in &opts.init_mix_grid {
        if !grid.contains(&e) {
            grid.push(e);
        }
    }
    let emp = if grid.iter().any(|&e| e < 1.0) { Some(exact_init(dims, data, opts.max_bond, opts.cutoff, exec)?) } else { None };
    let mut states: Vec<Option<(TensorTrain, f64)>> = Vec::with_capacity(grid.len());
    let mut cands: Vec<Candidate> = Vec::with_capacity(grid.len());
    for &eps in &grid {
        exec.check()?;
        let (t, disc) = match &emp {
            Some((e, d0)) if eps < 1.0 => {
                let (t, d) = mix_initial(dims, data, e, eps, opts, exec)?;
                (t, d0 + d)
            }
            _ => (independent_state(dims, data, opts.pseudocount)?, 0.0),
        };
        let v = nll_bits(&t, &val.patterns, Some(&val.weights), exec)?;
        cands.push(Candidate { init_mix: eps, init_nll_validation: v, nll_validation: f64::NAN, nll_train: f64::NAN, smoothing: 0.0 });
        states.push(Some((t, disc)));
    }
    // refine the best-screened mixed start and the product-state start
    let mut chosen: Vec<usize> = Vec::new();
    let mixed = (0..grid.len()).filter(|&i| grid[i] < 1.0).fold(None, |b: Option<usize>, i| match b {
        Some(j) if !(cands[i].init_nll_validation < cands[j].init_nll_validation) => Some(j),
        _ => Some(i),
    });
    let product = (0..grid.len()).find(|&i| grid[i] >= 1.0);
    // the mixed start is refined only when it screens better than the product start (sparse
    // data: it never does, and the fit then costs one refinement, not two)
    let mixed = match (mixed, product) {
        (Some(i), Some(p)) if !(cands[i].init_nll_validation < cands[p].init_nll_validation) => None,
        (m, _) => m,
    };
    chosen.extend((0..grid.len()).filter(|&i| Some(i) == product || Some(i) == mixed));
    let mut best: Option<(f64, TensorTrain, FitReport)> = None;
    let mut curve = Vec::new();
    // runs: the mixed start once (alpha 0, full max_bond), the product start per alpha
    let mut alphas: Vec<f64> = Vec::new();
    for &a in &opts.smoothing_grid {
        if !alphas.contains(&a) {
            alphas.push(a);
        }
    }
    if alphas.is_empty() {
        alphas.push(0.0);
    }
    let runs: Vec<(usize, f64)> = chosen
        .iter()
        .flat_map(|&i| if grid[i] >= 1.0 { alphas.iter().map(|&a| (i, a)).collect::<Vec<_>>() } else { vec![(i, 0.0)] })
        .collect();
    // progress: screening the starts is the first 10%, the refinements share the rest
    exec.progress.set(0.1);
    let total = runs.len().max(1) as f64;
    for (r, &(i, alpha)) in runs.iter().enumerate() {
        exec.check()?;
        let part = exec.part(0.1 + 0.9 * r as f64 / total, 0.1 + 0.9 * (r + 1) as f64 / total);
        let (model, rep) = if grid[i] >= 1.0 {
            let t = states[i].as_ref().expect("each start is kept").0.clone();
            let fit_data = smoothed(data, dims, alpha, opts.pseudocount, opts.seed);
            super::learn::refine_grown(dims, &fit_data, data, val, t, grid[i], alpha, opts, &part)?
        } else {
            let (t, disc) = states[i].take().expect("a mixed start is refined once");
            let (m, mut rep) = refine(dims, data, data, Some(val), t, disc, grid[i], opts, &part)?;
            rep.curve = rep.history.clone();
            (m, rep)
        };
        curve.extend(rep.curve.iter().cloned());
        if cands[i].nll_validation.is_nan() || rep.nll_heldout < cands[i].nll_validation {
            cands[i].nll_validation = rep.nll_heldout;
            cands[i].nll_train = rep.nll_train;
            cands[i].smoothing = alpha;
        }
        let better = match &best {
            None => true,
            Some((b, _, _)) => rep.nll_heldout < *b,
        };
        if better {
            best = Some((rep.nll_heldout, model, rep));
        }
    }
    let (_, model, mut rep) = best.expect("the grid is non-empty");
    rep.candidates = cands;
    rep.curve = curve;
    Ok((model, rep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::baselines::Independent;
    use crate::mps::data::{latent_cluster_patterns, split3};
    use crate::mps::learn::fit;

    #[test]
    fn selected_fit_beats_independent_on_sparse_test_data() {
        // sparse clustered spiking (rates 2% / 25%, clusters up 15% of the bins), 40 sites:
        // most held-out patterns never occur in training, as in binned LIF rasters
        let (pats, _) = latent_cluster_patterns(4, 10, 4000, 0.15, 0.25, 0.02, 5);
        let n = 40;
        let (train, val, test) = split3(&pats, n, 0.2, 0.2, 3).unwrap();
        let dims = vec![2; n];
        let exec = Exec::with_threads(2);
        let ind = Independent::fit(&dims, &train, 0.5).unwrap();
        let ind_test = ind.nll_bits(&test).unwrap();
        let ind_val = ind.nll_bits(&val).unwrap();
        let opts = LearnOptions { max_bond: 8, ..Default::default() };
        let (model, rep) = fit(&dims, &train, &val, &opts, &exec).unwrap();
        let got = crate::mps::learn::nll(&model, &test, &exec).unwrap();
        // the former default (fixed eps = 0.01, no selection) memorises the training set
        let old = LearnOptions { init_mix_grid: Vec::new(), ..opts.clone() };
        let (m0, _) = fit(&dims, &train, &val, &old, &exec).unwrap();
        let old_test = crate::mps::learn::nll(&m0, &test, &exec).unwrap();
        eprintln!(
            "test NLL: selected {got:.4} (eps {}) independent {ind_test:.4} fixed eps 0.01 {old_test:.4}; {:?}",
            rep.init_mix, rep.candidates
        );
        assert_eq!(rep.candidates.len(), opts.init_mix_grid.len());
        assert!(rep.nll_heldout <= ind_val + 1e-9, "validation {} vs independent {ind_val}", rep.nll_heldout);
        assert!(got <= ind_test, "test {got} vs independent {ind_test}");
        assert!(old_test > ind_test, "the unregularised start should overfit here: {old_test} vs {ind_test}");
    }
}
