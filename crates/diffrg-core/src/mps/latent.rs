//! Latent-class models (mixtures of independent-site models) as tensor trains (issue 18).
//!
//! **Model.** `P(x) = sum_{c=1..K} pi_c prod_k q_{c,k}(x_k)`: a hidden class `c` drawn once per
//! pattern, the sites independent given it (Lazarsfeld's latent class analysis; for binary
//! data a mixture of multivariate Bernoulli distributions, fitted by EM: Dempster et al. 1977,
//! Everitt & Hand 1981). Its correlations do not depend on where two sites sit in the order,
//! which is what a chain lacks: a bond-`D` train carries at most `D` states across a cut, so
//! pairs far apart in the order are lost first, whereas one class variable shared by all
//! sites couples every pair (e.g. the members of one ensemble wherever they are placed).
//!
//! **As one train.** The class is carried unchanged along the chain: bond dimension `K`
//! everywhere, `T_1[0, x, c] = pi_c q_{c,1}(x)`, `T_k[a, x, b] = delta_ab q_{a,k}(x)`
//! (`1 < k < N`), `T_N[a, x, 0] = q_{a,N}(x)`; a probability train in stochastic gauge, exactly
//! normalised ([`to_train`]).
//!
//! **Learning.** EM on the distinct training patterns with a Dirichlet prior centred on the
//! independent model: `pi_c = (N_c + lambda / K) / (T + lambda)`, `q_{c,k}(x) = (S_{c,k}(x) +
//! lambda q_k(x)) / (N_c + lambda)`, with `N_c`, `S` the expected counts and `q_k` the site
//! marginal (pseudocount 1/2). The number of classes grows along the ladder 1, 2, 4, ...,
//! `max_classes`: each rung splits every class of the previous rung's best model into two
//! (weights halved, marginals multiplied by `1 + noise u`, `u` uniform in (-1, 1), seeded
//! ChaCha8), runs EM with early stopping on the validation split (`patience` iterations) and
//! the ladder stops at the first rung that does not lower the validation NLL. Departure: the
//! ladder and the prior are diffrg choices (the same as for [`super::ptt`]).

use super::data::Distinct;
use super::learn::{FitReport, SweepRecord};
use super::ptt::{early_stopped, em_splits};
use super::tt::{Core, Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::f64::consts::LN_2;

/// Options of [`fit`]; every default is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentOptions {
    /// Largest number of classes (the ladder stops there). Default 32.
    pub max_classes: usize,
    /// Dirichlet mass `lambda` of the prior centred on the independent model. Default 1.
    pub pseudocount: f64,
    /// EM iterations per rung at most. Default 300.
    pub max_iters: usize,
    /// Stop a rung after this many iterations without a validation improvement. Default 10.
    pub patience: usize,
    /// Relative noise on the split classes' marginals. Default 0.5.
    pub noise: f64,
    pub seed: u64,
}

impl Default for LatentOptions {
    fn default() -> Self {
        LatentOptions { max_classes: 32, pseudocount: 1.0, max_iters: 300, patience: 10, noise: 0.5, seed: 0 }
    }
}

/// A latent-class model: class weights and, per class, the per-site distributions.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentClass {
    pub weights: Vec<f64>,
    /// `marginals[c][k][x] = q_{c,k}(x)`.
    pub marginals: Vec<Vec<Vec<f64>>>,
}

/// Patterns per parallel block of the E-step.
const BLOCK: usize = 256;

impl LatentClass {
    fn classes(&self) -> usize {
        self.weights.len()
    }

    /// `ln pi_c + sum_k ln q_{c,k}(x_k)` for every class (`out` has K entries).
    fn joint(&self, logq: &[Vec<Vec<f64>>], x: &[u8], out: &mut [f64]) {
        for (c, o) in out.iter_mut().enumerate() {
            *o = self.weights[c].ln() + x.iter().zip(&logq[c]).map(|(&v, l)| l[v as usize]).sum::<f64>();
        }
    }

    fn log_tables(&self) -> Vec<Vec<Vec<f64>>> {
        self.marginals.iter().map(|m| m.iter().map(|q| q.iter().map(|v| v.ln()).collect()).collect()).collect()
    }

