//! The symmetric Lanczos process and the Gauss quadrature it defines.
//!
//! For a symmetric operator `A` and a start vector `v` (`q_1 = v / ||v||`) the three-term
//! recurrence
//!
//! `beta_j q_{j+1} = A q_j - alpha_j q_j - beta_{j-1} q_{j-1}`, `alpha_j = q_j^T A q_j`
//!
//! builds the Jacobi matrix `T_m = tridiag(beta, alpha, beta)`. With `T_m = Y Theta Y^T`, the
//! Ritz values `theta_k` and weights `y_{1k}^2` are the m-point Gauss quadrature of the spectral
//! measure `mu_v(lam) = sum_i (u_i^T q_1)^2 delta(lam - lam_i)`:
//!
//! `q_1^T f(A) q_1 ~= sum_k y_{1k}^2 f(theta_k)`, exact for polynomials of degree `<= 2m - 1`
//! (Golub & Meurant, *Matrices, Moments and Quadrature with Applications*, 2010).
//!
//! Reorthogonalisation: with [`Reorth::Full`] every new vector is orthogonalised twice
//! (classical Gram-Schmidt, "twice is enough") against all previous ones, so `T_m` is the exact
//! projection up to round-off and no spurious copies ("ghosts") of converged Ritz values appear.
//! Without it (the large-N setting), the quadrature is still the Gauss rule of a measure close to
//! `mu_v` (Greenbaum 1989; Knizhnerman 1996): ghosts only split weight among copies of the same
//! node, so smooth integrands such as `exp(-tau lam)` stay accurate. Memory: `O(N m)` with full
//! reorthogonalisation, `O(N)` without.

use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// Reorthogonalisation policy of a Lanczos run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reorth {
    /// Plain three-term recurrence (O(N) memory).
    None,
    /// Full reorthogonalisation against all Lanczos vectors (O(N m) memory and O(N m^2) work).
    Full,
}

/// The Jacobi matrix of a Lanczos run: diagonal `alpha` (length m) and off-diagonal `beta`
/// (length m - 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tridiagonal {
    pub alpha: Vec<f64>,
    pub beta: Vec<f64>,
}

impl Tridiagonal {
    /// Records step j (`alpha_j`, and `beta_j` unless the run ends here) and returns whether
    /// the run continues: it stops after the last step or at an invariant subspace,
    /// `beta_j <= 1e-10 ||T||` with `||T||` estimated by the running maximum of
    /// `|alpha_j| + beta_j + beta_{j-1}` (kept in `tnorm`).
    pub(crate) fn record(&mut self, alpha: f64, beta: f64, beta_prev: f64, tnorm: &mut f64, last: bool) -> bool {
        self.alpha.push(alpha);
        *tnorm = tnorm.max(alpha.abs() + beta + beta_prev);
        if last || beta <= 1e-10 * *tnorm {
            return false;
        }
        self.beta.push(beta);
        true
    }
}

/// Runs at most `steps` Lanczos steps of `op` (`op(x, y)` sets `y = A x`) from `v0`.
/// Stops early at an invariant subspace (`beta_j <= 1e-10 ||T||`). `exec.check()` is called
/// every step. Returns an empty matrix when `v0 = 0`.
///
/// Complexity: `steps` products plus `O(N steps)` (none) or `O(N steps^2)` (full) work.
pub fn lanczos(mut op: impl FnMut(&[f64], &mut [f64]), v0: &[f64], steps: usize, reorth: Reorth, exec: &Exec) -> Result<Tridiagonal> {
    let n = v0.len();
    let mut t = Tridiagonal::default();
    let norm0 = dot(v0, v0).sqrt();
    if norm0 == 0.0 || steps == 0 || n == 0 {
        return Ok(t);
    }
    if !norm0.is_finite() {
        return Err(Error::not_finite("Lanczos start vector has a non-finite norm"));
    }
    let steps = steps.min(n);
    let full = reorth == Reorth::Full;
    let mut basis: Vec<f64> = if full { Vec::with_capacity(n * (steps + 1)) } else { Vec::new() };
    let mut q: Vec<f64> = v0.iter().map(|x| x / norm0).collect();
    let mut q_prev = vec![0.0; n];
    let mut w = vec![0.0; n];
    let mut h = vec![0.0; steps + 1];
    let mut tnorm = 0.0f64;
    let mut beta_prev = 0.0;
    for j in 0..steps {
        exec.check()?;
        if full {
            basis.extend_from_slice(&q);
        }
        op(&q, &mut w);
        let alpha = dot(&q, &w);
        if !alpha.is_finite() {
            return Err(Error::not_finite(format!("Lanczos step {j}: operator produced non-finite values")));
        }
        for i in 0..n {
            w[i] -= alpha * q[i] + beta_prev * q_prev[i];
        }
        if full {
            let k = j + 1;
            let qm = MatRef::from_column_major_slice(&basis[..n * k], n, k);
            for _ in 0..2 {
                project_out(qm, &mut w, &mut h[..k]);
            }
        }
        let beta = dot(&w, &w).sqrt();
        if !t.record(alpha, beta, beta_prev, &mut tnorm, j + 1 == steps) {
            break;
        }
        std::mem::swap(&mut q_prev, &mut q);
        for i in 0..n {
            q[i] = w[i] / beta;
        }
        beta_prev = beta;
    }
    Ok(t)
}

