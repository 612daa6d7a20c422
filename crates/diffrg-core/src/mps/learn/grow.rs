//! Learning with a few thousand patterns: the bond-dimension ladder and smoothing pseudo-data.
//!
//! **Why.** From the product-state (independent-model) start, unconstrained two-site sweeps at
//! a large `max_bond` fit the training set within one or two half-sweeps: on the Aplysia
//! recording `Jan1912da02` (102 neurons, 2,881 training patterns, chi 8) the validation NLL
//! goes 16.59 -> 16.60 -> 16.98 bits while the bond dimension jumps 2 -> 4 -> 8, early stopping
//! returns the first half-sweep (bond dimension 2) and every `--chi >= 4` gives the same model,
//! worse than `--chi 2` run to convergence (16.48). A bond grows by at most a factor `d` per
//! half-sweep from a product state, so the bond dimension and the number of sweeps are tied:
//! early stopping then cannot tell "more sweeps" from "more bond dimension".
//!
//! **Ladder.** The bond dimension is therefore a hyper-parameter grown explicitly: rungs
//! `chi = 2, 4, 8, ..., max_bond` ([`ladder`]); each rung runs the sweeps (early stopping on the
//! validation split, `patience` half-sweeps) from the previous rung's best state with the bond
//! limit `chi`, and the ladder stops at the first rung that does not lower the validation NLL.
//! The returned model is the best state of the last improving rung, so its validation NLL is
//! at most that of every smaller `chi` on the ladder: a larger `max_bond` can no longer make
//! the fit worse on validation data. Every half-sweep of every rung is reported (the validation
//! curve against chi and sweeps).
//!
//! **Smoothing pseudo-data.** The empirical distribution of a few thousand patterns of ~100
//! neurons is a poor target: almost every held-out pattern is new. The sweeps minimise the
//! cross-entropy to `(1 - a) P_emp + a P_ind` instead, `a = alpha / (1 + alpha)`: the training
//! patterns plus `M` patterns drawn from the independent-site model (seeded, ChaCha8) with total
//! weight `alpha` relative to the data ([`smoothed`]). It is the Born-machine analogue of
//! additive smoothing of counts (a Dirichlet prior centred on the independent model): it keeps
//! amplitude on unseen patterns without fixing which correlations the model may learn.
//! `alpha` is chosen on the validation split from `smoothing_grid` (0 included: no smoothing).
//! Departure from Han et al. (2018), who train on the data alone from random states.

use super::{refine, FitReport, LearnOptions};
use crate::error::Result;
use crate::exec::Exec;
use crate::mps::canonical::left_canonicalize;
use crate::mps::data::{site_marginals, Distinct};
use crate::mps::tt::TensorTrain;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Rungs of the bond-dimension ladder: 2, 4, 8, ... below `max_bond`, then `max_bond`
/// (`[1]` for `max_bond = 1`).
pub fn ladder(max_bond: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut c = 2usize;
    while c < max_bond {
        out.push(c);
        c *= 2;
    }
    out.push(max_bond.max(1));
    out
}

/// Most pseudo-patterns drawn for the smoothing (at most the number of training patterns).
const MAX_PSEUDO: usize = 20_000;

/// The training data plus pseudo-patterns from the independent-site model (marginals smoothed
/// by `pseudocount`) of total weight `alpha` relative to the data; weights sum to 1. `total`
/// and `counts` stay those of the training data (the pseudo-patterns have count 0).
pub fn smoothed(data: &Distinct, dims: &[usize], alpha: f64, pseudocount: f64, seed: u64) -> Distinct {
    if alpha <= 0.0 {
        return data.clone();
    }
    let n = data.n_sites;
    let marg = site_marginals(data, dims, pseudocount.max(1e-12));
    let m = data.total.clamp(1, MAX_PSEUDO);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut index: HashMap<Vec<u8>, usize> = HashMap::with_capacity(data.len() + m);
    let mut out = Distinct {
        n_sites: n,
        patterns: Vec::with_capacity((data.len() + m) * n),
        weights: Vec::new(),
        counts: Vec::new(),
        total: data.total,
    };
    let scale = 1.0 / (1.0 + alpha);
    for j in 0..data.len() {
        index.insert(data.row(j).to_vec(), j);
        out.patterns.extend_from_slice(data.row(j));
        out.weights.push(data.weights[j] * scale);
        out.counts.push(data.counts[j]);
    }
    let w = alpha * scale / m as f64;
    let mut row = vec![0u8; n];
    for _ in 0..m {
        for (k, p) in marg.iter().enumerate() {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            let mut v = p.len() - 1;
            for (a, q) in p.iter().enumerate() {
                acc += q;
                if u < acc {
                    v = a;
                    break;
                }
            }
            row[k] = v as u8;
        }
        match index.get(&row) {
            Some(&j) => out.weights[j] += w,
            None => {
                index.insert(row.clone(), out.weights.len());
                out.patterns.extend_from_slice(&row);
                out.weights.push(w);
                out.counts.push(0);
            }
        }
    }
    out
}

