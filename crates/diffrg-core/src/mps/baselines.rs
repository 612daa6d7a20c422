//! Baseline models for spike patterns: independent sites and a pairwise maximum-entropy
//! (Ising / Potts) model fitted by pseudo-likelihood.
//!
//! **Independent model**: `P(s) = prod_k p_k(s_k)` with additive pseudocount `alpha`
//! per value (Laplace smoothing), `NLL = -mean log2 P`.
//!
//! **Pairwise model** over one-hot features (value 0 is the gauge/reference state):
//!
//! `ln f(s) = sum_i h_i(s_i) + sum_{i<j} J_ij(s_i, s_j)`,  `P = f / Z`,
//!
//! with `h_i(0) = J_ij(0, .) = J_ij(., 0) = 0`; for binary sites this is the Ising model in
//! the 0/1 convention. Parameters are fitted by pseudo-likelihood (Besag 1975; Aurell &
//! Ekeberg, PRL 108, 090201 (2012)): for every site i, a multinomial logistic regression of
//! `s_i` on all other sites, `-mean_t ln P(s_i^t | s_-i^t) + lambda ||J_i||^2`, minimised by
//! L-BFGS (parallel over sites), then `J_ij = (J_ij + J_ji^T) / 2`. Each evaluation costs
//! O(m * active sites) on the m distinct patterns (spike rasters are sparse).
//!
//! `ln Z` is exact by enumeration for at most 2^20 states; otherwise annealed importance
//! sampling (Neal, Stat. Comput. 11, 125 (2001)) from the independent model
//! `p_0` along `ln f_beta = (1 - beta) ln p_0 + beta ln f` with one Gibbs sweep per
//! temperature, reporting `ln Z` with a delta-method standard error over the chains.

use super::data::{site_marginals, Distinct};
use super::dense::log_sum_exp;
pub(crate) use super::lbfgs::lbfgs;
pub use super::lbfgs::SolverReport;
use super::tt::check_patterns;
use crate::error::{Error, Result};
use crate::exec::Exec;
use rayon::prelude::*;
use std::f64::consts::LN_2;

/// Independent-site model.
#[derive(Debug, Clone, PartialEq)]
pub struct Independent {
    /// `p[k][s]`.
    pub p: Vec<Vec<f64>>,
}

impl Independent {
    /// Fits marginals with pseudocount `alpha` (>= 0) per value.
    pub fn fit(dims: &[usize], patterns: &[u8], alpha: f64) -> Result<Independent> {
        check_patterns(dims, patterns, "patterns")?;
        if !(alpha >= 0.0) {
            return Err(Error::invalid_input(format!("pseudocount must be >= 0, got {alpha}")));
        }
        let data = Distinct::new(patterns, dims.len(), "patterns")?;
        Ok(Independent { p: site_marginals(&data, dims, alpha) })
    }
    /// `log2 P` per pattern.
    pub fn log2_prob(&self, patterns: &[u8]) -> Result<Vec<f64>> {
        let dims: Vec<usize> = self.p.iter().map(|p| p.len()).collect();
        check_patterns(&dims, patterns, "patterns")?;
        Ok(patterns.chunks_exact(dims.len()).map(|s| s.iter().enumerate().map(|(k, &v)| self.p[k][v as usize].log2()).sum()).collect())
    }
    /// Mean NLL in bits per pattern.
    pub fn nll_bits(&self, patterns: &[u8]) -> Result<f64> {
        let lp = self.log2_prob(patterns)?;
        Ok(-lp.iter().sum::<f64>() / lp.len().max(1) as f64)
    }
}

