//! Community-based node orderings by spectral seriation.
//!
//! Communities are ordered along the spectral order of the *community graph* (one node per
//! community, edge weight `W_CD = sum_{i in C, j in D} (A_ij + A_ji)`), and the nodes of each
//! community along the spectral order of the subgraph it induces. The result is a permutation
//! in which every community is a contiguous block and strongly coupled nodes and communities
//! sit close together, which the tensor-network (MPS) step relies on.
//!
//! # Spectral order of a connected graph
//! Spectral seriation (Atkins, Boman & Hendrickson 1998, SIAM J. Comput. 28:297) sorts nodes
//! by the Fiedler vector `v_2` of `L = D - A`, the minimizer of the 2-SUM relaxation
//! `sum_ij A_ij (x_i - x_j)^2` over unit vectors orthogonal to the constants. For graphs
//! that are closer to a cycle than to a path (a ring of communities) `lambda_2` is (nearly)
//! degenerate and sorting `v_2` zig-zags across the ring; there the circular order by the
//! angle `atan2(v_3, v_2)`, cut at its largest angular gap, is the right answer (circular
//! seriation, Coifman et al. 2008; Recanati et al. 2018). diffrg computes both candidates and
//! keeps the one whose consecutive elements are most strongly coupled
//! (`sum_p A(pi_p, pi_{p+1})`, ties: the smaller linear-arrangement cost
//! `sum_ij A_ij |pos_i - pos_j|`).
//!
//! Disconnected graphs are ordered component by component (largest first, ties by smallest
//! node). The sign of an eigenvector is arbitrary; diffrg makes its largest-magnitude entry
//! negative (so the order is deterministic), then flips each community's internal order if
//! that puts nodes coupled to earlier communities before nodes coupled to later ones (score
//! `sum_i (w_i^later - w_i^earlier) (pos_i - mean pos)` must be >= 0).
//! Directed graphs are symmetrized (`A + A^T`) first.
//!
//! Option `anchored`: inside each community, order by the potential `x` that minimizes
//! `sum_{ij in C} A_ij (x_i - x_j)^2 + sum_i [b_i^- (x_i + 1)^2 + b_i^+ (x_i - 1)^2 + eps x_i^2]`,
//! where `b_i^-` / `b_i^+` is node `i`'s coupling to communities placed before / after its
//! own: the 2-SUM relaxation with the neighbouring blocks as boundary conditions (a harmonic,
//! Dirichlet-type problem), so nodes that talk to the previous block come first and nodes that
//! talk to the next block come last. This departs from the plain Fiedler order inside blocks.

use super::fiedler::{fiedler, FiedlerOptions};
use super::metrics::{check_labels, compact};
use crate::error::Result;
use crate::exec::Exec;
use crate::graph::{EdgeListOptions, Graph};

/// Options for [`community_ordering`].
#[derive(Debug, Clone, Default)]
pub struct OrderingOptions {
    /// Eigensolver settings (dense up to `dense_max` nodes, Lanczos beyond).
    pub fiedler: FiedlerOptions,
    /// Only try the linear Fiedler order (no circular candidate). Default false.
    pub linear_only: bool,
    /// Order nodes inside a community by the anchored potential (see the module docs) instead
    /// of their Fiedler vector; the Fiedler order breaks ties. Default false.
    pub anchored: bool,
}

/// Result of [`community_ordering`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ordering {
    /// `order[p]` is the node at position `p` (a permutation of `0..n`).
    pub order: Vec<usize>,
    /// `position[v]` is the position of node `v` (the inverse permutation).
    pub position: Vec<usize>,
    /// Communities (compacted labels, numbered by first appearance in `labels`) in order.
    pub community_order: Vec<usize>,
    /// Whether every eigen-solve met its tolerance.
    pub converged: bool,
}

