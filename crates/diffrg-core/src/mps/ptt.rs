//! Non-negative (probability) tensor trains learned by expectation-maximisation with smoothed
//! counts (issue 18).
//!
//! **Model.** A probability train in *stochastic gauge*: core `k` holds `T_k[a, x, b] =
//! P(x_k = x, h_k = b | h_{k-1} = a) >= 0` with `sum_{x,b} T_k[a, x, b] = 1` for every `a`
//! (`h_0` and `h_N` have one state), so `P(x) = T_1[x_1] T_2[x_2] ... T_N[x_N]` is normalised by
//! construction. It is an inhomogeneous hidden Markov chain whose hidden state `h_k` lives on
//! bond `k` and whose "emission" at site `k` is joint with the transition (Kind::Probability
//! of [`super::tt`]; Glasser et al., NeurIPS 2019, "Expressive power of tensor-network
//! factorizations for probabilistic modeling", call it a non-negative MPS / HMM).
//!
//! **Learning.** Baum-Welch (Dempster et al. 1977): the E-step runs the scaled forward-backward
//! recursions per distinct pattern, `xi_k(a, b) = alpha_k[a] T_k[a, x_k, b] beta_{k+1}[b] / c_k`,
//! and sums the weighted posteriors into counts `C_k[a, x, b]`; the M-step sets
//!
//! `T_k[a, x, b] = (C_k[a, x, b] + lambda q_k(x) / D_k) / (sum_{x',b'} C_k[a, x', b'] + lambda)`
//!
//! with `q_k` the site marginal (pseudocount 1/2) and `D_k` the bond dimension: the MAP estimate
//! under a Dirichlet prior of mass `lambda` per hidden state centred on the independent model
//! ("smoothed counts"). Every iteration does not lower the penalised log-likelihood
//! `sum_x n(x) ln P(x) + sum_{k,a,x,b} lambda q_k(x) / D_k ln T_k[a, x, b]` (EM's guarantee;
//! tested). Unlike the Born machine's two-site updates, an EM step cannot fit the training set
//! at once: it moves the counts of the hidden states gradually, and the probabilities stay
//! non-negative without truncation.
//!
//! **Bond dimension.** Grown along the ladder 1, 2, 4, ..., `max_bond` ([`super::learn::ladder`]):
//! each rung splits every hidden state of the previous rung's best model into copies (the
//! distribution unchanged), perturbs the copies' transition weights by a seeded relative noise
//! `noise` (ChaCha8) to break the symmetry, and runs EM with early stopping on the validation
//! split (`patience` iterations); the ladder stops at the first rung that does not lower the
//! validation NLL. `lambda` is chosen on the validation split from `pseudocount_grid`, and
//! `restarts` ladders with different seeds are run per `lambda`, the best kept (best by
//! validation). Bonds are capped at the rank bound `min(prod_{j<=k} d_j, prod_{j>k} d_j)`.
//!
//! Departures: the ladder, the split-and-perturb growth and the Dirichlet prior centred on the
//! independent model are diffrg choices; Glasser et al. fit by gradient descent from random
//! starts.

use super::data::{site_marginals, Distinct};
use super::learn::{ladder, FitReport, SweepRecord};
use super::tt::{check_patterns, Core, Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::f64::consts::LN_2;

/// Options of [`fit`]; every default is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct PttOptions {
    /// Largest bond dimension (hidden states per bond). Default 32.
    pub max_bond: usize,
    /// Candidate Dirichlet masses `lambda` per hidden state chosen on the validation split.
    /// Default `[1, 10]`.
    pub pseudocount_grid: Vec<f64>,
    /// EM iterations per rung at most. Default 200.
    pub max_iters: usize,
    /// Stop a rung after this many iterations without a validation improvement. Default 8.
    pub patience: usize,
    /// Relative noise on the split hidden states' weights. Default 0.5.
    pub noise: f64,
    /// Ladders with different seeds per `lambda`; the best by validation is kept. Default 1.
    pub restarts: usize,
    pub seed: u64,
}

impl Default for PttOptions {
    fn default() -> Self {
        PttOptions { max_bond: 32, pseudocount_grid: vec![1.0, 10.0], max_iters: 200, patience: 8, noise: 0.5, restarts: 1, seed: 0 }
    }
}

