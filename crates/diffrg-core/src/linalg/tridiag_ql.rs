//! Eigenvalues of a symmetric tridiagonal matrix by root-free QL (stage 3 of
//! [`super::sym_eig`]).

use crate::error::{Error, Result};

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and sub-diagonal `e`,
/// ascending, by the root-free implicit QL iteration of Pal, Walker and Kahan (Parlett, *The
/// Symmetric Eigenvalue Problem*, 1998, section 8.15; LAPACK `dsterf`): the iteration carries the
/// squares of the off-diagonal entries, so a step costs no square root. The matrix is split where
/// an off-diagonal entry is negligible; each unreduced block is scaled into the safe range and,
/// when its last diagonal entry is smaller in magnitude than its first, reversed (so that QL
/// deflates from the small end, as `dsterf`'s choice of QR there). Wilkinson shifts.
///
/// Errors: `ERR_NO_CONVERGENCE` after `30 n` iterations in all (not seen on finite input).
/// Complexity: $O(n^2)$ flops, $O(n)$ memory.
pub fn tridiagonal_eigenvalues(d: &[f64], e: &[f64]) -> Result<Vec<f64>> {
    let n = d.len();
    let mut d = d.to_vec();
    let mut e: Vec<f64> = (0..n.saturating_sub(1)).map(|i| e[i]).collect();
    let eps = 0.5 * f64::EPSILON;
    let safmin = f64::MIN_POSITIVE;
    let ssfmax = (1.0 / safmin).sqrt() / 3.0;
    let ssfmin = safmin.sqrt() / (eps * eps);
    let max_iter = 30 * n.max(1);
    let mut iter = 0;
    let mut bd = Vec::with_capacity(n);
    let mut be = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n {
            if e[end].abs() <= (d[end].abs().sqrt() * d[end + 1].abs().sqrt()) * eps {
                e[end] = 0.0;
                break;
            }
            end += 1;
        }
        let (lo, hi) = (start, end);
        start = end + 1;
        if lo == hi {
            continue;
        }
        // Infinity norm of the block, for the scaling into [ssfmin, ssfmax].
        let mut anorm = 0.0f64;
        for i in lo..=hi {
            let left = if i > lo { e[i - 1].abs() } else { 0.0 };
            let right = if i < hi { e[i].abs() } else { 0.0 };
            anorm = anorm.max(d[i].abs() + left + right);
        }
        let scale = if anorm > ssfmax {
            ssfmax / anorm
        } else if anorm < ssfmin && anorm > 0.0 {
            ssfmin / anorm
        } else {
            1.0
        };
        let rev = d[hi].abs() < d[lo].abs();
        let len = hi - lo + 1;
        bd.clear();
        be.clear();
        for k in 0..len {
            bd.push(d[if rev { hi - k } else { lo + k }] * scale);
        }
        for k in 0..len - 1 {
            let x = e[if rev { hi - 1 - k } else { lo + k }] * scale;
            be.push(x * x);
        }
        be.push(0.0);
        root_free_ql(&mut bd, &mut be, eps, &mut iter, max_iter)?;
        for k in 0..len {
            d[lo + k] = bd[k] / scale;
        }
    }
    d.sort_by(|a, b| a.total_cmp(b));
    Ok(d)
}

