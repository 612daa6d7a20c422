//! A symmetric Laplacian as a sparse operator: `y = L x` with precomputed entries, sequential
//! or parallel over rows (rayon), for Krylov methods on graphs with up to ~10^7 nodes.
//!
//! The operator stores the off-diagonal entries `L_ij` (self-loops removed, scaling of the
//! chosen Laplacian applied) in CSR form with `u32` column indices plus the diagonal, so one
//! product streams `12 nnz + 16 N` bytes. The random-walk Laplacian is similar to the
//! normalized one (`D^{1/2} L_rw D^{-1/2} = L_sym`), so it is represented by `L_sym`; a
//! directed graph is symmetrized (`A + A^T`) first. Both choices match
//! [`crate::spectral::dense::laplacian_eigenvalues`].

use super::{strengths_without_loops, LaplacianKind};
use crate::graph::Graph;
use rayon::prelude::*;

/// Rows per parallel task: large enough to amortize scheduling, small enough to balance
/// hub-heavy (scale-free) graphs on a few threads.
const ROW_CHUNK: usize = 4096;

/// Below this many stored entries a product runs sequentially.
const PAR_MIN_NNZ: usize = 200_000;

/// Symmetric Laplacian `L` of an undirected (or symmetrized) graph.
#[derive(Debug, Clone)]
pub struct SymLaplacian {
    n: usize,
    kind: LaplacianKind,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
    diag: Vec<f64>,
    strengths: Vec<f64>,
}

impl SymLaplacian {
    /// Builds the operator; `RandomWalk` is represented by the (similar) normalized Laplacian.
    ///
    /// Complexity: O(N + nnz).
    pub fn new(g: &Graph, kind: LaplacianKind) -> SymLaplacian {
        let (g, kind) = super::symmetric_form(g, kind);
        let g = g.as_ref();
        let n = g.n();
        let d = strengths_without_loops(g);
        let inv_sqrt: Vec<f64> = d.iter().map(|&x| if x > 0.0 { 1.0 / x.sqrt() } else { 0.0 }).collect();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let mut indices = Vec::with_capacity(g.nnz());
        let mut values = Vec::with_capacity(g.nnz());
        for i in 0..n {
            let (cols, ws) = g.neighbors(i);
            for (&j, &w) in cols.iter().zip(ws) {
                if j as usize == i {
                    continue;
                }
                indices.push(j);
                values.push(match kind {
                    LaplacianKind::Combinatorial => -w,
                    _ => -w * inv_sqrt[i] * inv_sqrt[j as usize],
                });
            }
            indptr.push(indices.len());
        }
        let diag = d
            .iter()
            .map(|&x| match kind {
                LaplacianKind::Combinatorial => x,
                _ => {
                    if x > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                }
            })
            .collect();
        SymLaplacian { n, kind, indptr, indices, values, diag, strengths: d }
    }

    pub fn n(&self) -> usize {
        self.n
    }
    /// Combinatorial or Normalized (RandomWalk maps to Normalized).
    pub fn kind(&self) -> LaplacianKind {
        self.kind
    }
    /// Stored off-diagonal entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
    /// Strengths `d_i` (self-loops excluded).
    pub fn strengths(&self) -> &[f64] {
        &self.strengths
    }

    /// The stored CSR of the off-diagonal part and the diagonal:
    /// `(indptr, indices, values, diag)`.
    pub(crate) fn csr(&self) -> (&[usize], &[u32], &[f64], &[f64]) {
        (&self.indptr, &self.indices, &self.values, &self.diag)
    }

    /// Upper bound on `lam_max` by Gershgorin: `max_i (L_ii + sum_j |L_ij|)`
    /// (`<= 2 d_max` combinatorial, `<= 2` normalized).
    pub fn gershgorin_bound(&self) -> f64 {
        (0..self.n)
            .map(|i| self.diag[i] + self.values[self.indptr[i]..self.indptr[i + 1]].iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max)
    }

    #[inline]
    fn row(&self, i: usize, x: &[f64]) -> f64 {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        let mut acc = self.diag[i] * x[i];
        for (&j, &v) in self.indices[a..b].iter().zip(&self.values[a..b]) {
            acc += v * x[j as usize];
        }
        acc
    }

