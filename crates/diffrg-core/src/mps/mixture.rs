//! Mixtures of tensor trains and a bagged ensemble learner (issue 18).
//!
//! **Mixture as one train.** For normalised components `P_r` (Born machines or probability
//! trains) and weights `w_r >= 0`, `sum w_r = 1`, the mixture `P(x) = sum_r w_r P_r(x)` is again
//! a probability train: each component is made a probability train (a Born machine through its
//! doubled cores, [`TensorTrain::to_probability`]), scaled by `w_r / Z_r`, and the cores are
//! stacked block-diagonally,
//!
//! `M_1[x] = [w_1 A^1_1[x] / Z_1, ..., w_R A^R_1[x] / Z_R]`, `M_k[x] = diag(A^1_k[x], ...,
//! A^R_k[x])`, `M_N[x] = [A^1_N[x]; ...; A^R_N[x]]`,
//!
//! so bond `k` has dimension `sum_r D^r_k`, the model stays exactly normalised and every
//! operation of the crate (log-probabilities, marginals, sampling, coarse-graining) applies.
//!
//! **Weights.** [`mixture_weights`] maximises the mean log-likelihood of a data set (the
//! validation split) over the simplex by EM (Dempster et al. 1977): responsibilities
//! `g_rj = w_r P_r(x_j) / sum_s w_s P_s(x_j)`, then `w_r = mean_j g_rj`. The objective is concave
//! in `w`, so EM converges to its global maximum; the optimum is never worse on that data set
//! than the best single component (a vertex of the simplex).
//!
//! **Bagged ensemble** ([`fit_ensemble`]): `components` probability trains
//! ([`super::ptt::fit`]) each fitted on a bootstrap resample of the training patterns (Breiman
//! 1996; for densities Ridgeway 2002, "Looking for lumps", and Rosset & Segal 2002), with its own
//! seed for the split-and-perturb growth, a latent-class model ([`super::latent::fit`], up to
//! `min(latent_classes, max_bond)` classes: correlations independent of the site order, which
//! the chains lose between distant sites) and one Born machine ([`super::learn::fit`])
//! at bond dimension `born_chi` on the full training set (each optional); all use the validation split for early
//! stopping, and the mixture weights are fitted on the validation split. Departure: the weights
//! are estimated on the same validation split that stops the components (R numbers from
//! hundreds of patterns; the test split stays untouched).

