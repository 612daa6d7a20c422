//! Profile augmentation of a weighted graph for community detection: each edge weight, on the
//! scale of the graph's mean weight, plus the cosine similarity of the two nodes' neighbourhood
//! profiles, on the scale of its mean.
//!
//! A noisy weighted graph, such as the all-pairs z-scores of an inferred coupling matrix, carries
//! one noisy measurement per pair; the community of a node is also written in *which* nodes it
//! couples to. Two neurons of one cluster share many partners, so the cosine similarity of their
//! rows averages over `n` entries where the direct weight is one (co-citation / bibliographic
//! coupling: Newman, *Networks*, 2010, section 7.6; the two-step term of Markov stability,
//! Delvenne, Yaliraki & Barahona 2010). With `A` the symmetrised weights (`A = W + W^T` for a
//! directed graph),
//!
//! ```text
//! S_ij = sum_k A_ik A_jk / (|A_i.| |A_j.|)       (i != j; 0 when a row is empty)
//! B_ij = A_ij / <A> + S_ij / <S>
//! ```
//!
//! where `<.>` is the mean over the non-zero off-diagonal entries. The two terms get equal
//! weight: neither is tuned to a data set. `B` is undirected. Nodes flagged in `exclude` (the
//! net-negative sources of a signed graph, which are put in a community of their own anyway)
//! are left out of both terms, as if their edges were absent.
//!
//! Measured in docs/communities.md ("Profile augmentation"): on clustered E/I networks at 20%
//! observed it raises the ARI of the inferred graphs' communities by 0.04-0.12 and leaves the
//! well-sampled cells within +-0.01.

use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use rayon::prelude::*;