/// Options of the pseudo-likelihood fit and the partition-function estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct PairwiseOptions {
    /// L2 penalty on couplings (per site regression). Default 1e-3.
    pub l2: f64,
    /// L2 penalty on fields. Default 1e-6.
    pub l2_fields: f64,
    /// L-BFGS iterations per site. Default 200.
    pub max_iter: usize,
    /// Exact enumeration of `Z` up to this many states. Default 2^20.
    pub exact_limit: u128,
    /// AIS chains. Default 64.
    pub ais_chains: usize,
    /// AIS temperatures. Default 2000.
    pub ais_steps: usize,
    pub seed: u64,
    /// Refine the pseudo-likelihood fit by exact maximum likelihood (L-BFGS on the exact NLL,
    /// moments by enumeration) when the sites are binary and there are at most
    /// [`crate::mps::kpairwise::ML_LIMIT`] states. Default true.
    pub exact_ml: bool,
}

impl Default for PairwiseOptions {
    fn default() -> Self {
        PairwiseOptions {
            l2: 1e-3,
            l2_fields: 1e-6,
            max_iter: 200,
            exact_limit: 1 << 20,
            ais_chains: 64,
            ais_steps: 2000,
            seed: 0,
            exact_ml: true,
        }
    }
}

/// Fitted pairwise model.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairwise {
    pub dims: Vec<usize>,
    /// Feature offset of site i (features are (i, value >= 1)).
    pub offsets: Vec<usize>,
    /// Fields per feature.
    pub h: Vec<f64>,
    /// Symmetric couplings between features, `F x F` row-major (zero within a site).
    pub j: Vec<f64>,
    /// `ln Z` and its standard error (0 when exact).
    pub log_z: f64,
    pub log_z_se: f64,
    pub log_z_exact: bool,
    /// Most L-BFGS iterations any site's pseudo-likelihood regression used.
    pub iterations: usize,
    /// Whether every site's regression met its convergence test within `max_iter`.
    pub converged: bool,
    /// Potential `V(K)` on the number `K` of sites with a non-zero value, `K = 0..=N` (the
    /// K-pairwise model, [`crate::mps::kpairwise`]); empty for the pairwise model.
    pub v: Vec<f64>,
    /// Whether the parameters are the exact maximum-likelihood fit (small binary models).
    pub exact_ml: bool,
}

/// Number of joint states `prod_k d_k`, or None when it exceeds `u128`.
pub(crate) fn state_count(dims: &[usize]) -> Option<u128> {
    dims.iter().try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))
}

pub(crate) fn feature_layout(dims: &[usize]) -> (Vec<usize>, usize) {
    let mut off = Vec::with_capacity(dims.len());
    let mut f = 0;
    for &d in dims {
        off.push(f);
        f += d - 1;
    }
    (off, f)
}

