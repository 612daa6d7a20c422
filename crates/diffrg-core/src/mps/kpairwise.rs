//! The K-pairwise maximum-entropy model and exact maximum-likelihood refinement of pairwise
//! models on small systems.
//!
//! **K-pairwise model** (Tkacik et al., PLoS Comput. Biol. 10, e1003408 (2014)), binary sites:
//!
//! `ln f(s) = sum_i h_i s_i + sum_{i<j} J_ij s_i s_j + V(K)`,  `K = sum_i s_i`,  `P = f / Z`,
//!
//! the pairwise (Ising, 0/1 convention) model plus a potential on the population count that
//! reproduces the distribution of synchronous spikes `P(K)`; gauge `V(0) = 0`. Fitted by joint
//! pseudo-likelihood (all sites' conditionals share `V`): with `K_-i = K - s_i`, the
//! conditional field of site i is
//!
//! `u_i = h_i + sum_{j != i} J_ij s_j + V(K_-i + 1) - V(K_-i)`,  `ln P(s_i | s_-i) = s_i u_i - ln(1 + e^{u_i})`,
//!
//! minimising `-mean_t sum_i ln P(s_i^t | s_-i^t) + l2 (||J||^2 + ||V||^2) + l2_fields ||h||^2`
//! by L-BFGS over all parameters at once. Tkacik et al. fit by MCMC moment matching on far more
//! patterns; pseudo-likelihood is the consistent estimator that scales to N ~ 100 here.
//! `ln Z` as for the pairwise model (exact up to `exact_limit` states, otherwise AIS with the
//! count potential in the Gibbs conditionals).
//!
//! **Exact maximum likelihood** ([`ml_refine`]): for binary models with at most [`ML_LIMIT`]
//! states the pseudo-likelihood estimate is refined by L-BFGS on the exact penalised NLL
//! `-mean_t ln f(s_t) + ln Z + penalties`, whose gradient is `E_model[phi] - E_data[phi]` (+
//! penalty) with the model moments by enumeration. At the optimum (with vanishing penalties)
//! the model reproduces the data's means, pairwise correlations and (K-pairwise) `P(K)`:
//! the maximum-entropy property the tests check. For N ~ 100 only pseudo-likelihood is
//! available (no exact likelihood); the NLL is then measured with the AIS estimate of `ln Z`.

use super::baselines::{feature_layout, lbfgs, state_count, Pairwise, PairwiseOptions, SolverReport};
use super::data::{site_marginals, Distinct};
use super::dense::log_sum_exp;
use super::tt::check_patterns;
use crate::error::{Error, Result};
use crate::exec::Exec;
use rayon::prelude::*;

/// Largest state count refined by exact maximum likelihood (binary sites: N <= 14).
pub const ML_LIMIT: u128 = 1 << 14;