/// Patterns per parallel block of the E-step.
const BLOCK: usize = 128;

/// The independent model (bond dimension 1) with site marginals `q` as a stochastic-gauge train.
pub fn product(q: &[Vec<f64>]) -> TensorTrain {
    let cores = q.iter().map(|m| Core { left: 1, dim: m.len(), right: 1, data: m.clone() }).collect();
    TensorTrain::new(Kind::Probability, cores).expect("product cores are consistent")
}

/// Scaled forward pass of one pattern: returns `ln P(x)` and, when `alphas` is given, stores the
/// normalised forward vectors (`alphas[k]` has `D_k` entries, bond k) and scales `c_k`.
fn forward(tt: &TensorTrain, x: &[u8], mut store: Option<(&mut [Vec<f64>], &mut [f64])>) -> f64 {
    let mut cur = vec![1.0];
    let mut ll = 0.0;
    for (k, &s) in x.iter().enumerate() {
        let c = tt.core(k);
        let mut next = vec![0.0; c.right];
        for (a, &va) in cur.iter().enumerate() {
            if va != 0.0 {
                let row = &c.data[(a * c.dim + s as usize) * c.right..][..c.right];
                next.iter_mut().zip(row).for_each(|(o, t)| *o += va * t);
            }
        }
        let sc: f64 = next.iter().sum();
        if !(sc > 0.0) {
            return f64::NEG_INFINITY;
        }
        next.iter_mut().for_each(|v| *v /= sc);
        ll += sc.ln();
        if let Some((al, cs)) = store.as_mut() {
            al[k] = std::mem::replace(&mut cur, next);
            cs[k] = sc;
        } else {
            cur = next;
        }
    }
    ll
}

/// Mean NLL (bits per pattern) of the weighted distinct patterns.
fn nll(tt: &TensorTrain, data: &Distinct, exec: &Exec) -> Result<f64> {
    let n = data.n_sites;
    // per-pattern terms summed in order: the same result for every thread count
    let terms: Vec<f64> = exec.install(|| {
        (0..data.len()).into_par_iter().map(|j| -data.weights[j] * forward(tt, &data.patterns[j * n..(j + 1) * n], None)).collect()
    });
    Ok(terms.iter().sum::<f64>() / LN_2)
}

/// One EM step: the expected counts of `data` (weights times `data.total`) under `tt`, then the
/// smoothed M-step with Dirichlet mass `lambda` centred on the marginals `q`. Returns the new
/// train and the training NLL (bits per pattern) of `tt` (before the step).
pub fn em_step(tt: &TensorTrain, data: &Distinct, q: &[Vec<f64>], lambda: f64, exec: &Exec) -> Result<(TensorTrain, f64)> {
    let n = data.n_sites;
    let offsets: Vec<usize> = (0..=n)
        .scan(0usize, |acc, k| {
            let o = *acc;
            if k < n {
                *acc += tt.core(k).data.len();
            }
            Some(o)
        })
        .collect();
    let size = offsets[n];
    let blocks: Vec<usize> = (0..data.len()).step_by(BLOCK).collect();
    let counts = exec.install(|| {
        blocks
            .par_iter()
            .map(|&start| {
                let mut cnt = vec![0.0; size];
                let mut ll = 0.0;
                let mut alphas = vec![Vec::new(); n];
                let mut cs = vec![0.0; n];
                let mut beta: Vec<f64>;
                for j in start..(start + BLOCK).min(data.len()) {
                    let x = &data.patterns[j * n..(j + 1) * n];
                    let w = data.weights[j] * data.total as f64;
                    let l = forward(tt, x, Some((&mut alphas, &mut cs)));
                    if !l.is_finite() {
                        ll = f64::NEG_INFINITY;
                        continue;
                    }
                    ll += data.weights[j] * l;
                    beta = vec![1.0];
                    for k in (0..n).rev() {
                        let c = tt.core(k);
                        let s = x[k] as usize;
                        let mut prev = vec![0.0; c.left];
                        for (a, &va) in alphas[k].iter().enumerate() {
                            let base = (a * c.dim + s) * c.right;
                            let mut acc = 0.0;
                            for (b, &vb) in beta.iter().enumerate() {
                                let t = c.data[base + b] * vb / cs[k];
                                acc += t;
                                cnt[offsets[k] + base + b] += w * va * t;
                            }
                            prev[a] = acc;
                        }
                        beta = prev;
                    }
                }
                (cnt, ll)
            })
            .collect::<Vec<_>>()
    });
    // blocks added in order: the same model for every thread count
    let (counts, ll) = counts.into_iter().fold((vec![0.0; size], 0.0), |(mut a, la), (b, lb)| {
        a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
        (a, la + lb)
    });
    if !ll.is_finite() {
        return Err(Error::invalid_input("a training pattern has probability 0 under the current model"));
    }
    let mut cores = Vec::with_capacity(n);
    for k in 0..n {
        let c = tt.core(k);
        let mut out = Core::zeros(c.left, c.dim, c.right);
        for a in 0..c.left {
            let row = &counts[offsets[k] + a * c.dim * c.right..][..c.dim * c.right];
            let denom = row.iter().sum::<f64>() + lambda;
            for s in 0..c.dim {
                for b in 0..c.right {
                    let i = (a * c.dim + s) * c.right + b;
                    out.data[i] = if denom > 0.0 {
                        (row[s * c.right + b] + lambda * q[k][s] / c.right as f64) / denom
                    } else {
                        q[k][s] / c.right as f64
                    };
                }
            }
        }
        cores.push(out);
    }
    Ok((TensorTrain::new(Kind::Probability, cores)?, -ll / LN_2))
}