/// Lanczos without reorthogonalisation for `b` start vectors in lockstep. Vectors are stored
/// row-major `N x b` (`v0[i * b + c]`) and `op(x, y)` must apply the operator to all `b` columns
/// at once (e.g. [`crate::laplacian::SymLaplacian::apply_block`]); one sparse pass then serves
/// all columns. Column c stops at its own invariant subspace. Equivalent to `b` calls of
/// [`lanczos`] with [`Reorth::None`] (up to round-off).
pub fn lanczos_block(mut op: impl FnMut(&[f64], &mut [f64]), v0: &[f64], b: usize, steps: usize, exec: &Exec) -> Result<Vec<Tridiagonal>> {
    let n = v0.len().checked_div(b).unwrap_or(0);
    let mut out = vec![Tridiagonal::default(); b];
    if n == 0 || steps == 0 {
        return Ok(out);
    }
    let steps = steps.min(n);
    let mut q = v0.to_vec();
    let mut active = vec![true; b];
    let mut norm = vec![0.0; b];
    for i in 0..n {
        for c in 0..b {
            norm[c] += q[i * b + c] * q[i * b + c];
        }
    }
    for c in 0..b {
        if !norm[c].is_finite() {
            return Err(Error::not_finite("Lanczos start vector has a non-finite norm"));
        }
        if norm[c] == 0.0 {
            active[c] = false;
        }
        norm[c] = if norm[c] > 0.0 { 1.0 / norm[c].sqrt() } else { 0.0 };
    }
    for i in 0..n {
        for c in 0..b {
            q[i * b + c] *= norm[c];
        }
    }
    let mut q_prev = vec![0.0; n * b];
    let mut w = vec![0.0; n * b];
    let mut beta_prev = vec![0.0; b];
    let mut tnorm = vec![0.0f64; b];
    let mut alpha = vec![0.0; b];
    let mut beta = vec![0.0; b];
    for j in 0..steps {
        exec.check()?;
        if !active.iter().any(|&a| a) {
            break;
        }
        op(&q, &mut w);
        alpha.iter_mut().for_each(|a| *a = 0.0);
        for i in 0..n {
            for c in 0..b {
                alpha[c] += q[i * b + c] * w[i * b + c];
            }
        }
        beta.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..n {
            for c in 0..b {
                let v = w[i * b + c] - alpha[c] * q[i * b + c] - beta_prev[c] * q_prev[i * b + c];
                w[i * b + c] = v;
                beta[c] += v * v;
            }
        }
        for c in 0..b {
            if !active[c] {
                continue;
            }
            if !alpha[c].is_finite() {
                return Err(Error::not_finite(format!("Lanczos step {j}: operator produced non-finite values")));
            }
            beta[c] = beta[c].sqrt();
            active[c] = out[c].record(alpha[c], beta[c], beta_prev[c], &mut tnorm[c], j + 1 == steps);
        }
        std::mem::swap(&mut q_prev, &mut q);
        let inv: Vec<f64> = (0..b).map(|c| if active[c] { 1.0 / beta[c] } else { 0.0 }).collect();
        for i in 0..n {
            for c in 0..b {
                q[i * b + c] = w[i * b + c] * inv[c];
            }
        }
        for c in 0..b {
            beta_prev[c] = if active[c] { beta[c] } else { 0.0 };
        }
    }
    Ok(out)
}

/// `w -= Q (Q^T w)` for orthonormal columns `Q` (`h` is scratch of length `Q.ncols()`).
pub fn project_out(q: MatRef<'_, f64>, w: &mut [f64], h: &mut [f64]) {
    let k = q.ncols();
    if k == 0 {
        return;
    }
    let n = w.len();
    {
        let wm = MatRef::from_column_major_slice(&*w, n, 1);
        let hm = MatMut::from_column_major_slice_mut(&mut *h, k, 1);
        matmul(hm, Accum::Replace, q.transpose(), wm, 1.0, Par::Seq);
    }
    let hm = MatRef::from_column_major_slice(&*h, k, 1);
    let wm = MatMut::from_column_major_slice_mut(w, n, 1);
    matmul(wm, Accum::Add, q, hm, -1.0, Par::Seq);
}

/// Gauss quadrature of a Jacobi matrix: nodes (Ritz values, ascending) and weights
/// (squared first components of the eigenvectors; they sum to 1).
///
/// Complexity: O(m^3) (dense eigendecomposition of the m x m matrix; m is a few hundred).
pub fn gauss_quadrature(t: &Tridiagonal) -> Result<(Vec<f64>, Vec<f64>)> {
    let m = t.alpha.len();
    if m == 0 {
        return Ok((vec![], vec![]));
    }
    let mut a = faer::Mat::<f64>::zeros(m, m);
    for i in 0..m {
        a[(i, i)] = t.alpha[i];
        if i + 1 < m {
            a[(i + 1, i)] = t.beta[i];
            a[(i, i + 1)] = t.beta[i];
        }
    }
    let eig =
        a.self_adjoint_eigen(faer::Side::Lower).map_err(|e| Error::no_convergence(format!("tridiagonal eigen-solver failed: {e:?}")))?;
    let u = eig.U();
    let s = eig.S();
    let nodes: Vec<f64> = (0..m).map(|k| s[k]).collect();
    let weights: Vec<f64> = (0..m).map(|k| u[(0, k)] * u[(0, k)]).collect();
    Ok((nodes, weights))
}

