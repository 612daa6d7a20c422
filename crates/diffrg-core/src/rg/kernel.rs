//! Dense heat kernels `K = exp(-tau L)` and density matrices `rho = K / Tr K`.
//!
//! - Symmetric `L` (undirected graphs with the combinatorial or normalized Laplacian): the
//!   eigendecomposition `L = U diag(lam) U^T` (faer, multithreaded) gives
//!   `K = W W^T` with `W = U diag(exp(-tau lam / 2))`, which is symmetric and positive
//!   semi-definite by construction. Eigenvalues are clipped at 0 from below (round-off), so
//!   every factor is <= 1: no overflow for any `tau >= 0`.
//! - General `L` (directed graphs, random-walk Laplacian): scaling and squaring with the
//!   degree-13 Pade approximant (Higham, SIAM J. Matrix Anal. Appl. 26, 1179 (2005); the
//!   algorithm of `scipy.linalg.expm`): `A = -tau L / 2^s` with `||A||_1 <= theta_13`,
//!   `exp(A) ~ (V - U)^{-1} (V + U)`, then `s` squarings.
//!
//! Memory: about 4 N^2 (symmetric) or 10 N^2 (general) doubles, checked with
//! [`crate::error::ensure_fits`] before allocating.

use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::{self, LaplacianKind};
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat};

/// Whether `kind` gives a symmetric Laplacian on `g`.
pub fn is_symmetric(g: &Graph, kind: LaplacianKind) -> bool {
    !g.is_directed() && kind != LaplacianKind::RandomWalk
}

/// `K = exp(-tau L)` of the graph's Laplacian of `kind` (row-major dense, N x N).
///
/// Errors: `ERR_INVALID_INPUT` for a negative or non-finite `tau`; `ERR_TOO_LARGE` when the
/// dense matrices would exceed `limit_bytes`; `ERR_ABORTED` on cancellation.
/// Complexity: O(N^3) time, O(N^2) memory.
pub fn heat_kernel(g: &Graph, kind: LaplacianKind, tau: f64, exec: &Exec, limit_bytes: u128) -> Result<Mat<f64>> {
    check_tau(tau)?;
    let n = g.n() as u128;
    let sym = is_symmetric(g, kind);
    let factor = if sym { 4 } else { 10 };
    ensure_fits("the dense heat kernel", factor * n * n, limit_bytes, "use the sparse (localized) real-space path for large graphs")?;
    exec.check()?;
    let l = laplacian::dense(g, kind);
    if sym {
        symmetric_expm(&l, tau, exec)
    } else {
        general_expm(&l, -tau, exec)
    }
}

/// `rho = K / Tr K` from a kernel (in place).
pub fn normalize_trace(k: &mut Mat<f64>) {
    let tr: f64 = (0..k.nrows()).map(|i| k[(i, i)]).sum();
    if tr > 0.0 {
        for j in 0..k.ncols() {
            for i in 0..k.nrows() {
                k[(i, j)] /= tr;
            }
        }
    }
}

/// Density matrix `rho(tau) = exp(-tau L) / Tr exp(-tau L)`.
pub fn density_matrix(g: &Graph, kind: LaplacianKind, tau: f64, exec: &Exec, limit_bytes: u128) -> Result<Mat<f64>> {
    let mut k = heat_kernel(g, kind, tau, exec, limit_bytes)?;
    normalize_trace(&mut k);
    Ok(k)
}

pub(crate) fn check_tau(tau: f64) -> Result<()> {
    if !tau.is_finite() || tau < 0.0 {
        return Err(Error::invalid_input(format!("tau must be finite and >= 0 (got {tau})")));
    }
    Ok(())
}

/// Eigendecomposition `L = U diag(lam) U^T` of a symmetric matrix, reusable for kernels at
/// many `tau` (flows, bisection on `tau`).
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    pub u: Mat<f64>,
    /// Ascending eigenvalues, clipped at 0 from below (Laplacians are PSD; round-off only).
    pub lam: Vec<f64>,
}

