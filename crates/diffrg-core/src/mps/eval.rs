//! Batched log-probabilities of many patterns, parallel over blocks of patterns.
//!
//! For a block of B patterns the left vectors `v_b = A_1[s_1] ... A_k[s_k]` are kept as the
//! rows of a `B x D_k` matrix. At each site the rows are grouped by their value `s_k` (a
//! counting sort; the row order carries no meaning) and every group is advanced with one GEMM
//! `V_group A_k[s]`, so the work is `B D^2` multiply-adds per site done at GEMM speed instead
//! of B separate vector-matrix products. Rows are rescaled to max-abs 1 after every site and
//! the natural logs of the factors accumulated, so 1000-site trains neither overflow nor
//! underflow. Finally `log2 P = (2 ln|T| - ln Z) / ln 2` (Born) or `(ln T - ln Z) / ln 2`
//! (probability train; a non-positive entry, possible after truncation, gives `-inf`).

use super::canonical::log_norm;
use super::dense::{gemm, rescale, view, view_mut};
use super::tt::{Kind, TensorTrain};
use crate::error::Result;
use crate::exec::Exec;
use rayon::prelude::*;
use std::f64::consts::LN_2;

/// Patterns per block (one GEMM per site and symbol value).
const BLOCK: usize = 256;

/// Natural log of `|T(s)|` for every row of `patterns` (row-major, N sites each); patterns
/// must already be validated. Returns `(ln|T|, sign)` per pattern.
pub(crate) fn log_abs_amplitudes(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<Vec<(f64, f64)>> {
    let n = tt.n_sites();
    let rows = patterns.len() / n;
    let mut out = vec![(0.0, 0.0); rows];
    exec.install(|| {
        out.par_chunks_mut(BLOCK).enumerate().try_for_each(|(bi, chunk)| -> Result<()> {
            exec.check()?;
            let start = bi * BLOCK;
            let block = &patterns[start * n..(start + chunk.len()) * n];
            eval_block(tt, block, chunk);
            Ok(())
        })
    })?;
    Ok(out)
}

fn eval_block(tt: &TensorTrain, block: &[u8], out: &mut [(f64, f64)]) {
    let n = tt.n_sites();
    let b = out.len();
    let dmax = tt.max_bond();
    let mut order: Vec<u32> = (0..b as u32).collect();
    let mut logs = vec![0.0f64; b];
    let mut cur = vec![0.0f64; b * dmax];
    let mut gathered = vec![0.0f64; b * dmax];
    let mut new_order = vec![0u32; b];
    let mut new_logs = vec![0.0f64; b];
    // site 0
    let c0 = tt.core(0);
    let r0 = c0.right;
    for row in 0..b {
        let s = block[row * n] as usize;
        cur[row * r0..(row + 1) * r0].copy_from_slice(&c0.data[s * r0..(s + 1) * r0]);
        logs[row] += rescale(&mut cur[row * r0..(row + 1) * r0]);
    }
    let mut counts = vec![0usize; 257];
    for k in 1..n {
        let c = tt.core(k);
        let (l, d, r) = (c.left, c.dim, c.right);
        // counting sort of rows by s_k
        counts[..=d].iter_mut().for_each(|x| *x = 0);
        for &p in &order {
            counts[block[p as usize * n + k] as usize + 1] += 1;
        }
        for s in 0..d {
            counts[s + 1] += counts[s];
        }
        let offsets: Vec<usize> = counts[..=d].to_vec();
        let mut fill = offsets.clone();
        for (row, &p) in order.iter().enumerate() {
            let s = block[p as usize * n + k] as usize;
            let dst = fill[s];
            fill[s] += 1;
            gathered[dst * l..(dst + 1) * l].copy_from_slice(&cur[row * l..(row + 1) * l]);
            new_order[dst] = p;
            new_logs[dst] = logs[row];
        }
        std::mem::swap(&mut order, &mut new_order);
        std::mem::swap(&mut logs, &mut new_logs);
        for s in 0..d {
            let (lo, hi) = (offsets[s], offsets[s + 1]);
            if hi == lo {
                continue;
            }
            let m = hi - lo;
            gemm(view_mut(&mut cur[lo * r..hi * r], m, r), false, view(&gathered[lo * l..hi * l], m, l), c.slice(s), 1.0);
        }
        for row in 0..b {
            logs[row] += rescale(&mut cur[row * r..(row + 1) * r]);
        }
    }
    for (row, &p) in order.iter().enumerate() {
        let v = cur[row];
        out[p as usize] = (if v == 0.0 { f64::NEG_INFINITY } else { v.abs().ln() + logs[row] }, v.signum());
    }
}

/// `log2 P(s)` of every row of the row-major `n_patterns x N` matrix `patterns`.
///
/// Errors: `ERR_INVALID_INPUT` naming the first out-of-alphabet entry or a bad length;
/// `ERR_ABORTED`. Cost `O(n_patterns N d D^2)`, parallel over blocks of 256 patterns.
pub fn log2_prob(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<Vec<f64>> {
    tt.check_patterns(patterns, "patterns")?;
    let ln_z = log_norm(tt)?;
    let n = tt.n_sites();
    // spike data repeat a lot: evaluate each distinct row once when that saves work
    let amps = if patterns.len() / n > 4 * BLOCK {
        let d = super::data::Distinct::new(patterns, n, "patterns")?;
        if d.len() * 10 < d.total * 9 {
            let uniq = log_abs_amplitudes(tt, &d.patterns, exec)?;
            let mut index: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::with_capacity(d.len());
            for j in 0..d.len() {
                index.insert(d.row(j), j);
            }
            patterns.chunks_exact(n).map(|row| uniq[index[row]]).collect()
        } else {
            log_abs_amplitudes(tt, patterns, exec)?
        }
    } else {
        log_abs_amplitudes(tt, patterns, exec)?
    };
    Ok(amps
        .into_iter()
        .map(|(ln, sign)| match tt.kind() {
            Kind::Born => (2.0 * ln - ln_z) / LN_2,
            Kind::Probability => {
                if sign > 0.0 {
                    (ln - ln_z) / LN_2
                } else {
                    f64::NEG_INFINITY
                }
            }
        })
        .collect())
}

/// Mean negative log-likelihood in bits per pattern, weighting row i by `weights[i]`
/// (all 1 when `None`).
pub fn nll_bits(tt: &TensorTrain, patterns: &[u8], weights: Option<&[f64]>, exec: &Exec) -> Result<f64> {
    let lp = log2_prob(tt, patterns, exec)?;
    let (mut s, mut w) = (0.0, 0.0);
    for (i, v) in lp.iter().enumerate() {
        let wi = weights.map_or(1.0, |x| x[i]);
        if wi != 0.0 {
            s -= wi * v;
            w += wi;
        }
    }
    Ok(if w > 0.0 { s / w } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_dense_for_both_kinds() {
        let dims = [2usize, 3, 2, 2, 3, 2, 2];
        for kind in [Kind::Born, Kind::Probability] {
            let t = TensorTrain::random(kind, &dims, 5, 4).unwrap();
            let p = t.dense_probabilities().unwrap();
            let total: usize = dims.iter().product();
            let mut pats = Vec::new();
            for idx in 0..total {
                let mut rem = idx;
                let mut pat = vec![0u8; dims.len()];
                for k in (0..dims.len()).rev() {
                    pat[k] = (rem % dims[k]) as u8;
                    rem /= dims[k];
                }
                pats.extend(pat);
            }
            // repeat so that several blocks are used
            let mut all = pats.clone();
            all.extend(&pats);
            all.extend(&pats);
            // 40 repeats: the deduplicating path
            let many: Vec<u8> = (0..40).flat_map(|_| pats.iter().copied()).collect();
            let lpm = log2_prob(&t, &many, &Exec::with_threads(2)).unwrap();
            assert!(lpm.len() == 40 * total);
            let lp = log2_prob(&t, &all, &Exec::with_threads(2)).unwrap();
            for (i, v) in lpm.iter().enumerate() {
                assert_eq!(*v, lp[i % total]);
            }
            for (i, v) in lp.iter().enumerate() {
                assert!((v.exp2() - p[i % total]).abs() < 1e-12, "{kind:?} {i}");
            }
            let s: f64 = lp[..total].iter().map(|v| v.exp2()).sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn long_trains_do_not_underflow() {
        let t = TensorTrain::random(Kind::Born, &vec![2; 400], 8, 1).unwrap();
        let pats = vec![1u8; 800];
        let lp = log2_prob(&t, &pats, &Exec::sequential()).unwrap();
        assert!(lp.iter().all(|v| v.is_finite() && *v < 0.0));
        assert!(log2_prob(&t, &[2u8; 400], &Exec::sequential()).is_err());
    }
}