/// Splits every hidden state into copies up to the bond dimensions `bonds` (bond k between sites
/// k and k+1): copy `j` of bond k is state `j % D_k`; the copies share the weight of their state
/// with relative noise `noise` and the rows are renormalised (noise 0: the same distribution).
pub fn grow(tt: &TensorTrain, bonds: &[usize], noise: f64, rng: &mut ChaCha8Rng) -> TensorTrain {
    let n = tt.n_sites();
    let old = tt.bond_dims(); // D_0 .. D_N
    let new_dim = |k: usize| if k == 0 || k == n { 1 } else { bonds[k - 1].max(old[k]) };
    let old_dim = |k: usize| old[k];
    let cores = (0..n)
        .map(|k| {
            let c = tt.core(k);
            let (l, r, ol, or) = (new_dim(k), new_dim(k + 1), old_dim(k), old_dim(k + 1));
            let copies = |b: usize| (r - b % or).div_ceil(or) as f64;
            let mut out = Core::zeros(l, c.dim, r);
            for a in 0..l {
                let mut sum = 0.0;
                for s in 0..c.dim {
                    for b in 0..r {
                        let u: f64 = if r > or { rng.random_range(-1.0..1.0) } else { 0.0 };
                        let v = c.at(a % ol, s, b % or) / copies(b) * (1.0 + noise * u);
                        out.data[(a * c.dim + s) * r + b] = v;
                        sum += v;
                    }
                }
                out.data[a * c.dim * r..(a + 1) * c.dim * r].iter_mut().for_each(|v| *v /= sum);
            }
            out
        })
        .collect();
    TensorTrain::new(Kind::Probability, cores).expect("grown cores are consistent")
}

/// EM with early stopping on a validation split, shared by the EM learners ([`fit`],
/// [`super::latent::fit`]): `step(m)` returns the next state, the training NLL of `m`, its
/// validation NLL and its largest bond; runs at most `max_iters + 1` steps and stops after
/// `patience` steps without a validation improvement (1e-9). Returns the best state with its
/// training and validation NLL, and `(train, validation, bond)` of every step.
pub(crate) fn early_stopped<M>(
    start: M,
    max_iters: usize,
    patience: usize,
    exec: &Exec,
    mut step: impl FnMut(&M) -> Result<(M, f64, f64, usize)>,
) -> Result<((M, f64, f64), Vec<(f64, f64, usize)>)> {
    let mut m = start;
    let mut best: Option<(M, f64, f64)> = None;
    let mut stale = 0;
    let mut trace = Vec::new();
    for _ in 0..=max_iters {
        exec.check()?;
        let (next, tr, va, bond) = step(&m)?;
        trace.push((tr, va, bond));
        if best.as_ref().is_none_or(|b| va < b.2 - 1e-9) {
            best = Some((m, tr, va));
            stale = 0;
        } else {
            stale += 1;
            if stale >= patience {
                break;
            }
        }
        m = next;
    }
    Ok((best.expect("at least one step"), trace))
}