/// The profile-augmented undirected graph `B` of `g` (module docs).
///
/// Arguments: `g` (directed graphs are symmetrised first); `exclude`: empty or one flag per node.
///
/// Returns an undirected graph on the same nodes (no self-loops).
///
/// Errors: `ERR_INVALID_INPUT` when `exclude` has the wrong length; `ERR_TOO_LARGE` when the
/// two-step products (`sum_k deg(k)^2`) would exceed 4 GiB; `ERR_ABORTED`.
///
/// Complexity: `O(sum_k deg(k)^2)` time, `O(n)` work memory per thread.
pub fn profile_augment(g: &Graph, exclude: &[bool], exec: &Exec) -> Result<Graph> {
    let n = g.n();
    if !exclude.is_empty() && exclude.len() != n {
        return Err(Error::invalid_input(format!("exclude has {} entries for {n} nodes", exclude.len())));
    }
    let out = |i: usize| !exclude.is_empty() && exclude[i];
    let a = g.symmetrized();
    // A without self-loops and without the excluded nodes' edges, as rows of (column, weight)
    let rows: Vec<Vec<(u32, f64)>> = (0..n)
        .map(|i| {
            if out(i) {
                return Vec::new();
            }
            let (cols, ws) = a.neighbors(i);
            cols.iter().zip(ws).filter(|(&j, &w)| j as usize != i && !out(j as usize) && w > 0.0).map(|(&j, &w)| (j, w)).collect()
        })
        .collect();
    let pairs: u128 = rows.iter().map(|r| (r.len() as u128) * (r.len() as u128)).sum();
    ensure_fits(
        "the profile similarity",
        2 * pairs.min((n as u128) * (n as u128)),
        4 << 30,
        "leave the profile augmentation off for this graph",
    )?;
    let norm: Vec<f64> = rows.iter().map(|r| r.iter().map(|&(_, w)| w * w).sum::<f64>().sqrt()).collect();
    let (a_sum, a_cnt) = rows.iter().flatten().fold((0.0, 0usize), |(s, c), &(_, w)| (s + w, c + 1));
    if a_cnt == 0 {
        return Graph::from_csr(n, vec![0; n + 1], Vec::new(), Vec::new(), false);
    }
    // S row by row (S is symmetric: each row is computed in full, no merge needed)
    let s_rows: Vec<Vec<(u32, f64)>> = exec.install(|| {
        (0..n)
            .into_par_iter()
            .map_init(
                || (vec![0.0f64; n], Vec::<u32>::new()),
                |(acc, touched), i| -> Result<Vec<(u32, f64)>> {
                    if i % 64 == 0 {
                        exec.check()?;
                    }
                    if norm[i] == 0.0 {
                        return Ok(Vec::new());
                    }
                    for &(k, wik) in &rows[i] {
                        for &(j, wkj) in &rows[k as usize] {
                            if j as usize != i {
                                if acc[j as usize] == 0.0 {
                                    touched.push(j);
                                }
                                acc[j as usize] += wik * wkj;
                            }
                        }
                    }
                    touched.sort_unstable();
                    let r = touched
                        .iter()
                        .filter_map(|&j| {
                            let v = acc[j as usize] / (norm[i] * norm[j as usize]);
                            acc[j as usize] = 0.0;
                            (v > 0.0).then_some((j, v))
                        })
                        .collect();
                    touched.clear();
                    Ok(r)
                },
            )
            .collect::<Result<Vec<_>>>()
    })?;
    let (s_sum, s_cnt) = s_rows.iter().flatten().fold((0.0, 0usize), |(s, c), &(_, v)| (s + v, c + 1));
    let a_scale = a_cnt as f64 / a_sum;
    let s_scale = if s_cnt == 0 { 0.0 } else { s_cnt as f64 / s_sum };
    // B = A / <A> + S / <S>: merge the two sorted rows
    let mut indptr = Vec::with_capacity(n + 1);
    let mut indices = Vec::new();
    let mut weights = Vec::new();
    indptr.push(0);
    for i in 0..n {
        let (ra, rs) = (&rows[i], &s_rows[i]);
        let (mut p, mut q) = (0, 0);
        while p < ra.len() || q < rs.len() {
            let ja = ra.get(p).map_or(u32::MAX, |e| e.0);
            let js = rs.get(q).map_or(u32::MAX, |e| e.0);
            let j = ja.min(js);
            let mut w = 0.0;
            if ja == j {
                w += ra[p].1 * a_scale;
                p += 1;
            }
            if js == j {
                w += rs[q].1 * s_scale;
                q += 1;
            }
            indices.push(j);
            weights.push(w);
        }
        indptr.push(indices.len());
    }
    Graph::from_csr(n, indptr, indices, weights, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::EdgeListOptions;

    fn graph(n: usize, edges: &[(usize, usize, f64)], directed: bool) -> Graph {
        Graph::from_edges(n, edges, &EdgeListOptions { directed, ..Default::default() }).unwrap()
    }

    /// Dense reference: B from the formula with explicit loops.
    fn dense(g: &Graph, exclude: &[bool]) -> Vec<f64> {
        let n = g.n();
        let mut a = vec![0.0; n * n];
        for (i, j, w) in g.edges() {
            // symmetrised: A + A^T (directed), each undirected edge in both directions
            if i != j && !exclude[i] && !exclude[j] {
                a[i * n + j] += w;
                a[j * n + i] += w;
            }
        }
        let norm: Vec<f64> = (0..n).map(|i| (0..n).map(|k| a[i * n + k] * a[i * n + k]).sum::<f64>().sqrt()).collect();
        let mut s = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j && norm[i] > 0.0 && norm[j] > 0.0 {
                    s[i * n + j] = (0..n).map(|k| a[i * n + k] * a[j * n + k]).sum::<f64>() / (norm[i] * norm[j]);
                }
            }
        }
        let mean = |m: &[f64]| {
            let nz: Vec<f64> = m.iter().copied().filter(|&v| v > 0.0).collect();
            if nz.is_empty() {
                1.0
            } else {
                nz.iter().sum::<f64>() / nz.len() as f64
            }
        };
        let (ma, ms) = (mean(&a), mean(&s));
        a.iter().zip(&s).map(|(x, y)| x / ma + y / ms).collect()
    }

    fn as_dense(g: &Graph) -> Vec<f64> {
        let n = g.n();
        let mut m = vec![0.0; n * n];
        for (i, j, w) in g.edges() {
            m[i * n + j] = w;
            if !g.is_directed() {
                m[j * n + i] = w;
            }
        }
        m
    }

    #[test]
    fn matches_the_dense_formula() {
        let exec = Exec::default();
        // sizes 0 and 1, a weighted directed graph with a reciprocal pair, an excluded node
        for n in [0, 1] {
            let g = graph(n, &[], false);
            assert_eq!(profile_augment(&g, &[], &exec).unwrap().num_edges(), 0);
        }
        let edges = [(0, 1, 2.0), (1, 0, 1.0), (1, 2, 0.5), (2, 3, 3.0), (3, 0, 1.5), (0, 4, 1.0), (4, 2, 2.5), (5, 1, 4.0)];
        for directed in [true, false] {
            let g = graph(6, &edges, directed);
            for exclude in [vec![false; 6], vec![false, false, false, false, false, true]] {
                let b = profile_augment(&g, &exclude, &exec).unwrap();
                assert!(!b.is_directed());
                let want = dense(&g, &exclude);
                for (k, (x, y)) in as_dense(&b).iter().zip(&want).enumerate() {
                    assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "directed {directed} entry {k}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn rejects_a_wrong_exclude_length() {
        let g = graph(3, &[(0, 1, 1.0)], false);
        assert!(profile_augment(&g, &[true], &Exec::default()).is_err());
    }

    #[test]
    fn shared_partners_join_nodes_without_a_direct_edge() {
        // 0 and 1 are not linked but share partners 2, 3, 4: S_01 = 1, so B gains the edge
        let g = graph(5, &[(0, 2, 1.0), (0, 3, 1.0), (0, 4, 1.0), (1, 2, 1.0), (1, 3, 1.0), (1, 4, 1.0)], false);
        let b = profile_augment(&g, &[], &Exec::default()).unwrap();
        assert!(b.weight(0, 1) > 0.0);
        assert_eq!(b.weight(0, 1), b.weight(1, 0));
    }
}