/// Root-free QL on one block: `d` the diagonal, `e2[i]` the squared entry `(i + 1, i)`
/// (`e2.len() == d.len()`, last entry unused). On return `d` holds the eigenvalues (unsorted).
fn root_free_ql(d: &mut [f64], e2: &mut [f64], eps: f64, iter: &mut usize, max_iter: usize) -> Result<()> {
    let eps2 = eps * eps;
    let last = d.len() - 1;
    let mut l = 0;
    while l <= last {
        // The first negligible squared off-diagonal entry at or after l.
        let mut m = l;
        while m < last && e2[m].abs() > eps2 * (d[m] * d[m + 1]).abs() {
            m += 1;
        }
        if m < last {
            e2[m] = 0.0;
        }
        if m == l {
            l += 1;
            continue;
        }
        if m == l + 1 {
            let (rt1, rt2) = eig2(d[l], e2[l].sqrt(), d[l + 1]);
            d[l] = rt1;
            d[l + 1] = rt2;
            e2[l] = 0.0;
            l += 2;
            continue;
        }
        if *iter == max_iter {
            return Err(Error::no_convergence(format!("tridiagonal QL: no convergence after {max_iter} iterations")));
        }
        *iter += 1;
        // Wilkinson shift from the leading 2x2 block.
        let p = d[l];
        let rte = e2[l].sqrt();
        let t = (d[l + 1] - p) / (2.0 * rte);
        let r = t.hypot(1.0);
        let sigma = p - rte / (t + r.copysign(t));
        let mut c = 1.0;
        let mut s = 0.0;
        let mut gamma = d[m] - sigma;
        let mut pp = gamma * gamma;
        for i in (l..m).rev() {
            let bb = e2[i];
            let r = pp + bb;
            if i + 1 != m {
                e2[i + 1] = s * r;
            }
            let oldc = c;
            c = pp / r;
            s = bb / r;
            let oldgam = gamma;
            let alpha = d[i];
            gamma = c * (alpha - sigma) - s * oldgam;
            d[i + 1] = oldgam + (alpha - gamma);
            pp = if c != 0.0 { gamma * gamma / c } else { oldc * bb };
        }
        e2[l] = s * pp;
        d[l] = sigma + gamma;
    }
    Ok(())
}

/// Eigenvalues of `[[a, b], [b, c]]`, the larger in magnitude first (LAPACK `dlae2`'s
/// formulas: the smaller one from the determinant, without cancellation).
fn eig2(a: f64, b: f64, c: f64) -> (f64, f64) {
    let sm = a + c;
    let rt = (a - c).hypot(2.0 * b);
    let (acmx, acmn) = if a.abs() > c.abs() { (a, c) } else { (c, a) };
    if sm != 0.0 {
        let rt1 = 0.5 * (sm + rt.copysign(sm));
        let rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
        (rt1, rt2)
    } else {
        (0.5 * rt, -0.5 * rt)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{norm, reference};
    use super::*;
    use faer::Mat;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn tridiagonal_ql_matches_faer() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for n in [1usize, 2, 3, 4, 10, 200] {
            for graded in [false, true] {
                let d: Vec<f64> =
                    (0..n).map(|i| rng.random_range(-1.0..1.0) * if graded { 10f64.powi(-(i as i32) / 8) } else { 1.0 }).collect();
                let mut e: Vec<f64> = (0..n.saturating_sub(1)).map(|_| rng.random_range(-1.0..1.0)).collect();
                if n > 5 {
                    e[3] = 0.0; // a split
                }
                let mut t = Mat::<f64>::zeros(n, n);
                for i in 0..n {
                    t[(i, i)] = d[i];
                    if i + 1 < n {
                        t[(i + 1, i)] = e[i];
                        t[(i, i + 1)] = e[i];
                    }
                }
                let want = reference(&t);
                let got = tridiagonal_eigenvalues(&d, &e).unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-12 * norm(&t).max(1.0), "n={n}: {g} vs {w}");
                }
            }
        }
        // Tiny and huge scales go through the scaling into the safe range.
        for s in [1e-300, 1e300] {
            let got = tridiagonal_eigenvalues(&[2.0 * s, 2.0 * s, 2.0 * s], &[s, s]).unwrap();
            let want = [2.0 - 2f64.sqrt(), 2.0, 2.0 + 2f64.sqrt()];
            for (g, w) in got.iter().zip(&want) {
                assert!((g / s - w).abs() < 1e-14, "{g} vs {w} s");
            }
        }
    }
}
