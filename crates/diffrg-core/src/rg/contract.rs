//! Metagraph contraction: partitions (assignments fine node -> supernode), union-find,
//! and the contracted graph.
//!
//! Contraction of `G` under an assignment `a`: supernodes `V = a^{-1}(v)`; the weight of
//! `V -> E` (V != E) is `sum_{i in V, j in E} w_ij` (weights summed); edges inside a supernode
//! become self-loops and are dropped. With `unweighted = true` every surviving supernode edge
//! gets weight 1 (the variant that reproduces Villegas et al. 2023; see
//! `docs/laplacian-rg-supernodes.md`). Directedness is preserved.

use crate::error::{Error, Result};
use crate::graph::{EdgeListOptions, Graph};

/// Disjoint-set forest with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
    sets: usize,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect(), size: vec![1; n], sets: n }
    }
    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    /// Merges the sets of `a` and `b`; returns whether they were distinct.
    pub fn union(&mut self, a: usize, b: usize) -> bool {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
        self.sets -= 1;
        true
    }
    /// Number of disjoint sets.
    pub fn sets(&self) -> usize {
        self.sets
    }
    /// Canonical assignment: set labels 0.. in order of each set's smallest node.
    pub fn assignment(&mut self) -> Vec<usize> {
        let n = self.parent.len();
        let roots: Vec<usize> = (0..n).map(|i| self.find(i)).collect();
        canonical(&roots)
    }
}

/// Relabels arbitrary labels to 0.. in order of first appearance (so node 0 is in supernode 0).
pub fn canonical(labels: &[usize]) -> Vec<usize> {
    let mut map = std::collections::HashMap::with_capacity(labels.len() / 2 + 1);
    labels
        .iter()
        .map(|&l| {
            let next = map.len();
            *map.entry(l).or_insert(next)
        })
        .collect()
}

/// Number of supernodes of a canonical assignment.
pub fn count(assignment: &[usize]) -> usize {
    assignment.iter().max().map_or(0, |&m| m + 1)
}

/// Composes `first` (fine -> intermediate) with `second` (intermediate -> coarse).
pub fn compose(first: &[usize], second: &[usize]) -> Result<Vec<usize>> {
    first
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            second.get(a).copied().ok_or_else(|| {
                Error::invalid_input(format!("assignment[{i}] = {a} is out of range for the next step's {} nodes", second.len()))
            })
        })
        .collect()
}

/// The contracted graph of `g` under `assignment` (weights summed, self-loops dropped).
///
/// Errors: `ERR_INVALID_INPUT` when the assignment has the wrong length or skips a label.
/// Complexity: O(E log E).
pub fn contract(g: &Graph, assignment: &[usize], unweighted: bool) -> Result<Graph> {
    if assignment.len() != g.n() {
        return Err(Error::invalid_input(format!("assignment has {} entries for a graph of {} nodes", assignment.len(), g.n())));
    }
    let m = count(assignment);
    let mut seen = vec![false; m];
    for &a in assignment {
        seen[a] = true;
    }
    if let Some(k) = seen.iter().position(|&s| !s) {
        return Err(Error::invalid_input(format!("assignment skips supernode label {k} (labels must be 0..count)")));
    }
    let mut edges = Vec::with_capacity(g.nnz());
    for i in 0..g.n() {
        let (cols, ws) = g.neighbors(i);
        for (&j, &w) in cols.iter().zip(ws) {
            let (a, b) = (assignment[i], assignment[j as usize]);
            // An undirected graph stores both directions: keep one so weights are not doubled.
            if a != b && (g.is_directed() || i < j as usize) {
                edges.push((a, b, w));
            }
        }
    }
    let opts = EdgeListOptions { directed: g.is_directed(), symmetrize: false, unweighted, drop_self_loops: true };
    Graph::from_edges(m, &edges, &opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::ring;

    #[test]
    fn union_find_and_canonical() {
        let mut uf = UnionFind::new(6);
        assert!(uf.union(4, 2));
        assert!(!uf.union(2, 4));
        uf.union(5, 0);
        assert_eq!(uf.sets(), 4);
        assert_eq!(uf.assignment(), vec![0, 1, 2, 3, 2, 0]);
        assert_eq!(canonical(&[7, 7, 3, 9, 3]), vec![0, 0, 1, 2, 1]);
        assert_eq!(count(&[]), 0);
    }

    #[test]
    fn contraction_sums_weights_and_drops_loops() {
        // Ring of 6 contracted in pairs -> ring of 3 with unit weights; in triples -> one edge of weight 2.
        let g = ring(6);
        let c = contract(&g, &[0, 0, 1, 1, 2, 2], false).unwrap();
        assert_eq!(c.n(), 3);
        assert_eq!(c.num_edges(), 3);
        assert_eq!(c.weight(0, 1), 1.0);
        let c = contract(&g, &[0, 0, 0, 1, 1, 1], false).unwrap();
        assert_eq!(c.num_edges(), 1);
        assert_eq!(c.weight(0, 1), 2.0);
        assert_eq!(contract(&g, &[0, 0, 0, 1, 1, 1], true).unwrap().weight(0, 1), 1.0);
        // Directed: orientation kept.
        let d = Graph::from_edges(3, &[(0, 1, 1.0), (1, 2, 3.0)], &EdgeListOptions { directed: true, ..Default::default() }).unwrap();
        let c = contract(&d, &[0, 0, 1], false).unwrap();
        assert!(c.is_directed());
        assert_eq!((c.weight(0, 1), c.weight(1, 0)), (3.0, 0.0));
    }

    #[test]
    fn bad_assignments_are_typed() {
        let g = ring(4);
        assert_eq!(contract(&g, &[0, 1], false).unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(contract(&g, &[0, 2, 2, 0], false).unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(compose(&[0, 1], &[0]).unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(compose(&[0, 1, 1], &[1, 0]).unwrap(), vec![1, 0, 0]);
    }
}