/// Bond caps `min(chi, prod_{j<=k} d_j, prod_{j>k} d_j)` for bonds 1..N-1.
fn caps(dims: &[usize], chi: usize) -> Vec<usize> {
    let b = super::tt::max_bonds(dims, chi);
    b[1..dims.len()].to_vec()
}

/// Fits a probability train to `train` with the validation split `val` (row-major,
/// `dims.len()` columns; both required) along the ladder, for every `lambda` of the grid and
/// `restarts` seeds; returns the best model by validation NLL and a report in the Born fit's
/// shape (`curve`: every EM iteration of every run, `smoothing`: the chosen `lambda`,
/// `init_mix` 1: the independent-model start).
///
/// Errors: `ERR_INVALID_INPUT` (shapes, alphabet, options, empty validation), `ERR_ABORTED`.
pub fn fit(dims: &[usize], train: &[u8], val: &[u8], opts: &PttOptions, exec: &Exec) -> Result<(TensorTrain, FitReport)> {
    if opts.max_bond == 0 {
        return Err(Error::invalid_input("max_bond must be >= 1"));
    }
    if opts.pseudocount_grid.is_empty() {
        return Err(Error::invalid_input("pseudocounts must not be empty"));
    }
    if let Some(l) = opts.pseudocount_grid.iter().find(|l| !(**l >= 0.0 && l.is_finite())) {
        return Err(Error::invalid_input(format!("pseudocounts must be finite and >= 0, got {l}")));
    }
    if opts.restarts == 0 {
        return Err(Error::invalid_input("restarts must be >= 1"));
    }
    let (data, v, q) = em_splits(dims, train, val, opts.noise, "a probability-train fit")?;
    let rungs = ladder(opts.max_bond);
    let runs = opts.pseudocount_grid.len() * opts.restarts;
    let mut curve = Vec::new();
    let mut best: Option<(TensorTrain, FitReport)> = None;
    let start = product(&q);
    let (init_tr, init_va) = (nll(&start, &data, exec)?, nll(&start, &v, exec)?);
    for (li, &lambda) in opts.pseudocount_grid.iter().enumerate() {
        for r in 0..opts.restarts {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_mul(1000).wrapping_add(r as u64));
            let run = li * opts.restarts + r;
            // rung chi = 1 (the smoothed independent model) then the ladder
            let mut rung_best = (em_step(&start, &data, &q, lambda, exec)?.0, 0.0, 0.0);
            rung_best.1 = nll(&rung_best.0, &data, exec)?;
            rung_best.2 = nll(&rung_best.0, &v, exec)?;
            curve.push(SweepRecord {
                nll_train: rung_best.1,
                nll_heldout: rung_best.2,
                max_bond: 1,
                chi: 1,
                smoothing: lambda,
                init_mix: 1.0,
                component: 0,
            });
            let mut history = vec![curve.last().expect("pushed").clone()];
            for (ri, &chi) in rungs.iter().enumerate().filter(|(_, c)| **c > 1) {
                exec.check()?;
                exec.progress.set((run as f64 + ri as f64 / rungs.len() as f64) / runs as f64);
                let tt = grow(&rung_best.0, &caps(dims, chi), opts.noise, &mut rng);
                let (local, trace) = early_stopped(tt, opts.max_iters, opts.patience, exec, |tt| {
                    let va = nll(tt, &v, exec)?;
                    let (next, tr) = em_step(tt, &data, &q, lambda, exec)?;
                    Ok((next, tr, va, tt.max_bond()))
                })?;
                let rec: Vec<SweepRecord> = trace
                    .into_iter()
                    .map(|(tr, va, b)| SweepRecord {
                        nll_train: tr,
                        nll_heldout: va,
                        max_bond: b,
                        chi,
                        smoothing: lambda,
                        init_mix: 1.0,
                        component: 0,
                    })
                    .collect();
                curve.extend(rec.iter().cloned());
                if !(local.2 < rung_best.2 - 1e-9) {
                    break;
                }
                history.extend(rec);
                rung_best = local;
            }
            if best.as_ref().is_none_or(|(_, b)| rung_best.2 < b.nll_heldout) {
                let rep = FitReport {
                    n_train: data.total,
                    n_heldout: v.total,
                    n_distinct_train: data.len(),
                    init_nll_train: init_tr,
                    init_nll_heldout: init_va,
                    nll_train: rung_best.1,
                    nll_heldout: rung_best.2,
                    best_half_sweep: None,
                    history,
                    init_discarded: 0.0,
                    init_mix: 1.0,
                    candidates: Vec::new(),
                    smoothing: lambda,
                    curve: Vec::new(),
                    warning: None,
                };
                best = Some((rung_best.0, rep));
            }
        }
    }
    let (m, mut rep) = best.expect("at least one run");
    rep.curve = curve;
    if m.max_bond() == 1 {
        rep.warning = super::learn::product_state_warning(&data);
    }
    exec.progress.set(1.0);
    Ok((m, rep))
}

