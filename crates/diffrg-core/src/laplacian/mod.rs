//! Graph Laplacians.
//!
//! - combinatorial: `L = D - A`
//! - normalized: `L = I - D^{-1/2} A D^{-1/2}` (isolated nodes get a zero row)
//! - random-walk: `L = I - D^{-1} A`, similar to the normalized one (same spectrum), so the
//!   density-matrix thermodynamics of the two coincide.
//!
//! For directed graphs `D` holds out-strengths and `L` is not symmetric; spectral routines
//! that need a symmetric operator work on the symmetrized graph.

use crate::graph::Graph;

mod operator;
pub use operator::SymLaplacian;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LaplacianKind {
    #[default]
    Combinatorial,
    Normalized,
    RandomWalk,
}

named_enum!(LaplacianKind, "kind" { Combinatorial => "combinatorial", Normalized => "normalized", RandomWalk => "random-walk" | "randomwalk" | "rw" });

/// Dense row-major Laplacian of `g` (self-loops do not change `L`).
///
/// Complexity: O(N^2) memory.
pub fn dense(g: &Graph, kind: LaplacianKind) -> faer::Mat<f64> {
    let n = g.n();
    let d = strengths_without_loops(g);
    let mut l = faer::Mat::<f64>::zeros(n, n);
    for i in 0..n {
        let (cols, ws) = g.neighbors(i);
        for (&j, &w) in cols.iter().zip(ws) {
            let j = j as usize;
            if i != j {
                l[(i, j)] = -off_diagonal_scale(kind, &d, i, j) * w;
            }
        }
        l[(i, i)] = diagonal(kind, d[i]);
    }
    l
}

/// `y = L x` for the symmetric Laplacians (combinatorial, normalized) without forming `L`.
pub fn apply(g: &Graph, kind: LaplacianKind, strengths: &[f64], x: &[f64], y: &mut [f64]) {
    for i in 0..g.n() {
        let (cols, ws) = g.neighbors(i);
        let mut acc = diagonal(kind, strengths[i]) * x[i];
        for (&j, &w) in cols.iter().zip(ws) {
            let j = j as usize;
            if i != j {
                acc -= off_diagonal_scale(kind, strengths, i, j) * w * x[j];
            }
        }
        y[i] = acc;
    }
}

/// The symmetric problem whose spectrum defines rho(tau): a directed graph is symmetrized
/// (A + A^T) and the random-walk Laplacian is replaced by the similar normalized one.
pub fn symmetric_form(g: &Graph, kind: LaplacianKind) -> (std::borrow::Cow<'_, Graph>, LaplacianKind) {
    let g = if g.is_directed() { std::borrow::Cow::Owned(g.symmetrized()) } else { std::borrow::Cow::Borrowed(g) };
    let kind = if kind == LaplacianKind::RandomWalk { LaplacianKind::Normalized } else { kind };
    (g, kind)
}

/// Out-strengths ignoring self-loops (the `D` of `L = D - A`).
pub fn strengths_without_loops(g: &Graph) -> Vec<f64> {
    (0..g.n())
        .map(|i| {
            let (cols, ws) = g.neighbors(i);
            cols.iter().zip(ws).filter(|(&j, _)| j as usize != i).map(|(_, &w)| w).sum()
        })
        .collect()
}

#[inline]
fn diagonal(kind: LaplacianKind, d: f64) -> f64 {
    match kind {
        LaplacianKind::Combinatorial => d,
        _ => {
            if d > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

#[inline]
fn off_diagonal_scale(kind: LaplacianKind, d: &[f64], i: usize, j: usize) -> f64 {
    match kind {
        LaplacianKind::Combinatorial => 1.0,
        LaplacianKind::Normalized => 1.0 / (d[i] * d[j]).sqrt(),
        LaplacianKind::RandomWalk => 1.0 / d[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::ring;

    #[test]
    fn rows_sum_to_zero_and_apply_matches_dense() {
        let g = ring(7);
        let l = dense(&g, LaplacianKind::Combinatorial);
        for i in 0..7 {
            let s: f64 = (0..7).map(|j| l[(i, j)]).sum();
            assert!(s.abs() < 1e-12);
        }
        let x: Vec<f64> = (0..7).map(|i| (i as f64).sin()).collect();
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let l = dense(&g, kind);
            let mut y = vec![0.0; 7];
            apply(&g, kind, &strengths_without_loops(&g), &x, &mut y);
            for i in 0..7 {
                let r: f64 = (0..7).map(|j| l[(i, j)] * x[j]).sum();
                assert!((r - y[i]).abs() < 1e-12);
            }
        }
    }
}