use super::canonical::log_norm;
use super::latent::{self, LatentOptions};
use super::learn::{self, FitReport, LearnOptions};
use super::ptt::{self, PttOptions};
use super::tt::{check_patterns, Core, Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The mixture `sum_r w_r P_r` of normalised-or-not trains on the same sites as one
/// probability train (block-diagonal cores; each component divided by its own `Z_r`).
///
/// Errors: `ERR_INVALID_INPUT` for no components, mismatched sites or alphabets, weights that
/// are negative, non-finite, of the wrong count or do not sum to a positive value (they are
/// normalised), a component with a non-positive normalisation.
pub fn mixture(components: &[TensorTrain], weights: &[f64]) -> Result<TensorTrain> {
    if components.is_empty() {
        return Err(Error::invalid_input("a mixture needs at least one component"));
    }
    if weights.len() != components.len() {
        return Err(Error::invalid_input(format!("weights has {} values for {} components", weights.len(), components.len())));
    }
    if let Some(w) = weights.iter().find(|w| !(**w >= 0.0 && w.is_finite())) {
        return Err(Error::invalid_input(format!("mixture weights must be finite and >= 0, got {w}")));
    }
    let total: f64 = weights.iter().sum();
    if !(total > 0.0) {
        return Err(Error::invalid_input("mixture weights must not all be 0"));
    }
    let dims = components[0].dims();
    if let Some(c) = components.iter().find(|c| c.dims() != dims) {
        return Err(Error::invalid_input(format!("mixture components differ in sites or alphabets ({:?} vs {:?})", c.dims(), dims)));
    }
    let n = dims.len();
    // components with weight 0 are dropped (they add bonds and nothing else)
    let mut parts = Vec::new();
    for (c, &w) in components.iter().zip(weights) {
        if w > 0.0 {
            let p = c.to_probability()?;
            let ln_z = log_norm(&p)?;
            parts.push((p, w / total, ln_z));
        }
    }
    let mut cores = Vec::with_capacity(n);
    for k in 0..n {
        let d = dims[k];
        let left: usize = if k == 0 { 1 } else { parts.iter().map(|(p, _, _)| p.core(k).left).sum() };
        let right: usize = if k + 1 == n { 1 } else { parts.iter().map(|(p, _, _)| p.core(k).right).sum() };
        let mut out = Core::zeros(left, d, right);
        let (mut lo, mut ro) = (0usize, 0usize);
        for (p, w, ln_z) in &parts {
            let c = p.core(k);
            // 1/Z spread over the cores keeps long trains finite; the weight sits on site 0
            let f = (-ln_z / n as f64).exp() * if k == 0 { *w } else { 1.0 };
            for a in 0..c.left {
                for s in 0..d {
                    for b in 0..c.right {
                        out.data[((lo + a) * d + s) * right + ro + b] += f * c.at(a, s, b);
                    }
                }
            }
            if k > 0 {
                lo += c.left;
            }
            if k + 1 < n {
                ro += c.right;
            }
        }
        cores.push(out);
    }
    TensorTrain::new(Kind::Probability, cores)
}

/// Mixture weights maximising `mean_j ln sum_r w_r P_r(x_j)` over the simplex, by EM from the
/// uniform weights until the objective changes by less than `1e-12` nats (at most `max_iters`
/// iterations). `log2_probs[r][j]` is `log2 P_r(x_j)` (all rows the same length).
/// Returns the weights and the mean NLL in bits per pattern at them.
///
/// Errors: `ERR_INVALID_INPUT` for no components, no patterns or ragged rows.
pub fn mixture_weights(log2_probs: &[Vec<f64>], max_iters: usize) -> Result<(Vec<f64>, f64)> {
    let r = log2_probs.len();
    let m = log2_probs.first().map_or(0, Vec::len);
    if r == 0 || m == 0 || log2_probs.iter().any(|v| v.len() != m) {
        return Err(Error::invalid_input("mixture weights need at least one component and equally many patterns per component"));
    }
    let ln2 = std::f64::consts::LN_2;
    let mut w = vec![1.0 / r as f64; r];
    let mut prev = f64::NEG_INFINITY;
    let mut g = vec![0.0; r];
    let mut obj = f64::NEG_INFINITY;
    for _ in 0..max_iters.max(1) {
        let mut acc = vec![0.0; r];
        obj = 0.0;
        for j in 0..m {
            // log-sum-exp over the components with a positive weight
            let mut mx = f64::NEG_INFINITY;
            for c in 0..r {
                g[c] = if w[c] > 0.0 { w[c].ln() + log2_probs[c][j] * ln2 } else { f64::NEG_INFINITY };
                mx = mx.max(g[c]);
            }
            if mx == f64::NEG_INFINITY {
                obj = f64::NEG_INFINITY;
                continue;
            }
            let s: f64 = g.iter().map(|v| (v - mx).exp()).sum();
            obj += mx + s.ln();
            for c in 0..r {
                acc[c] += (g[c] - mx).exp() / s;
            }
        }
        obj /= m as f64;
        w = acc.iter().map(|a| a / m as f64).collect();
        if obj - prev < 1e-12 {
            break;
        }
        prev = obj;
    }
    Ok((w, -obj / ln2))
}

/// Options of [`fit_ensemble`]; every default is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleOptions {
    /// Bagged probability trains. Default 4.
    pub components: usize,
    /// Fit every probability train on a bootstrap resample of the training set (false: the
    /// full set, different seeds only). Default true.
    pub bootstrap: bool,
    /// Bond dimension of an added Born machine fitted on the full training set (0: none).
    /// Default 2 (the bond the validation split supports on the Aplysia recordings, docs/mps.md).
    pub born_chi: usize,
    /// Largest class count of an added latent-class component ([`super::latent`]; also capped
    /// by the probability trains' `max_bond`, so `--chi` bounds every component's bond; 0: none).
    /// Default 32.
    pub latent_classes: usize,
    /// Options of every probability train (`seed` is the base seed: component r uses
    /// `seed + r`; `restarts` applies per component).
    pub ptt: PttOptions,
    /// Options of the Born machine (its `max_bond` is replaced by `born_chi`).
    pub born: LearnOptions,
}

