//! The lowest eigenpairs of a sparse Laplacian by block Krylov Rayleigh-Ritz, used to deflate
//! stochastic Lanczos quadrature.
//!
//! Why: at large tau the density matrix `exp(-tau L) / Z` is dominated by the few smallest
//! eigenvalues. A Hutchinson estimate of `Tr exp(-tau L)` gives each such mode a weight
//! `(u_i^T v)^2` with relative variance 2 per probe, so with a handful of relevant modes the
//! specific heat near the last transition would carry errors of tens of percent. Computing
//! those modes exactly and removing them from the probes ("deflation"; Gambhir, Stathopoulos &
//! Orginos, SIAM J. Sci. Comput. 2017; Lin, Saad & Yang, SIAM Rev. 2016) removes that variance:
//!
//! `Tr f(L) = sum_{i <= k} f(lam_i) + Tr((I - Q Q^T) f(L) (I - Q Q^T))`, `Q = [u_1 .. u_k]`.
//!
//! Method: block Krylov space `span{X, L X, L^2 X, ...}` with a random `N x b` start block kept
//! orthogonal to the known null space (`locked`), built with two passes of block classical
//! Gram-Schmidt plus QR per block (so multiplicities up to `b` are captured), then Rayleigh-Ritz:
//! `H = V^T L V = S Theta S^T`, Ritz pairs `(theta_i, V s_i)`. Every Ritz pair among the lowest
//! `want` whose residual `||L y - theta y||` is below `tol * ||L||` is returned; a missed or
//! unconverged eigenvalue is simply left to the stochastic part, which stays unbiased.

use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::laplacian::SymLaplacian;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// Options of [`lowest_modes`].
#[derive(Debug, Clone)]
pub struct DeflationOptions {
    /// Number of lowest (non-null) eigenpairs sought. Default 200.
    pub want: usize,
    /// Block size (largest multiplicity captured reliably). Default 8.
    pub block: usize,
    /// Largest Krylov dimension. Default 1200.
    pub max_dim: usize,
    /// Relative residual tolerance `||L y - theta y|| <= tol * ||L||`. Default 1e-6.
    pub tol: f64,
    /// Seed of the random start block. Default 0.
    pub seed: u64,
    /// Memory limit for the `2 N max_dim` basis values, bytes. Default 1 GiB.
    pub limit_bytes: u128,
}

impl Default for DeflationOptions {
    fn default() -> Self {
        DeflationOptions { want: 200, block: 8, max_dim: 1200, tol: 1e-6, seed: 0, limit_bytes: 1 << 30 }
    }
}

/// Converged low eigenpairs.
#[derive(Debug, Clone, Default)]
pub struct LowModes {
    /// Ritz values, ascending.
    pub values: Vec<f64>,
    /// Ritz vectors, column-major `N x values.len()`, orthonormal.
    pub vectors: Vec<f64>,
    /// Residual norms `||L y - theta y||`.
    pub residuals: Vec<f64>,
    /// Krylov dimension used.
    pub dim: usize,
}

