//! Canonical forms and normalisation.
//!
//! A core is *left-orthonormal* when its left unfolding has orthonormal columns,
//! `sum_{l,s} A[l,s,r] A[l,s,r'] = delta_{r r'}`, and *right-orthonormal* when its right
//! unfolding has orthonormal rows. The mixed canonical form with centre c has cores `< c`
//! left- and cores `> c` right-orthonormal; then `sum_s T(s)^2 = ||A_c||_F^2` and the singular
//! values of the centre's unfoldings are the Schmidt coefficients at its bonds
//! (Schollwoeck, Ann. Phys. 326, 96 (2011), sec. 4.4).
//!
//! Moving the centre uses thin QR (rightward) or QR of the transpose (leftward), cost
//! `O(d D^3)` per site. To keep 100-site trains finite, each R factor is divided by its
//! largest entry; the functions return the natural log of the total factor removed, i.e. the
//! tensor afterwards is `T / exp(log_factor)` (a positive rescaling: `P` is unchanged).

use super::dense::{matmul_rm, qr, rescale, view};
use super::env::layered_sum;
use super::tt::{Core, Kind, TensorTrain};
use crate::error::{Error, Result};

/// QR of core k's left unfolding; core k becomes left-orthonormal, R moves into core k+1.
/// Returns the log of the factor removed from R.
pub fn move_right(tt: &mut TensorTrain, k: usize) -> f64 {
    let cores = tt.cores_mut();
    let c = &cores[k];
    let (l, d) = (c.left, c.dim);
    let (q, mut r, kk) = qr(c.left_unfolding());
    let scale = rescale(&mut r);
    let right = c.right;
    cores[k] = Core { left: l, dim: d, right: kk, data: q };
    let next = &cores[k + 1];
    let data = matmul_rm(view(&r, kk, right), next.right_unfolding());
    let (nd, nr) = (next.dim, next.right);
    cores[k + 1] = Core { left: kk, dim: nd, right: nr, data };
    scale
}

/// QR of the transpose of core k's right unfolding; core k becomes right-orthonormal and the
/// triangular factor moves into core k-1. Returns the log of the factor removed.
pub fn move_left(tt: &mut TensorTrain, k: usize) -> f64 {
    let cores = tt.cores_mut();
    let c = &cores[k];
    let (d, r) = (c.dim, c.right);
    let left = c.left;
    // M = R^T Q^T with M^T = Q R
    let (q, mut rr, kk) = qr(c.right_unfolding().transpose());
    let scale = rescale(&mut rr);
    // new core k = Q^T (kk x d*r)
    let qt = super::dense::to_row_major(view(&q, d * r, kk).transpose());
    cores[k] = Core { left: kk, dim: d, right: r, data: qt };
    let prev = &cores[k - 1];
    let data = matmul_rm(prev.left_unfolding(), view(&rr, kk, left).transpose());
    let (pl, pd) = (prev.left, prev.dim);
    cores[k - 1] = Core { left: pl, dim: pd, right: kk, data };
    scale
}

/// Mixed canonical form with orthogonality centre `center`. Returns the log factor removed.
pub fn mixed_canonicalize(tt: &mut TensorTrain, center: usize) -> Result<f64> {
    let n = tt.n_sites();
    if center >= n {
        return Err(Error::invalid_input(format!("center must be < {n} (number of sites), got {center}")));
    }
    let mut log = 0.0;
    for k in 0..center {
        log += move_right(tt, k);
    }
    for k in (center + 1..n).rev() {
        log += move_left(tt, k);
    }
    Ok(log)
}

/// Left canonical form (centre at the last site).
pub fn left_canonicalize(tt: &mut TensorTrain) -> f64 {
    let n = tt.n_sites();
    mixed_canonicalize(tt, n - 1).unwrap_or(0.0)
}

/// Right canonical form (centre at site 0).
pub fn right_canonicalize(tt: &mut TensorTrain) -> f64 {
    mixed_canonicalize(tt, 0).unwrap_or(0.0)
}

