//! Exact sequential (ancestral) sampling.
//!
//! `P(s) = prod_k P(s_k | s_<k)` with
//!
//! `P(s_k = a | s_<k) = close(v A_k[a], R_{k+1}) / sum_b close(v A_k[b], R_{k+1})`,
//!
//! where `v = A_1[s_1] .. A_{k-1}[s_{k-1}]` (a row vector, one layer) and `R` are the right
//! environments (K = 2 for a Born machine: `close(u, R) = u R u^T`; K = 1 for a probability
//! train: `u . r`). This draws exact samples (Ferris & Vidal, PRB 85, 165146 (2012)); each
//! sample costs `O(N d D^2)` after the `O(N d D^3)` environments. Sample i uses the ChaCha8
//! stream i of `seed`, so results do not depend on the thread count. For probability trains
//! with negative entries (after truncation) negative conditional weights are clipped to 0 and
//! counted in [`Samples::clipped`].

use super::dense::rescale;
use super::env::{right_envs, Env};
use super::tt::{Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Samples and their log-probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    /// Row-major `n x N` patterns.
    pub patterns: Vec<u8>,
    /// `log2` of the probability with which each pattern was drawn (equal to `log2 P(s)` of
    /// the model unless weights were clipped).
    pub log2_prob: Vec<f64>,
    /// Number of clipped negative conditional weights (probability trains only).
    pub clipped: usize,
}

fn weight(kind: Kind, u: &[f64], r: &Env) -> f64 {
    let d = r.dim;
    match kind {
        Kind::Born => {
            let mut s = 0.0;
            for x in 0..d {
                if u[x] == 0.0 {
                    continue;
                }
                let row = &r.data[x * d..(x + 1) * d];
                s += u[x] * row.iter().zip(u).map(|(a, b)| a * b).sum::<f64>();
            }
            s
        }
        Kind::Probability => u.iter().zip(&r.data).map(|(a, b)| a * b).sum(),
    }
}

/// Draws `n` exact samples with `seed`. Errors: `ERR_INVALID_INPUT` if the model has zero
/// total weight; `ERR_ABORTED`.
pub fn sample(tt: &TensorTrain, n: usize, seed: u64, exec: &Exec) -> Result<Samples> {
    let sites = tt.n_sites();
    let layers = if tt.kind() == Kind::Born { 2 } else { 1 };
    let renv = right_envs(tt, layers);
    let (z0, _) = super::env::close(&Env::boundary(layers), &renv[0]);
    if !(z0 > 0.0) {
        return Err(Error::invalid_input("the tensor train has zero (or negative) total weight; cannot sample"));
    }
    let kind = tt.kind();
    let mut patterns = vec![0u8; n * sites];
    let mut log2_prob = vec![0.0; n];
    let clipped: usize = exec.install(|| {
        patterns
            .par_chunks_mut(sites.max(1))
            .zip(log2_prob.par_iter_mut())
            .enumerate()
            .map(|(i, (pat, lp))| -> Result<usize> {
                if i % 256 == 0 {
                    exec.check()?;
                }
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(i as u64);
                let mut v = vec![1.0f64];
                let mut clipped = 0usize;
                let mut logp = 0.0;
                let mut w = [0.0f64; 256];
                for k in 0..sites {
                    let c = tt.core(k);
                    let (l, d, r) = (c.left, c.dim, c.right);
                    let mut cands: Vec<Vec<f64>> = Vec::with_capacity(d);
                    let mut total = 0.0;
                    for a in 0..d {
                        let mut u = vec![0.0; r];
                        for x in 0..l {
                            let vx = v[x];
                            if vx == 0.0 {
                                continue;
                            }
                            let row = &c.data[(x * d + a) * r..(x * d + a + 1) * r];
                            u.iter_mut().zip(row).for_each(|(o, &y)| *o += vx * y);
                        }
                        let mut wa = weight(kind, &u, &renv[k + 1]);
                        if wa < 0.0 {
                            clipped += 1;
                            wa = 0.0;
                        }
                        w[a] = wa;
                        total += wa;
                        cands.push(u);
                    }
                    if !(total > 0.0) {
                        return Err(Error::internal(format!("sampling reached a prefix of zero weight at site {k}")));
                    }
                    let mut x = rng.random::<f64>() * total;
                    let mut pick = d - 1;
                    for a in 0..d {
                        if x < w[a] {
                            pick = a;
                            break;
                        }
                        x -= w[a];
                    }
                    while w[pick] == 0.0 && pick > 0 {
                        pick -= 1;
                    }
                    logp += (w[pick] / total).log2();
                    pat[k] = pick as u8;
                    v = std::mem::take(&mut cands[pick]);
                    rescale(&mut v);
                }
                *lp = logp;
                Ok(clipped)
            })
            .try_reduce(|| 0, |a, b| Ok(a + b))
    })?;
    Ok(Samples { patterns, log2_prob, clipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chi-square statistic and degrees of freedom, pooling cells with expected count < 5.
    fn chi_square(counts: &[usize], p: &[f64], n: usize) -> (f64, usize) {
        let (mut stat, mut dof) = (0.0, 0usize);
        let (mut pool_o, mut pool_e) = (0.0, 0.0);
        for (c, q) in counts.iter().zip(p) {
            let e = q * n as f64;
            if e < 5.0 {
                pool_o += *c as f64;
                pool_e += e;
            } else {
                stat += (*c as f64 - e).powi(2) / e;
                dof += 1;
            }
        }
        if pool_e > 0.0 {
            stat += (pool_o - pool_e).powi(2) / pool_e.max(1e-300);
            dof += 1;
        }
        (stat, dof - 1)
    }

    #[test]
    fn frequencies_pass_chi_square_and_log_probs_are_exact() {
        let dims = [2usize, 3, 2, 2, 2, 2, 2, 2];
        for (kind, seed) in [(Kind::Born, 5u64), (Kind::Probability, 6)] {
            let t = TensorTrain::random(kind, &dims, 4, seed).unwrap();
            let p = t.dense_probabilities().unwrap();
            let n = 40_000;
            let s = sample(&t, n, 99, &Exec::with_threads(2)).unwrap();
            assert_eq!(s.clipped, 0);
            let mut counts = vec![0usize; p.len()];
            for (row, lp) in s.patterns.chunks(dims.len()).zip(&s.log2_prob) {
                let mut idx = 0;
                for k in 0..dims.len() {
                    idx = idx * dims[k] + row[k] as usize;
                }
                counts[idx] += 1;
                assert!((lp.exp2() - p[idx]).abs() < 1e-10);
            }
            let (stat, dof) = chi_square(&counts, &p, n);
            // 0.1% critical value of chi-square ~ dof + 3.1 sqrt(2 dof) + 10 (generous, dof ~ 100)
            let crit = dof as f64 + 3.1 * (2.0 * dof as f64).sqrt() + 10.0;
            assert!(stat < crit, "{kind:?}: chi2 = {stat} dof = {dof}");
            // deterministic given the seed, independent of threads
            let s1 = sample(&t, 300, 7, &Exec::sequential()).unwrap();
            let s2 = sample(&t, 300, 7, &Exec::with_threads(2)).unwrap();
            assert_eq!(s1, s2);
        }
    }
}