/// Orders the nodes of `g` by community (see the module docs). `labels` are arbitrary ids,
/// one per node.
///
/// Errors: `ERR_INVALID_INPUT` when `labels.len() != g.n()`, `ERR_ABORTED` on cancellation.
/// Complexity: dense O(s^3) per community of size `s <= dense_max`, Lanczos beyond.
pub fn community_ordering(g: &Graph, labels: &[usize], opts: &OrderingOptions, exec: &Exec) -> Result<Ordering> {
    check_labels("labels", labels, g.n())?;
    let n = g.n();
    let sym = g.symmetrized();
    let (lab, k) = compact(labels);
    let mut cedges = Vec::new();
    for (i, j, w) in sym.edges() {
        if lab[i] != lab[j] {
            cedges.push((lab[i], lab[j], w));
        }
    }
    let cg = Graph::from_edges(k, &cedges, &EdgeListOptions::default())?;
    let mut converged = true;
    let community_order = spectral_order(&cg, opts, exec, &mut converged)?;
    let mut cpos = vec![0usize; k];
    for (p, &c) in community_order.iter().enumerate() {
        cpos[c] = p;
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for v in 0..n {
        members[lab[v]].push(v);
    }
    let mut order = Vec::with_capacity(n);
    let mut pos = vec![u32::MAX; n];
    for &c in &community_order {
        exec.check()?;
        let nodes = &members[c];
        let local = if nodes.len() <= 2 {
            (0..nodes.len()).collect()
        } else {
            let sub = induced(&sym, nodes, &mut pos)?;
            spectral_order(&sub, opts, exec, &mut converged)?
        };
        let mut block: Vec<usize> = local.iter().map(|&i| nodes[i]).collect();
        if opts.anchored && nodes.len() > 2 {
            anchor_block(&sym, &mut block, &lab, &cpos, cpos[c], &mut pos, exec)?;
            order.extend(block);
            continue;
        }
        // orientation: nodes coupled to earlier communities first
        let mid = (block.len() as f64 - 1.0) / 2.0;
        let mut score = 0.0;
        for (p, &v) in block.iter().enumerate() {
            let (cols, ws) = sym.neighbors(v);
            let mut pull = 0.0;
            for (&u, &w) in cols.iter().zip(ws) {
                let pu = cpos[lab[u as usize]];
                if pu > cpos[c] {
                    pull += w;
                } else if pu < cpos[c] {
                    pull -= w;
                }
            }
            score += pull * (p as f64 - mid);
        }
        if score < 0.0 {
            block.reverse();
        }
        order.extend(block);
        exec.progress.set_done(order.len(), n);
    }
    let mut position = vec![0usize; n];
    for (p, &v) in order.iter().enumerate() {
        position[v] = p;
    }
    Ok(Ordering { order, position, community_order, converged })
}

/// Anchored within-community order: with `b_i^-`, `b_i^+` the coupling of node `i` to
/// communities placed before / after this one, minimize
/// `sum_{ij in C} A_ij (x_i - x_j)^2 + sum_i b_i^- (x_i + 1)^2 + b_i^+ (x_i - 1)^2 + eps x_i^2`,
/// i.e. solve `(L_C + diag(b^- + b^+) + eps I) x = b^+ - b^-` (conjugate gradients; `eps` is
/// 1e-3 of the mean strength, so a one-sided block decays away from its boundary), and sort
/// by `x` (stable: the incoming Fiedler order breaks ties). No external coupling: unchanged.
fn anchor_block(g: &Graph, block: &mut Vec<usize>, lab: &[usize], cpos: &[usize], here: usize, pos: &mut [u32], exec: &Exec) -> Result<()> {
    let m = block.len();
    for (k, &v) in block.iter().enumerate() {
        pos[v] = k as u32;
    }
    let mut diag = vec![0.0; m];
    let mut rhs = vec![0.0; m];
    let mut external = 0.0;
    let mut strength = 0.0;
    for (k, &v) in block.iter().enumerate() {
        let (cols, ws) = g.neighbors(v);
        for (&u, &w) in cols.iter().zip(ws) {
            let u = u as usize;
            if u == v {
                continue;
            }
            strength += w;
            let pu = cpos[lab[u]];
            if pos[u] != u32::MAX && pu == here {
                diag[k] += w;
            } else if pu != here {
                diag[k] += w;
                rhs[k] += if pu > here { w } else { -w };
                external += w;
            }
        }
    }
    let eps = 1e-3 * (strength / m as f64).max(f64::MIN_POSITIVE);
    diag.iter_mut().for_each(|d| *d += eps);
    let apply = |x: &[f64], y: &mut [f64]| {
        for (k, &v) in block.iter().enumerate() {
            let (cols, ws) = g.neighbors(v);
            let mut acc = diag[k] * x[k];
            for (&u, &w) in cols.iter().zip(ws) {
                let q = pos[u as usize];
                if q != u32::MAX && u as usize != v {
                    acc -= w * x[q as usize];
                }
            }
            y[k] = acc;
        }
    };
    if external > 0.0 {
        // Jacobi-preconditioned conjugate gradients
        let mut x = vec![0.0; m];
        let mut r = rhs.clone();
        let mut z: Vec<f64> = r.iter().zip(&diag).map(|(a, d)| a / d).collect();
        let mut p = z.clone();
        let mut rz: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
        let r0 = rhs.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mut ap = vec![0.0; m];
        for it in 0..10 * m.max(100) {
            if it % 64 == 0 {
                exec.check()?;
            }
            apply(&p, &mut ap);
            let alpha = rz / p.iter().zip(&ap).map(|(a, b)| a * b).sum::<f64>();
            x.iter_mut().zip(&p).for_each(|(xi, pi)| *xi += alpha * pi);
            r.iter_mut().zip(&ap).for_each(|(ri, api)| *ri -= alpha * api);
            if r.iter().map(|v| v * v).sum::<f64>().sqrt() <= 1e-10 * r0 {
                break;
            }
            z = r.iter().zip(&diag).map(|(a, d)| a / d).collect();
            let rz_new: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
            let beta = rz_new / rz;
            rz = rz_new;
            p.iter_mut().zip(&z).for_each(|(pi, zi)| *pi = zi + beta * *pi);
        }
        let mut idx: Vec<usize> = (0..m).collect();
        idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let sorted: Vec<usize> = idx.iter().map(|&k| block[k]).collect();
        for &v in block.iter() {
            pos[v] = u32::MAX;
        }
        *block = sorted;
        return Ok(());
    }
    for &v in block.iter() {
        pos[v] = u32::MAX;
    }
    Ok(())
}

/// Subgraph of `g` induced by `nodes` (node `k` is `nodes[k]`), using the scratch `pos`
/// (all `u32::MAX` on entry and exit) so that many small communities cost O(their edges).
fn induced(g: &Graph, nodes: &[usize], pos: &mut [u32]) -> Result<Graph> {
    for (k, &v) in nodes.iter().enumerate() {
        pos[v] = k as u32;
    }
    let mut indptr = Vec::with_capacity(nodes.len() + 1);
    indptr.push(0);
    let mut indices = Vec::new();
    let mut weights = Vec::new();
    for &v in nodes {
        let (cols, ws) = g.neighbors(v);
        let start = indices.len();
        for (&j, &w) in cols.iter().zip(ws) {
            let p = pos[j as usize];
            if p != u32::MAX {
                indices.push(p);
                weights.push(w);
            }
        }
        // restore sorted columns within the row
        let mut row: Vec<(u32, f64)> = indices[start..].iter().copied().zip(weights[start..].iter().copied()).collect();
        row.sort_unstable_by_key(|e| e.0);
        for (k, (j, w)) in row.into_iter().enumerate() {
            indices[start + k] = j;
            weights[start + k] = w;
        }
        indptr.push(indices.len());
    }
    for &v in nodes {
        pos[v] = u32::MAX;
    }
    Graph::from_csr(nodes.len(), indptr, indices, weights, false)
}

/// Spectral order of an undirected graph (components concatenated, largest first).
pub fn spectral_order(g: &Graph, opts: &OrderingOptions, exec: &Exec, converged: &mut bool) -> Result<Vec<usize>> {
    let n = g.n();
    if n <= 2 {
        return Ok((0..n).collect());
    }
    let comp = g.components();
    let kc = comp.iter().max().map_or(0, |&m| m + 1);
    if kc > 1 {
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); kc];
        for v in 0..n {
            groups[comp[v]].push(v);
        }
        // components are numbered by first node, so a stable sort by size keeps ties in node order
        groups.sort_by_key(|gr| std::cmp::Reverse(gr.len()));
        let mut out = Vec::with_capacity(n);
        let mut pos = vec![u32::MAX; n];
        for nodes in groups {
            if nodes.len() <= 2 {
                out.extend(&nodes);
                continue;
            }
            let local = spectral_order(&induced(g, &nodes, &mut pos)?, opts, exec, converged)?;
            out.extend(local.iter().map(|&i| nodes[i]));
        }
        return Ok(out);
    }
    let f = fiedler(g, &opts.fiedler, exec)?;
    *converged &= f.converged;
    let v2 = orient(f.v2);
    let mut linear: Vec<usize> = (0..n).collect();
    linear.sort_by(|&a, &b| v2[a].total_cmp(&v2[b]).then(a.cmp(&b)));
    let third = match (&f.third, opts.linear_only || n < 4) {
        (Some((_, v3)), false) => v3,
        _ => return Ok(linear),
    };
    let angle: Vec<f64> = (0..n).map(|i| third[i].atan2(v2[i])).collect();
    let mut circ: Vec<usize> = (0..n).collect();
    circ.sort_by(|&a, &b| angle[a].total_cmp(&angle[b]).then(a.cmp(&b)));
    // cut the circle at the largest angular gap
    let mut cut = 0;
    let mut gap = angle[circ[0]] + 2.0 * std::f64::consts::PI - angle[circ[n - 1]];
    for p in 1..n {
        let d = angle[circ[p]] - angle[circ[p - 1]];
        if d > gap {
            gap = d;
            cut = p;
        }
    }
    circ.rotate_left(cut);
    let (a_lin, c_lin) = scores(g, &linear);
    let (a_circ, c_circ) = scores(g, &circ);
    let tol = 1e-12 * (a_lin.abs() + a_circ.abs()).max(1e-300);
    if a_circ > a_lin + tol || ((a_circ - a_lin).abs() <= tol && c_circ < c_lin) {
        Ok(circ)
    } else {
        Ok(linear)
    }
}