    /// `y = L x`, sequential.
    pub fn apply(&self, x: &[f64], y: &mut [f64]) {
        assert!(x.len() == self.n && y.len() == self.n, "operator dimension mismatch");
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = self.row(i, x);
        }
    }

    /// `y = L x`, rows in parallel on the current rayon pool when the operator is large
    /// (call inside [`crate::exec::Exec::install`]); sequential for small operators.
    pub fn apply_par(&self, x: &[f64], y: &mut [f64]) {
        assert!(x.len() == self.n && y.len() == self.n, "operator dimension mismatch");
        if self.nnz() < PAR_MIN_NNZ || rayon::current_num_threads() <= 1 {
            return self.apply(x, y);
        }
        y.par_chunks_mut(ROW_CHUNK).enumerate().for_each(|(c, chunk)| {
            let base = c * ROW_CHUNK;
            for (k, yi) in chunk.iter_mut().enumerate() {
                *yi = self.row(base + k, x);
            }
        });
    }

    /// `Y = L X` for `b` vectors stored row-major (`X[i * b + c]` is entry i of vector c): one
    /// pass over the matrix serves all of them, and each gathered neighbour row `X[j * b ..]` is
    /// one contiguous (cache-line sized for b = 8) load instead of b scattered ones. Rows in
    /// parallel on the current rayon pool for large operators.
    pub fn apply_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        assert!(b > 0 && x.len() == self.n * b && y.len() == self.n * b, "operator dimension mismatch");
        let rows = |base: usize, chunk: &mut [f64]| {
            for (k, yi) in chunk.chunks_exact_mut(b).enumerate() {
                let i = base + k;
                let d = self.diag[i];
                for c in 0..b {
                    yi[c] = d * x[i * b + c];
                }
                let (a, e) = (self.indptr[i], self.indptr[i + 1]);
                for (&j, &v) in self.indices[a..e].iter().zip(&self.values[a..e]) {
                    let xj = &x[j as usize * b..j as usize * b + b];
                    for c in 0..b {
                        yi[c] += v * xj[c];
                    }
                }
            }
        };
        if self.nnz() < PAR_MIN_NNZ || rayon::current_num_threads() <= 1 {
            rows(0, y);
        } else {
            y.par_chunks_mut(ROW_CHUNK * b).enumerate().for_each(|(c, chunk)| rows(c * ROW_CHUNK, chunk));
        }
    }

    /// Orthonormal basis of the null space of `L`, one vector per connected component
    /// (`comp[i]` = component label of node i): the normalized indicator of the component
    /// (combinatorial) or `D^{1/2} 1` restricted to it (normalized); an isolated node gives `e_i`.
    /// Returned column-major, `N x k`.
    pub fn null_space(&self, comp: &[usize]) -> (Vec<f64>, usize) {
        let k = comp.iter().max().map_or(0, |&m| m + 1);
        let z = self.null_values(comp);
        let mut basis = vec![0.0; self.n * k];
        for i in 0..self.n {
            basis[comp[i] * self.n + i] = z[i];
        }
        (basis, k)
    }

    /// The null-space basis of [`SymLaplacian::null_space`] in compact form: the vectors have
    /// disjoint supports (one per component), so entry `i` of the vector of component
    /// `comp[i]` is all there is. O(N) memory whatever the number of components.
    pub fn null_values(&self, comp: &[usize]) -> Vec<f64> {
        let k = comp.iter().max().map_or(0, |&m| m + 1);
        let mut norm2 = vec![0.0; k];
        let mut z: Vec<f64> = (0..self.n)
            .map(|i| match self.kind {
                LaplacianKind::Combinatorial => 1.0,
                _ => {
                    if self.strengths[i] > 0.0 {
                        self.strengths[i].sqrt()
                    } else {
                        1.0
                    }
                }
            })
            .collect();
        for i in 0..self.n {
            norm2[comp[i]] += z[i] * z[i];
        }
        for i in 0..self.n {
            z[i] /= norm2[comp[i]].sqrt();
        }
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, ring};
    use crate::graph::EdgeListOptions;

    #[test]
    fn matches_dense_for_all_kinds() {
        let g = barabasi_albert(300, 2, 4);
        let x: Vec<f64> = (0..300).map(|i| ((i * 7) as f64).sin()).collect();
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let op = SymLaplacian::new(&g, kind);
            let l = super::super::dense(&g, kind);
            let mut y = vec![0.0; 300];
            op.apply(&x, &mut y);
            let mut yp = vec![0.0; 300];
            crate::exec::Exec::with_threads(2).install(|| op.apply_par(&x, &mut yp));
            for i in 0..300 {
                let r: f64 = (0..300).map(|j| l[(i, j)] * x[j]).sum();
                assert!((r - y[i]).abs() < 1e-12 && (r - yp[i]).abs() < 1e-12);
            }
            assert!(op.gershgorin_bound() >= 0.0);
            // Block product: three vectors interleaved row-major.
            let xb: Vec<f64> = (0..900).map(|k| x[k / 3] * (1.0 + (k % 3) as f64)).collect();
            let mut yb = vec![0.0; 900];
            op.apply_block(&xb, &mut yb, 3);
            for k in 0..900 {
                assert!((yb[k] - y[k / 3] * (1.0 + (k % 3) as f64)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn parallel_product_on_a_large_operator() {
        let g = barabasi_albert(60_000, 3, 1);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        assert!(op.nnz() >= PAR_MIN_NNZ);
        let x: Vec<f64> = (0..g.n()).map(|i| (i as f64 * 0.37).cos()).collect();
        let (mut y1, mut y2) = (vec![0.0; g.n()], vec![0.0; g.n()]);
        op.apply(&x, &mut y1);
        crate::exec::Exec::with_threads(2).install(|| op.apply_par(&x, &mut y2));
        assert_eq!(y1, y2);
    }

    #[test]
    fn null_space_is_annihilated() {
        // Two components plus an isolated node, with a self-loop that must not matter.
        let edges = [(0, 1, 2.0), (1, 2, 1.0), (3, 4, 1.0), (4, 4, 5.0)];
        let opts = EdgeListOptions { drop_self_loops: false, ..Default::default() };
        let g = Graph::from_edges(6, &edges, &opts).unwrap();
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let op = SymLaplacian::new(&g, kind);
            let (b, k) = op.null_space(&g.components());
            assert_eq!(k, 3);
            let mut y = vec![0.0; 6];
            for c in 0..k {
                let v = &b[c * 6..(c + 1) * 6];
                op.apply(v, &mut y);
                assert!(y.iter().all(|t| t.abs() < 1e-12));
                assert!((v.iter().map(|t| t * t).sum::<f64>() - 1.0).abs() < 1e-12);
            }
        }
        let r = ring(5);
        assert!((SymLaplacian::new(&r, LaplacianKind::Combinatorial).gershgorin_bound() - 4.0).abs() < 1e-12);
    }
}