// Always inlined: the two-stage eigensolver (crate::linalg) calls it from kernels compiled for
// AVX2/AVX-512, which a non-inlined call would leave.
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators: vectorizes and reduces round-off growth.
    let mut acc = [0.0f64; 4];
    let (ca, ra) = a.split_at(a.len() / 4 * 4);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(4).zip(cb.chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, ring};
    use crate::laplacian::{LaplacianKind, SymLaplacian};
    use crate::spectral::dense::{laplacian_eigenvalues, DEFAULT_DENSE_LIMIT_BYTES};

    #[test]
    fn quadrature_is_exact_for_low_degree_polynomials() {
        // q^T A^p q for p <= 2m - 1 must match the m-point Gauss rule.
        let g = barabasi_albert(200, 2, 3);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let v: Vec<f64> = (0..200).map(|i| if (i * 31 + 7) % 3 == 0 { 1.0 } else { -1.0 }).collect();
        let exec = Exec::sequential();
        for reorth in [Reorth::Full, Reorth::None] {
            let t = lanczos(|x, y| op.apply(x, y), &v, 6, reorth, &exec).unwrap();
            let (nodes, w) = gauss_quadrature(&t).unwrap();
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let mut x: Vec<f64> = v.iter().map(|a| a / (200f64).sqrt()).collect();
            let mut y = vec![0.0; 200];
            for p in 1..=11 {
                op.apply(&x, &mut y);
                std::mem::swap(&mut x, &mut y);
                // after the swap x = A^p q; pair it with q = v / sqrt(N)
                let exact = dot(&x, &v) / (200f64).sqrt();
                let quad: f64 = nodes.iter().zip(&w).map(|(l, wk)| wk * l.powi(p)).sum();
                assert!((exact - quad).abs() <= 1e-8 * exact.abs().max(1.0), "p={p}: {exact} vs {quad}");
            }
        }
    }

    #[test]
    fn full_run_recovers_the_spectrum() {
        // Distinct eigenvalues of a ring: a full run from a generic vector finds all of them.
        let n = 21;
        let g = ring(n);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let v: Vec<f64> = (0..n).map(|i| 1.0 + (i as f64 * 1.3).sin()).collect();
        let t = lanczos(|x, y| op.apply(x, y), &v, 40, Reorth::Full, &Exec::sequential()).unwrap();
        // The ring spectrum has 11 distinct values (pairs cos(2 pi k / n) = cos(2 pi (n-k) / n)).
        assert_eq!(t.alpha.len(), 11);
        let (nodes, _) = gauss_quadrature(&t).unwrap();
        let mut exact = laplacian_eigenvalues(&g, LaplacianKind::Combinatorial, &Exec::sequential(), DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        exact.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        for (a, b) in nodes.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn block_lockstep_matches_single_runs() {
        let g = barabasi_albert(400, 3, 8);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let b = 3;
        let v: Vec<f64> = (0..400 * b).map(|k| if (k * 2654435761usize) % 7 < 3 { 1.0 } else { -1.0 }).collect();
        let exec = Exec::sequential();
        let blocks = lanczos_block(|x, y| op.apply_block(x, y, b), &v, b, 25, &exec).unwrap();
        for c in 0..b {
            let vc: Vec<f64> = (0..400).map(|i| v[i * b + c]).collect();
            let t = lanczos(|x, y| op.apply(x, y), &vc, 25, Reorth::None, &exec).unwrap();
            assert_eq!(t.alpha.len(), blocks[c].alpha.len());
            for (a, bb) in t.alpha.iter().zip(&blocks[c].alpha).chain(t.beta.iter().zip(&blocks[c].beta)) {
                assert!((a - bb).abs() < 1e-8 * a.abs().max(1.0), "{a} vs {bb}");
            }
        }
        // A zero column stays empty; a tiny operator stops at its invariant subspace.
        let mut z = v.clone();
        for i in 0..400 {
            z[i * b + 1] = 0.0;
        }
        let r = lanczos_block(|x, y| op.apply_block(x, y, b), &z, b, 5, &exec).unwrap();
        assert!(r[1].alpha.is_empty() && r[0].alpha.len() == 5);
    }

    #[test]
    fn zero_start_and_cancel() {
        let op = |x: &[f64], y: &mut [f64]| y.copy_from_slice(x);
        assert!(lanczos(op, &[0.0; 4], 3, Reorth::Full, &Exec::sequential()).unwrap().alpha.is_empty());
        let exec = Exec::sequential();
        exec.cancel.cancel();
        assert_eq!(lanczos(op, &[1.0; 4], 3, Reorth::None, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
    }
}
