//! Eigenvalues of a dense real symmetric matrix by two-stage tridiagonalization.
//!
//! faer's `self_adjoint_eigenvalues` reduces the matrix to tridiagonal form one column at a
//! time (a rank-2 update and a matrix-vector product per column): every flop streams the
//! trailing matrix from memory, so it runs at memory bandwidth. LAPACK's one-stage `dsytrd`
//! moves half of those flops into `dsyr2k`; the two-stage scheme moves all of them into matrix
//! products (Bischof, Lang & Sun 2000; Haidar, Ltaief & Dongarra 2011; LAPACK
//! `dsytrd_2stage`):
//!
//! 1. **Dense to band** ([`dense_to_band`]): for each panel of `b` columns, the Householder QR
//!    $P = QR$ of the block below the band, $Q = I - V T V^\top$ (compact WY), and the
//!    two-sided update of the trailing matrix
//!    $$X = A_{22} V T,\quad W = X - \tfrac12 V (T^\top V^\top X),\quad
//!    A_{22} \leftarrow Q^\top A_{22} Q = A_{22} - V W^\top - W V^\top,$$
//!    which leaves a band of half-bandwidth `b`. $\tfrac43 n^3$ flops, all in matrix products
//!    (the symmetric product and the rank-$2b$ update touch one triangle).
//! 2. **Band to tridiagonal** ([`band_to_tridiagonal`]): Householder bulge chasing on the
//!    compact band (Lang's successive band reduction in the form of LAPACK's `dsb2st`
//!    kernels): sweep $i$ annihilates column $i$ below the sub-diagonal and chases the bulge
//!    down the band one $b$-block at a time. $O(n^2 b)$ flops on blocks that stay in cache;
//!    no transformation is accumulated (eigenvalues only).
//! 3. **Tridiagonal eigenvalues** ([`tridiagonal_eigenvalues`]): the root-free QL iteration of
//!    Pal, Walker and Kahan (LAPACK `dsterf`), $O(n^2)$.

use crate::error::{Error, Result};
use crate::exec::{threads_for_work, Exec};
use crate::simd::Level;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};

pub use super::band_chase::{band_to_tridiagonal, Band, MAX_CHASE_B};
use super::reflector::{axpy, dot, householder};
pub use super::tridiag_ql::tridiagonal_eigenvalues;

/// Half-bandwidth of the intermediate band (the fastest of 16-64 on a BA Laplacian, N = 4000:
/// docs/benchmarks.md, "Exact scan: two-stage tridiagonalization").
pub const DEFAULT_BANDWIDTH: usize = 32;

/// Eigenvalues of the symmetric matrix whose lower triangle is `a`, ascending (the strict upper
/// triangle is ignored and overwritten). `bandwidth` is the half-bandwidth `b` of the
/// intermediate band (clamped to `1..=min(n, MAX_CHASE_B)`). Progress: stage 1 reports into the
/// first 85% of `exec`'s bar, the chase into the rest.
///
/// Errors: `ERR_INVALID_INPUT` when `a` is not square; `ERR_NOT_FINITE` when an entry of the
/// lower triangle is NaN or infinite;
/// `ERR_ABORTED` when `exec` is cancelled; `ERR_NO_CONVERGENCE` when the tridiagonal QR
/// iteration fails (not seen on finite input).
/// Complexity: $\tfrac43 n^3 + O(n^2 b)$ flops, $n^2 + O(n b)$ values.
pub fn sym_eigenvalues(mut a: Mat<f64>, bandwidth: usize, exec: &Exec) -> Result<Vec<f64>> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::invalid_input(format!("sym_eigenvalues: the matrix is {}x{}, not square", n, a.ncols())));
    }
    let mut amax = 0.0f64;
    for j in 0..n {
        for i in j..n {
            let x = a[(i, j)];
            if !x.is_finite() {
                return Err(Error::not_finite(format!("sym_eigenvalues: entry ({i}, {j}) is {x}")));
            }
            amax = amax.max(x.abs());
        }
    }
    if n == 0 {
        return Ok(vec![]);
    }
    // Far from 1 in magnitude, scale by a power of two (exact) so that the products of stage 1
    // neither overflow nor underflow; the eigenvalues are scaled back at the end.
    let scale = if amax > 1e100 || (amax > 0.0 && amax < 1e-100) { (-amax.log2().round()).exp2() } else { 1.0 };
    if scale != 1.0 {
        for j in 0..n {
            for i in j..n {
                a[(i, j)] *= scale;
            }
        }
    }
    let b = bandwidth.clamp(1, n.min(MAX_CHASE_B));
    let band = exec.install(|| -> Result<Band> {
        dense_to_band(a.as_mut(), b, &exec.part(0.0, 0.85), exec.par())?;
        Ok(Band::from_dense(a.as_ref(), b))
    })?;
    drop(a);
    let (d, e) = band_to_tridiagonal(band, &exec.part(0.85, 1.0))?;
    let mut vals = tridiagonal_eigenvalues(&d, &e)?;
    if scale != 1.0 {
        for v in vals.iter_mut() {
            *v /= scale;
        }
    }
    Ok(vals)
}

