//! Leiden community detection (Traag, Waltman & van Eck 2019, Sci. Rep. 9:5233) maximizing
//! generalized modularity with a resolution parameter, on weighted undirected graphs
//! (Newman modularity) and weighted directed graphs (Leicht-Newman directed modularity).
//!
//! # Quality function
//! Both variants are one formula (see [`super::metrics`]): with `M = sum_ij A_ij`,
//!
//! ```text
//! Q = (1/M) sum_C [ e_C - gamma K_C^out K_C^in / M ],   e_C = sum_{i,j in C} A_ij,
//! ```
//!
//! where `K_C^out`, `K_C^in` sum the out/in-strengths of the members of `C`. An undirected
//! graph is stored symmetrically (`M = 2m`, `K^out = K^in`), giving Newman's modularity.
//! The algorithm only needs, per (aggregate) node `v`, the symmetric coupling
//! `s_uv = A_uv + A_vu`, the self weight `A_vv` and the strengths. Moving an isolated node
//! `v` into community `C` changes `M Q` by
//!
//! ```text
//! dH(v -> C) = s(v, C) - gamma (k_v^out K_C^in + k_v^in K_C^out) / M     (+ a C-independent term)
//! ```
//!
//! # Algorithm (Traag et al. 2019, Algorithms A.1-A.2)
//! 1. *Fast local moving*: nodes are visited from a queue (initially all nodes in random
//!    order); each moves to the neighbouring (or an empty) community with the largest strictly
//!    positive gain over staying; when a node moves, its neighbours outside the new community
//!    are queued again.
//! 2. *Refinement*: inside every community `S` of the moved partition, start from singletons
//!    and visit nodes in random order. A node still alone in its refined community and
//!    *well connected* to `S` (`s(v, S - v) >= gamma [k_v^out (K_S^in - k_v^in) + k_v^in
//!    (K_S^out - k_v^out)] / M`, the directed analogue of `E(v, S - v) >= gamma ||v|| (||S|| -
//!    ||v||)`) joins a well-connected refined community `T` of `S` chosen at random with
//!    probability proportional to `exp(dQ / theta)` among moves with `dQ >= 0`
//!    (`dQ = dH / M`; staying alone has `dQ = 0`). Refined communities are therefore
//!    connected subsets of the moved communities.
//! 3. *Aggregation*: the aggregate graph has one node per refined community; the moved
//!    partition is its initial partition. Repeat from 1 until local moving leaves every
//!    aggregate node in its own community.
//!
//! The whole procedure is iterated from the previous result (as `leidenalg` does with
//! `n_iterations`) until an iteration no longer increases `Q` or `max_iterations` is reached.
//!
//! Guarantees (paper, Sec. "Guarantees"): every community is connected (gamma-separated and,
//! at convergence, gamma-connected); with enough iterations, partitions are subpartition
//! gamma-dense. Deterministic for a given seed; single-threaded (the algorithm is
//! sequential), O(E) per local-moving sweep.
//!
//! Departures from the paper: ties in local moving keep the node in place (or prefer the
//! community met first); when refinement merges nothing (all refined communities are
//! singletons) the moved partition is aggregated directly, as `leidenalg` does, to guarantee
//! progress.

use super::metrics::{modularity, relabel_by_size};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::{csr_from_sorted, Graph};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Options for [`leiden`].
#[derive(Debug, Clone)]
pub struct LeidenOptions {
    /// Resolution `gamma >= 0` of the modularity; larger values give more, smaller
    /// communities. Default 1 (standard modularity).
    pub resolution: f64,
    /// Randomness `theta > 0` of the refinement step. Default 0.01 (the paper's value).
    pub theta: f64,
    /// Maximum number of Leiden iterations (each one a full multi-level pass started from the
    /// previous partition); 0 means "until Q stops increasing" (capped at 100). Default 0.
    pub max_iterations: usize,
    /// Seed of the ChaCha8 generator (node orders, refinement choices). Default 42.
    pub seed: u64,
}

impl Default for LeidenOptions {
    fn default() -> Self {
        LeidenOptions { resolution: 1.0, theta: 0.01, max_iterations: 0, seed: 42 }
    }
}

/// Result of [`leiden`].
#[derive(Debug, Clone, PartialEq)]
pub struct LeidenResult {
    /// Community of every node, `0..communities`, numbered by decreasing size (ties: the
    /// community holding the smaller node first).
    pub labels: Vec<usize>,
    pub communities: usize,
    /// Generalized modularity of `labels` at the requested resolution.
    pub modularity: f64,
    /// Leiden iterations run.
    pub iterations: usize,
    /// Whether the last iteration left `Q` unchanged (false if `max_iterations` stopped it).
    pub converged: bool,
}