/// A warning when a fit returned a product state although two sites of the training data are
/// correlated: the largest `|r| sqrt(T)` over site pairs (indicator of a non-zero value, `T`
/// training patterns) above 5 (a two-sided p ~ 6e-7 per pair under independence).
pub fn product_state_warning(data: &Distinct) -> Option<String> {
    let n = data.n_sites;
    if n < 2 || data.total < 3 {
        return None;
    }
    let mut mean = vec![0.0; n];
    let mut co = vec![0.0; n * n];
    for j in 0..data.len() {
        let w = data.weights[j];
        let on: Vec<usize> = data.row(j).iter().enumerate().filter(|(_, v)| **v > 0).map(|(k, _)| k).collect();
        for &a in &on {
            mean[a] += w;
            for &b in &on {
                co[a * n + b] += w;
            }
        }
    }
    let mut top = (0.0f64, 0usize, 0usize, 0.0f64);
    for a in 0..n {
        for b in a + 1..n {
            let va = mean[a] * (1.0 - mean[a]);
            let vb = mean[b] * (1.0 - mean[b]);
            if va <= 0.0 || vb <= 0.0 {
                continue;
            }
            let r = (co[a * n + b] - mean[a] * mean[b]) / (va * vb).sqrt();
            let z = r.abs() * (data.total as f64).sqrt();
            if z > top.0 {
                top = (z, a, b, r);
            }
        }
    }
    (top.0 > 5.0).then(|| {
        format!(
            "the fit returned a product state (bond dimension 1) although sites {} and {} are correlated in the training data (r = {:.3}, |r| sqrt(T) = {:.1}): the validation split did not support any correlated model; try more patterns, another site order or a larger validation split",
            top.1, top.2, top.3, top.0
        )
    })
}

/// The ladder ([`ladder`]) from the left-canonical state `tt` on `data` (training data with the
/// smoothing pseudo-data of weight `alpha`), training NLLs reported on `train`: returns the best
/// state of the last improving rung and its report, with `curve` holding every half-sweep.
#[allow(clippy::too_many_arguments)]
pub(crate) fn refine_grown(
    dims: &[usize],
    data: &Distinct,
    train: &Distinct,
    val: &Distinct,
    tt: TensorTrain,
    init_mix: f64,
    alpha: f64,
    opts: &LearnOptions,
    exec: &Exec,
) -> Result<(TensorTrain, FitReport)> {
    let rungs = if opts.grow { ladder(opts.max_bond) } else { vec![opts.max_bond] };
    let mut cur = tt;
    let mut best: Option<(TensorTrain, FitReport)> = None;
    let mut curve = Vec::new();
    let len = rungs.len() as f64;
    for (r, &chi) in rungs.iter().enumerate() {
        exec.check()?;
        let part = exec.part(r as f64 / len, (r + 1) as f64 / len);
        let o = LearnOptions { max_bond: chi, ..opts.clone() };
        let (m, mut rep) = refine(dims, data, train, Some(val), cur, 0.0, init_mix, &o, &part)?;
        rep.history.iter_mut().for_each(|h| h.smoothing = alpha);
        curve.extend(rep.history.iter().cloned());
        if let Some((_, b)) = &best {
            if !(rep.nll_heldout < b.nll_heldout - 1e-9) {
                break;
            }
        }
        let mut next = m.clone();
        left_canonicalize(&mut next);
        best = Some((m, rep));
        cur = next;
    }
    let (m, mut rep) = best.expect("the ladder has at least one rung");
    rep.smoothing = alpha;
    rep.curve = curve;
    exec.progress.set(1.0);
    Ok((m, rep))
}