/// Reduces the symmetric matrix whose lower triangle is `a` to a band of half-bandwidth `b` by
/// orthogonal similarity, in place: on return the lower triangle holds the band (entries more
/// than `b` below the diagonal are zero); the strict upper triangle is workspace. Matrix
/// products run with `par` (call inside `exec.install`).
///
/// Errors: `ERR_ABORTED` when `exec` is cancelled (checked once per panel).
pub fn dense_to_band(mut a: MatMut<'_, f64>, b: usize, exec: &Exec, par: Par) -> Result<()> {
    let n = a.nrows();
    let b = b.max(1);
    let mut j0 = 0;
    let total = n.saturating_sub(b + 1).max(1);
    let level = Level::detect();
    // Scratch, sized for the first (largest) panel and sliced below.
    let m0 = n.saturating_sub(b);
    let mut panel = vec![0.0; m0 * b];
    let mut tau = vec![0.0; b];
    let mut v = Mat::<f64>::zeros(m0, b);
    let mut t = Mat::<f64>::zeros(b, b);
    let mut y = Mat::<f64>::zeros(m0, b);
    let mut x = Mat::<f64>::zeros(m0, b);
    let mut lhs = Mat::<f64>::zeros(m0, 2 * b);
    let mut rhs = Mat::<f64>::zeros(m0, 2 * b);
    let mut s = Mat::<f64>::zeros(b, b);
    let mut msym = Mat::<f64>::zeros(b, b);
    while n > j0 + b + 1 {
        exec.check()?;
        let m = n - j0 - b;
        let k = b.min(m - 1);
        // Householder QR of the panel below the band, on a contiguous copy.
        let p = &mut panel[..m * b];
        for c in 0..b {
            for r in 0..m {
                p[r + m * c] = a[(j0 + b + r, j0 + c)];
            }
        }
        panel_qr(level, p, m, b, &mut tau[..k]);
        for c in 0..b {
            for r in 0..m {
                a[(j0 + b + r, j0 + c)] = if r <= c { p[r + m * c] } else { 0.0 };
            }
        }
        // V (unit lower trapezoidal) and T (upper triangular): Q = I - V T V^T.
        let mut v = v.as_mut().submatrix_mut(0, 0, m, k);
        for c in 0..k {
            for r in 0..m {
                v[(r, c)] = match r.cmp(&c) {
                    std::cmp::Ordering::Less => 0.0,
                    std::cmp::Ordering::Equal => 1.0,
                    std::cmp::Ordering::Greater => p[r + m * c],
                };
            }
        }
        let mut t = t.as_mut().submatrix_mut(0, 0, k, k);
        let par_small = if threads_for_work(m * k * k, par.degree()) > 1 { par } else { Par::Seq };
        form_t(v.rb(), &tau[..k], t.rb_mut(), msym.as_mut().submatrix_mut(0, 0, k, k), par_small);
        let mut a22 = a.rb_mut().submatrix_mut(j0 + b, j0 + b, m, m);
        // Y = A22 V with A22 symmetric, lower triangle stored.
        let mut y = y.as_mut().submatrix_mut(0, 0, m, k);
        sym_lower_mul(a22.rb(), v.rb(), y.rb_mut(), par);
        // X = Y T; M = T^T (V^T X); W = X - V M / 2: O(m k^2) each, threaded only when large
        // (crate::exec::MIN_WORK_PER_THREAD).
        let mut x = x.as_mut().submatrix_mut(0, 0, m, k);
        matmul(x.rb_mut(), Accum::Replace, y.rb(), t.rb(), 1.0, par_small);
        let mut s = s.as_mut().submatrix_mut(0, 0, k, k);
        matmul(s.rb_mut(), Accum::Replace, v.rb().transpose(), x.rb(), 1.0, par_small);
        let mut msym = msym.as_mut().submatrix_mut(0, 0, k, k);
        matmul(msym.rb_mut(), Accum::Replace, t.rb().transpose(), s.rb(), 1.0, Par::Seq);
        // A22 -= V W^T + W V^T = [V | W] [W | V]^T: one rank-2k product on the lower triangle.
        let mut lhs = lhs.as_mut().submatrix_mut(0, 0, m, 2 * k);
        let mut rhs = rhs.as_mut().submatrix_mut(0, 0, m, 2 * k);
        {
            let (mut lv, mut lw) = lhs.rb_mut().split_at_col_mut(k);
            lv.copy_from(v.rb());
            lw.copy_from(x.rb());
            matmul(lw.rb_mut(), Accum::Add, v.rb(), msym.rb(), -0.5, par_small);
            let (mut rw, mut rv) = rhs.rb_mut().split_at_col_mut(k);
            rw.copy_from(lw.rb());
            rv.copy_from(v.rb());
        }
        triangular::matmul(
            a22.rb_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            lhs.rb(),
            BlockStructure::Rectangular,
            rhs.rb().transpose(),
            BlockStructure::Rectangular,
            -1.0,
            par,
        );
        exec.progress.set_done((j0 + b).min(total), total);
        j0 += b;
    }
    Ok(())
}