/// Leiden communities of `g` (directed graphs use the directed modularity; symmetrize a
/// directed graph first for the undirected one).
///
/// Errors: `ERR_INVALID_INPUT`/`ERR_NOT_FINITE` for a bad resolution or theta,
/// `ERR_ABORTED` on cancellation. Nodes without edges end up as singleton communities.
/// Complexity: about O(E) per local-moving sweep, O(E log N) typical in total.
pub fn leiden(g: &Graph, opts: &LeidenOptions, exec: &Exec) -> Result<LeidenResult> {
    for (name, v) in [("resolution", opts.resolution), ("theta", opts.theta)] {
        if !v.is_finite() {
            return Err(Error::not_finite(format!("{name} is {v}")));
        }
    }
    if opts.resolution < 0.0 {
        return Err(Error::invalid_input(format!("resolution must be >= 0, got {}", opts.resolution)));
    }
    if opts.theta <= 0.0 {
        return Err(Error::invalid_input(format!("theta must be > 0, got {}", opts.theta)));
    }
    let n = g.n();
    let base = QGraph::from_graph(g);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut labels: Vec<usize> = (0..n).collect();
    let mut q = modularity(g, &labels, opts.resolution)?;
    let cap = if opts.max_iterations == 0 { 100 } else { opts.max_iterations };
    let mut iterations = 0;
    let mut converged = false;
    if base.total <= 0.0 {
        converged = true;
    }
    while !converged && iterations < cap {
        exec.check()?;
        let next = leiden_pass(&base, &labels, opts, &mut rng, exec)?;
        iterations += 1;
        let q_next = modularity(g, &next, opts.resolution)?;
        let improved = q_next > q + 1e-13 * q.abs().max(1.0);
        if q_next >= q {
            labels = next;
            q = q_next;
        }
        if !improved {
            converged = true;
        }
    }
    let (labels, communities) = relabel_by_size(&labels);
    Ok(LeidenResult { labels, communities, modularity: q, iterations, converged })
}

/// One multi-level Leiden pass on `base` starting from `init` (labels on base nodes).
fn leiden_pass(base: &QGraph, init: &[usize], opts: &LeidenOptions, rng: &mut ChaCha8Rng, exec: &Exec) -> Result<Vec<usize>> {
    let gamma = opts.resolution;
    // node_to_agg[v]: aggregate node holding original node v.
    let mut node_to_agg: Vec<usize> = (0..base.n).collect();
    let mut owned: Option<QGraph> = None;
    let (mut part, _) = super::metrics::compact(init);
    loop {
        let g = owned.as_ref().unwrap_or(base);
        move_nodes_fast(g, &mut part, gamma, rng, exec)?;
        let (p, k) = super::metrics::compact(&part);
        part = p;
        if k == g.n {
            break;
        }
        let refined = refine(g, &part, k, gamma, opts.theta, rng, exec)?;
        let (refined, r) = super::metrics::compact(&refined);
        let (agg_of, count) = if r < g.n { (refined, r) } else { (part.clone(), k) };
        let mut next_part = vec![0usize; count];
        for v in 0..g.n {
            next_part[agg_of[v]] = part[v];
        }
        let agg = g.aggregate(&agg_of, count, exec)?;
        for a in node_to_agg.iter_mut() {
            *a = agg_of[*a];
        }
        owned = Some(agg);
        part = next_part;
    }
    Ok(node_to_agg.iter().map(|&a| part[a]).collect())
}

/// Symmetric coupling graph used by the optimizer (see the module docs).
#[derive(Debug, Clone)]
struct QGraph {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    /// `s_uv = A_uv + A_vu` for `u != v`.
    weights: Vec<f64>,
    /// `A_vv` (for aggregates: the internal weight of the community).
    self_w: Vec<f64>,
    kout: Vec<f64>,
    kin: Vec<f64>,
    total: f64,
}

impl QGraph {
    fn from_graph(g: &Graph) -> QGraph {
        let n = g.n();
        let mut kout = vec![0.0; n];
        let mut kin = vec![0.0; n];
        let mut self_w = vec![0.0; n];
        let mut pairs: Vec<(u32, u32, f64)> = Vec::with_capacity(if g.is_directed() { 2 * g.nnz() } else { g.nnz() });
        for i in 0..n {
            let (cols, ws) = g.neighbors(i);
            for (&j, &w) in cols.iter().zip(ws) {
                kout[i] += w;
                kin[j as usize] += w;
                if j as usize == i {
                    self_w[i] += w;
                } else if g.is_directed() {
                    pairs.push((i as u32, j, w));
                    pairs.push((j, i as u32, w));
                } else {
                    pairs.push((i as u32, j, 2.0 * w));
                }
            }
        }
        if g.is_directed() {
            pairs.sort_unstable_by_key(|&(i, j, _)| (i, j));
        }
        let (indptr, indices, weights) = csr_from_sorted(n, pairs, |a, b| a + b);
        let total = kout.iter().sum();
        QGraph { n, indptr, indices, weights, self_w, kout, kin, total }
    }

