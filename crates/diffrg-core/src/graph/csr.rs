//! Weighted, directed or undirected graph stored as CSR (row `i` lists the out-neighbours of `i`).
//!
//! Undirected graphs store both directions of every edge, so `A` is symmetric and row sums are
//! degrees (strengths). Column indices are sorted and unique within each row.

use crate::error::{Error, Result};

/// Options for [`Graph::from_edges`].
#[derive(Debug, Clone)]
pub struct EdgeListOptions {
    /// Edges are directed (`i -> j`); otherwise each edge is stored in both directions.
    pub directed: bool,
    /// Treat a directed edge list as undirected (A + A^T, weights of both directions summed).
    pub symmetrize: bool,
    /// Ignore weights (every edge weight 1; duplicates still merge to 1).
    pub unweighted: bool,
    /// Drop `i -> i` entries.
    pub drop_self_loops: bool,
}

impl Default for EdgeListOptions {
    fn default() -> Self {
        EdgeListOptions { directed: false, symmetrize: false, unweighted: false, drop_self_loops: true }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    n: usize,
    directed: bool,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    weights: Vec<f64>,
}

/// Assembles CSR arrays from `(row, column, weight)` triples sorted by `(row, column)`;
/// repeated `(row, column)` entries are folded into one with `merge(previous, next)`.
pub(crate) fn csr_from_sorted(
    n: usize,
    triples: impl IntoIterator<Item = (u32, u32, f64)>,
    merge: impl Fn(f64, f64) -> f64,
) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let triples = triples.into_iter();
    let mut indptr = vec![0usize; n + 1];
    let mut indices = Vec::with_capacity(triples.size_hint().0);
    let mut weights: Vec<f64> = Vec::with_capacity(triples.size_hint().0);
    let mut last: Option<(u32, u32)> = None;
    for (i, j, w) in triples {
        if last == Some((i, j)) {
            let slot = weights.last_mut().expect("merged entry has a predecessor");
            *slot = merge(*slot, w);
            continue;
        }
        last = Some((i, j));
        indptr[i as usize + 1] += 1;
        indices.push(j);
        weights.push(w);
    }
    for i in 0..n {
        indptr[i + 1] += indptr[i];
    }
    (indptr, indices, weights)
}

impl Graph {
    /// Builds a graph from `(source, target, weight)` triples. Duplicate edges are merged by
    /// summing weights (or set to 1 when `unweighted`). Weights must be finite and >= 0;
    /// zero-weight edges are kept out of the structure.
    ///
    /// Complexity: O(E log E).
    pub fn from_edges(n: usize, edges: &[(usize, usize, f64)], opts: &EdgeListOptions) -> Result<Graph> {
        if n > u32::MAX as usize {
            return Err(Error::too_large(format!("{n} nodes exceed the 2^32 node limit")));
        }
        let directed = opts.directed && !opts.symmetrize;
        let mut triples: Vec<(u32, u32, f64)> = Vec::with_capacity(if directed { edges.len() } else { 2 * edges.len() });
        for (k, &(i, j, w)) in edges.iter().enumerate() {
            if i >= n || j >= n {
                return Err(Error::invalid_input(format!(
                    "edge {k}: node id {} out of range for a graph of {n} nodes",
                    if i >= n { i } else { j }
                )));
            }
            if !w.is_finite() {
                return Err(Error::not_finite(format!("edge {k} ({i} -> {j}): weight is {w}")));
            }
            if w < 0.0 {
                return Err(Error::invalid_input(format!("edge {k} ({i} -> {j}): negative weight {w}")));
            }
            if (i == j && opts.drop_self_loops) || w == 0.0 {
                continue;
            }
            let w = if opts.unweighted { 1.0 } else { w };
            triples.push((i as u32, j as u32, w));
            if !directed && i != j {
                triples.push((j as u32, i as u32, w));
            }
        }
        // Duplicates are summed in weight order, so (i, j) and (j, i) of an undirected graph get
        // bit-identical sums (an unstable sort by (i, j) alone summed them in different orders).
        triples.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        let unweighted = opts.unweighted;
        let (indptr, indices, weights) = csr_from_sorted(n, triples, |a, b| if unweighted { 1.0 } else { a + b });
        Ok(Graph { n, directed, indptr, indices, weights })
    }