/// Column-block width of [`sym_lower_mul`]: wide enough for matrix-product speed, narrow enough
/// that the diagonal blocks (done by triangular products) are a small share.
const SYMM_BLOCK: usize = 256;

/// `y = a v` for symmetric `a` of which only the lower triangle is read (BLAS `dsymm`), by
/// column blocks `J`: the diagonal block by two triangular products, the block below it, `A_IJ`,
/// by two plain products `y_I += A_IJ v_J` and `y_J += A_IJ^T v_I` (faer's triangular products
/// alone run at half the speed of its plain ones here).
fn sym_lower_mul(a: MatRef<'_, f64>, v: MatRef<'_, f64>, mut y: MatMut<'_, f64>, par: Par) {
    let m = a.nrows();
    let mut j = 0;
    while j < m {
        let nb = SYMM_BLOCK.min(m - j);
        let d = a.submatrix(j, j, nb, nb);
        let accum = if j == 0 { Accum::Replace } else { Accum::Add };
        triangular::matmul(
            y.rb_mut().subrows_mut(j, nb),
            BlockStructure::Rectangular,
            accum,
            d,
            BlockStructure::TriangularLower,
            v.subrows(j, nb),
            BlockStructure::Rectangular,
            1.0,
            par,
        );
        triangular::matmul(
            y.rb_mut().subrows_mut(j, nb),
            BlockStructure::Rectangular,
            Accum::Add,
            d.transpose(),
            BlockStructure::StrictTriangularUpper,
            v.subrows(j, nb),
            BlockStructure::Rectangular,
            1.0,
            par,
        );
        let rest = m - j - nb;
        if rest > 0 {
            let below = a.submatrix(j + nb, j, rest, nb);
            let (top, bottom) = y.rb_mut().split_at_row_mut(j + nb);
            let mut yj = top.subrows_mut(j, nb);
            let mut yi = bottom;
            // The rows below J are first written by this product when J is the first block.
            let acc_i = if j == 0 { Accum::Replace } else { Accum::Add };
            matmul(yi.rb_mut(), acc_i, below, v.subrows(j, nb), 1.0, par);
            matmul(yj.rb_mut(), Accum::Add, below.transpose(), v.subrows(j + nb, rest), 1.0, par);
        }
        j += nb;
    }
}

/// Householder QR of the `m x w` column-major panel `p` (leading dimension `m`), unblocked:
/// `R` in the upper triangle, the reflectors' tails below the diagonal, `tau.len()` reflectors.
fn panel_qr(level: Level, p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2(p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
        panel_qr_body(p, m, w, tau)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
        panel_qr_body(p, m, w, tau)
    }
    match level {
        Level::Baseline => panel_qr_body(p, m, w, tau),
        // SAFETY: the level was detected on this CPU (Level::detect).
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2(p, m, w, tau) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512(p, m, w, tau) },
    }
}