impl Default for EnsembleOptions {
    fn default() -> Self {
        EnsembleOptions {
            components: 4,
            bootstrap: true,
            born_chi: 2,
            latent_classes: 32,
            ptt: PttOptions::default(),
            born: LearnOptions::default(),
        }
    }
}

/// A bootstrap resample (rows drawn with replacement, as many as given) of a row-major matrix.
pub fn bootstrap(patterns: &[u8], n_sites: usize, seed: u64) -> Vec<u8> {
    let rows = patterns.len() / n_sites.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(patterns.len());
    for _ in 0..rows {
        let i = rng.random_range(0..rows);
        out.extend_from_slice(&patterns[i * n_sites..(i + 1) * n_sites]);
    }
    out
}

/// Fits the bagged ensemble described in the module docs; returns the mixture train (kind
/// probability), a report in the single fits' shape (`nll_train` / `nll_heldout` of the mixture
/// on the full training and the validation split, `curve`: every component's records, `history`:
/// empty) and the per-component weights, validation NLLs (bits) and bond dimensions, Born
/// machine last.
///
/// Errors: `ERR_INVALID_INPUT` (shapes, options, empty validation, no component), `ERR_ABORTED`.
pub fn fit_ensemble(
    dims: &[usize],
    train: &[u8],
    val: &[u8],
    opts: &EnsembleOptions,
    exec: &Exec,
) -> Result<(TensorTrain, FitReport, Vec<ComponentReport>)> {
    let n = dims.len();
    if opts.components == 0 && opts.born_chi == 0 && opts.latent_classes == 0 {
        return Err(Error::invalid_input("an ensemble needs at least one component (components, latentClasses or bornChi)"));
    }
    check_patterns(dims, train, "train")?;
    if val.is_empty() {
        return Err(Error::invalid_input("an ensemble fit needs a non-empty validation split"));
    }
    check_patterns(dims, val, "validation")?;
    let total = opts.components + usize::from(opts.latent_classes > 0) + usize::from(opts.born_chi > 0);
    let mut models = Vec::with_capacity(total);
    let mut labels = Vec::with_capacity(total);
    let mut curve = Vec::new();
    let mut first: Option<FitReport> = None;
    for r in 0..opts.components {
        exec.check()?;
        let part = exec.part(r as f64 / total as f64, (r + 1) as f64 / total as f64);
        let seed = opts.ptt.seed.wrapping_add(r as u64);
        let data = if opts.bootstrap { bootstrap(train, n, seed.wrapping_mul(7919).wrapping_add(17)) } else { train.to_vec() };
        let (m, rep) = ptt::fit(dims, &data, val, &PttOptions { seed, ..opts.ptt.clone() }, &part)?;
        curve.extend(rep.curve.iter().map(|c| learn::SweepRecord { component: models.len(), ..c.clone() }));
        first.get_or_insert(rep);
        models.push(m);
        labels.push(Component::Probability);
    }
    if opts.latent_classes > 0 {
        let part = exec.part(opts.components as f64 / total as f64, (opts.components + 1) as f64 / total as f64);
        let lo =
            LatentOptions { max_classes: opts.latent_classes.min(opts.ptt.max_bond).max(1), seed: opts.ptt.seed, ..Default::default() };
        let (m, rep, _) = latent::fit(dims, train, val, &lo, &part)?;
        curve.extend(rep.curve.iter().map(|c| learn::SweepRecord { component: models.len(), ..c.clone() }));
        first.get_or_insert(rep);
        models.push(m);
        labels.push(Component::Latent);
    }
    if opts.born_chi > 0 {
        let part = exec.part((total - 1) as f64 / total as f64, 1.0);
        let (m, rep) = learn::fit(dims, train, val, &LearnOptions { max_bond: opts.born_chi, ..opts.born.clone() }, &part)?;
        curve.extend(rep.curve.iter().map(|c| learn::SweepRecord { component: models.len(), ..c.clone() }));
        first.get_or_insert(rep);
        models.push(m);
        labels.push(Component::Born);
    }
    let lp: Vec<Vec<f64>> = models.iter().map(|m| super::eval::log2_prob(m, val, exec)).collect::<Result<_>>()?;
    let (weights, nll_val) = mixture_weights(&lp, 10_000)?;
    let comps = models
        .iter()
        .zip(&labels)
        .zip(&weights)
        .zip(&lp)
        .map(|(((m, &label), &w), l)| ComponentReport {
            component: label,
            kind: m.kind(),
            weight: w,
            nll_validation: -l.iter().sum::<f64>() / l.len() as f64,
            max_bond: m.max_bond(),
        })
        .collect();
    let mix = mixture(&models, &weights)?;
    let mut rep = first.expect("at least one component");
    rep.nll_train = learn::nll(&mix, train, exec)?;
    rep.nll_heldout = nll_val;
    rep.history = Vec::new();
    rep.best_half_sweep = None;
    rep.curve = curve;
    rep.warning = None;
    exec.progress.set(1.0);
    Ok((mix, rep, comps))
}