    /// [`Graph::from_edges`] from parallel `sources` / `targets` / `weights` arrays (weight 1
    /// without `weights`). Errors: `ERR_INVALID_INPUT` when the arrays differ in length, then as
    /// [`Graph::from_edges`].
    pub fn from_edge_arrays(n: usize, sources: &[u32], targets: &[u32], weights: Option<&[f64]>, opts: &EdgeListOptions) -> Result<Graph> {
        if sources.len() != targets.len() || weights.is_some_and(|w| w.len() != sources.len()) {
            return Err(Error::invalid_input(format!(
                "edge arrays differ in length: sources {}, targets {}, weights {}",
                sources.len(),
                targets.len(),
                weights.map_or(sources.len(), |w| w.len())
            )));
        }
        let edges: Vec<(usize, usize, f64)> =
            (0..sources.len()).map(|k| (sources[k] as usize, targets[k] as usize, weights.map_or(1.0, |w| w[k]))).collect();
        Graph::from_edges(n, &edges, opts)
    }

    /// [`Graph::from_csr`] with `indptr` given as numbers (JavaScript offsets may exceed 2^32)
    /// and weight 1 without `weights`. Errors: `ERR_INVALID_INPUT` naming `indptr[k]` when an
    /// offset is not a non-negative integer, then as [`Graph::from_csr`].
    pub fn from_csr_numbers(n: usize, indptr: &[f64], indices: Vec<u32>, weights: Option<Vec<f64>>, directed: bool) -> Result<Graph> {
        let mut ptr = Vec::with_capacity(indptr.len());
        for (k, &v) in indptr.iter().enumerate() {
            if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0) {
                return Err(Error::invalid_input(format!("indptr[{k}] = {v} is not a non-negative integer")));
            }
            ptr.push(v as usize);
        }
        let w = weights.unwrap_or_else(|| vec![1.0; indices.len()]);
        Graph::from_csr(n, ptr, indices, w, directed)
    }

    /// Validates and wraps CSR arrays (rows sorted, no duplicates, finite non-negative weights;
    /// an undirected graph must be symmetric).
    pub fn from_csr(n: usize, indptr: Vec<usize>, indices: Vec<u32>, weights: Vec<f64>, directed: bool) -> Result<Graph> {
        if indptr.len() != n + 1 {
            return Err(Error::invalid_input(format!("indptr has length {}, expected n + 1 = {}", indptr.len(), n + 1)));
        }
        if indptr[0] != 0 || indptr[n] != indices.len() || indices.len() != weights.len() {
            return Err(Error::invalid_input(format!(
                "inconsistent CSR: indptr[0] = {}, indptr[n] = {}, {} indices, {} weights",
                indptr[0],
                indptr[n],
                indices.len(),
                weights.len()
            )));
        }
        // all of indptr first: a row end beyond the last index must not be sliced
        if let Some(i) = (0..n).find(|&i| indptr[i] > indptr[i + 1]) {
            return Err(Error::invalid_input(format!("indptr decreases at row {i} ({} > {})", indptr[i], indptr[i + 1])));
        }
        for i in 0..n {
            let row = &indices[indptr[i]..indptr[i + 1]];
            for (k, &j) in row.iter().enumerate() {
                if j as usize >= n {
                    return Err(Error::invalid_input(format!("row {i}: column {j} out of range for {n} nodes")));
                }
                if k > 0 && row[k - 1] >= j {
                    return Err(Error::invalid_input(format!("row {i}: columns not strictly increasing")));
                }
            }
        }
        for (k, &w) in weights.iter().enumerate() {
            if !w.is_finite() {
                return Err(Error::not_finite(format!("weights[{k}] is {w}")));
            }
            if w < 0.0 {
                return Err(Error::invalid_input(format!("weights[{k}] is negative ({w})")));
            }
        }
        let g = Graph { n, directed, indptr, indices, weights };
        if !directed && !g.is_symmetric() {
            return Err(Error::invalid_input("undirected CSR graph is not symmetric"));
        }
        Ok(g)
    }

    pub fn n(&self) -> usize {
        self.n
    }
    pub fn is_directed(&self) -> bool {
        self.directed
    }
    /// Stored entries (an undirected edge counts twice, a self-loop once).
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
    /// Number of edges: directed entries, or undirected pairs (self-loops once).
    pub fn num_edges(&self) -> usize {
        if self.directed {
            self.nnz()
        } else {
            let loops = (0..self.n).filter(|&i| self.neighbors(i).0.binary_search(&(i as u32)).is_ok()).count();
            (self.nnz() - loops) / 2 + loops
        }
    }
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Out-neighbours of `i` and the weights of those edges.
    #[inline]
    pub fn neighbors(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.weights[a..b])
    }
    /// Weight of edge `i -> j` (0 when absent).
    pub fn weight(&self, i: usize, j: usize) -> f64 {
        let (cols, ws) = self.neighbors(i);
        cols.binary_search(&(j as u32)).map(|k| ws[k]).unwrap_or(0.0)
    }
    /// Out-strengths (weighted out-degrees), self-loops included.
    pub fn out_strengths(&self) -> Vec<f64> {
        (0..self.n).map(|i| self.neighbors(i).1.iter().sum()).collect()
    }
    /// Edges as `(source, target, weight)`; an undirected edge is listed once with source <= target.
    pub fn edges(&self) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::with_capacity(self.num_edges());
        for i in 0..self.n {
            let (cols, ws) = self.neighbors(i);
            for (&j, &w) in cols.iter().zip(ws) {
                if self.directed || i <= j as usize {
                    out.push((i, j as usize, w));
                }
            }
        }
        out
    }
    fn is_symmetric(&self) -> bool {
        (0..self.n).all(|i| {
            let (cols, ws) = self.neighbors(i);
            cols.iter().zip(ws).all(|(&j, &w)| self.weight(j as usize, i) == w)
        })
    }
    /// The undirected graph with weights `A + A^T` (a directed graph) or itself (undirected).
    pub fn symmetrized(&self) -> Graph {
        if !self.directed {
            return self.clone();
        }
        let opts = EdgeListOptions { directed: false, drop_self_loops: false, ..Default::default() };
        Graph::from_edges(self.n, &self.edges(), &opts).expect("valid graph stays valid")
    }
    /// Weakly connected component label of every node (labels 0.., in order of first node).
    pub fn components(&self) -> Vec<usize> {
        let mut parent: Vec<usize> = (0..self.n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for i in 0..self.n {
            for &j in self.neighbors(i).0 {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j as usize));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut label = vec![usize::MAX; self.n];
        let mut next = 0;
        let mut out = vec![0; self.n];
        for i in 0..self.n {
            let r = find(&mut parent, i);
            if label[r] == usize::MAX {
                label[r] = next;
                next += 1;
            }
            out[i] = label[r];
        }
        out
    }
    /// [`Graph::induced`] of node ids given from outside. Errors: `ERR_INVALID_INPUT` naming
    /// `nodes[k]` when an id is out of range.
    pub fn subgraph(&self, nodes: &[u32]) -> Result<Graph> {
        let n = self.n;
        if let Some(k) = nodes.iter().position(|&v| v as usize >= n) {
            return Err(Error::invalid_input(format!("nodes[{k}] = {} out of range for {n} nodes", nodes[k])));
        }
        Ok(self.induced(&nodes.iter().map(|&v| v as usize).collect::<Vec<_>>()))
    }

    /// The subgraph induced by `nodes` (in that order): node `k` of the result is `nodes[k]`.
    pub fn induced(&self, nodes: &[usize]) -> Graph {
        let mut pos = vec![u32::MAX; self.n];
        for (k, &v) in nodes.iter().enumerate() {
            pos[v] = k as u32;
        }
        let mut indptr = vec![0usize; nodes.len() + 1];
        let mut indices = Vec::new();
        let mut weights = Vec::new();
        for (k, &v) in nodes.iter().enumerate() {
            let (cols, ws) = self.neighbors(v);
            let mut row: Vec<(u32, f64)> =
                cols.iter().zip(ws).filter(|(&j, _)| pos[j as usize] != u32::MAX).map(|(&j, &w)| (pos[j as usize], w)).collect();
            row.sort_unstable_by_key(|e| e.0);
            for (j, w) in row {
                indices.push(j);
                weights.push(w);
            }
            indptr[k + 1] = indices.len();
        }
        Graph { n: nodes.len(), directed: self.directed, indptr, indices, weights }
    }
    /// The largest weakly connected component (ties: the one with the smallest node) and the
    /// original index of each of its nodes.
    pub fn largest_component(&self) -> (Graph, Vec<usize>) {
        let comp = self.components();
        let k = comp.iter().max().map_or(0, |&m| m + 1);
        let mut size = vec![0usize; k];
        for &c in &comp {
            size[c] += 1;
        }
        let best = (0..k).max_by_key(|&c| (size[c], std::cmp::Reverse(c))).unwrap_or(0);
        let nodes: Vec<usize> = (0..self.n).filter(|&i| comp[i] == best).collect();
        (self.induced(&nodes), nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_and_csr_arrays_are_checked_then_built_as_the_plain_constructors() {
        let o = EdgeListOptions::default();
        let g = Graph::from_edge_arrays(3, &[0, 1], &[1, 2], Some(&[2.0, 3.0]), &o).unwrap();
        let h = Graph::from_edges(3, &[(0, 1, 2.0), (1, 2, 3.0)], &o).unwrap();
        assert_eq!((g.indptr(), g.indices(), g.weights()), (h.indptr(), h.indices(), h.weights()));
        let u = Graph::from_edge_arrays(3, &[0], &[1], None, &o).unwrap();
        assert_eq!(u.weights(), &[1.0, 1.0]);
        for (s, t, w) in [(&[0u32][..], &[][..], None), (&[0][..], &[1][..], Some(&[1.0, 2.0][..]))] {
            assert_eq!(Graph::from_edge_arrays(3, s, t, w, &o).unwrap_err().code, crate::ErrorCode::InvalidInput);
        }
        let c = Graph::from_csr_numbers(3, &[0.0, 1.0, 3.0, 4.0], vec![1, 0, 2, 1], None, false).unwrap();
        assert_eq!((c.indptr(), c.weights()), (&[0usize, 1, 3, 4][..], &[1.0; 4][..]));
        let s = c.subgraph(&[2, 1]).unwrap();
        assert_eq!((s.n(), s.indices()), (2, &[1u32, 0][..]));
        assert!(c.subgraph(&[0, 3]).unwrap_err().message.starts_with("nodes[1] = 3"));
        for bad in [-1.0, 0.5, f64::NAN] {
            let e = Graph::from_csr_numbers(1, &[0.0, bad], vec![], None, true).unwrap_err();
            assert!(e.code == crate::ErrorCode::InvalidInput && e.message.starts_with("indptr[1]"), "{e:?}");
        }
    }

    #[test]
    fn duplicate_undirected_edges_sum_to_a_symmetric_graph() {
        // float sums depend on the order: 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1
        let mut edges = Vec::new();
        for k in 0..200 {
            let w = 0.1 + (k as f64 * 0.7368).sin().abs();
            if k % 2 == 0 {
                edges.push((0, 1, w))
            } else {
                edges.push((1, 0, w))
            }
            edges.push((2, 1, w * 1e-3 + 1e-17 * k as f64));
        }
        let g = Graph::from_edges(3, &edges, &EdgeListOptions::default()).unwrap();
        assert_eq!(g.weight(0, 1), g.weight(1, 0));
        assert_eq!(g.weight(1, 2), g.weight(2, 1));
        let (indptr, indices, weights) = (g.indptr.clone(), g.indices.clone(), g.weights.clone());
        assert!(Graph::from_csr(3, indptr, indices, weights, false).is_ok());
    }

    #[test]
    fn merges_duplicates_and_symmetrizes() {
        let g = Graph::from_edges(3, &[(0, 1, 1.0), (1, 0, 2.0), (1, 2, 1.0)], &EdgeListOptions::default()).unwrap();
        assert_eq!(g.weight(0, 1), 3.0);
        assert_eq!(g.weight(1, 0), 3.0);
        assert_eq!(g.num_edges(), 2);
        assert_eq!(g.out_strengths(), vec![3.0, 4.0, 1.0]);
    }

    #[test]
    fn directed_keeps_orientation() {
        let opts = EdgeListOptions { directed: true, ..Default::default() };
        let g = Graph::from_edges(3, &[(0, 1, 1.0), (1, 2, 2.0)], &opts).unwrap();
        assert_eq!(g.weight(1, 0), 0.0);
        assert_eq!(g.symmetrized().weight(1, 0), 1.0);
    }

    #[test]
    fn rejects_bad_edges() {
        let o = EdgeListOptions::default();
        assert_eq!(Graph::from_edges(2, &[(0, 2, 1.0)], &o).unwrap_err().code, crate::error::ErrorCode::InvalidInput);
        assert_eq!(Graph::from_edges(2, &[(0, 1, f64::NAN)], &o).unwrap_err().code, crate::error::ErrorCode::NotFinite);
        assert_eq!(Graph::from_edges(2, &[(0, 1, -1.0)], &o).unwrap_err().code, crate::error::ErrorCode::InvalidInput);
    }

    #[test]
    fn components_and_largest() {
        let g = Graph::from_edges(5, &[(0, 1, 1.0), (3, 4, 1.0), (2, 3, 1.0)], &EdgeListOptions::default()).unwrap();
        assert_eq!(g.components(), vec![0, 0, 1, 1, 1]);
        let (lc, map) = g.largest_component();
        assert_eq!(map, vec![2, 3, 4]);
        assert_eq!(lc.num_edges(), 2);
        let empty = Graph::from_edges(0, &[], &EdgeListOptions::default()).unwrap();
        assert_eq!(empty.largest_component().0.n(), 0);
    }
}
