//! Real-space Laplacian renormalization (Villegas, Gili, Caldarelli, Gabrielli,
//! Nature Physics 19, 445 (2023)).
//!
//! With `rho = exp(-tau L) / Z`, define `rho'_ij = rho_ij / min(rho_ii, rho_jj)` (the
//! normalization `Z` cancels). Nodes `i != j` are linked in the metagraph when
//! `rho'_ij >= 1 - tol` (tie tolerance `tol`, default 1e-9, so that exact ties
//! `rho_ij = min(rho_ii, rho_jj)` broken by round-off still join); supernodes are the
//! connected components of the metagraph. For a non-symmetric kernel (directed graphs,
//! random-walk Laplacian) a pair joins when either `K_ij` or `K_ji` passes the test.

use super::contract::UnionFind;
use faer::Mat;

/// Default relative tie tolerance of the `rho' >= 1` test.
pub const DEFAULT_TIE_TOLERANCE: f64 = 1e-9;

/// Supernode assignment (canonical labels) from a dense kernel `K` (or `rho`).
///
/// Complexity: O(N^2).
pub fn partition_from_kernel(k: &Mat<f64>, tol: f64) -> Vec<usize> {
    let n = k.nrows();
    let mut uf = UnionFind::new(n);
    for j in 0..n {
        let kjj = k[(j, j)];
        for i in 0..j {
            let m = k[(i, i)].min(kjj) * (1.0 - tol);
            if k[(i, j)] >= m || k[(j, i)] >= m {
                uf.union(i, j);
            }
        }
    }
    uf.assignment()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Exec;
    use crate::graph::generators::pseudofractal;
    use crate::laplacian::LaplacianKind;
    use crate::rg::contract::{contract, count};
    use crate::rg::kernel::heat_kernel;

    #[test]
    fn explore_pseudofractal() {
        for unweighted in [false, true] {
            for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
                let mut g = pseudofractal(4);
                let mut seq = vec![g.n()];
                for _ in 0..3 {
                    let k = heat_kernel(&g, kind, 0.2, &Exec::sequential(), 1 << 30).unwrap();
                    let a = partition_from_kernel(&k, 1e-9);
                    g = contract(&g, &a, unweighted).unwrap();
                    seq.push(count(&a));
                }
                eprintln!("unweighted {unweighted} kind {kind:?}: {seq:?}");
            }
        }
    }
}