/// Index of the coupling `J_ij` (`i < j`) in the packed upper triangle.
fn pair_index(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

fn require_binary(dims: &[usize], what: &str) -> Result<()> {
    if let Some(k) = dims.iter().position(|&d| d != 2) {
        return Err(Error::invalid_input(format!("{what} needs binary sites (dims all 2), site {k} has {} values", dims[k])));
    }
    Ok(())
}

/// Parameter vector `[h (N), J (upper triangle), V(1..=N) when with_k]` of a binary model.
fn pack(m: &Pairwise, with_k: bool) -> Vec<f64> {
    let n = m.dims.len();
    let mut x = m.h.clone();
    for i in 0..n {
        for j in i + 1..n {
            x.push(m.j[i * n + j]);
        }
    }
    if with_k {
        x.extend_from_slice(&m.v[1..]);
    }
    x
}

fn unpack(m: &mut Pairwise, x: &[f64], with_k: bool) {
    let n = m.dims.len();
    m.h.copy_from_slice(&x[..n]);
    for i in 0..n {
        for j in i + 1..n {
            let v = x[n + pair_index(n, i, j)];
            m.j[i * n + j] = v;
            m.j[j * n + i] = v;
        }
    }
    if with_k {
        m.v = std::iter::once(0.0).chain(x[n + n * (n - 1) / 2..].iter().copied()).collect();
    }
}

/// Adds the penalty `l2 (||J||^2 + ||V||^2) + l2_fields ||h||^2` to `f` and `g`.
fn penalty(x: &[f64], g: &mut [f64], n: usize, opts: &PairwiseOptions) -> f64 {
    let mut f = 0.0;
    for (p, (xv, gv)) in x.iter().zip(g.iter_mut()).enumerate() {
        let lam = if p < n { opts.l2_fields } else { opts.l2 };
        f += lam * xv * xv;
        *gv += 2.0 * lam * xv;
    }
    f
}

/// Fits the K-pairwise model (binary sites) by joint pseudo-likelihood, refines it by exact
/// maximum likelihood when small ([`ML_LIMIT`], `opts.exact_ml`), and computes `ln Z`.
/// Errors: `ERR_INVALID_INPUT` (non-binary sites, shapes, penalties), `ERR_ABORTED`.
pub fn fit_k_pairwise(dims: &[usize], patterns: &[u8], opts: &PairwiseOptions, exec: &Exec) -> Result<Pairwise> {
    check_patterns(dims, patterns, "patterns")?;
    require_binary(dims, "the K-pairwise model")?;
    if !(opts.l2 >= 0.0 && opts.l2_fields >= 0.0) {
        return Err(Error::invalid_input("l2 penalties must be >= 0"));
    }
    let n = dims.len();
    let data = Distinct::new(patterns, n, "patterns")?;
    let (offsets, _) = feature_layout(dims);
    let mut model = Pairwise {
        dims: dims.to_vec(),
        offsets,
        h: vec![0.0; n],
        j: vec![0.0; n * n],
        log_z: 0.0,
        log_z_se: 0.0,
        log_z_exact: true,
        iterations: 0,
        converged: true,
        v: vec![0.0; n + 1],
        exact_ml: false,
    };
    let active: Vec<Vec<usize>> =
        (0..data.len()).map(|t| data.row(t).iter().enumerate().filter(|(_, &v)| v > 0).map(|(k, _)| k).collect()).collect();
    let np = n + n * (n - 1) / 2 + n;
    let voff = n + n * (n - 1) / 2;
    let mut x = vec![0.0; np];
    let chunks: Vec<usize> = (0..data.len()).collect();
    let report = exec.install(|| {
        lbfgs(&mut x, opts.max_iter, exec, |x, g| {
            let parts: Vec<(f64, Vec<f64>)> = chunks
                .par_chunks(256)
                .map(|ts| {
                    let mut gl = vec![0.0; np];
                    let mut f = 0.0;
                    let mut field = vec![0.0; n];
                    for &t in ts {
                        let w = data.weights[t];
                        let s = data.row(t);
                        let k = active[t].len();
                        field.copy_from_slice(&x[..n]);
                        for &j in &active[t] {
                            for (i, fi) in field.iter_mut().enumerate() {
                                if i != j {
                                    *fi += x[n + if i < j { pair_index(n, i, j) } else { pair_index(n, j, i) }];
                                }
                            }
                        }
                        for i in 0..n {
                            let si = s[i] as usize;
                            let kr = k - si;
                            // V(K) is x[voff + K - 1] for K >= 1, V(0) = 0
                            let vhi = x[voff + kr];
                            let vlo = if kr >= 1 { x[voff + kr - 1] } else { 0.0 };
                            let u = field[i] + vhi - vlo;
                            // ln(1 + e^u) stably
                            let sp = if u > 0.0 { u + (-u).exp().ln_1p() } else { u.exp().ln_1p() };
                            f -= w * (si as f64 * u - sp);
                            let r = w * (si as f64 - 1.0 / (1.0 + (-u).exp()));
                            gl[i] -= r;
                            for &j in &active[t] {
                                if j != i {
                                    gl[n + if i < j { pair_index(n, i, j) } else { pair_index(n, j, i) }] -= r;
                                }
                            }
                            gl[voff + kr] -= r;
                            if kr >= 1 {
                                gl[voff + kr - 1] += r;
                            }
                        }
                    }
                    (f, gl)
                })
                .collect();
            g.iter_mut().for_each(|v| *v = 0.0);
            let mut f = 0.0;
            for (pf, pg) in parts {
                f += pf;
                g.iter_mut().zip(&pg).for_each(|(a, b)| *a += b);
            }
            f + penalty(x, g, n, opts)
        })
    })?;
    unpack(&mut model, &x, true);
    model.iterations = report.iterations;
    model.converged = report.converged;
    if opts.exact_ml {
        ml_refine(&mut model, &data, opts, exec)?;
    }
    let marg = site_marginals(&data, dims, 0.5);
    model.compute_log_z(&marg, opts, exec)?;
    Ok(model)
}

/// Refines a binary pairwise or K-pairwise model (`model.v` non-empty) by exact maximum
/// likelihood on `data` when it has at most [`ML_LIMIT`] states; otherwise leaves it as is.
/// Sets `model.exact_ml` and returns the solver report (None when not refined).
pub fn ml_refine(model: &mut Pairwise, data: &Distinct, opts: &PairwiseOptions, exec: &Exec) -> Result<Option<SolverReport>> {
    let n = model.dims.len();
    if model.dims.iter().any(|&d| d != 2) || state_count(&model.dims).is_none_or(|s| s > ML_LIMIT) {
        return Ok(None);
    }
    let with_k = !model.v.is_empty();
    let total = 1usize << n;
    let states: Vec<Vec<u8>> = (0..total).map(|idx| (0..n).map(|k| ((idx >> (n - 1 - k)) & 1) as u8).collect()).collect();
    let np = n + n * (n - 1) / 2 + if with_k { n } else { 0 };
    // features phi(s): the indices of the parameters that are 1 (all features are 0/1)
    let feats = |s: &[u8]| -> Vec<usize> {
        let on: Vec<usize> = (0..n).filter(|&k| s[k] > 0).collect();
        let mut out = on.clone();
        for (a, &i) in on.iter().enumerate() {
            for &j in &on[a + 1..] {
                out.push(n + pair_index(n, i, j));
            }
        }
        if with_k && !on.is_empty() {
            out.push(n + n * (n - 1) / 2 + on.len() - 1);
        }
        out
    };
    let state_feats: Vec<Vec<usize>> = states.iter().map(|s| feats(s)).collect();
    let mut data_mean = vec![0.0; np];
    for t in 0..data.len() {
        for p in feats(data.row(t)) {
            data_mean[p] += data.weights[t];
        }
    }
    let mut x = pack(model, with_k);
    let mut logf = vec![0.0; total];
    let report = lbfgs(&mut x, opts.max_iter.max(200), exec, |x, g| {
        for (lf, fs) in logf.iter_mut().zip(&state_feats) {
            *lf = fs.iter().map(|&p| x[p]).sum();
        }
        let lz = log_sum_exp(&logf);
        g.iter_mut().zip(&data_mean).for_each(|(a, b)| *a = -b);
        for (lf, fs) in logf.iter().zip(&state_feats) {
            let p = (lf - lz).exp();
            for &q in fs {
                g[q] += p;
            }
        }
        let f = lz - x.iter().zip(&data_mean).map(|(a, b)| a * b).sum::<f64>();
        f + penalty(x, g, n, opts)
    })?;
    unpack(model, &x, with_k);
    model.exact_ml = true;
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::baselines::Independent;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Patterns with pairwise and higher-order (population) structure: a latent "up" state
    /// raises every rate (a K-dependence no pairwise model captures exactly).
    fn patterns(n: usize, m: usize, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(n * m);
        for _ in 0..m {
            let up = rng.random::<f64>() < 0.2;
            let a = rng.random::<f64>() < 0.3;
            for i in 0..n {
                let base = if up { 0.5 } else { 0.06 };
                let r = if i < 2 && a { base + 0.3 } else { base };
                out.push((rng.random::<f64>() < r) as u8);
            }
        }
        out
    }

    /// Model moments E[s_i], E[s_i s_j], P(K) by enumeration.
    fn moments(m: &Pairwise) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = m.dims.len();
        let states: Vec<Vec<u8>> = (0..1usize << n).map(|idx| (0..n).map(|k| ((idx >> (n - 1 - k)) & 1) as u8).collect()).collect();
        let lf: Vec<f64> = states.iter().map(|s| m.log_f(s)).collect();
        let lz = log_sum_exp(&lf);
        let (mut e1, mut e2, mut pk) = (vec![0.0; n], vec![0.0; n * n], vec![0.0; n + 1]);
        for (s, l) in states.iter().zip(&lf) {
            let p = (l - lz).exp();
            add_moments(s, p, &mut e1, &mut e2, &mut pk);
        }
        (e1, e2, pk)
    }

    fn add_moments(s: &[u8], p: f64, e1: &mut [f64], e2: &mut [f64], pk: &mut [f64]) {
        let n = s.len();
        for i in 0..n {
            e1[i] += p * s[i] as f64;
            for j in 0..n {
                e2[i * n + j] += p * (s[i] * s[j]) as f64;
            }
        }
        pk[s.iter().filter(|&&v| v > 0).count()] += p;
    }

    #[test]
    fn exact_ml_fits_match_the_data_moments() {
        // with vanishing penalties the exact ML fit is the maximum-entropy model: it reproduces
        // the data's means and correlations (and P(K) for the K-pairwise model)
        let n = 6;
        let pats = patterns(n, 4000, 1);
        let opts = PairwiseOptions { l2: 1e-9, l2_fields: 1e-9, max_iter: 500, ..Default::default() };
        let exec = Exec::with_threads(2);
        let (mut d1, mut d2, mut dk) = (vec![0.0; n], vec![0.0; n * n], vec![0.0; n + 1]);
        let rows = pats.len() / n;
        for s in pats.chunks_exact(n) {
            add_moments(s, 1.0 / rows as f64, &mut d1, &mut d2, &mut dk);
        }
        let ising = Pairwise::fit(&vec![2; n], &pats, &opts, &exec).unwrap();
        let kp = fit_k_pairwise(&vec![2; n], &pats, &opts, &exec).unwrap();
        assert!(ising.exact_ml && kp.exact_ml && ising.log_z_exact);
        for (m, with_k) in [(&ising, false), (&kp, true)] {
            let (e1, e2, pk) = moments(m);
            for i in 0..n {
                assert!((e1[i] - d1[i]).abs() < 1e-5, "mean {i}: {} vs {}", e1[i], d1[i]);
                for j in 0..n {
                    assert!((e2[i * n + j] - d2[i * n + j]).abs() < 1e-5, "pair {i},{j}");
                }
            }
            if with_k {
                for k in 1..=n {
                    assert!((pk[k] - dk[k]).abs() < 1e-5, "P(K = {k}) {} vs {}", pk[k], dk[k]);
                }
            }
        }
        // the ML fits are the likelihood optimum: not worse than pseudo-likelihood on training
        // data, and the K-pairwise model (a superset) is not worse than Ising
        let pl = Pairwise::fit(&vec![2; n], &pats, &PairwiseOptions { exact_ml: false, ..opts.clone() }, &exec).unwrap();
        let (li, lk, lp) = (ising.nll_bits(&pats).unwrap(), kp.nll_bits(&pats).unwrap(), pl.nll_bits(&pats).unwrap());
        assert!(li <= lp + 1e-9 && lk <= li + 1e-9, "ML {li}, K-pairwise {lk}, PL {lp}");
        // and the population structure makes the K potential worth a clear margin
        let ind = Independent::fit(&vec![2; n], &pats, 0.5).unwrap().nll_bits(&pats).unwrap();
        assert!(lk < li - 0.005 && li < ind, "{lk} {li} {ind}");
    }

    #[test]
    fn k_pairwise_pseudo_likelihood_is_consistent_and_uses_ais_when_large() {
        // 20 sites: beyond ML_LIMIT, pseudo-likelihood only; exact ln Z (2^20 states) checks AIS
        let n = 20;
        let pats = patterns(n, 3000, 2);
        let exec = Exec::with_threads(2);
        let kp = fit_k_pairwise(&vec![2; n], &pats, &PairwiseOptions::default(), &exec).unwrap();
        assert!(!kp.exact_ml && kp.converged && kp.log_z_exact);
        let mut ais = kp.clone();
        let marg = site_marginals(&Distinct::new(&pats, n, "p").unwrap(), &vec![2; n], 0.5);
        ais.compute_log_z(&marg, &PairwiseOptions { exact_limit: 0, ais_steps: 300, seed: 4, ..Default::default() }, &exec).unwrap();
        assert!(!ais.log_z_exact);
        assert!((ais.log_z - kp.log_z).abs() < 4.0 * ais.log_z_se + 0.02, "{} vs {} (se {})", ais.log_z, kp.log_z, ais.log_z_se);
        // the count potential lowers the held-out NLL against Ising on population-driven data
        let test = patterns(n, 2000, 3);
        let ising = Pairwise::fit(&vec![2; n], &pats, &PairwiseOptions::default(), &exec).unwrap();
        assert!(
            kp.nll_bits(&test).unwrap() < ising.nll_bits(&test).unwrap(),
            "{} vs {}",
            kp.nll_bits(&test).unwrap(),
            ising.nll_bits(&test).unwrap()
        );
        assert!(fit_k_pairwise(&[2, 3], &[0, 2], &PairwiseOptions::default(), &exec).is_err());
    }
}