    #[inline]
    fn row(&self, v: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[v], self.indptr[v + 1]);
        (&self.indices[a..b], &self.weights[a..b])
    }

    /// Collapses nodes with the same `of[v]` (in `0..k`) into one aggregate node.
    fn aggregate(&self, of: &[usize], k: usize, exec: &Exec) -> Result<QGraph> {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
        for v in 0..self.n {
            members[of[v]].push(v);
        }
        let mut kout = vec![0.0; k];
        let mut kin = vec![0.0; k];
        let mut self_w = vec![0.0; k];
        let mut acc = vec![0.0; k];
        let mut seen = vec![false; k];
        let mut touched: Vec<usize> = Vec::new();
        let mut indptr = vec![0usize; k + 1];
        let mut indices = Vec::new();
        let mut weights = Vec::new();
        for c in 0..k {
            exec.check()?;
            for &v in &members[c] {
                kout[c] += self.kout[v];
                kin[c] += self.kin[v];
                self_w[c] += self.self_w[v];
                let (cols, ws) = self.row(v);
                for (&u, &w) in cols.iter().zip(ws) {
                    let d = of[u as usize];
                    if d == c {
                        // each internal pair is met twice and contributes A_uv + A_vu = s_uv.
                        self_w[c] += 0.5 * w;
                    } else {
                        if !seen[d] {
                            seen[d] = true;
                            touched.push(d);
                        }
                        acc[d] += w;
                    }
                }
            }
            touched.sort_unstable();
            for &d in &touched {
                indices.push(d as u32);
                weights.push(acc[d]);
                acc[d] = 0.0;
                seen[d] = false;
            }
            touched.clear();
            indptr[c + 1] = indices.len();
        }
        Ok(QGraph { n: k, indptr, indices, weights, self_w, kout, kin, total: self.total })
    }
}

/// Per-community weights from one node, accumulated over a touched list (no hashing, so the
/// visiting order and hence the result are deterministic).
struct Accumulator {
    w: Vec<f64>,
    seen: Vec<bool>,
    touched: Vec<usize>,
}

impl Accumulator {
    fn new(k: usize) -> Self {
        Accumulator { w: vec![0.0; k], seen: vec![false; k], touched: Vec::new() }
    }
    #[inline]
    fn add(&mut self, c: usize, w: f64) {
        if !self.seen[c] {
            self.seen[c] = true;
            self.touched.push(c);
        }
        self.w[c] += w;
    }
    fn clear(&mut self) {
        for &c in &self.touched {
            self.w[c] = 0.0;
            self.seen[c] = false;
        }
        self.touched.clear();
    }
}

/// Fast local moving (Traag et al. 2019, Algorithm A.2 `MoveNodesFast`); `part` holds labels
/// in `0..g.n` and is updated in place.
fn move_nodes_fast(g: &QGraph, part: &mut [usize], gamma: f64, rng: &mut ChaCha8Rng, exec: &Exec) -> Result<()> {
    let n = g.n;
    let m = g.total;
    if m <= 0.0 || n == 0 {
        return Ok(());
    }
    let mut kout_c = vec![0.0; n];
    let mut kin_c = vec![0.0; n];
    let mut size = vec![0usize; n];
    for v in 0..n {
        kout_c[part[v]] += g.kout[v];
        kin_c[part[v]] += g.kin[v];
        size[part[v]] += 1;
    }
    let mut empty: Vec<usize> = (0..n).rev().filter(|&c| size[c] == 0).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut queue: VecDeque<usize> = order.into();
    let mut queued = vec![true; n];
    let mut acc = Accumulator::new(n);
    let mut visits = 0usize;
    while let Some(v) = queue.pop_front() {
        queued[v] = false;
        visits += 1;
        if visits % 256 == 0 {
            exec.check()?;
        }
        let cur = part[v];
        let (cols, ws) = g.row(v);
        acc.add(cur, 0.0);
        for (&u, &w) in cols.iter().zip(ws) {
            acc.add(part[u as usize], w);
        }
        // remove v from its community
        kout_c[cur] -= g.kout[v];
        kin_c[cur] -= g.kin[v];
        size[cur] -= 1;
        let gain = |c: usize, w: f64| w - gamma * (g.kout[v] * kin_c[c] + g.kin[v] * kout_c[c]) / m;
        let mut best = cur;
        let mut best_gain = gain(cur, acc.w[cur]);
        for &c in &acc.touched {
            let d = gain(c, acc.w[c]);
            if d > best_gain {
                best = c;
                best_gain = d;
            }
        }
        if size[cur] > 0 && best_gain < 0.0 {
            if let Some(&e) = empty.last() {
                best = e;
                empty.pop();
            }
        }
        acc.clear();
        if size[cur] == 0 && best != cur {
            empty.push(cur);
        }
        kout_c[best] += g.kout[v];
        kin_c[best] += g.kin[v];
        size[best] += 1;
        if best != cur {
            part[v] = best;
            for &u in cols {
                let u = u as usize;
                if !queued[u] && part[u] != best {
                    queued[u] = true;
                    queue.push_back(u);
                }
            }
        }
    }
    Ok(())
}

