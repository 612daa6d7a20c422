//! Small dense linear-algebra helpers shared by the tensor-train kernels (faer underneath).
//!
//! Tensor cores are stored row-major; these helpers wrap faer's column-major `Mat` so that the
//! rest of the module can think in row-major slices. Every call is sequential (`Par::Seq`):
//! parallelism in `mps` is over patterns, samples or site pairs, never inside one small matrix.

use crate::error::{Error, Result};
use faer::{Accum, MatMut, MatRef, Par};

/// Row-major view of `data` as an `nrows x ncols` matrix.
#[inline]
pub fn view(data: &[f64], nrows: usize, ncols: usize) -> MatRef<'_, f64> {
    MatRef::from_row_major_slice(&data[..nrows * ncols], nrows, ncols)
}

/// Mutable row-major view.
#[inline]
pub fn view_mut(data: &mut [f64], nrows: usize, ncols: usize) -> MatMut<'_, f64> {
    MatMut::from_row_major_slice_mut(&mut data[..nrows * ncols], nrows, ncols)
}

/// `dst = alpha * a * b` (or `dst += alpha * a * b` when `add`), sequential.
#[inline]
pub fn gemm(dst: MatMut<'_, f64>, add: bool, a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) {
    let acc = if add { Accum::Add } else { Accum::Replace };
    faer::linalg::matmul::matmul(dst, acc, a, b, alpha, Par::Seq);
}

/// Row-major copy of a faer matrix.
pub fn to_row_major(m: MatRef<'_, f64>) -> Vec<f64> {
    let (r, c) = (m.nrows(), m.ncols());
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[i * c + j] = m[(i, j)];
        }
    }
    out
}

/// `a * b` as a new row-major buffer.
pub fn matmul_rm(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = vec![0.0; a.nrows() * b.ncols()];
    gemm(view_mut(&mut out, a.nrows(), b.ncols()), false, a, b, 1.0);
    out
}

/// Thin QR: `m = q * r` with `q` (rows x k) orthonormal columns and `r` (k x cols), k = min.
/// Both returned row-major.
pub fn qr(m: MatRef<'_, f64>) -> (Vec<f64>, Vec<f64>, usize) {
    let k = m.nrows().min(m.ncols());
    let f = m.qr();
    let q = f.compute_thin_Q();
    let r = f.thin_R();
    (to_row_major(q.as_ref()), to_row_major(r), k)
}

/// Thin SVD `m = u diag(s) v^T`, singular values non-increasing; `u` (rows x k) and
/// `vt` (k x cols) row-major.
pub fn svd(m: MatRef<'_, f64>) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>, usize)> {
    let k = m.nrows().min(m.ncols());
    let f = m.thin_svd().map_err(|e| Error::no_convergence(format!("SVD did not converge: {e:?}")))?;
    let s: Vec<f64> = (0..k).map(|i| f.S().column_vector()[i]).collect();
    let u = to_row_major(f.U());
    let vt = to_row_major(f.V().transpose());
    Ok((u, s, vt, k))
}

/// Eigen-decomposition of a symmetric matrix with eigenvalues in non-increasing order;
/// returns `(values, vectors)` with eigenvectors as the columns of a row-major `n x n` buffer.
pub fn eigh_desc(m: MatRef<'_, f64>) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = m.nrows();
    let f = m
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::no_convergence(format!("symmetric eigen-solver did not converge: {e:?}")))?;
    let vals: Vec<f64> = (0..n).rev().map(|i| f.S().column_vector()[i]).collect();
    let u = f.U();
    let mut vecs = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            vecs[i * n + j] = u[(i, n - 1 - j)];
        }
    }
    Ok((vals, vecs))
}

/// How many of the non-increasing weights `w` (squared singular values) to keep under a
/// maximum count `max_bond` (0 = unlimited) and a relative cutoff: the smallest weights are
/// dropped while their sum stays <= `cutoff * sum(w)`. At least one value is kept.
/// Returns `(kept, discarded_weight)`.
pub fn truncation(w: &[f64], max_bond: usize, cutoff: f64) -> (usize, f64) {
    let w: Vec<f64> = w.iter().map(|&x| x.max(0.0)).collect();
    let total: f64 = w.iter().sum();
    let mut keep = w.len().max(1).min(if max_bond == 0 { usize::MAX } else { max_bond });
    keep = keep.min(w.len()).max(1);
    if cutoff > 0.0 {
        let budget = cutoff * total;
        let mut tail = w[keep..].iter().sum::<f64>();
        while keep > 1 && tail + w[keep - 1] <= budget {
            tail += w[keep - 1];
            keep -= 1;
        }
    }
    let discarded = w[keep.min(w.len())..].iter().sum();
    (keep, discarded)
}

/// `log(sum exp(x))` without overflow (empty -> -inf).
pub fn log_sum_exp(x: &[f64]) -> f64 {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// Scales `v` so its largest absolute entry is 1 and returns the natural log of the factor
/// removed (0 for an all-zero vector, which is left unchanged).
#[inline]
pub fn rescale(v: &mut [f64]) -> f64 {
    let m = v.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    if m > 0.0 && m.is_finite() {
        let inv = 1.0 / m;
        v.iter_mut().for_each(|x| *x *= inv);
        m.ln()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_rules() {
        let w = [4.0, 2.0, 1.0, 0.5, 0.25];
        assert_eq!(truncation(&w, 0, 0.0), (5, 0.0));
        assert_eq!(truncation(&w, 2, 0.0), (2, 1.75));
        // relative cutoff: total 7.75, budget 0.1 * 7.75 = 0.775 -> drops 0.25 and 0.5
        assert_eq!(truncation(&w, 0, 0.1), (3, 0.75));
        assert_eq!(truncation(&[0.0], 3, 0.5).0, 1);
    }

    #[test]
    fn factorizations_reconstruct() {
        let a: Vec<f64> = (0..12).map(|i| ((i * 7 % 5) as f64) - 1.5 + 0.1 * i as f64).collect();
        let m = view(&a, 3, 4);
        let (u, s, vt, k) = svd(m).unwrap();
        let mut us = u.clone();
        for i in 0..3 {
            for j in 0..k {
                us[i * k + j] *= s[j];
            }
        }
        let back = matmul_rm(view(&us, 3, k), view(&vt, k, 4));
        let (q, r, k2) = qr(view(&a, 4, 3));
        let back2 = matmul_rm(view(&q, 4, k2), view(&r, k2, 3));
        for i in 0..12 {
            assert!((back[i] - a[i]).abs() < 1e-12);
            assert!((back2[i] - a[i]).abs() < 1e-12);
        }
        let g = matmul_rm(m, m.transpose());
        let (vals, _) = eigh_desc(view(&g, 3, 3)).unwrap();
        for j in 0..3 {
            assert!((vals[j] - s[j] * s[j]).abs() < 1e-10);
        }
    }
}
