//! Partition quality and partition comparison: modularity (undirected and directed), the
//! adjusted Rand index (ARI) and normalized mutual information (NMI).
//!
//! # Modularity
//! For a weighted adjacency matrix `A` (row `i` = out-edges of `i`), total weight
//! `M = sum_ij A_ij`, out-strengths `k_i^out = sum_j A_ij`, in-strengths `k_j^in = sum_i A_ij`
//! and resolution `gamma`,
//!
//! ```text
//! Q = (1/M) sum_ij [ A_ij - gamma k_i^out k_j^in / M ] delta(c_i, c_j)
//! ```
//!
//! For a directed graph this is the Leicht-Newman directed modularity (Leicht & Newman 2008,
//! PRL 100:118703). An undirected graph stores both directions of each edge, so `M = 2m`,
//! `k^out = k^in = k` and the same formula is Newman's modularity
//! `Q = (1/2m) sum_ij [A_ij - gamma k_i k_j / 2m] delta(c_i, c_j)` (Newman & Girvan 2004;
//! resolution: Reichardt & Bornholdt 2006). A self-loop of weight `w` enters `A_ii` once
//! (it is stored once in the CSR), unlike networkx, which counts undirected self-loops twice.
//!
//! # ARI and NMI
//! With the contingency table `n_ij` of two labelings of `n` items, row sums `a_i`, column
//! sums `b_j` and `C(x) = x (x - 1) / 2`:
//!
//! ```text
//! ARI = (sum_ij C(n_ij) - E) / ((sum_i C(a_i) + sum_j C(b_j)) / 2 - E),
//! E   = sum_i C(a_i) sum_j C(b_j) / C(n)                      (Hubert & Arabie 1985)
//! NMI = I(U; V) / ((H(U) + H(V)) / 2)                        (arithmetic normalization)
//! ```
//!
//! Both are 1 for identical partitions (up to relabeling). Degenerate cases follow
//! scikit-learn: ARI is 1 when both labelings are the single cluster or both are all
//! singletons; NMI is 1 when both entropies are zero.

use crate::error::{Error, Result};
use crate::graph::Graph;

/// Generalized modularity of `labels` on `g` with resolution `gamma` (see the module docs).
/// A directed graph uses the Leicht-Newman directed modularity.
///
/// Errors: `ERR_INVALID_INPUT` when `labels.len() != g.n()` or `gamma` is negative,
/// `ERR_NOT_FINITE` for a non-finite `gamma`. A graph without edges has modularity 0.
/// Complexity: O(N + E).
pub fn modularity(g: &Graph, labels: &[usize], gamma: f64) -> Result<f64> {
    check_labels("labels", labels, g.n())?;
    if !gamma.is_finite() {
        return Err(Error::not_finite(format!("resolution is {gamma}")));
    }
    if gamma < 0.0 {
        return Err(Error::invalid_input(format!("resolution must be >= 0, got {gamma}")));
    }
    let (labels, k) = compact(labels);
    let mut internal = 0.0;
    let mut kout = vec![0.0; k];
    let mut kin = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..g.n() {
        let (cols, ws) = g.neighbors(i);
        for (&j, &w) in cols.iter().zip(ws) {
            let j = j as usize;
            total += w;
            kout[labels[i]] += w;
            kin[labels[j]] += w;
            if labels[i] == labels[j] {
                internal += w;
            }
        }
    }
    if total <= 0.0 {
        return Ok(0.0);
    }
    let expected: f64 = kout.iter().zip(&kin).map(|(a, b)| a * b).sum();
    Ok(internal / total - gamma * expected / (total * total))
}

/// Adjusted Rand index between two labelings of the same items (labels are arbitrary ids).
///
/// Errors: `ERR_INVALID_INPUT` when the lengths differ. Empty input gives 1.
/// Complexity: O(n log n).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    let t = Contingency::new(a, b)?;
    let n = a.len() as f64;
    let c2 = |x: f64| x * (x - 1.0) / 2.0;
    let (ka, kb) = (t.row.len(), t.col.len());
    if (ka == kb && (ka <= 1 || ka == a.len())) || a.len() <= 1 {
        return Ok(1.0);
    }
    let sum_ij: f64 = t.cells.iter().map(|&(_, _, c)| c2(c as f64)).sum();
    let sum_a: f64 = t.row.iter().map(|&x| c2(x as f64)).sum();
    let sum_b: f64 = t.col.iter().map(|&x| c2(x as f64)).sum();
    let expected = sum_a * sum_b / c2(n);
    let max = 0.5 * (sum_a + sum_b);
    let den = max - expected;
    if den == 0.0 {
        return Ok(1.0);
    }
    Ok((sum_ij - expected) / den)
}