impl SymmetricEigen {
    pub fn new(l: &Mat<f64>, exec: &Exec) -> Result<Self> {
        let n = l.nrows();
        if n == 0 {
            return Ok(SymmetricEigen { u: Mat::zeros(0, 0), lam: vec![] });
        }
        let par = exec.par();
        exec.install(|| {
            faer::set_global_parallelism(par);
            let evd =
                l.self_adjoint_eigen(faer::Side::Lower).map_err(|e| Error::no_convergence(format!("dense eigen-solver failed: {e:?}")))?;
            let s = evd.S();
            Ok(SymmetricEigen { u: evd.U().to_owned(), lam: (0..n).map(|k| s[k].max(0.0)).collect() })
        })
    }

    /// `exp(-tau L) = W W^T`, `W = U diag(exp(-tau lam / 2))`.
    pub fn kernel(&self, tau: f64, exec: &Exec) -> Result<Mat<f64>> {
        exec.check()?;
        let n = self.lam.len();
        let par = exec.par();
        let f: Vec<f64> = self.lam.iter().map(|&l| (-0.5 * tau * l).exp()).collect();
        let w = Mat::<f64>::from_fn(n, n, |i, k| self.u[(i, k)] * f[k]);
        let mut out = Mat::<f64>::zeros(n, n);
        exec.install(|| matmul(out.as_mut(), Accum::Replace, w.as_ref(), w.transpose(), 1.0, par));
        exec.check()?;
        Ok(out)
    }
}

/// `exp(-tau L)` of a symmetric matrix by eigendecomposition.
pub fn symmetric_expm(l: &Mat<f64>, tau: f64, exec: &Exec) -> Result<Mat<f64>> {
    SymmetricEigen::new(l, exec)?.kernel(tau, exec)
}