    /// Mean NLL (bits per pattern) of weighted distinct patterns.
    pub fn nll(&self, data: &Distinct, exec: &Exec) -> f64 {
        self.estep(data, exec).2
    }

    /// Expected class counts `N_c` and site counts `S[c][k][x]` (weights times `total`) and the
    /// mean NLL in bits; blocks summed in a fixed order (the same for every thread count).
    fn estep(&self, data: &Distinct, exec: &Exec) -> (Vec<f64>, Vec<Vec<Vec<f64>>>, f64) {
        let k_n = self.classes();
        let logq = self.log_tables();
        let zero = || {
            (
                vec![0.0; k_n],
                self.marginals.iter().map(|m| m.iter().map(|q| vec![0.0; q.len()]).collect::<Vec<_>>()).collect::<Vec<_>>(),
                0.0,
            )
        };
        let starts: Vec<usize> = (0..data.len()).step_by(BLOCK).collect();
        let parts = exec.install(|| {
            starts
                .par_iter()
                .map(|&s| {
                    let (mut nc, mut sc, mut ll) = zero();
                    let mut g = vec![0.0; k_n];
                    for j in s..(s + BLOCK).min(data.len()) {
                        let x = data.row(j);
                        self.joint(&logq, x, &mut g);
                        let mx = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        let z: f64 = g.iter().map(|v| (v - mx).exp()).sum();
                        ll += data.weights[j] * (mx + z.ln());
                        let cnt = data.weights[j] * data.total as f64;
                        for c in 0..k_n {
                            let r = cnt * (g[c] - mx).exp() / z;
                            nc[c] += r;
                            for (k, &v) in x.iter().enumerate() {
                                sc[c][k][v as usize] += r;
                            }
                        }
                    }
                    (nc, sc, ll)
                })
                .collect::<Vec<_>>()
        });
        let (mut nc, mut sc, mut ll) = zero();
        for (a, b, l) in parts {
            nc.iter_mut().zip(&a).for_each(|(x, y)| *x += y);
            for (s, t) in sc.iter_mut().zip(&b) {
                for (u, v) in s.iter_mut().zip(t) {
                    u.iter_mut().zip(v).for_each(|(x, y)| *x += y);
                }
            }
            ll += l;
        }
        (nc, sc, -ll / LN_2)
    }

    /// One EM step (smoothed M-step, see the module docs); returns the new model and the
    /// training NLL (bits) of `self`.
    pub fn em_step(&self, data: &Distinct, q: &[Vec<f64>], lambda: f64, exec: &Exec) -> (LatentClass, f64) {
        let (nc, sc, nll) = self.estep(data, exec);
        let k_n = self.classes() as f64;
        let t = data.total as f64;
        let weights = nc.iter().map(|n| (n + lambda / k_n) / (t + lambda)).collect();
        let marginals = sc
            .iter()
            .zip(&nc)
            .map(|(s, &n)| {
                s.iter()
                    .zip(q)
                    .map(|(row, qk)| {
                        let den = n + lambda;
                        row.iter().zip(qk).map(|(v, p)| if den > 0.0 { (v + lambda * p) / den } else { *p }).collect()
                    })
                    .collect()
            })
            .collect();
        (LatentClass { weights, marginals }, nll)
    }

    /// Every class split in two: weights halved, marginals times `1 + noise u` (renormalised).
    fn split(&self, noise: f64, rng: &mut ChaCha8Rng) -> LatentClass {
        let mut weights = Vec::with_capacity(2 * self.classes());
        let mut marginals = Vec::with_capacity(2 * self.classes());
        for _ in 0..2 {
            for (w, m) in self.weights.iter().zip(&self.marginals) {
                weights.push(w / 2.0);
                marginals.push(
                    m.iter()
                        .map(|q| {
                            let v: Vec<f64> = q.iter().map(|p| p * (1.0 + noise * rng.random_range(-1.0..1.0))).collect();
                            let s: f64 = v.iter().sum();
                            v.into_iter().map(|p| p / s).collect()
                        })
                        .collect(),
                );
            }
        }
        LatentClass { weights, marginals }
    }
}