/// Pair purity of a partition `block` against reference labels `label` (same items): among the
/// pairs of items in one block, the fraction that share a label, `sum_ij C(n_ij) / sum_i C(a_i)`
/// (the pair-counting precision; NaN without such pairs). `chance` is the same fraction over all
/// pairs, `sum_j C(b_j) / C(n)` (what a partition blind to the labels gets on average; NaN for
/// fewer than two items); `pairs` counts the pairs in one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairPurity {
    pub purity: f64,
    pub chance: f64,
    pub pairs: u64,
}

/// [`PairPurity`] from the contingency table. Errors: `ERR_INVALID_INPUT` when the lengths
/// differ. Complexity: O(n log n).
pub fn pair_purity(block: &[usize], label: &[usize]) -> Result<PairPurity> {
    let t = Contingency::new(block, label)?;
    let c2 = |x: usize| (x as u64) * (x as u64).saturating_sub(1) / 2;
    let same: u64 = t.cells.iter().map(|&(_, _, c)| c2(c)).sum();
    let together: u64 = t.row.iter().map(|&x| c2(x)).sum();
    let same_all: u64 = t.col.iter().map(|&x| c2(x)).sum();
    let all = c2(block.len());
    let ratio = |a: u64, b: u64| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
    Ok(PairPurity { purity: ratio(same, together), chance: ratio(same_all, all), pairs: together })
}

/// Normalized mutual information `I(U;V) / ((H(U) + H(V)) / 2)` (natural logarithms; the
/// ratio does not depend on the base).
///
/// Errors: `ERR_INVALID_INPUT` when the lengths differ. Empty input gives 1.
/// Complexity: O(n log n).
pub fn normalized_mutual_information(a: &[usize], b: &[usize]) -> Result<f64> {
    let t = Contingency::new(a, b)?;
    let n = a.len() as f64;
    let entropy = |counts: &[usize]| -> f64 {
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / n;
                -p * p.ln()
            })
            .sum()
    };
    let (ha, hb) = (entropy(&t.row), entropy(&t.col));
    if ha == 0.0 && hb == 0.0 {
        return Ok(1.0);
    }
    let mut mi = 0.0;
    for &(i, j, c) in &t.cells {
        let c = c as f64;
        mi += c / n * (c * n / (t.row[i] as f64 * t.col[j] as f64)).ln();
    }
    let mi = mi.max(0.0);
    Ok((mi / (0.5 * (ha + hb))).min(1.0))
}

/// Renumbers communities `0..k` by decreasing size (ties: smaller first node first); returns
/// the labels and `k`.
pub fn relabel_by_size(labels: &[usize]) -> (Vec<usize>, usize) {
    let (lab, k) = compact(labels);
    let mut size = vec![0usize; k];
    for &l in &lab {
        size[l] += 1;
    }
    // compact() numbers by first appearance, so the label itself orders ties by first node.
    let mut ids: Vec<usize> = (0..k).collect();
    ids.sort_by_key(|&c| (std::cmp::Reverse(size[c]), c));
    let mut new = vec![0usize; k];
    for (rank, &c) in ids.iter().enumerate() {
        new[c] = rank;
    }
    (lab.iter().map(|&l| new[l]).collect(), k)
}

/// Puts the nodes flagged in `separate` into one community of their own (when any is flagged),
/// then renumbers by decreasing size ([`relabel_by_size`]); e.g. the net-negative sources
/// (inhibitory neurons) of a signed inferred graph.
///
/// Errors: `ERR_INVALID_INPUT` when the lengths differ.
pub fn separate_community(labels: &[usize], separate: &[bool]) -> Result<(Vec<usize>, usize)> {
    if labels.len() != separate.len() {
        return Err(Error::invalid_input(format!("separate has {} entries for {} labels", separate.len(), labels.len())));
    }
    let fresh = labels.iter().max().map_or(0, |&m| m + 1);
    let raw: Vec<usize> = labels.iter().zip(separate).map(|(&c, &s)| if s { fresh } else { c }).collect();
    Ok(relabel_by_size(&raw))
}

