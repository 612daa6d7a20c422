//! Exact spectra by dense symmetric eigendecomposition: faer's one-stage solver for small
//! matrices, the two-stage tridiagonalization of [`crate::linalg::sym_eig`] from
//! [`TWO_STAGE_MIN_N`] up (multithreaded matrix products; issue 17).

use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::{self, LaplacianKind};

/// Largest dense matrix (in bytes) the exact path allocates by default: a quarter of the
/// machine's memory would be safer to compute, but a fixed bound keeps behaviour reproducible.
pub const DEFAULT_DENSE_LIMIT_BYTES: u128 = 8 << 30;

/// Smallest order solved by the two-stage reduction; below it faer's one-stage solver is as
/// fast (docs/benchmarks.md, "Exact scan: two-stage tridiagonalization").
pub const TWO_STAGE_MIN_N: usize = 512;

/// Eigenvalues of the symmetric Laplacian of `g` (a directed graph is symmetrized first),
/// ascending. The random-walk Laplacian shares the normalized one's spectrum.
///
/// Errors: `ERR_TOO_LARGE` when the dense matrix and workspace would exceed `limit_bytes`.
/// Complexity: O(N^3) time, O(N^2) memory.
pub fn laplacian_eigenvalues(g: &Graph, kind: LaplacianKind, exec: &Exec, limit_bytes: u128) -> Result<Vec<f64>> {
    let n = g.n() as u128;
    // Matrix, its tridiagonal workspace and faer's internal copy: about 3 N^2 values.
    ensure_fits("the dense eigen-solver", 3 * n * n, limit_bytes, "use the 'slq' method for large graphs")?;
    exec.check()?;
    let (g, kind) = laplacian::symmetric_form(g, kind);
    let g = g.as_ref();
    let l = laplacian::dense(g, kind);
    if g.n() == 0 {
        return Ok(vec![]);
    }
    if g.n() >= TWO_STAGE_MIN_N {
        return crate::linalg::sym_eigenvalues(l, crate::linalg::DEFAULT_BANDWIDTH, exec);
    }
    let par = exec.par();
    let mut vals = exec
        .install(move || {
            faer::set_global_parallelism(par);
            l.self_adjoint_eigenvalues(faer::Side::Lower)
        })
        .map_err(|e| Error::no_convergence(format!("dense eigen-solver failed: {e:?}")))?;
    vals.sort_by(|a, b| a.total_cmp(b));
    Ok(vals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::ring;
    use std::f64::consts::PI;

    #[test]
    fn ring_spectrum_is_analytic() {
        let n = 12;
        let vals =
            laplacian_eigenvalues(&ring(n), LaplacianKind::Combinatorial, &Exec::with_threads(2), DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        let mut want: Vec<f64> = (0..n).map(|k| 2.0 - 2.0 * (2.0 * PI * k as f64 / n as f64).cos()).collect();
        want.sort_by(|a, b| a.total_cmp(b));
        for (a, b) in vals.iter().zip(&want) {
            assert!((a - b).abs() < 1e-10);
        }
    }

    #[test]
    fn two_stage_matches_analytic_ring_and_faer_on_ba() {
        // Above TWO_STAGE_MIN_N: the ring's spectrum 2 - 2 cos(2 pi k / n) (every value but
        // 0 and 4 twice), and a BA Laplacian against faer's one-stage solver.
        let n = TWO_STAGE_MIN_N + 88;
        let exec = Exec::with_threads(2);
        let vals = laplacian_eigenvalues(&ring(n), LaplacianKind::Combinatorial, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        let mut want: Vec<f64> = (0..n).map(|k| 2.0 - 2.0 * (2.0 * PI * k as f64 / n as f64).cos()).collect();
        want.sort_by(|a, b| a.total_cmp(b));
        for (a, b) in vals.iter().zip(&want) {
            assert!((a - b).abs() < 1e-10 * n as f64, "{a} vs {b}");
        }
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let g = crate::graph::generators::barabasi_albert(n, 3, 9);
            let vals = laplacian_eigenvalues(&g, kind, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
            let l = laplacian::dense(&g, kind);
            let scale = l.norm_l2();
            let mut want = l.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
            want.sort_by(|a, b| a.total_cmp(b));
            for (a, b) in vals.iter().zip(&want) {
                assert!((a - b).abs() < 1e-10 * scale, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn too_large_is_typed() {
        let e = laplacian_eigenvalues(&ring(100), LaplacianKind::Combinatorial, &Exec::sequential(), 1000).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::TooLarge);
    }
}
