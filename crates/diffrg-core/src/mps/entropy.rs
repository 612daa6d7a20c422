//! Entropies of tensor-train distributions (all in bits).
//!
//! - Bond entropies: at every cut k the Schmidt weights `lambda_i` of the normalised tensor
//!   `T / ||T||` across (sites < k | sites >= k) give `S_k = -sum_i lambda_i log2 lambda_i`
//!   (the entanglement entropy of the Born machine's wave function; for a probability train
//!   the same quantity of the vector `T`, an upper bound on how much bond dimension the cut
//!   needs rather than a property of `P`). Computed by a lossless [`super::compress`] sweep.
//! - Renyi-2: `H_2 = -log2 sum_s P(s)^2`, exact: `sum_s T^4 / (sum_s T^2)^2` for a Born machine
//!   (4-layer environments, `O(N d D^5)` time and `D^4` memory), `sum T^2 / (sum T)^2` for a
//!   probability train.
//! - Shannon: `H = -E_P[log2 P(s)]`, estimated from n exact samples as the sample mean of
//!   `-log2 P(s_i)` with standard error `sd / sqrt(n)` and a normal 95% interval
//!   (mean +- 1.96 se). `H_2 <= H` always, which the tests check.

use super::compress::{compress, CompressOptions};
use super::env::layered_sum;
use super::eval::log2_prob;
use super::sample::sample;
use super::tt::{Kind, TensorTrain};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use std::f64::consts::LN_2;

/// Bond entropies in bits at bonds 1..N-1 (N - 1 values) and the Schmidt weights there.
pub fn bond_entropies(tt: &TensorTrain, exec: &Exec) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let (_, rep) = compress(tt, &CompressOptions { max_bond: 0, cutoff: 0.0 }, exec)?;
    let ent = rep.spectra.iter().map(|w| w.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.log2()).sum::<f64>().max(0.0)).collect();
    Ok((ent, rep.spectra))
}

/// Exact Renyi-2 entropy `-log2 sum_s P(s)^2` in bits.
pub fn renyi2(tt: &TensorTrain, exec: &Exec) -> Result<f64> {
    exec.check()?;
    let d = tt.max_bond() as u128;
    match tt.kind() {
        Kind::Born => {
            ensure_fits("the 4-layer Renyi-2 environment", 3 * d * d * d * d, 4 << 30, "compress to a smaller bond dimension first")?;
            let (_, ln4) = layered_sum(tt, 4);
            let (_, ln2) = layered_sum(tt, 2);
            Ok(-(ln4 - 2.0 * ln2) / LN_2)
        }
        Kind::Probability => {
            let (_, ln2) = layered_sum(tt, 2);
            let (sign, ln1) = layered_sum(tt, 1);
            if sign <= 0.0 {
                return Err(Error::invalid_input("the probability tensor train sums to a non-positive value"));
            }
            Ok(-(ln2 - 2.0 * ln1) / LN_2)
        }
    }
}

/// A Monte Carlo estimate with its uncertainty.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub std_error: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub samples: usize,
}

/// Options of the sampled Shannon estimate as the API exposes it (`mpsEntropies`).
#[derive(Debug, Clone, PartialEq)]
pub struct ShannonOptions {
    /// Exact samples; fewer than 2 skips the estimate. Default 10000.
    pub samples: usize,
    /// Default 0.
    pub seed: u64,
}

impl Default for ShannonOptions {
    fn default() -> Self {
        ShannonOptions { samples: 10_000, seed: 0 }
    }
}

/// [`shannon_sampled`] with `o`, `None` when `o.samples < 2`.
pub fn shannon_optional(tt: &TensorTrain, o: &ShannonOptions, exec: &Exec) -> Result<Option<Estimate>> {
    if o.samples < 2 {
        return Ok(None);
    }
    shannon_sampled(tt, o.samples, o.seed, exec).map(Some)
}

/// Shannon entropy in bits from `n` exact samples (n >= 2). For probability trains the
/// log-probabilities are re-evaluated with [`log2_prob`] (the sampler clips negative weights).
pub fn shannon_sampled(tt: &TensorTrain, n: usize, seed: u64, exec: &Exec) -> Result<Estimate> {
    if n < 2 {
        return Err(Error::invalid_input(format!("samples must be >= 2, got {n}")));
    }
    let s = sample(tt, n, seed, exec)?;
    let lp = match tt.kind() {
        Kind::Born => s.log2_prob,
        Kind::Probability => log2_prob(tt, &s.patterns, exec)?,
    };
    Ok(Estimate::from_log2_probs(&lp))
}

impl Estimate {
    /// The Monte-Carlo entropy `-mean(log2 P)` of exact samples with its standard error and a
    /// normal 95% interval (`lp.len() >= 2`).
    pub fn from_log2_probs(lp: &[f64]) -> Estimate {
        let n = lp.len();
        let mean = -lp.iter().sum::<f64>() / n as f64;
        let var = lp.iter().map(|v| (-v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        Estimate { value: mean, std_error: se, ci_low: mean - 1.96 * se, ci_high: mean + 1.96 * se, samples: n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropies_match_dense() {
        let dims = [2usize, 2, 3, 2, 2, 2, 2, 2, 2];
        for kind in [Kind::Born, Kind::Probability] {
            let t = TensorTrain::random(kind, &dims, 5, 8).unwrap();
            let p = t.dense_probabilities().unwrap();
            let exec = Exec::with_threads(2);
            let h2 = renyi2(&t, &exec).unwrap();
            let want_h2 = -p.iter().map(|x| x * x).sum::<f64>().log2();
            assert!((h2 - want_h2).abs() < 1e-10);
            let h = -p.iter().filter(|&&x| x > 0.0).map(|x| x * x.log2()).sum::<f64>();
            let est = shannon_sampled(&t, 20_000, 3, &exec).unwrap();
            assert!(est.std_error > 0.0);
            // within 4 standard errors (fixed seed)
            assert!((est.value - h).abs() < 4.0 * est.std_error, "{} vs {h} (se {})", est.value, est.std_error);
            assert!(h2 <= h + 1e-12);
            // bond entropies from the dense unfolding's singular values
            let dense = t.dense().unwrap();
            let nrm: f64 = dense.iter().map(|x| x * x).sum();
            let (ent, _) = bond_entropies(&t, &exec).unwrap();
            let mut rows = 1usize;
            for k in 1..dims.len() {
                rows *= dims[k - 1];
                let cols = dense.len() / rows;
                let m = crate::mps::dense::view(&dense, rows, cols);
                let sv = m.singular_values().unwrap();
                let want: f64 = sv.iter().map(|s| s * s / nrm).filter(|&w| w > 0.0).map(|w| -w * w.log2()).sum();
                assert!((ent[k - 1] - want).abs() < 1e-8, "bond {k}: {} vs {want}", ent[k - 1]);
            }
        }
    }

    #[test]
    fn product_state_has_zero_bond_entropy() {
        let t = TensorTrain::product(Kind::Born, &[vec![0.6, 0.8], vec![1.0, 0.0], vec![0.3, 0.4]]).unwrap();
        let (ent, _) = bond_entropies(&t, &Exec::sequential()).unwrap();
        assert!(ent.iter().all(|&e| e.abs() < 1e-12));
        // P = (0.36, 0.64) x (1) x (0.36, 0.64): H2 = -2 log2(0.36^2 + 0.64^2)
        let h2 = renyi2(&t, &Exec::sequential()).unwrap();
        assert!((h2 + 2.0 * (0.36f64 * 0.36 + 0.64 * 0.64).log2()).abs() < 1e-12);
    }
}