/// Relabels arbitrary ids to `0..k` in order of first appearance; returns the labels and `k`.
pub fn compact(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut sorted: Vec<usize> = labels.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut first = vec![usize::MAX; sorted.len()];
    let mut next = 0;
    let mut out = Vec::with_capacity(labels.len());
    for &l in labels {
        let r = sorted.binary_search(&l).expect("label present");
        if first[r] == usize::MAX {
            first[r] = next;
            next += 1;
        }
        out.push(first[r]);
    }
    (out, next)
}

pub(crate) fn check_labels(field: &str, labels: &[usize], n: usize) -> Result<()> {
    if labels.len() != n {
        return Err(Error::invalid_input(format!("{field} has length {}, expected one label per node ({n})", labels.len())));
    }
    Ok(())
}

/// Sparse contingency table of two labelings.
struct Contingency {
    row: Vec<usize>,
    col: Vec<usize>,
    cells: Vec<(usize, usize, usize)>,
}

impl Contingency {
    fn new(a: &[usize], b: &[usize]) -> Result<Self> {
        if a.len() != b.len() {
            return Err(Error::invalid_input(format!("the two labelings have different lengths ({} and {})", a.len(), b.len())));
        }
        let (a, ka) = compact(a);
        let (b, kb) = compact(b);
        let mut row = vec![0usize; ka];
        let mut col = vec![0usize; kb];
        let mut pairs: Vec<(usize, usize)> = a.iter().copied().zip(b.iter().copied()).collect();
        for &(i, j) in &pairs {
            row[i] += 1;
            col[j] += 1;
        }
        pairs.sort_unstable();
        let mut cells: Vec<(usize, usize, usize)> = Vec::new();
        for (i, j) in pairs {
            match cells.last_mut() {
                Some(last) if last.0 == i && last.1 == j => last.2 += 1,
                _ => cells.push((i, j, 1)),
            }
        }
        Ok(Contingency { row, col, cells })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{generators::ring, EdgeListOptions};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Brute force: Q = (1/M) sum_ij [A_ij - g kout_i kin_j / M] delta(c_i, c_j) on a dense matrix.
    fn brute_modularity(n: usize, a: &[Vec<f64>], labels: &[usize], g: f64) -> f64 {
        let m: f64 = a.iter().flatten().sum();
        let kout: Vec<f64> = (0..n).map(|i| a[i].iter().sum()).collect();
        let kin: Vec<f64> = (0..n).map(|j| (0..n).map(|i| a[i][j]).sum()).collect();
        let mut q = 0.0;
        for i in 0..n {
            for j in 0..n {
                if labels[i] == labels[j] {
                    q += a[i][j] - g * kout[i] * kin[j] / m;
                }
            }
        }
        q / m
    }

    fn dense(g: &Graph) -> Vec<Vec<f64>> {
        (0..g.n()).map(|i| (0..g.n()).map(|j| g.weight(i, j)).collect()).collect()
    }

    #[test]
    fn modularity_matches_brute_force_undirected_and_directed() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for directed in [false, true] {
            for trial in 0..5 {
                let n = 9 + trial;
                let mut edges = vec![];
                for i in 0..n {
                    for j in 0..n {
                        if i != j && rng.random::<f64>() < 0.3 {
                            edges.push((i, j, rng.random::<f64>() * 3.0 + 0.1));
                        }
                    }
                }
                let opts = EdgeListOptions { directed, drop_self_loops: false, ..Default::default() };
                edges.push((2, 2, 1.5));
                let g = Graph::from_edges(n, &edges, &opts).unwrap();
                let labels: Vec<usize> = (0..n).map(|_| rng.random_range(0..3) * 7).collect();
                for gamma in [0.0, 0.5, 1.0, 2.0] {
                    let q = modularity(&g, &labels, gamma).unwrap();
                    let b = brute_modularity(n, &dense(&g), &labels, gamma);
                    assert!((q - b).abs() < 1e-12, "directed={directed} gamma={gamma}: {q} vs {b}");
                }
            }
        }
    }