/// The latent-class model as a probability train (bond dimension K at every bond; see the
/// module docs).
pub fn to_train(m: &LatentClass) -> Result<TensorTrain> {
    let k_n = m.weights.len();
    let n = m.marginals.first().map_or(0, Vec::len);
    if k_n == 0 || n == 0 || m.marginals.iter().any(|c| c.len() != n) {
        return Err(Error::invalid_input("a latent-class model needs at least one class and one site, the same sites in every class"));
    }
    let mut cores = Vec::with_capacity(n);
    for k in 0..n {
        let d = m.marginals[0][k].len();
        let (l, r) = (if k == 0 { 1 } else { k_n }, if k + 1 == n { 1 } else { k_n });
        let mut core = Core::zeros(l, d, r);
        for c in 0..k_n {
            let w = if k == 0 { m.weights[c] } else { 1.0 };
            let (a, b) = (if k == 0 { 0 } else { c }, if k + 1 == n { 0 } else { c });
            for x in 0..d {
                core.data[(a * d + x) * r + b] += w * m.marginals[c][k][x];
            }
        }
        cores.push(core);
    }
    TensorTrain::new(Kind::Probability, cores)
}

/// Fits a latent-class model along the class ladder with early stopping on `val` (both
/// row-major with `dims.len()` columns, both non-empty); returns it as a probability train and
/// a report in the other fits' shape (`curve`: every EM iteration, `chi` = the rung's class
/// count, `smoothing` = `lambda`).
///
/// Errors: `ERR_INVALID_INPUT` (shapes, alphabet, options, empty validation), `ERR_ABORTED`.
pub fn fit(dims: &[usize], train: &[u8], val: &[u8], opts: &LatentOptions, exec: &Exec) -> Result<(TensorTrain, FitReport, LatentClass)> {
    if opts.max_classes == 0 {
        return Err(Error::invalid_input("max_classes must be >= 1"));
    }
    if !(opts.pseudocount >= 0.0 && opts.pseudocount.is_finite()) {
        return Err(Error::invalid_input(format!("pseudocount must be finite and >= 0, got {}", opts.pseudocount)));
    }
    let (data, v, q) = em_splits(dims, train, val, opts.noise, "a latent-class fit")?;
    let lambda = opts.pseudocount;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_mul(1000).wrapping_add(7));
    let start = LatentClass { weights: vec![1.0], marginals: vec![q.clone()] };
    let (init_tr, init_va) = (start.nll(&data, exec), start.nll(&v, exec));
    let record = |tr: f64, va: f64, k: usize| SweepRecord {
        nll_train: tr,
        nll_heldout: va,
        max_bond: k,
        chi: k,
        smoothing: lambda,
        init_mix: 1.0,
        component: 0,
    };
    // rung 1: the smoothed independent model
    let one = start.em_step(&data, &q, lambda, exec).0;
    let mut best = (one.clone(), one.nll(&data, exec), one.nll(&v, exec));
    let mut curve = vec![record(best.1, best.2, 1)];
    let mut history = curve.clone();
    let mut k_n = 2;
    while k_n <= opts.max_classes {
        exec.check()?;
        exec.progress.set((k_n as f64).log2() / (opts.max_classes as f64).log2().max(1.0));
        let m = best.0.split(opts.noise, &mut rng);
        let (local, trace) = early_stopped(m, opts.max_iters, opts.patience, exec, |m| {
            let va = m.nll(&v, exec);
            let (next, tr) = m.em_step(&data, &q, lambda, exec);
            Ok((next, tr, va, k_n))
        })?;
        let rec: Vec<SweepRecord> = trace.into_iter().map(|(tr, va, _)| record(tr, va, k_n)).collect();
        curve.extend(rec.iter().cloned());
        if !(local.2 < best.2 - 1e-9) {
            break;
        }
        history.extend(rec);
        best = local;
        k_n *= 2;
    }
    let (model, nll_train, nll_val) = best;
    let tt = to_train(&model)?;
    let rep = FitReport {
        n_train: data.total,
        n_heldout: v.total,
        n_distinct_train: data.len(),
        init_nll_train: init_tr,
        init_nll_heldout: init_va,
        nll_train,
        nll_heldout: nll_val,
        best_half_sweep: None,
        history,
        init_discarded: 0.0,
        init_mix: 1.0,
        candidates: Vec::new(),
        smoothing: lambda,
        curve,
        warning: None,
    };
    exec.progress.set(1.0);
    Ok((tt, rep, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::data::site_marginals;
    use crate::mps::dtnr::tests::all_patterns;

    fn model(dims: &[usize], k_n: usize, seed: u64) -> LatentClass {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut weights: Vec<f64> = (0..k_n).map(|_| rng.random_range(0.1..1.0)).collect();
        let s: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= s);
        let marginals = (0..k_n)
            .map(|_| {
                dims.iter()
                    .map(|&d| {
                        let v: Vec<f64> = (0..d).map(|_| rng.random_range(0.05..1.0)).collect();
                        let s: f64 = v.iter().sum();
                        v.into_iter().map(|p| p / s).collect()
                    })
                    .collect()
            })
            .collect();
        LatentClass { weights, marginals }
    }

    #[test]
    fn train_equals_the_class_mixture_by_enumeration() {
        for dims in [vec![3usize], vec![2, 3], vec![2, 3, 2, 2]] {
            let m = model(&dims, 3, 5);
            let tt = to_train(&m).unwrap();
            let dense = tt.dense().unwrap();
            assert!((dense.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            for (i, x) in all_patterns(&dims).chunks(dims.len()).enumerate() {
                let want: f64 =
                    (0..3).map(|c| m.weights[c] * x.iter().enumerate().map(|(k, &v)| m.marginals[c][k][v as usize]).product::<f64>()).sum();
                assert!((dense[i] - want).abs() < 1e-14, "{i}: {} vs {want}", dense[i]);
            }
        }
        assert!(to_train(&LatentClass { weights: vec![], marginals: vec![] }).is_err());
    }

    #[test]
    fn em_never_lowers_the_penalised_likelihood() {
        // penalised log-likelihood (nats) that the smoothed EM step must not lower
        let objective = |m: &LatentClass, data: &Distinct, q: &[Vec<f64>], lambda: f64| {
            let k_n = m.weights.len() as f64;
            let mut s = -m.nll(data, &Exec::sequential()) * LN_2 * data.total as f64;
            for (c, w) in m.weights.iter().enumerate() {
                s += lambda / k_n * w.ln();
                for (k, qk) in q.iter().enumerate() {
                    s += qk.iter().zip(&m.marginals[c][k]).map(|(p, v)| lambda * p * v.ln()).sum::<f64>();
                }
            }
            s
        };
        let dims = [2usize, 2, 3, 2, 2];
        let truth = to_train(&model(&dims, 2, 9)).unwrap();
        let pats = crate::mps::sample::sample(&truth, 3000, 4, &Exec::sequential()).unwrap().patterns;
        let data = Distinct::new(&pats, 5, "p").unwrap();
        let q = site_marginals(&data, &dims, 0.5);
        for lambda in [0.0, 2.0] {
            let mut m = model(&dims, 3, 1);
            let mut prev = objective(&m, &data, &q, lambda);
            for _ in 0..40 {
                m = m.em_step(&data, &q, lambda, &Exec::with_threads(2)).0;
                let now = objective(&m, &data, &q, lambda);
                assert!(now >= prev - 1e-9 * prev.abs(), "lambda {lambda}: {now} < {prev}");
                prev = now;
            }
        }
        // one class: one EM step is the smoothed independent model, exactly
        let one = LatentClass { weights: vec![1.0], marginals: vec![q.clone()] }.em_step(&data, &q, 2.0, &Exec::sequential()).0;
        for k in 0..5 {
            for x in 0..dims[k] {
                let n_kx: f64 = (0..data.len()).filter(|&j| data.row(j)[k] as usize == x).map(|j| data.counts[j] as f64).sum();
                let want = (n_kx + 2.0 * q[k][x]) / (3000.0 + 2.0);
                assert!((one.marginals[0][k][x] - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn em_reaches_the_known_optimum_on_exact_frequencies() {
        // data = the exact probabilities of a 2-class model on all 2^5 states (as weights):
        // the maximum of sum_x p(x) ln P(x) over 2-class models is the truth, cross-entropy =
        // entropy (Gibbs' inequality), reached by unpenalised EM from a perturbed start
        let dims = [2usize; 5];
        let truth = LatentClass {
            weights: vec![0.35, 0.65],
            marginals: vec![
                [0.9, 0.8, 0.7, 0.2, 0.1].iter().map(|&p| vec![1.0 - p, p]).collect(),
                [0.1, 0.3, 0.2, 0.9, 0.6].iter().map(|&p| vec![1.0 - p, p]).collect(),
            ],
        };
        let p = to_train(&truth).unwrap().dense_probabilities().unwrap();
        let pats = all_patterns(&dims);
        let mut data = Distinct::new(&pats, 5, "p").unwrap();
        data.weights = p.clone();
        data.total = 1;
        let entropy: f64 = p.iter().map(|v| -v * v.log2()).sum();
        let q = site_marginals(&data, &dims, 0.5);
        let mut m = LatentClass { weights: vec![0.5], marginals: vec![q.clone()] }.split(0.5, &mut ChaCha8Rng::seed_from_u64(3));
        for _ in 0..3000 {
            m = m.em_step(&data, &q, 0.0, &Exec::sequential()).0;
        }
        let nll = m.nll(&data, &Exec::sequential());
        assert!(nll >= entropy - 1e-12 && nll - entropy < 1e-6, "{nll} vs entropy {entropy}");
        let c = if m.weights[0] < 0.5 { 0 } else { 1 };
        assert!((m.weights[c] - 0.35).abs() < 1e-3, "{:?}", m.weights);
        assert!((m.marginals[c][0][1] - 0.9).abs() < 1e-3 && (m.marginals[1 - c][3][1] - 0.9).abs() < 1e-3);
    }

    #[test]
    fn ladder_finds_the_true_class_count_and_beats_the_independent_model() {
        // two well separated classes over 12 binary sites: the true model is a 2-class mixture,
        // whose entropy bounds every model's expected NLL on fresh data from below
        let dims = vec![2usize; 12];
        let mut m = LatentClass { weights: vec![0.4, 0.6], marginals: vec![vec![vec![0.2, 0.8]; 12], vec![vec![0.9, 0.1]; 12]] };
        m.marginals[1][0] = vec![0.5, 0.5];
        let truth = to_train(&m).unwrap();
        let pats = crate::mps::sample::sample(&truth, 6000, 2, &Exec::sequential()).unwrap().patterns;
        let (tr, rest) = pats.split_at(4000 * 12);
        let (va, te) = rest.split_at(1000 * 12);
        let opts = LatentOptions { max_classes: 8, ..Default::default() };
        let (tt, rep, fitted) = fit(&dims, tr, va, &opts, &Exec::with_threads(2)).unwrap();
        let dense = truth.dense_probabilities().unwrap();
        let entropy: f64 = dense.iter().filter(|&&p| p > 0.0).map(|p| -p * p.log2()).sum();
        let test = crate::mps::learn::nll(&tt, te, &Exec::sequential()).unwrap();
        let ind = crate::mps::baselines::Independent::fit(&dims, tr, 0.5).unwrap().nll_bits(te).unwrap();
        assert!(test < ind - 1.0, "test {test} vs independent {ind}");
        // within sampling noise of the entropy (1000 test patterns, sd ~ 0.1 bit)
        assert!((test - entropy).abs() < 0.25, "test {test} vs entropy {entropy}");
        assert!(fitted.weights.len() >= 2 && fitted.weights.len() <= 4, "{} classes", fitted.weights.len());
        assert!(rep.nll_heldout < rep.curve[0].nll_heldout);
        // reproducible for a seed at any thread count
        let (tt2, _, _) = fit(&dims, tr, va, &opts, &Exec::sequential()).unwrap();
        assert_eq!(tt, tt2);
        assert!(fit(&dims, tr, &[], &opts, &Exec::sequential()).is_err());
        assert!(fit(&dims, tr, va, &LatentOptions { max_classes: 0, ..opts.clone() }, &Exec::sequential()).is_err());
        assert!(fit(&dims, tr, va, &LatentOptions { noise: 1.0, ..opts }, &Exec::sequential()).is_err());
    }
}
