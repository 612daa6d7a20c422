//! Mode-counting (momentum-space) supernode rule.
//!
//! The Laplacian modes with `lam < 1/tau` are the ones not yet integrated out at diffusion
//! time `tau` (Villegas et al., Nat Phys 2023, momentum-space RG). The rule keeps
//! `n' = #{k : lam_k < 1/tau}` supernodes (`n' = N` at `tau = 0`): node pairs are merged with
//! a union-find in decreasing order of `rho'_ij = max(K_ij, K_ji) / min(K_ii, K_jj)`
//! (ties broken by `(i, j)`, so the result is deterministic) until `n'` clusters remain.
//! Pairs with `rho'_ij = 0` (different connected components) are never merged, so the result
//! can keep more than `n'` clusters; the achieved size is reported.

use super::contract::UnionFind;
use crate::error::Result;
use crate::exec::Exec;
use faer::Mat;

/// `n' = #{lam < 1/tau}` (all modes at `tau = 0`).
pub fn kept_modes(eigenvalues: &[f64], tau: f64) -> usize {
    if tau <= 0.0 {
        return eigenvalues.len();
    }
    eigenvalues.iter().filter(|&&l| l < 1.0 / tau).count()
}

/// Greedy union-find merging of pairs by decreasing `score` until `target` sets remain.
/// `score(i, j)` is evaluated for `i < j`; non-positive scores are never merged.
///
/// Complexity: O(N^2 log N) time, O(N^2) memory for the pair list.
pub fn merge_by_score(n: usize, target: usize, exec: &Exec, score: impl Fn(usize, usize) -> f64) -> Result<Vec<usize>> {
    let mut uf = UnionFind::new(n);
    if target >= n {
        return Ok(uf.assignment());
    }
    let np = (n as u128) * (n as u128 - 1) / 2;
    crate::error::ensure_fits(
        "the sorted pair list",
        2 * np,
        crate::spectral::dense::DEFAULT_DENSE_LIMIT_BYTES,
        "use the real-space rule for large graphs",
    )?;
    let mut pairs: Vec<(f64, u32, u32)> = Vec::new();
    for j in 0..n {
        if j % 256 == 0 {
            exec.check()?;
        }
        for i in 0..j {
            let s = score(i, j);
            if s > 0.0 {
                pairs.push((s, i as u32, j as u32));
            }
        }
    }
    exec.check()?;
    pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, i, j) in pairs {
        if uf.sets() <= target.max(1) {
            break;
        }
        uf.union(i as usize, j as usize);
    }
    Ok(uf.assignment())
}

/// Mode-counting partition from a dense kernel and the Laplacian's eigenvalues.
///
/// `components`: the graph's weakly connected component of each node; pairs in different
/// components score 0 and are never joined (their kernel entries are exact zeros that
/// round-off can make slightly positive), as in [`super::real_space::partition_from_kernel`].
pub fn partition(k: &Mat<f64>, eigenvalues: &[f64], tau: f64, components: Option<&[usize]>, exec: &Exec) -> Result<Vec<usize>> {
    let target = kept_modes(eigenvalues, tau);
    merge_by_score(k.nrows(), target, exec, |i, j| {
        if components.is_some_and(|c| c[i] != c[j]) {
            return 0.0;
        }
        let m = k[(i, i)].min(k[(j, j)]);
        if m > 0.0 {
            k[(i, j)].max(k[(j, i)]) / m
        } else {
            0.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::torus;
    use crate::laplacian::{self, LaplacianKind};
    use crate::rg::contract::count;
    use crate::rg::kernel::SymmetricEigen;

    #[test]
    fn keeps_the_slow_mode_count() {
        let ex = Exec::sequential();
        let g = torus(8, 2);
        let eig = SymmetricEigen::new(&laplacian::dense(&g, LaplacianKind::Combinatorial), &ex).unwrap();
        for &tau in &[0.0, 0.3, 1.0, 5.0, 1e4] {
            let k = eig.kernel(tau, &ex).unwrap();
            let a = partition(&k, &eig.lam, tau, None, &ex).unwrap();
            assert_eq!(count(&a), kept_modes(&eig.lam, tau).max(1), "tau {tau}");
        }
        assert_eq!(kept_modes(&eig.lam, 0.0), 64);
        assert_eq!(kept_modes(&eig.lam, 1e4), 1);
    }

    #[test]
    fn strong_bonds_merge_first() {
        // Path 0 =5= 1 -1- 2 =5= 3: the two strong bonds have the largest rho'.
        let ex = Exec::sequential();
        let g = crate::graph::Graph::from_edges(4, &[(0, 1, 5.0), (1, 2, 1.0), (2, 3, 5.0)], &Default::default()).unwrap();
        let eig = SymmetricEigen::new(&laplacian::dense(&g, LaplacianKind::Combinatorial), &ex).unwrap();
        let k = eig.kernel(0.3, &ex).unwrap();
        let a = merge_by_score(4, 2, &ex, |i, j| k[(i, j)] / k[(i, i)].min(k[(j, j)])).unwrap();
        assert_eq!(a, vec![0, 0, 1, 1]);
        assert_eq!(merge_by_score(4, 4, &ex, |_, _| 1.0).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(merge_by_score(4, 1, &ex, |_, _| 1.0).unwrap(), vec![0, 0, 0, 0]);
    }

    #[test]
    fn components_are_never_merged() {
        let ex = Exec::sequential();
        let g = crate::graph::Graph::from_edges(4, &[(0, 1, 1.0), (2, 3, 1.0)], &Default::default()).unwrap();
        let eig = SymmetricEigen::new(&laplacian::dense(&g, LaplacianKind::Combinatorial), &ex).unwrap();
        let k = eig.kernel(1e6, &ex).unwrap();
        assert_eq!(partition(&k, &eig.lam, 1e6, None, &ex).unwrap(), vec![0, 0, 1, 1]);
        assert_eq!(partition(&k, &eig.lam, 1e6, Some(&g.components()), &ex).unwrap(), vec![0, 0, 1, 1]);
    }
}
