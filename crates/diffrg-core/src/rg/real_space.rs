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
/// `components`: the graph's weakly connected component of each node. Kernel entries between
/// components are exactly zero, so pairs in different components are never joined, however
/// round-off compares them at very large tau (where every entry of a component tends to
/// 1/size and the diagonal test becomes a comparison of round-off). `None` skips the check.
///
/// Complexity: O(N^2).
pub fn partition_from_kernel(k: &Mat<f64>, tol: f64, components: Option<&[usize]>) -> Vec<usize> {
    let n = k.nrows();
    let mut uf = UnionFind::new(n);
    for j in 0..n {
        let kjj = k[(j, j)];
        for i in 0..j {
            if components.is_some_and(|c| c[i] != c[j]) {
                continue;
            }
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
    use crate::graph::generators::{pseudofractal, ring};
    use crate::rg::kernel::SymmetricEigen;
    use crate::rg::{rg_flow, FlowOptions, KernelMethod, StepOptions, TauPolicy};

    fn flow_sizes(unweighted: bool, method: KernelMethod, tol: f64) -> Vec<usize> {
        let opts = FlowOptions {
            step: StepOptions { tau: 0.2, method, tie_tolerance: tol, ..Default::default() },
            policy: TauPolicy::Fixed,
            steps: 3,
            unweighted,
            curve_points: 0,
        };
        let r = rg_flow(&pseudofractal(4), &opts, &Exec::sequential()).unwrap();
        std::iter::once(r.initial.n).chain(r.steps.iter().map(|s| s.stats.n)).collect()
    }

    #[test]
    fn pseudofractal_reproduces_villegas_2023() {
        // Fixed tau = 0.2, contracted graph unweighted between steps (the paper's convention).
        assert_eq!(flow_sizes(true, KernelMethod::Dense, DEFAULT_TIE_TOLERANCE), vec![123, 76, 61, 46]);
        assert_eq!(flow_sizes(true, KernelMethod::Local, DEFAULT_TIE_TOLERANCE), vec![123, 76, 61, 46]);
        // No exact ties matter here: the sequence does not depend on the tie tolerance.
        assert_eq!(flow_sizes(true, KernelMethod::Dense, 0.0), vec![123, 76, 61, 46]);
        // Summed supernode weights give a different (slower) flow.
        assert_eq!(flow_sizes(false, KernelMethod::Dense, DEFAULT_TIE_TOLERANCE), vec![123, 76, 70, 58]);
    }

    #[test]
    fn composed_assignment_maps_original_nodes() {
        let opts = FlowOptions { step: StepOptions { tau: 0.2, ..Default::default() }, curve_points: 20, ..Default::default() };
        let r = rg_flow(&pseudofractal(4), &opts, &Exec::sequential()).unwrap();
        for s in &r.steps {
            assert_eq!(s.assignment.len(), 123);
            assert_eq!(crate::rg::contract::count(&s.assignment), s.stats.n);
            assert_eq!(s.assignment[0], 0);
            assert!(s.stats.curve.as_ref().unwrap().specific_heat.iter().all(|c| *c >= 0.0));
            assert_eq!(s.stats.degree_histogram.iter().sum::<usize>(), s.stats.n);
        }
        assert!((r.initial.mean_degree - 2.0 * 243.0 / 123.0).abs() < 1e-12);
    }

    #[test]
    fn brute_force_rule_on_small_kernels() {
        // Star with 3 leaves at large tau: K -> 1/N everywhere, every pair passes -> 1 supernode;
        // tau = 0: K = I, no pair passes.
        let g = crate::graph::Graph::from_edges(4, &[(0, 1, 1.0), (0, 2, 1.0), (0, 3, 1.0)], &Default::default()).unwrap();
        let l = crate::laplacian::dense(&g, crate::laplacian::LaplacianKind::Combinatorial);
        let ex = Exec::sequential();
        let eig = SymmetricEigen::new(&l, &ex).unwrap();
        assert_eq!(partition_from_kernel(&eig.kernel(0.0, &ex).unwrap(), 1e-9, None), vec![0, 1, 2, 3]);
        assert_eq!(partition_from_kernel(&eig.kernel(50.0, &ex).unwrap(), 1e-9, None), vec![0, 0, 0, 0]);
        // Compare with a direct enumeration of rho'_ij >= 1 plus components on a ring.
        let g = ring(10);
        let eig = SymmetricEigen::new(&crate::laplacian::dense(&g, crate::laplacian::LaplacianKind::Combinatorial), &ex).unwrap();
        for &tau in &[0.3, 1.0, 3.0] {
            let k = eig.kernel(tau, &ex).unwrap();
            let links: Vec<(usize, usize, f64)> = (0..10)
                .flat_map(|i| (0..10).map(move |j| (i, j)))
                .filter(|&(i, j)| i < j && k[(i, j)] / k[(i, i)].min(k[(j, j)]) >= 1.0 - 1e-9)
                .map(|(i, j)| (i, j, 1.0))
                .collect();
            let comp = crate::graph::Graph::from_edges(10, &links, &Default::default()).unwrap().components();
            assert_eq!(partition_from_kernel(&k, 1e-9, None), comp, "tau {tau}");
        }
    }

    #[test]
    fn components_are_never_joined_at_any_tau() {
        // Two 6-rings, one weighted 1e-3 (slow) and one directed triangle: at very large tau
        // every entry of a component tends to 1/size, and cross-component entries are exact
        // zeros that round-off must not turn into links.
        use crate::rg::coarse_grain;
        let mut edges: Vec<(usize, usize, f64)> = (0..6).map(|i| (i, (i + 1) % 6, 1.0)).collect();
        edges.extend((0..6).map(|i| (6 + i, 6 + (i + 1) % 6, 1e-3)));
        let g = crate::graph::Graph::from_edges(12, &edges, &Default::default()).unwrap();
        let comp = g.components();
        for method in [KernelMethod::Dense, KernelMethod::Local] {
            for &tau in &[1.0, 385.3718, 385.37180754, 1e6, 1e19, 1e20] {
                let st = coarse_grain(&g, &StepOptions { tau, method, ..Default::default() }, &Exec::sequential()).unwrap();
                for i in 0..12 {
                    for j in 0..12 {
                        if st.assignment[i] == st.assignment[j] {
                            assert_eq!(comp[i], comp[j], "{method:?} tau {tau}: nodes {i} and {j} of different components joined");
                        }
                    }
                }
                if tau >= 1e6 {
                    // each component has fully merged, and the two stay apart
                    assert_eq!(st.graph.n(), 2, "{method:?} tau {tau}");
                }
            }
        }
    }
}