    #[test]
    fn modularity_analytic_values() {
        // Two triangles joined by one edge, split into the triangles: m = 7, each side has
        // 3 internal edges and degree sum 7, so Q = 2 (3/7 - (7/14)^2) = 6/7 - 1/2 = 5/14.
        let edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 1.0)];
        let g = Graph::from_edges(6, &edges, &EdgeListOptions::default()).unwrap();
        let q = modularity(&g, &[0, 0, 0, 1, 1, 1], 1.0).unwrap();
        assert!((q - 5.0 / 14.0).abs() < 1e-15);
        // One community: Q = 1 - gamma. Singletons of a simple graph: Q = -gamma sum k^2 / (2m)^2.
        assert!((modularity(&g, &[0; 6], 1.0).unwrap()).abs() < 1e-15);
        assert!((modularity(&g, &[4; 6], 0.5).unwrap() - 0.5).abs() < 1e-15);
        let r = ring(10);
        let q = modularity(&r, &(0..10).collect::<Vec<_>>(), 1.0).unwrap();
        assert!((q + 10.0 * 4.0 / 400.0).abs() < 1e-15);
        // Directed 2-cycle 0->1 and a lone edge 2->3: partition {0,1},{2,3}.
        // M = 3; kout = (1,1,1,0), kin = (1,1,0,1); Q = 3/3 - (2*2 + 1*1)/9 = 4/9.
        let d = Graph::from_edges(4, &[(0, 1, 1.0), (1, 0, 1.0), (2, 3, 1.0)], &EdgeListOptions { directed: true, ..Default::default() })
            .unwrap();
        assert!((modularity(&d, &[0, 0, 1, 1], 1.0).unwrap() - 4.0 / 9.0).abs() < 1e-15);
        let empty = Graph::from_edges(3, &[], &EdgeListOptions::default()).unwrap();
        assert_eq!(modularity(&empty, &[0, 1, 2], 1.0).unwrap(), 0.0);
    }

    #[test]
    fn modularity_rejects_bad_arguments() {
        let g = ring(4);
        assert_eq!(modularity(&g, &[0, 0, 1], 1.0).unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(modularity(&g, &[0; 4], f64::NAN).unwrap_err().code, crate::ErrorCode::NotFinite);
        assert_eq!(modularity(&g, &[0; 4], -1.0).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn ari_and_nmi_hand_computed() {
        // Contingency [[2,1],[0,3]] for a = (0,0,0,1,1,1), b = (0,0,1,1,1,1):
        // sum C(n_ij) = 1 + 0 + 0 + 3 = 4; rows (3,3) -> 6; cols (2,4) -> 7; C(6) = 15.
        // E = 42/15 = 2.8, max = 6.5, ARI = (4 - 2.8) / (6.5 - 2.8) = 1.2 / 3.7.
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 0, 1, 1, 1, 1];
        let ari = adjusted_rand_index(&a, &b).unwrap();
        assert!((ari - 1.2 / 3.7).abs() < 1e-14, "{ari}");
        // H(a) = ln 2, H(b) = -(1/3 ln 1/3 + 2/3 ln 2/3),
        // I = 2/6 ln(2*6/(3*2)) + 1/6 ln(1*6/(3*4)) + 3/6 ln(3*6/(3*4)).
        let ha = 2f64.ln();
        let hb = -(1.0 / 3.0 * (1.0f64 / 3.0).ln() + 2.0 / 3.0 * (2.0f64 / 3.0).ln());
        let i = 2.0 / 6.0 * 2f64.ln() + 1.0 / 6.0 * 0.5f64.ln() + 0.5 * 1.5f64.ln();
        let nmi = normalized_mutual_information(&a, &b).unwrap();
        assert!((nmi - i / (0.5 * (ha + hb))).abs() < 1e-14);
    }

    #[test]
    fn identities_and_invariances() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let a: Vec<usize> = (0..200).map(|_| rng.random_range(0..5)).collect();
        assert!((adjusted_rand_index(&a, &a).unwrap() - 1.0).abs() < 1e-14);
        assert!((normalized_mutual_information(&a, &a).unwrap() - 1.0).abs() < 1e-14);
        // Permuting label names changes nothing.
        let perm = [3usize, 0, 4, 1, 2];
        let p: Vec<usize> = a.iter().map(|&l| perm[l] * 10 + 1).collect();
        assert!((adjusted_rand_index(&a, &p).unwrap() - 1.0).abs() < 1e-14);
        assert!((normalized_mutual_information(&a, &p).unwrap() - 1.0).abs() < 1e-14);
        let b: Vec<usize> = (0..200).map(|_| rng.random_range(0..4)).collect();
        let bp: Vec<usize> = b.iter().map(|&l| 100 - l).collect();
        assert!((adjusted_rand_index(&a, &b).unwrap() - adjusted_rand_index(&p, &bp).unwrap()).abs() < 1e-14);
        // Symmetric.
        assert!((adjusted_rand_index(&a, &b).unwrap() - adjusted_rand_index(&b, &a).unwrap()).abs() < 1e-14);
        assert!((normalized_mutual_information(&a, &b).unwrap() - normalized_mutual_information(&b, &a).unwrap()).abs() < 1e-14);
        // Independent random labelings: ARI ~ 0 (its expectation is exactly 0).
        let mut mean = 0.0;
        for _ in 0..20 {
            let x: Vec<usize> = (0..2000).map(|_| rng.random_range(0..6)).collect();
            let y: Vec<usize> = (0..2000).map(|_| rng.random_range(0..6)).collect();
            let r = adjusted_rand_index(&x, &y).unwrap();
            assert!(r.abs() < 0.01, "{r}");
            mean += r / 20.0;
            assert!(normalized_mutual_information(&x, &y).unwrap() < 0.01);
        }
        assert!(mean.abs() < 0.003);
    }

    #[test]
    fn degenerate_cases() {
        assert_eq!(adjusted_rand_index(&[], &[]).unwrap(), 1.0);
        assert_eq!(adjusted_rand_index(&[1, 1, 1], &[0, 0, 0]).unwrap(), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 1, 2], &[5, 4, 3]).unwrap(), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 0, 0, 0], &[0, 1, 2, 3]).unwrap(), 0.0);
        assert_eq!(normalized_mutual_information(&[1, 1], &[2, 2]).unwrap(), 1.0);
        assert_eq!(normalized_mutual_information(&[0, 0, 0, 0], &[0, 1, 2, 3]).unwrap(), 0.0);
        assert_eq!(adjusted_rand_index(&[0, 1], &[0]).unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(compact(&[7, 3, 7, 9]), (vec![0, 1, 0, 2], 3));
    }

    #[test]
    fn separated_nodes_form_one_community_and_labels_follow_size() {
        // communities {0,1,2} {3,4}; nodes 1 and 4 flagged: {0,2} {1,4} {3}, sizes tie -> first node
        let (l, k) = separate_community(&[0, 0, 0, 1, 1], &[false, true, false, false, true]).unwrap();
        assert_eq!((l, k), (vec![0, 1, 0, 2, 1], 3));
        assert_eq!(separate_community(&[1, 0, 0], &[false; 3]).unwrap(), (vec![1, 0, 0], 2));
        assert_eq!(separate_community(&[0], &[]).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn pair_purity_matches_brute_force() {
        let block = [0, 0, 0, 1, 1, 2, 2, 2, 2, 5];
        let label = [1, 1, 2, 2, 2, 3, 3, 1, 3, 3];
        let (mut together, mut same, mut same_all, mut all) = (0u64, 0u64, 0u64, 0u64);
        for x in 0..block.len() {
            for y in x + 1..block.len() {
                all += 1;
                same_all += u64::from(label[x] == label[y]);
                if block[x] == block[y] {
                    together += 1;
                    same += u64::from(label[x] == label[y]);
                }
            }
        }
        let p = pair_purity(&block, &label).unwrap();
        assert_eq!(p.pairs, together);
        assert_eq!(p.purity, same as f64 / together as f64);
        assert_eq!(p.chance, same_all as f64 / all as f64);
        let one = pair_purity(&[3], &[1]).unwrap();
        assert!(one.purity.is_nan() && one.chance.is_nan() && one.pairs == 0);
        assert!(pair_purity(&[0, 1], &[0]).is_err());
    }
}