/// Lowest eigenpairs of `op` restricted to the orthogonal complement of `locked`
/// (column-major `N x c`, orthonormal; typically the null space).
///
/// Complexity: `max_dim / block` block products, `O(N max_dim^2)` orthogonalisation and
/// `O(max_dim^3)` for the projected eigenproblem; memory `16 N max_dim` bytes.
pub fn lowest_modes(op: &SymLaplacian, locked: &[f64], opts: &DeflationOptions, exec: &Exec) -> Result<LowModes> {
    let n = op.n();
    let c = locked.len().checked_div(n).unwrap_or(0);
    let b = opts.block.max(1);
    let room = n.saturating_sub(c);
    let dim_cap = (opts.max_dim.min(room) / b) * b;
    if opts.want == 0 || dim_cap == 0 {
        return Ok(LowModes::default());
    }
    ensure_fits("the deflation basis", 2 * (n as u128) * (dim_cap as u128), opts.limit_bytes, "lower the deflation size")?;
    let locked_m = MatRef::from_column_major_slice(locked, n, c);
    let par = exec.par();
    let scale = op.gershgorin_bound().max(f64::MIN_POSITIVE);

    let mut v = Mat::<f64>::zeros(n, dim_cap);
    let mut av = Mat::<f64>::zeros(n, dim_cap);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut x = Mat::<f64>::from_fn(n, b, |_, _| StandardNormal.sample(&mut rng));
    let mut dim = 0;
    while dim + b <= dim_cap {
        exec.check()?;
        // Orthogonalise the candidate block against locked + basis, QR, and once more. After
        // the first QR the columns have norm 1; if the second pass leaves a column shorter than
        // 1e-6, the space is numerically exhausted (its QR would return directions that are not
        // orthogonal to the basis), so the expansion stops there.
        let mut exhausted = false;
        for pass in 0..2 {
            orthogonalize(locked_m, x.as_mut(), par);
            orthogonalize(v.as_ref().subcols(0, dim), x.as_mut(), par);
            if pass == 1 {
                exhausted = (0..b).any(|k| (0..n).map(|i| x[(i, k)] * x[(i, k)]).sum::<f64>().sqrt() < 1e-6);
            }
            if !exhausted {
                x = x.qr().compute_thin_Q();
            }
        }
        if exhausted {
            break;
        }
        v.as_mut().subcols_mut(dim, b).copy_from(&x);
        // L X, one column per task.
        let cols: Vec<Vec<f64>> = exec.install(|| {
            (0..b)
                .into_par_iter()
                .map(|k| {
                    let xk: Vec<f64> = (0..n).map(|i| x[(i, k)]).collect();
                    let mut y = vec![0.0; n];
                    op.apply(&xk, &mut y);
                    y
                })
                .collect()
        });
        for (k, y) in cols.iter().enumerate() {
            for i in 0..n {
                av[(i, dim + k)] = y[i];
                x[(i, k)] = y[i];
            }
        }
        dim += b;
    }
    exec.check()?;
    // Rayleigh-Ritz on the basis.
    let vb = v.as_ref().subcols(0, dim);
    let avb = av.as_ref().subcols(0, dim);
    let mut h = Mat::<f64>::zeros(dim, dim);
    exec.install(|| matmul(h.as_mut(), Accum::Replace, vb.transpose(), avb, 1.0, par));
    let hs = Mat::<f64>::from_fn(dim, dim, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
    exec.check()?;
    let eig = exec
        .install(|| {
            faer::set_global_parallelism(par);
            hs.self_adjoint_eigen(faer::Side::Lower)
        })
        .map_err(|e| Error::no_convergence(format!("projected eigenproblem failed: {e:?}")))?;
    let k = opts.want.min(dim);
    let s = eig.U().subcols(0, k);
    let mut y = Mat::<f64>::zeros(n, k);
    let mut r = Mat::<f64>::zeros(n, k);
    exec.install(|| {
        matmul(y.as_mut(), Accum::Replace, vb, s, 1.0, par);
        matmul(r.as_mut(), Accum::Replace, avb, s, 1.0, par);
    });
    let mut out = LowModes { dim, ..Default::default() };
    for j in 0..k {
        let theta = eig.S()[j];
        let res: f64 = (0..n).map(|i| (r[(i, j)] - theta * y[(i, j)]).powi(2)).sum::<f64>().sqrt();
        // Null directions are deflated exactly elsewhere; a Ritz value at round-off level would
        // count them twice.
        if res <= opts.tol * scale && theta > 1e-8 * scale {
            out.values.push(theta.max(0.0));
            out.residuals.push(res);
            out.vectors.extend((0..n).map(|i| y[(i, j)]));
        }
    }
    Ok(out)
}

/// `X -= Q (Q^T X)`.
fn orthogonalize(q: MatRef<'_, f64>, mut x: faer::MatMut<'_, f64>, par: Par) {
    if q.ncols() == 0 {
        return;
    }
    let mut h = Mat::<f64>::zeros(q.ncols(), x.ncols());
    matmul(h.as_mut(), Accum::Replace, q.transpose(), x.as_ref(), 1.0, par);
    matmul(x.as_mut(), Accum::Add, q, h.as_ref(), -1.0, par);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::torus;
    use crate::laplacian::LaplacianKind;
    use crate::spectral::dense::{laplacian_eigenvalues, DEFAULT_DENSE_LIMIT_BYTES};

    #[test]
    fn exhausted_space_gives_no_spurious_null_modes() {
        // Two components, Krylov dimension close to N: the expansion must stop cleanly and no
        // Ritz value may duplicate the (locked) null space.
        let mut edges: Vec<(usize, usize, f64)> = (0..60).map(|i| (i, (i + 1) % 60, 1.0)).collect();
        edges.extend((0..40).map(|i| (60 + i, 60 + (i * 7 + 3) % 40, 1.0)));
        edges.extend((0..39).map(|i| (60 + i, 61 + i, 1.0)));
        let g = crate::graph::Graph::from_edges(100, &edges, &Default::default()).unwrap();
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let (null, c) = op.null_space(&g.components());
        assert_eq!(c, 2);
        let opts = DeflationOptions { want: 100, max_dim: 400, ..Default::default() };
        let exec = Exec::sequential();
        let modes = lowest_modes(&op, &null, &opts, &exec).unwrap();
        let exact = laplacian_eigenvalues(&g, LaplacianKind::Combinatorial, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        assert!(modes.dim <= 98);
        assert!(!modes.values.is_empty());
        for v in &modes.values {
            assert!(*v > 1e-6 && exact.iter().any(|e| (e - v).abs() < 1e-6), "{v}");
        }
        assert!(modes.values.len() <= 98);
    }

    #[test]
    fn finds_degenerate_low_modes_of_a_torus() {
        // 2D torus 20 x 20: lam_2 has multiplicity 4, the next levels 4 and 8.
        let g = torus(20, 2);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let (null, c) = op.null_space(&g.components());
        assert_eq!(c, 1);
        let opts = DeflationOptions { want: 20, max_dim: 320, ..Default::default() };
        let exec = Exec::with_threads(2);
        let modes = lowest_modes(&op, &null, &opts, &exec).unwrap();
        let exact = laplacian_eigenvalues(&g, LaplacianKind::Combinatorial, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        assert!(modes.values.len() >= 16, "only {} converged", modes.values.len());
        // Converged values are eigenvalues, and the lowest ones come in full multiplicity.
        for (i, v) in modes.values.iter().enumerate() {
            assert!(exact.iter().any(|e| (e - v).abs() < 1e-8), "{v} is not an eigenvalue");
            if i < 8 {
                assert!((v - exact[i + 1]).abs() < 1e-8);
            }
        }
        // Orthonormal and orthogonal to the constant vector.
        let n = g.n();
        let k = modes.values.len();
        for a in 0..k {
            let va = &modes.vectors[a * n..(a + 1) * n];
            assert!(va.iter().sum::<f64>().abs() < 1e-8);
            for bcol in 0..k {
                let vb = &modes.vectors[bcol * n..(bcol + 1) * n];
                let d: f64 = va.iter().zip(vb).map(|(x, y)| x * y).sum();
                assert!((d - if a == bcol { 1.0 } else { 0.0 }).abs() < 1e-8);
            }
        }
    }
}