/// Largest deviation of core k from left- (`left = true`) or right-orthonormality.
pub fn orthonormality_error(core: &Core, left: bool) -> f64 {
    let m = if left { core.left_unfolding() } else { core.right_unfolding().transpose() };
    let g = matmul_rm(m.transpose(), m);
    let n = m.ncols();
    let mut err: f64 = 0.0;
    for i in 0..n {
        for j in 0..n {
            let want = if i == j { 1.0 } else { 0.0 };
            err = err.max((g[i * n + j] - want).abs());
        }
    }
    err
}

/// Natural log of the normalisation `Z` (`sum T^2` for Born, `sum T` for probability trains).
/// Errors if a probability train sums to a non-positive value.
pub fn log_norm(tt: &TensorTrain) -> Result<f64> {
    match tt.kind() {
        Kind::Born => Ok(layered_sum(tt, 2).1),
        Kind::Probability => {
            let (sign, ln) = layered_sum(tt, 1);
            if sign <= 0.0 || !ln.is_finite() {
                return Err(Error::invalid_input("the probability tensor train sums to a non-positive value"));
            }
            Ok(ln)
        }
    }
}

/// Rescales the cores so that `Z = 1`; returns `ln Z` before. Born machines are brought to
/// right canonical form first (the centre core then has unit Frobenius norm); probability
/// trains are scaled by `Z^{-1/N}` per core.
pub fn normalize(tt: &mut TensorTrain) -> Result<f64> {
    match tt.kind() {
        Kind::Born => {
            let log = right_canonicalize(tt);
            let c = &mut tt.cores_mut()[0];
            let nrm = c.data.iter().map(|x| x * x).sum::<f64>().sqrt();
            if nrm == 0.0 {
                return Err(Error::invalid_input("the Born machine is identically zero"));
            }
            c.data.iter_mut().for_each(|x| *x /= nrm);
            Ok(2.0 * (log + nrm.ln()))
        }
        Kind::Probability => {
            let ln = log_norm(tt)?;
            let n = tt.n_sites() as f64;
            let f = (-ln / n).exp();
            for c in tt.cores_mut() {
                c.data.iter_mut().for_each(|x| *x *= f);
            }
            Ok(ln)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_are_orthonormal_and_preserve_p() {
        let t0 = TensorTrain::random(Kind::Born, &[2, 3, 2, 2, 2, 3], 5, 11).unwrap();
        let p0 = t0.dense_probabilities().unwrap();
        for center in 0..t0.n_sites() {
            let mut t = t0.clone();
            let log = mixed_canonicalize(&mut t, center).unwrap();
            for k in 0..t.n_sites() {
                if k < center {
                    assert!(orthonormality_error(t.core(k), true) < 1e-12);
                }
                if k > center {
                    assert!(orthonormality_error(t.core(k), false) < 1e-12);
                }
            }
            // the tensor is rescaled by exp(-log) exactly
            let (a, b) = (t0.dense().unwrap(), t.dense().unwrap());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y * log.exp()).abs() < 1e-10);
            }
            let p = t.dense_probabilities().unwrap();
            for (x, y) in p0.iter().zip(&p) {
                assert!((x - y).abs() < 1e-12);
            }
        }
        assert!(mixed_canonicalize(&mut t0.clone(), 6).is_err());
    }

    #[test]
    fn normalize_sets_z_to_one() {
        for kind in [Kind::Born, Kind::Probability] {
            let mut t = TensorTrain::random(kind, &[2, 2, 3, 2, 2], 3, 5).unwrap();
            let dense = t.dense().unwrap();
            let z: f64 = match kind {
                Kind::Born => dense.iter().map(|x| x * x).sum(),
                Kind::Probability => dense.iter().sum(),
            };
            let ln = normalize(&mut t).unwrap();
            assert!((ln - z.ln()).abs() < 1e-10);
            assert!(log_norm(&t).unwrap().abs() < 1e-12);
        }
    }
}