/// Deterministic sign: the entry of largest magnitude (first such index) is made negative,
/// so that node comes early in the order.
fn orient(mut v: Vec<f64>) -> Vec<f64> {
    let mut best = 0;
    for i in 1..v.len() {
        if v[i].abs() > v[best].abs() * (1.0 + 1e-9) {
            best = i;
        }
    }
    if v.get(best).is_some_and(|&x| x > 0.0) {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    v
}

/// (weight between consecutive elements, linear-arrangement cost `sum_{i<j} A_ij |pos_i - pos_j|`).
fn scores(g: &Graph, order: &[usize]) -> (f64, f64) {
    let mut pos = vec![0usize; g.n()];
    for (p, &v) in order.iter().enumerate() {
        pos[v] = p;
    }
    let adjacent: f64 = order.windows(2).map(|w| g.weight(w[0], w[1])).sum();
    let mut cost = 0.0;
    for (i, j, w) in g.edges() {
        cost += w * (pos[i] as f64 - pos[j] as f64).abs();
    }
    (adjacent, cost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::community::planted::ring_of_cliques;
    use crate::graph::generators;
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn is_permutation(order: &[usize], n: usize) -> bool {
        let mut seen = vec![false; n];
        order.len() == n && order.iter().all(|&v| v < n && !std::mem::replace(&mut seen[v], true))
    }

    /// Relabels the nodes of `g` by `perm` (new id of old node `v` is `perm[v]`).
    fn permute(g: &Graph, perm: &[usize]) -> Graph {
        let edges: Vec<_> = g.edges().iter().map(|&(i, j, w)| (perm[i], perm[j], w)).collect();
        Graph::from_edges(g.n(), &edges, &EdgeListOptions { directed: g.is_directed(), ..Default::default() }).unwrap()
    }

    #[test]
    fn ring_of_cliques_with_shuffled_labels() {
        let (cliques, size) = (9, 5);
        let (g0, truth0) = ring_of_cliques(cliques, size).unwrap();
        let n = g0.n();
        for seed in 0..4 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            let g = permute(&g0, &perm);
            let mut truth = vec![0; n];
            for v in 0..n {
                truth[perm[v]] = truth0[v];
            }
            // scramble the community ids too
            let mut ids: Vec<usize> = (0..cliques).collect();
            ids.shuffle(&mut rng);
            let labels: Vec<usize> = truth.iter().map(|&c| 100 + ids[c]).collect();
            let o = community_ordering(&g, &labels, &OrderingOptions::default(), &Exec::sequential()).unwrap();
            assert!(is_permutation(&o.order, n));
            assert!(o.converged);
            for v in 0..n {
                assert_eq!(o.order[o.position[v]], v);
            }
            // every community is contiguous
            let blocks: Vec<usize> = o.order.iter().map(|&v| truth[v]).collect();
            let mut seq: Vec<usize> = blocks.clone();
            seq.dedup();
            assert_eq!(seq.len(), cliques, "contiguous blocks: {blocks:?}");
            // consecutive cliques are neighbours on the ring
            for w in seq.windows(2) {
                let d = (w[0] + cliques - w[1]) % cliques;
                assert!(d == 1 || d == cliques - 1, "seed {seed}: {seq:?}");
            }
        }
    }

    #[test]
    fn anchored_order_puts_bridge_nodes_at_block_boundaries() {
        let (cliques, size) = (7, 5);
        let (g, truth) = ring_of_cliques(cliques, size).unwrap();
        let n = g.n();
        let opts = OrderingOptions { anchored: true, ..Default::default() };
        let o = community_ordering(&g, &truth, &opts, &Exec::sequential()).unwrap();
        assert!(is_permutation(&o.order, n));
        let mut seq: Vec<usize> = o.order.iter().map(|&v| truth[v]).collect();
        seq.dedup();
        assert_eq!(seq.len(), cliques);
        // consecutive blocks meet at their bridge edge
        for p in 0..n - 1 {
            let (a, b) = (o.order[p], o.order[p + 1]);
            if truth[a] != truth[b] {
                assert_eq!(g.weight(a, b), 1.0, "blocks meet at the bridge: {:?}", o.order);
            }
        }
        // the plain order keeps the same block sequence
        let plain = community_ordering(&g, &truth, &OrderingOptions::default(), &Exec::sequential()).unwrap();
        assert_eq!(plain.community_order, o.community_order);
    }

    #[test]
    fn path_like_community_graph_gives_linear_order() {
        // 6 communities along a path (clique chain without the closing edge): the spectral order
        // must follow the chain, reversed or not.
        let size = 4;
        let (ring, _) = ring_of_cliques(6, size).unwrap();
        let edges: Vec<_> = ring.edges().into_iter().filter(|&(i, j, _)| !(i.min(j) == 0 && i.max(j) == 6 * size - 1)).collect();
        let g = Graph::from_edges(6 * size, &edges, &EdgeListOptions::default()).unwrap();
        let labels: Vec<usize> = (0..g.n()).map(|v| v / size).collect();
        let o = community_ordering(&g, &labels, &OrderingOptions::default(), &Exec::sequential()).unwrap();
        let c = &o.community_order;
        assert!(c == &[0, 1, 2, 3, 4, 5] || c == &[5, 4, 3, 2, 1, 0], "{c:?}");
        // a path is ordered exactly (up to reversal)
        let p = generators::ring(2); // 2 nodes
        let o2 = community_ordering(&p, &[0, 0], &OrderingOptions::default(), &Exec::sequential()).unwrap();
        assert!(is_permutation(&o2.order, 2));
    }

    #[test]
    fn disconnected_graph_and_edge_cases() {
        let g = Graph::from_edges(7, &[(0, 1, 1.0), (1, 2, 1.0), (4, 5, 1.0)], &EdgeListOptions::default()).unwrap();
        let o = community_ordering(&g, &[0, 0, 0, 1, 1, 1, 2], &OrderingOptions::default(), &Exec::sequential()).unwrap();
        assert!(is_permutation(&o.order, 7));
        let e = Graph::from_edges(0, &[], &EdgeListOptions::default()).unwrap();
        assert!(community_ordering(&e, &[], &OrderingOptions::default(), &Exec::sequential()).unwrap().order.is_empty());
        assert_eq!(
            community_ordering(&g, &[0; 3], &OrderingOptions::default(), &Exec::sequential()).unwrap_err().code,
            crate::ErrorCode::InvalidInput
        );
        // directed input is symmetrized
        let d = Graph::from_edges(4, &[(0, 1, 1.0), (2, 3, 1.0), (1, 2, 0.1)], &EdgeListOptions { directed: true, ..Default::default() })
            .unwrap();
        let o = community_ordering(&d, &[0, 0, 1, 1], &OrderingOptions::default(), &Exec::sequential()).unwrap();
        assert!(is_permutation(&o.order, 4));
        assert!(o.position[1].abs_diff(o.position[2]) == 1, "{:?}", o.order);
    }

    #[test]
    fn single_community_path_is_sorted() {
        // one community = a shuffled path: its spectral order recovers the path.
        let n = 40;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        let edges: Vec<_> = (0..n - 1).map(|i| (perm[i], perm[i + 1], 1.0)).collect();
        let g = Graph::from_edges(n, &edges, &EdgeListOptions::default()).unwrap();
        let o = community_ordering(&g, &vec![3; n], &OrderingOptions::default(), &Exec::sequential()).unwrap();
        let fwd: Vec<usize> = perm.clone();
        let rev: Vec<usize> = perm.iter().rev().cloned().collect();
        assert!(o.order == fwd || o.order == rev);
    }
}