/// Refinement (Traag et al. 2019, Algorithms A.1 `RefinePartition` and `MergeNodesSubset`):
/// returns refined labels (in `0..g.n`) nested in `part` (labels `0..k`).
fn refine(g: &QGraph, part: &[usize], k: usize, gamma: f64, theta: f64, rng: &mut ChaCha8Rng, exec: &Exec) -> Result<Vec<usize>> {
    let n = g.n;
    let m = g.total;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for v in 0..n {
        members[part[v]].push(v);
    }
    let mut refined: Vec<usize> = (0..n).collect();
    let mut rkout = g.kout.clone();
    let mut rkin = g.kin.clone();
    let mut rsize = vec![1usize; n];
    // ext[t]: s(T, S - T) for refined community t inside its community S.
    let mut ext = vec![0.0; n];
    for v in 0..n {
        let (cols, ws) = g.row(v);
        ext[v] = cols.iter().zip(ws).filter(|(&u, _)| part[u as usize] == part[v]).map(|(_, &w)| w).sum();
    }
    let mut acc = Accumulator::new(n);
    let mut cand: Vec<(usize, f64)> = Vec::new();
    for (s, nodes) in members.iter_mut().enumerate() {
        exec.check()?;
        if nodes.len() < 2 {
            continue;
        }
        let ks_out: f64 = nodes.iter().map(|&v| g.kout[v]).sum();
        let ks_in: f64 = nodes.iter().map(|&v| g.kin[v]).sum();
        // well connected to S: s(T, S - T) >= gamma [K_T^out (K_S^in - K_T^in) + K_T^in (K_S^out - K_T^out)] / M
        let well = |e: f64, ko: f64, ki: f64| e >= gamma * (ko * (ks_in - ki) + ki * (ks_out - ko)) / m;
        nodes.shuffle(rng);
        for (step, &v) in nodes.iter().enumerate() {
            if step % 256 == 255 {
                exec.check()?;
            }
            let own = refined[v];
            if rsize[own] != 1 || !well(ext[own], g.kout[v], g.kin[v]) {
                continue;
            }
            let (cols, ws) = g.row(v);
            for (&u, &w) in cols.iter().zip(ws) {
                let u = u as usize;
                if part[u] == s && u != v {
                    acc.add(refined[u], w);
                }
            }
            // candidates: well-connected refined communities with a non-negative gain
            cand.clear();
            cand.push((own, 0.0));
            for &t in &acc.touched {
                if !well(ext[t], rkout[t], rkin[t]) {
                    continue;
                }
                let dh = acc.w[t] - gamma * (g.kout[v] * rkin[t] + g.kin[v] * rkout[t]) / m;
                if dh >= 0.0 {
                    cand.push((t, dh / m));
                }
            }
            let top = cand.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = cand.iter().map(|c| ((c.1 - top) / theta).exp()).sum();
            let mut r = rng.random::<f64>() * total;
            let mut chosen = cand[cand.len() - 1].0;
            for &(t, q) in &cand {
                r -= ((q - top) / theta).exp();
                if r <= 0.0 {
                    chosen = t;
                    break;
                }
            }
            if chosen != own {
                let wt = acc.w[chosen];
                ext[chosen] = ext[chosen] + ext[own] - 2.0 * wt;
                rkout[chosen] += g.kout[v];
                rkin[chosen] += g.kin[v];
                rsize[chosen] += 1;
                rsize[own] = 0;
                refined[v] = chosen;
            }
            acc.clear();
        }
    }
    Ok(refined)
}

#[cfg(test)]
#[path = "leiden_tests.rs"]
mod tests;