impl Pairwise {
    /// Fits by pseudo-likelihood on `patterns` and computes `ln Z`.
    pub fn fit(dims: &[usize], patterns: &[u8], opts: &PairwiseOptions, exec: &Exec) -> Result<Pairwise> {
        check_patterns(dims, patterns, "patterns")?;
        if !(opts.l2 >= 0.0 && opts.l2_fields >= 0.0) {
            return Err(Error::invalid_input("l2 penalties must be >= 0"));
        }
        let n = dims.len();
        let data = Distinct::new(patterns, n, "patterns")?;
        let (offsets, nf) = feature_layout(dims);
        // active features per distinct pattern
        let active: Vec<Vec<u32>> = (0..data.len())
            .map(|t| data.row(t).iter().enumerate().filter(|(_, &v)| v > 0).map(|(k, &v)| (offsets[k] + v as usize - 1) as u32).collect())
            .collect();
        let site_of: Vec<usize> = (0..n).flat_map(|k| std::iter::repeat_n(k, dims[k] - 1)).collect();
        let rows: Vec<(Vec<f64>, Vec<f64>, SolverReport)> = exec.install(|| {
            (0..n)
                .into_par_iter()
                .map(|i| -> Result<(Vec<f64>, Vec<f64>, SolverReport)> {
                    exec.check()?;
                    let di = dims[i] - 1;
                    // params: h (di) then J (nf x di)
                    let np = di * (1 + nf);
                    let mut x = vec![0.0; np];
                    let mut logits = vec![0.0; di + 1];
                    let report = lbfgs(&mut x, opts.max_iter, exec, |x, g| {
                        g.iter_mut().for_each(|v| *v = 0.0);
                        let mut f = 0.0;
                        for t in 0..data.len() {
                            let w = data.weights[t];
                            logits[0] = 0.0;
                            logits[1..].copy_from_slice(&x[..di]);
                            for &ft in &active[t] {
                                let ft = ft as usize;
                                if site_of[ft] == i {
                                    continue;
                                }
                                let base = di + ft * di;
                                for a in 0..di {
                                    logits[a + 1] += x[base + a];
                                }
                            }
                            let lse = log_sum_exp(&logits);
                            let si = data.row(t)[i] as usize;
                            f -= w * (logits[si] - lse);
                            // d/dlogit_a = w (p_a - [a = s_i])
                            for a in 0..di {
                                let ga = w * ((logits[a + 1] - lse).exp() - if si == a + 1 { 1.0 } else { 0.0 });
                                g[a] += ga;
                                for &ft in &active[t] {
                                    let ft = ft as usize;
                                    if site_of[ft] != i {
                                        g[di + ft * di + a] += ga;
                                    }
                                }
                            }
                        }
                        for p in 0..np {
                            let lam = if p < di { opts.l2_fields } else { opts.l2 };
                            f += lam * x[p] * x[p];
                            g[p] += 2.0 * lam * x[p];
                        }
                        f
                    })?;
                    Ok((x[..di].to_vec(), x[di..].to_vec(), report))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let mut h = vec![0.0; nf];
        let mut jm = vec![0.0; nf * nf];
        for i in 0..n {
            let di = dims[i] - 1;
            let (hi, ji, _) = &rows[i];
            for a in 0..di {
                h[offsets[i] + a] = hi[a];
                for ft in 0..nf {
                    if site_of[ft] == i {
                        continue;
                    }
                    let v = 0.5 * ji[ft * di + a];
                    jm[(offsets[i] + a) * nf + ft] += v;
                    jm[ft * nf + offsets[i] + a] += v;
                }
            }
        }
        let iterations = rows.iter().map(|r| r.2.iterations).max().unwrap_or(0);
        let converged = rows.iter().all(|r| r.2.converged);
        let mut model = Pairwise {
            dims: dims.to_vec(),
            offsets,
            h,
            j: jm,
            log_z: 0.0,
            log_z_se: 0.0,
            log_z_exact: true,
            iterations,
            converged,
            v: Vec::new(),
            exact_ml: false,
        };
        if opts.exact_ml {
            crate::mps::kpairwise::ml_refine(&mut model, &data, opts, exec)?;
        }
        let marg = site_marginals(&data, dims, 0.5);
        model.compute_log_z(&marg, opts, exec)?;
        Ok(model)
    }

    /// `ln f(s)` (unnormalised log-probability).
    pub fn log_f(&self, s: &[u8]) -> f64 {
        let nf = self.h.len();
        let mut act = [0usize; 0].to_vec();
        for (k, &v) in s.iter().enumerate() {
            if v > 0 {
                act.push(self.offsets[k] + v as usize - 1);
            }
        }
        let mut e = 0.0;
        for (x, &a) in act.iter().enumerate() {
            e += self.h[a];
            for &b in &act[x + 1..] {
                e += self.j[a * nf + b];
            }
        }
        if !self.v.is_empty() {
            e += self.v[s.iter().filter(|&&x| x > 0).count()];
        }
        e
    }

    pub(crate) fn compute_log_z(&mut self, marg: &[Vec<f64>], opts: &PairwiseOptions, exec: &Exec) -> Result<()> {
        let n = self.dims.len();
        // checked: 2^N overflows u128 from N = 128 binary sites (the wrapped product was 0, so
        // 200 sites took the "exact" branch with no states and ln Z = -inf: NaN NLL)
        let states = state_count(&self.dims);
        if states.is_some_and(|s| s <= opts.exact_limit) {
            let states = states.expect("checked");
            let mut vals = Vec::with_capacity(states as usize);
            let mut s = vec![0u8; n];
            for k in 0..states {
                if k % (1 << 16) == 0 {
                    exec.check()?;
                }
                vals.push(self.log_f(&s));
                for k in (0..n).rev() {
                    s[k] += 1;
                    if (s[k] as usize) < self.dims[k] {
                        break;
                    }
                    s[k] = 0;
                }
            }
            self.log_z = log_sum_exp(&vals);
            self.log_z_se = 0.0;
            self.log_z_exact = true;
            return Ok(());
        }
        let (lz, se) = self.ais(marg, opts, exec)?;
        self.log_z = lz;
        self.log_z_se = se;
        self.log_z_exact = false;
        Ok(())
    }

    /// `log2 P` per pattern.
    pub fn log2_prob(&self, patterns: &[u8]) -> Result<Vec<f64>> {
        check_patterns(&self.dims, patterns, "patterns")?;
        Ok(patterns.chunks_exact(self.dims.len()).map(|s| (self.log_f(s) - self.log_z) / LN_2).collect())
    }

    /// Mean NLL in bits per pattern.
    pub fn nll_bits(&self, patterns: &[u8]) -> Result<f64> {
        let lp = self.log2_prob(patterns)?;
        Ok(-lp.iter().sum::<f64>() / lp.len().max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Exact samples of a small pairwise model by enumeration.
    fn draw(model: &Pairwise, n: usize, seed: u64) -> Vec<u8> {
        let sites = model.dims.len();
        let total = 1usize << sites;
        let logp: Vec<f64> = (0..total)
            .map(|idx| {
                let s: Vec<u8> = (0..sites).map(|k| ((idx >> (sites - 1 - k)) & 1) as u8).collect();
                model.log_f(&s)
            })
            .collect();
        let lz = log_sum_exp(&logp);
        let p: Vec<f64> = logp.iter().map(|v| (v - lz).exp()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(n * sites);
        for _ in 0..n {
            let mut u = rng.random::<f64>();
            let mut idx = total - 1;
            for (i, &q) in p.iter().enumerate() {
                if u < q {
                    idx = i;
                    break;
                }
                u -= q;
            }
            out.extend((0..sites).map(|k| ((idx >> (sites - 1 - k)) & 1) as u8));
        }
        out
    }

    fn truth(n: usize) -> Pairwise {
        let (_, nf) = feature_layout(&vec![2; n]);
        let h: Vec<f64> = (0..n).map(|i| -1.0 + 0.1 * (i % 3) as f64).collect();
        let mut j = vec![0.0; nf * nf];
        for i in 0..n {
            let k = (i + 1) % n;
            let v = if i % 2 == 0 { 1.0 } else { -0.6 };
            j[i * nf + k] = v;
            j[k * nf + i] = v;
        }
        binary(h, j)
    }

    /// A binary model of fields `h` and couplings `j` (`nf x nf`), `ln Z` not yet computed.
    fn binary(h: Vec<f64>, j: Vec<f64>) -> Pairwise {
        let n = h.len();
        let (offsets, _) = feature_layout(&vec![2; n]);
        Pairwise {
            dims: vec![2; n],
            offsets,
            h,
            j,
            log_z: 0.0,
            log_z_se: 0.0,
            log_z_exact: true,
            iterations: 0,
            converged: true,
            v: Vec::new(),
            exact_ml: false,
        }
    }

    #[test]
    fn pseudo_likelihood_recovers_couplings() {
        let t = truth(8);
        let pats = draw(&t, 30_000, 1);
        let m = Pairwise::fit(&t.dims, &pats, &PairwiseOptions::default(), &Exec::with_threads(2)).unwrap();
        assert!(m.log_z_exact);
        assert!(m.converged && m.iterations > 0 && m.iterations < 200, "{} iterations", m.iterations);
        // one iteration is not enough, and says so
        let short = Pairwise::fit(&t.dims, &pats, &PairwiseOptions { max_iter: 1, ..Default::default() }, &Exec::sequential()).unwrap();
        assert!(!short.converged);
        // a cancelled fit stops with ERR_ABORTED
        let ex = Exec::sequential();
        ex.cancel.cancel();
        assert_eq!(Pairwise::fit(&t.dims, &pats, &PairwiseOptions::default(), &ex).unwrap_err().code, crate::error::ErrorCode::Aborted);
        for a in 0..8 {
            assert!((m.h[a] - t.h[a]).abs() < 0.15, "h[{a}] {} vs {}", m.h[a], t.h[a]);
            for b in 0..8 {
                assert!((m.j[a * 8 + b] - t.j[a * 8 + b]).abs() < 0.15);
            }
        }
        // the pairwise model beats the independent model on held-out data
        let test = draw(&t, 5_000, 2);
        let ind = Independent::fit(&t.dims, &pats, 0.5).unwrap();
        assert!(m.nll_bits(&test).unwrap() < ind.nll_bits(&test).unwrap() - 0.05);
    }

    #[test]
    fn ais_matches_exact_partition_function() {
        let mut t = truth(12);
        let marg: Vec<Vec<f64>> = (0..12).map(|_| vec![0.7, 0.3]).collect();
        let opts = PairwiseOptions { exact_limit: 1 << 20, seed: 3, ..Default::default() };
        t.compute_log_z(&marg, &opts, &Exec::sequential()).unwrap();
        let exact = t.log_z;
        let (est, se) = t.ais(&marg, &PairwiseOptions { ais_steps: 500, seed: 3, ..Default::default() }, &Exec::with_threads(2)).unwrap();
        assert!(se > 0.0 && se < 0.05);
        assert!((est - exact).abs() < 4.0 * se + 0.01, "{est} vs {exact} (se {se})");
    }

    #[test]
    fn partition_function_of_many_sites_uses_ais_not_an_overflowed_count() {
        // 200 binary sites: 2^200 states overflow u128 (the wrapped count was 0 and ln Z came
        // out -inf, so nllIsing was NaN). Zero couplings: ln Z = sum ln(1 + e^h) exactly.
        let n = 200;
        assert_eq!(state_count(&vec![2; n]), None);
        assert_eq!(state_count(&vec![2; 127]), Some(1u128 << 127));
        let (_, nf) = feature_layout(&vec![2; n]);
        let h: Vec<f64> = (0..n).map(|i| -3.0 + 0.01 * i as f64).collect();
        let exact: f64 = h.iter().map(|x| x.exp().ln_1p()).sum();
        let mut m = binary(h, vec![0.0; nf * nf]);
        // AIS from a slightly wrong reference so that the estimate is not trivially exact
        let marg: Vec<Vec<f64>> = (0..n).map(|_| vec![0.95, 0.05]).collect();
        let opts = PairwiseOptions { ais_chains: 8, ais_steps: 50, seed: 1, ..Default::default() };
        m.compute_log_z(&marg, &opts, &Exec::sequential()).unwrap();
        assert!(!m.log_z_exact);
        assert!(m.log_z.is_finite() && m.log_z_se.is_finite());
        assert!((m.log_z - exact).abs() < 4.0 * m.log_z_se + 0.05, "{} vs {exact} (se {})", m.log_z, m.log_z_se);
        let pats = vec![0u8; 2 * n];
        assert!(m.nll_bits(&pats).unwrap().is_finite());
    }

    #[test]
    fn independent_model_is_analytic() {
        let pats = [0u8, 1, 1, 1, 0, 0, 0, 1];
        let m = Independent::fit(&[2, 2], &pats, 0.0).unwrap();
        assert_eq!(m.p[0], vec![0.75, 0.25]);
        assert_eq!(m.p[1], vec![0.25, 0.75]);
        let nll = m.nll_bits(&pats).unwrap();
        let want = -2.0 * (0.25f64.log2() + 3.0 * 0.75f64.log2()) / 4.0;
        assert!((nll - want).abs() < 1e-12);
    }
}