/// What a component of a fitted ensemble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// A bagged probability train learned by EM ([`super::ptt`]).
    Probability,
    /// The latent-class model ([`super::latent`]).
    Latent,
    /// The Born machine ([`super::learn`]).
    Born,
}

named_enum!(Component, "component" { Probability => "probability", Latent => "latent", Born => "born" });

/// One component of a fitted ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentReport {
    pub component: Component,
    /// Its storage kind (a latent-class model is a probability train).
    pub kind: Kind,
    pub weight: f64,
    /// Its own validation NLL (bits per pattern).
    pub nll_validation: f64,
    pub max_bond: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::data::latent_cluster_patterns;

    fn all_patterns(dims: &[usize]) -> Vec<u8> {
        let total: usize = dims.iter().product();
        let mut out = Vec::with_capacity(total * dims.len());
        for mut i in 0..total {
            let mut row = vec![0u8; dims.len()];
            for k in (0..dims.len()).rev() {
                row[k] = (i % dims[k]) as u8;
                i /= dims[k];
            }
            out.extend(row);
        }
        out
    }

    #[test]
    fn mixture_equals_the_weighted_sum_by_enumeration() {
        let dims = vec![2, 3, 2, 2];
        let a = TensorTrain::random(Kind::Born, &dims, 3, 1).unwrap();
        let b = TensorTrain::random(Kind::Probability, &dims, 2, 2).unwrap();
        let b = TensorTrain::new(
            Kind::Probability,
            b.cores().iter().map(|c| Core { data: c.data.iter().map(|v| v.abs()).collect(), ..c.clone() }).collect(),
        )
        .unwrap();
        let c = ptt::product(&[vec![0.3, 0.7], vec![0.2, 0.5, 0.3], vec![0.9, 0.1], vec![0.5, 0.5]]);
        let w = [0.5, 0.2, 0.3];
        let mix = mixture(&[a.clone(), b.clone(), c.clone()], &[5.0, 2.0, 3.0]).unwrap();
        let (ba, bb) = (a.to_probability().unwrap().bond_dims(), b.bond_dims());
        let want: Vec<usize> = (0..5).map(|k| if k == 0 || k == 4 { 1 } else { ba[k] + bb[k] + 1 }).collect();
        assert_eq!(mix.bond_dims(), want);
        let (pa, pb, pc, pm) = (
            a.dense_probabilities().unwrap(),
            b.dense_probabilities().unwrap(),
            c.dense_probabilities().unwrap(),
            mix.dense_probabilities().unwrap(),
        );
        let raw = mix.dense().unwrap();
        assert!((raw.iter().sum::<f64>() - 1.0).abs() < 1e-12, "Z = {}", raw.iter().sum::<f64>());
        for i in 0..pm.len() {
            let want = w[0] * pa[i] + w[1] * pb[i] + w[2] * pc[i];
            assert!((raw[i] - want).abs() < 1e-13 && (pm[i] - want).abs() < 1e-13, "{i}: {} vs {want}", raw[i]);
        }
        // log-probabilities through the batched evaluator agree
        let pats = all_patterns(&dims);
        let lp = super::super::eval::log2_prob(&mix, &pats, &Exec::sequential()).unwrap();
        for (i, v) in lp.iter().enumerate() {
            assert!((v - pm[i].log2()).abs() < 1e-10);
        }
        // one site; a zero weight drops its component
        let one = mixture(&[ptt::product(&[vec![0.25, 0.75]]), ptt::product(&[vec![1.0, 0.0]])], &[0.5, 0.5]).unwrap();
        assert_eq!(one.dense_probabilities().unwrap(), vec![0.625, 0.375]);
        assert_eq!(mixture(&[a.clone(), c], &[1.0, 0.0]).unwrap().bond_dims(), a.to_probability().unwrap().bond_dims());
    }

    #[test]
    fn mixture_rejects_bad_input() {
        let a = ptt::product(&[vec![0.5, 0.5], vec![0.5, 0.5]]);
        let b = ptt::product(&[vec![0.5, 0.5]]);
        assert!(mixture(&[], &[]).is_err());
        assert!(mixture(std::slice::from_ref(&a), &[1.0, 2.0]).is_err());
        assert!(mixture(&[a.clone(), b], &[1.0, 1.0]).is_err());
        assert!(mixture(std::slice::from_ref(&a), &[-1.0]).is_err());
        assert!(mixture(std::slice::from_ref(&a), &[0.0]).is_err());
        assert!(mixture(&[a], &[f64::NAN]).is_err());
        assert!(mixture_weights(&[], 10).is_err());
        assert!(mixture_weights(&[vec![0.0], vec![]], 10).is_err());
    }

    #[test]
    fn weights_recover_the_true_mixture_from_exact_frequencies() {
        // data = exact expected frequencies of 0.3 P_a + 0.7 P_b on all 2^4 states: the
        // maximum of sum_x p(x) ln P_w(x) is at the true weights (Gibbs' inequality)
        let dims = vec![2; 4];
        let a = ptt::product(&[vec![0.9, 0.1], vec![0.8, 0.2], vec![0.9, 0.1], vec![0.7, 0.3]]);
        let b = ptt::product(&[vec![0.2, 0.8], vec![0.3, 0.7], vec![0.1, 0.9], vec![0.4, 0.6]]);
        let (pa, pb) = (a.dense_probabilities().unwrap(), b.dense_probabilities().unwrap());
        // replicate each state in proportion to its probability (10^5 rows in all, rounded)
        let pats = all_patterns(&dims);
        let mut rows = Vec::new();
        let mut freq = Vec::new();
        for i in 0..pa.len() {
            let c = ((0.3 * pa[i] + 0.7 * pb[i]) * 1e5).round() as usize;
            freq.push(c as f64);
            for _ in 0..c {
                rows.extend_from_slice(&pats[i * 4..(i + 1) * 4]);
            }
        }
        let lp: Vec<Vec<f64>> = [&a, &b].iter().map(|m| super::super::eval::log2_prob(m, &rows, &Exec::sequential()).unwrap()).collect();
        let (w, nll) = mixture_weights(&lp, 100_000).unwrap();
        // the rounded frequencies move the optimum by O(1e-5)
        assert!((w[0] - 0.3).abs() < 1e-3 && (w[1] - 0.7).abs() < 1e-3, "{w:?}");
        let tot: f64 = freq.iter().sum();
        let ent: f64 = freq.iter().filter(|&&f| f > 0.0).map(|f| -(f / tot) * (f / tot).log2()).sum();
        assert!(nll >= ent - 1e-9, "cross-entropy {nll} below the entropy {ent}");
        // never worse than the best single component on the same data
        let single = |l: &Vec<f64>| -l.iter().sum::<f64>() / l.len() as f64;
        assert!(nll <= single(&lp[0]).min(single(&lp[1])) + 1e-12);
        // a single component gets weight 1
        assert_eq!(mixture_weights(&lp[..1], 10).unwrap().0, vec![1.0]);
    }

    #[test]
    fn ensemble_is_not_worse_than_its_components_on_validation() {
        let (pats, _) = latent_cluster_patterns(3, 4, 2400, 0.3, 0.6, 0.05, 11);
        let order: Vec<usize> = (0..3).flat_map(|c| (0..4).map(move |i| i * 3 + c)).collect();
        let pats = crate::mps::data::reorder_columns(&pats, &order);
        let n = 12;
        let (tr, rest) = pats.split_at(1600 * n);
        let (va, te) = rest.split_at(400 * n);
        let dims = vec![2usize; n];
        let born = LearnOptions { smoothing_grid: vec![0.0], ..Default::default() };
        let opts = EnsembleOptions {
            components: 3,
            born_chi: 2,
            ptt: PttOptions { max_bond: 4, pseudocount_grid: vec![1.0], ..Default::default() },
            born,
            ..Default::default()
        };
        let (m, rep, comps) = fit_ensemble(&dims, tr, va, &opts, &Exec::with_threads(2)).unwrap();
        assert_eq!(comps.len(), 5);
        let labels: Vec<Component> = comps.iter().map(|c| c.component).collect();
        assert_eq!(labels[2..], [Component::Probability, Component::Latent, Component::Born]);
        assert_eq!(comps[4].kind, Kind::Born);
        // the latent-class component is capped by the trains' chi
        assert!(comps[3].max_bond <= 4 && comps[3].kind == Kind::Probability);
        assert!((comps.iter().map(|c| c.weight).sum::<f64>() - 1.0).abs() < 1e-9);
        let val = learn::nll(&m, va, &Exec::sequential()).unwrap();
        assert!((val - rep.nll_heldout).abs() < 1e-9, "{val} vs {}", rep.nll_heldout);
        for c in &comps {
            assert!(rep.nll_heldout <= c.nll_validation + 1e-9, "{} vs {c:?}", rep.nll_heldout);
        }
        // normalised: the full enumeration of 2^12 states sums to 1
        let z: f64 = m.dense().unwrap().iter().sum();
        assert!((z - 1.0).abs() < 1e-10, "{z}");
        assert!(learn::nll(&m, te, &Exec::sequential()).unwrap().is_finite());
        // reproducible for a seed at any thread count
        let (m2, _, _) = fit_ensemble(&dims, tr, va, &opts, &Exec::sequential()).unwrap();
        assert_eq!(m, m2);
        assert!(fit_ensemble(&dims, tr, &[], &opts, &Exec::sequential()).is_err());
        assert!(fit_ensemble(
            &dims,
            tr,
            va,
            &EnsembleOptions { components: 0, born_chi: 0, latent_classes: 0, ..opts.clone() },
            &Exec::sequential()
        )
        .is_err());
    }
}