#[inline(always)]
fn panel_qr_body(p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
    for c in 0..tau.len() {
        let (left, right) = p.split_at_mut(m * (c + 1));
        let col = &mut left[m * c + c..m * c + m];
        let t = householder(col);
        tau[c] = t;
        if t == 0.0 {
            continue;
        }
        let v0 = col[0];
        col[0] = 1.0;
        for j in 0..w - c - 1 {
            let dst = &mut right[m * j + c..m * j + m];
            let s = dot(col, dst);
            axpy(-t * s, col, dst);
        }
        col[0] = v0;
    }
}

/// Upper triangular `T` of the compact WY form `H_0 H_1 ... H_{k-1} = I - V T V^T` (LAPACK
/// `dlarft`, forward, columnwise): `T[..i, i] = -tau_i T[..i, ..i] (V^T V)[..i, i]`, with the
/// Gram matrix `V^T V` from one matrix product (`g` is `k x k` workspace).
fn form_t(v: MatRef<'_, f64>, tau: &[f64], mut t: MatMut<'_, f64>, mut g: MatMut<'_, f64>, par: Par) {
    let k = tau.len();
    matmul(g.rb_mut(), Accum::Replace, v.transpose(), v, 1.0, par);
    t.fill(0.0);
    for i in 0..k {
        t[(i, i)] = tau[i];
        if tau[i] == 0.0 {
            continue;
        }
        for r in 0..i {
            let mut acc = 0.0;
            for c in r..i {
                acc += t[(r, c)] * g[(c, i)];
            }
            t[(r, i)] = -tau[i] * acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{norm, random_sym, reference};
    use super::*;

    /// Two-stage eigenvalues against faer's dense solver, to 1e-10 ||A||_F.
    fn check(a: Mat<f64>, b: usize, threads: usize) {
        let want = reference(&a);
        let scale = norm(&a);
        let got = sym_eigenvalues(a, b, &Exec::with_threads(threads)).unwrap();
        assert_eq!(got.len(), want.len());
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-10 * scale, "b={b} k={k}: {g} vs {w} (||A|| {scale})");
        }
    }

    #[test]
    fn random_matrices_match_faer() {
        let b = 8;
        for (s, n) in [1usize, 2, 3, b - 1, b, b + 1, 2 * b + 3, 61, 300].into_iter().enumerate() {
            check(random_sym(n, s as u64), b, 1);
        }
        for n in [1usize, 2, 3, 31, 32, 33, 67, 700] {
            check(random_sym(n, 100 + n as u64), DEFAULT_BANDWIDTH, 2);
        }
    }

    #[test]
    fn bandwidths_from_one_to_n() {
        let a = random_sym(40, 7);
        for b in [1, 2, 3, 5, 16, 39, 40, 100] {
            check(a.clone(), b, 1);
        }
    }

    #[test]
    fn band_is_band_and_similar() {
        // Stage 1 alone: the result is banded and keeps the trace and the Frobenius norm.
        let n = 50;
        let b = 6;
        let a = random_sym(n, 3);
        let mut r = a.clone();
        dense_to_band(r.as_mut(), b, &Exec::sequential(), Par::Seq).unwrap();
        let mut fro_a = 0.0;
        let mut fro_r = 0.0;
        for j in 0..n {
            for i in j..n {
                let f = if i == j { 1.0 } else { 2.0 };
                fro_a += f * a[(i, j)] * a[(i, j)];
                fro_r += f * r[(i, j)] * r[(i, j)];
                if i > j + b {
                    assert_eq!(r[(i, j)], 0.0);
                }
            }
        }
        assert!((fro_a - fro_r).abs() < 1e-12 * fro_a);
        let tr_a: f64 = (0..n).map(|i| a[(i, i)]).sum();
        let tr_r: f64 = (0..n).map(|i| r[(i, i)]).sum();
        assert!((tr_a - tr_r).abs() < 1e-12 * n as f64);
    }

    #[test]
    fn repeated_zero_and_diagonal_spectra() {
        let n = 90;
        // Zero matrix.
        let got = sym_eigenvalues(Mat::zeros(n, n), 8, &Exec::sequential()).unwrap();
        assert!(got.iter().all(|&x| x == 0.0));
        // Diagonal: the eigenvalues are the diagonal, sorted.
        let mut a = Mat::<f64>::zeros(n, n);
        for i in 0..n {
            a[(i, i)] = ((i * 37) % n) as f64 - 20.0;
        }
        let got = sym_eigenvalues(a.clone(), 8, &Exec::sequential()).unwrap();
        let mut want: Vec<f64> = (0..n).map(|i| a[(i, i)]).collect();
        want.sort_by(|x, y| x.total_cmp(y));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-13 * 70.0);
        }
        // Identity + rank one u u^T: 1 (n-1 times) and 1 + |u|^2.
        let u: Vec<f64> = (0..n).map(|i| ((i % 7) as f64 - 3.0) / 5.0).collect();
        let mut a = Mat::<f64>::identity(n, n);
        for j in 0..n {
            for i in 0..n {
                a[(i, j)] += u[i] * u[j];
            }
        }
        let uu: f64 = u.iter().map(|x| x * x).sum();
        let got = sym_eigenvalues(a.clone(), 8, &Exec::sequential()).unwrap();
        for &g in &got[..n - 1] {
            assert!((g - 1.0).abs() < 1e-12 * (1.0 + uu));
        }
        assert!((got[n - 1] - 1.0 - uu).abs() < 1e-12 * (1.0 + uu));
        check(a, 8, 1);
        // Block diagonal with repeated blocks: every eigenvalue three times.
        let blk = random_sym(20, 11);
        let mut a = Mat::<f64>::zeros(60, 60);
        for k in 0..3 {
            for j in 0..20 {
                for i in 0..20 {
                    a[(20 * k + i, 20 * k + j)] = blk[(i, j)];
                }
            }
        }
        let single = reference(&blk);
        let got = sym_eigenvalues(a.clone(), 8, &Exec::sequential()).unwrap();
        for (k, g) in got.iter().enumerate() {
            assert!((g - single[k / 3]).abs() < 1e-10 * norm(&blk));
        }
        check(a, 8, 1);
    }

    #[test]
    fn only_the_lower_triangle_is_read() {
        let mut a = random_sym(45, 5);
        let want = reference(&a);
        for j in 1..45 {
            for i in 0..j {
                a[(i, j)] = f64::NAN;
            }
        }
        let got = sym_eigenvalues(a, 8, &Exec::sequential()).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-10 * 45.0);
        }
    }

    #[test]
    fn huge_and_tiny_scales() {
        let n = 70;
        let a = random_sym(n, 13);
        let want = reference(&a);
        for s in [1e300, 1e-300] {
            let mut big = a.clone();
            for j in 0..n {
                for i in 0..n {
                    big[(i, j)] *= s;
                }
            }
            let got = sym_eigenvalues(big, 8, &Exec::sequential()).unwrap();
            for (g, w) in got.iter().zip(&want) {
                assert!((g / s - w).abs() < 1e-10 * norm(&a), "{g} vs {w} * {s}");
            }
        }
    }

    #[test]
    fn progress_is_monotone_and_complete() {
        let (progress, log) = crate::exec::Progress::recording();
        let exec = Exec { progress, ..Exec::sequential() };
        sym_eigenvalues(random_sym(300, 8), 8, &exec).unwrap();
        let log = log.lock().unwrap();
        assert!(log.len() >= 20, "{log:?}");
        assert!(log.windows(2).all(|w| w[0] <= w[1]), "{log:?}");
        assert!((log.last().unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn typed_errors() {
        let mut a = random_sym(10, 1);
        a[(7, 2)] = f64::INFINITY;
        assert_eq!(sym_eigenvalues(a, 4, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::NotFinite);
        let a = Mat::<f64>::zeros(3, 4);
        assert_eq!(sym_eigenvalues(a, 4, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let exec = Exec::sequential();
        exec.cancel.cancel();
        assert_eq!(sym_eigenvalues(random_sym(40, 2), 4, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
        // Cancelled during the (parallel) chase: every thread stops, none waits forever.
        let band = Band::from_dense(random_sym(200, 3).as_ref(), 4);
        let exec = Exec::with_threads(3);
        exec.cancel.cancel();
        assert_eq!(band_to_tridiagonal(band, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
    }
}