/// The checks and data every EM fit on a train / validation split starts from (probability
/// trains here, latent classes in `latent.rs`): the split noise in [0, 1), both splits valid
/// for `dims` and the validation split non-empty (`what` names the fit in that error), the
/// distinct patterns of each split with their counts, and the site marginals of the training
/// split smoothed by 0.5 pseudo-counts.
pub(crate) fn em_splits(dims: &[usize], train: &[u8], val: &[u8], noise: f64, what: &str) -> Result<(Distinct, Distinct, Vec<Vec<f64>>)> {
    if !(0.0..1.0).contains(&noise) {
        return Err(Error::invalid_input(format!("noise must be in [0, 1), got {noise}")));
    }
    check_patterns(dims, train, "train")?;
    if val.is_empty() {
        return Err(Error::invalid_input(format!("{what} needs a non-empty validation split")));
    }
    check_patterns(dims, val, "validation")?;
    let data = Distinct::new(train, dims.len(), "train")?;
    let v = Distinct::new(val, dims.len(), "validation")?;
    let q = site_marginals(&data, dims, 0.5);
    Ok((data, v, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::data::latent_cluster_patterns;

    /// Penalised log-likelihood (nats): the objective EM must not lower.
    fn objective(tt: &TensorTrain, data: &Distinct, q: &[Vec<f64>], lambda: f64) -> f64 {
        let n = data.n_sites;
        let mut s: f64 = (0..data.len()).map(|j| data.counts[j] as f64 * forward(tt, data.row(j), None)).sum();
        for k in 0..n {
            let c = tt.core(k);
            for a in 0..c.left {
                for x in 0..c.dim {
                    for b in 0..c.right {
                        s += lambda * q[k][x] / c.right as f64 * c.at(a, x, b).ln();
                    }
                }
            }
        }
        s
    }

    fn random_data(dims: &[usize], rows: usize, seed: u64) -> Vec<u8> {
        let truth = TensorTrain::random(Kind::Probability, dims, 3, seed).unwrap();
        crate::mps::sample::sample(&truth, rows, seed, &Exec::sequential()).unwrap().patterns
    }

    #[test]
    fn forward_matches_enumeration_and_is_normalised() {
        let dims = [2usize, 3, 2, 2, 3];
        let q: Vec<Vec<f64>> = dims.iter().map(|&d| vec![1.0 / d as f64; d]).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let tt = grow(&product(&q), &[2, 3, 3, 2], 0.9, &mut rng);
        let dense = tt.dense_probabilities().unwrap();
        assert!((dense.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for (i, x) in crate::mps::dtnr::tests::all_patterns(&dims).chunks(dims.len()).enumerate() {
            assert!((forward(&tt, x, None).exp() - dense[i]).abs() < 1e-13);
        }
        // splitting without noise leaves the distribution unchanged
        let same = grow(&tt, &[2, 6, 4, 2], 0.0, &mut rng);
        let d2 = same.dense_probabilities().unwrap();
        assert!(dense.iter().zip(&d2).all(|(a, b)| (a - b).abs() < 1e-13));
        assert_eq!(same.bond_dims(), vec![1, 2, 6, 4, 2, 1]);
    }

    #[test]
    fn one_step_at_bond_one_is_the_smoothed_independent_model() {
        let dims = [2usize, 3, 2];
        let pats = random_data(&dims, 200, 1);
        let data = Distinct::new(&pats, 3, "p").unwrap();
        let q = site_marginals(&data, &dims, 0.5);
        let lambda = 4.0;
        let (tt, _) = em_step(&product(&q), &data, &q, lambda, &Exec::sequential()).unwrap();
        let raw = site_marginals(&data, &dims, 0.0);
        for k in 0..3 {
            for x in 0..dims[k] {
                let want = (raw[k][x] * 200.0 + lambda * q[k][x]) / (200.0 + lambda);
                assert!((tt.core(k).data[x] - want).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn em_never_lowers_the_penalised_likelihood() {
        let dims = [2usize, 2, 3, 2, 2, 2];
        let pats = random_data(&dims, 300, 2);
        let data = Distinct::new(&pats, dims.len(), "p").unwrap();
        let q = site_marginals(&data, &dims, 0.5);
        for lambda in [0.0, 2.0] {
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let mut tt = grow(&product(&q), &[2, 3, 3, 3, 2], 0.5, &mut rng);
            let mut prev = objective(&tt, &data, &q, lambda);
            for _ in 0..30 {
                tt = em_step(&tt, &data, &q, lambda, &Exec::with_threads(2)).unwrap().0;
                let cur = objective(&tt, &data, &q, lambda);
                assert!(cur >= prev - 1e-9, "lambda {lambda}: {prev} -> {cur}");
                prev = cur;
            }
        }
    }

    #[test]
    fn full_rank_em_reaches_the_empirical_optimum() {
        // two sites: every joint distribution has a non-negative factorisation of rank
        // min(d_1, d_2), so without smoothing the ML optimum is the empirical distribution
        let dims = [3usize, 3];
        let pats = random_data(&dims, 400, 4);
        let data = Distinct::new(&pats, 2, "p").unwrap();
        let q = site_marginals(&data, &dims, 0.5);
        let entropy: f64 = data.weights.iter().map(|w| -w * w.log2()).sum();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut tt = grow(&product(&q), &[3], 0.5, &mut rng);
        for _ in 0..3000 {
            tt = em_step(&tt, &data, &q, 0.0, &Exec::sequential()).unwrap().0;
        }
        let last = em_step(&tt, &data, &q, 0.0, &Exec::sequential()).unwrap().1;
        assert!(last - entropy < 1e-4, "{last} vs empirical entropy {entropy}");
        assert!(last >= entropy - 1e-12);
    }

    #[test]
    fn ladder_grows_on_latent_clusters_and_beats_independence() {
        // 3 clusters of 4 sites, contiguous (community order): hidden up/down states
        let (pats, _) = latent_cluster_patterns(3, 4, 3000, 0.3, 0.6, 0.05, 7);
        let order: Vec<usize> = (0..3).flat_map(|c| (0..4).map(move |i| i * 3 + c)).collect();
        let pats = crate::mps::data::reorder_columns(&pats, &order);
        let n = 12;
        let (tr, rest) = pats.split_at(2000 * n);
        let (va, te) = rest.split_at(500 * n);
        let dims = vec![2usize; n];
        let opts = PttOptions { max_bond: 8, pseudocount_grid: vec![1.0], ..Default::default() };
        let (m, rep) = fit(&dims, tr, va, &opts, &Exec::with_threads(2)).unwrap();
        assert!(m.max_bond() >= 2, "bond {}", m.max_bond());
        let test = Distinct::new(te, n, "t").unwrap();
        let ind = product(&site_marginals(&Distinct::new(tr, n, "t").unwrap(), &dims, 0.5));
        let (a, b) = (nll(&m, &test, &Exec::sequential()).unwrap(), nll(&ind, &test, &Exec::sequential()).unwrap());
        assert!(a < b - 0.2, "ptt {a} vs independent {b}");
        assert!(rep.curve.len() > 2 && rep.nll_heldout < rep.init_nll_heldout);
        // same seed, same model
        let (m2, _) = fit(&dims, tr, va, &opts, &Exec::sequential()).unwrap();
        assert_eq!(m, m2);
    }
}