/// `exp(t M)` for a general square matrix by scaling and squaring with the [13/13] Pade
/// approximant (Higham 2005).
pub fn general_expm(m: &Mat<f64>, t: f64, exec: &Exec) -> Result<Mat<f64>> {
    const B: [f64; 14] = [
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ];
    const THETA13: f64 = 5.371920351148152;
    let n = m.nrows();
    if n == 0 {
        return Ok(Mat::zeros(0, 0));
    }
    let norm1 = (0..n).map(|j| (0..n).map(|i| m[(i, j)].abs()).sum::<f64>()).fold(0.0, f64::max) * t.abs();
    if !norm1.is_finite() {
        return Err(Error::not_finite("the matrix exponential's argument has a non-finite norm"));
    }
    let s = if norm1 > THETA13 { (norm1 / THETA13).log2().ceil() as i32 } else { 0 };
    let scale = t / 2f64.powi(s);
    let par = exec.par();
    exec.install(|| {
        let a = Mat::<f64>::from_fn(n, n, |i, j| m[(i, j)] * scale);
        let mul = |x: &Mat<f64>, y: &Mat<f64>| {
            let mut z = Mat::<f64>::zeros(n, n);
            matmul(z.as_mut(), Accum::Replace, x.as_ref(), y.as_ref(), 1.0, par);
            z
        };
        let a2 = mul(&a, &a);
        let a4 = mul(&a2, &a2);
        let a6 = mul(&a4, &a2);
        exec.check()?;
        let lin = |c6: f64, c4: f64, c2: f64, c0: f64| {
            Mat::<f64>::from_fn(n, n, |i, j| c6 * a6[(i, j)] + c4 * a4[(i, j)] + c2 * a2[(i, j)] + if i == j { c0 } else { 0.0 })
        };
        let u_inner = {
            let hi = mul(&a6, &lin(B[13], B[11], B[9], 0.0));
            let lo = lin(B[7], B[5], B[3], B[1]);
            Mat::<f64>::from_fn(n, n, |i, j| hi[(i, j)] + lo[(i, j)])
        };
        let u = mul(&a, &u_inner);
        let v = {
            let hi = mul(&a6, &lin(B[12], B[10], B[8], 0.0));
            let lo = lin(B[6], B[4], B[2], B[0]);
            Mat::<f64>::from_fn(n, n, |i, j| hi[(i, j)] + lo[(i, j)])
        };
        exec.check()?;
        let p = Mat::<f64>::from_fn(n, n, |i, j| v[(i, j)] + u[(i, j)]);
        let q = Mat::<f64>::from_fn(n, n, |i, j| v[(i, j)] - u[(i, j)]);
        let lu = q.partial_piv_lu();
        let mut r = p;
        lu.solve_in_place(r.as_mut());
        for _ in 0..s {
            exec.check()?;
            r = mul(&r, &r);
        }
        if r.col_iter().any(|c| c.iter().any(|x| !x.is_finite())) {
            return Err(Error::not_finite("matrix exponential overflowed (Pade denominator singular)"));
        }
        Ok(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{pseudofractal, ring};
    use crate::graph::EdgeListOptions;

    const LIM: u128 = 1 << 30;

    #[test]
    fn pade_matches_eigen_path_on_symmetric() {
        let g = pseudofractal(2);
        let l = laplacian::dense(&g, LaplacianKind::Combinatorial);
        let ex = Exec::with_threads(2);
        for &tau in &[0.0, 0.2, 3.0, 40.0] {
            let a = symmetric_expm(&l, tau, &ex).unwrap();
            let b = general_expm(&l, -tau, &ex).unwrap();
            for i in 0..g.n() {
                for j in 0..g.n() {
                    assert!((a[(i, j)] - b[(i, j)]).abs() < 1e-12, "tau {tau} ({i},{j}) {} vs {}", a[(i, j)], b[(i, j)]);
                }
            }
        }
    }

    #[test]
    fn ring_kernel_is_doubly_stochastic_and_trace_matches_spectrum() {
        let n = 9;
        let k = heat_kernel(&ring(n), LaplacianKind::Combinatorial, 0.7, &Exec::sequential(), LIM).unwrap();
        let tr: f64 = (0..n).map(|i| k[(i, i)]).sum();
        let want: f64 = (0..n).map(|q| (-0.7 * (2.0 - 2.0 * (2.0 * std::f64::consts::PI * q as f64 / n as f64).cos())).exp()).sum();
        assert!((tr - want).abs() < 1e-12);
        for i in 0..n {
            let s: f64 = (0..n).map(|j| k[(i, j)]).sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
        let rho = density_matrix(&ring(n), LaplacianKind::Combinatorial, 0.7, &Exec::sequential(), LIM).unwrap();
        assert!(((0..n).map(|i| rho[(i, i)]).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn directed_two_node_is_analytic() {
        // 0 -> 1 with weight a: L = [[a, -a], [0, 0]]; exp(-tL) = [[e, 1 - e], [0, 1]], e = exp(-a t).
        let opts = EdgeListOptions { directed: true, ..Default::default() };
        let g = Graph::from_edges(2, &[(0, 1, 2.5)], &opts).unwrap();
        let k = heat_kernel(&g, LaplacianKind::Combinatorial, 0.9, &Exec::sequential(), LIM).unwrap();
        let e = (-2.5f64 * 0.9).exp();
        let want = [[e, 1.0 - e], [0.0, 1.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((k[(i, j)] - want[i][j]).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn bad_tau_and_too_large_are_typed() {
        let e = heat_kernel(&ring(4), LaplacianKind::Combinatorial, -1.0, &Exec::sequential(), LIM).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidInput);
        let e = heat_kernel(&ring(4), LaplacianKind::Combinatorial, f64::NAN, &Exec::sequential(), LIM).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidInput);
        let e = heat_kernel(&ring(100), LaplacianKind::Combinatorial, 1.0, &Exec::sequential(), 1000).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::TooLarge);
        assert_eq!(heat_kernel(&ring(0), LaplacianKind::Combinatorial, 1.0, &Exec::sequential(), LIM).unwrap().nrows(), 0);
    }
}
