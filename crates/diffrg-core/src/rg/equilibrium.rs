//! Equilibrium-preserving Laplacian renormalization (Yi, Yang, Goh, Lee 2025), for directed
//! and undirected graphs.
//!
//! Ranking: node pairs are merged (union-find, decreasing score, ties by `(i, j)`) by the
//! symmetric exchange score `s_ij = K_ij K_ji / (K_ii K_jj)`, `K = exp(-tau L)`, until the
//! target number of supernodes remains (default `#{Re lam < 1/tau}`, as in the mode-counting
//! rule). Pairs with `s_ij = 0` are never merged.
//!
//! Renormalized Laplacian: with `l`, `r` the left and right null vectors of `L`
//! (`l^T L = 0`, `L r = 0`, both non-negative),
//!
//! `L'_VE = sum_{i in V, j in E} l_i L_ij r_j / (C_V C_E)`,  `C_V = sqrt(sum_{i in V} l_i r_i)`.
//!
//! This is the Petrov-Galerkin projection `L' = R L P` with restriction `R_Vi = l_i / C_V`
//! and prolongation `P_jE = r_j / C_E`, `R P = I`. Its null vectors are `l' = r' = C`, so the
//! flow can be iterated on `L'` with known null vectors, and the coarse stationary weight
//! `l'_V r'_V = C_V^2 = sum_{i in V} l_i r_i` is the fine stationary state aggregated over
//! the supernode (equilibrium preserved). The equivalent generator with zero row sums is
//! `G = diag(C)^{-1} L' diag(C)`, `G_VE = sum_{i in V, j in E} l_i L_ij r_j / C_V^2`; its
//! off-diagonal `-G_VE` are the coarse graph's weights (rates).

use super::mode_count::merge_by_score;
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::Mat;

/// Output of one equilibrium-preserving step.
#[derive(Debug, Clone)]
pub struct EquilibriumStep {
    pub assignment: Vec<usize>,
    /// `L'` as defined in the module docs (`n' x n'`).
    pub laplacian: Mat<f64>,
    /// `C` (the left and right null vector of `L'`).
    pub scale: Vec<f64>,
    /// Zero-row-sum generator `G = diag(C)^{-1} L' diag(C)`.
    pub generator: Mat<f64>,
}

/// Left and right non-negative null vectors of a Laplacian-like matrix.
///
/// Fast paths: zero row sums give `r = 1`, zero column sums give `l = 1`. Otherwise the
/// singular vectors of the smallest singular value are used, after checking that it is
/// simple (a unique stationary state).
///
/// Errors: `ERR_INVALID_INPUT` when the null space is not one-dimensional (e.g. a directed
/// graph with several closed classes) or the null vector changes sign.
pub fn null_vectors(l: &Mat<f64>, exec: &Exec) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = l.nrows();
    let scale = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| l[(i, j)].abs()).fold(0.0, f64::max).max(1e-300);
    let tol = 1e-11 * scale * n.max(1) as f64;
    let rows_zero = (0..n).all(|i| (0..n).map(|j| l[(i, j)]).sum::<f64>().abs() <= tol);
    let cols_zero = (0..n).all(|j| (0..n).map(|i| l[(i, j)]).sum::<f64>().abs() <= tol);
    if rows_zero && cols_zero {
        return Ok((vec![1.0; n], vec![1.0; n]));
    }
    exec.check()?;
    let svd = exec.install(|| l.svd()).map_err(|e| Error::no_convergence(format!("SVD for the null vectors failed: {e:?}")))?;
    let s = svd.S();
    if n >= 2 && s[n - 2] <= 1e-9 * s[0].max(1e-300) {
        return Err(Error::invalid_input(
            "laplacian: the null space has dimension > 1 (no unique stationary state); use the largest (strongly) connected component",
        ));
    }
    let fix = |v: Vec<f64>| -> Result<Vec<f64>> {
        let sign = if v.iter().sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
        let v: Vec<f64> = v.into_iter().map(|x| x * sign).collect();
        let m = v.iter().cloned().fold(0.0, f64::max);
        if v.iter().any(|&x| x < -1e-8 * m) {
            return Err(Error::invalid_input(
                "laplacian: the null vector changes sign (not a Laplacian of a graph with non-negative weights)",
            ));
        }
        Ok(v.into_iter().map(|x| x.max(0.0) / m).collect())
    };
    let right = if rows_zero { vec![1.0; n] } else { fix((0..n).map(|i| svd.V()[(i, n - 1)]).collect())? };
    let left = if cols_zero { vec![1.0; n] } else { fix((0..n).map(|i| svd.U()[(i, n - 1)]).collect())? };
    Ok((left, right))
}

/// Supernodes from the exchange score `K_ij K_ji / (K_ii K_jj)` merged down to `target`.
pub fn partition(k: &Mat<f64>, target: usize, exec: &Exec) -> Result<Vec<usize>> {
    merge_by_score(k.nrows(), target, exec, |i, j| {
        let d = k[(i, i)] * k[(j, j)];
        if d > 0.0 {
            (k[(i, j)] * k[(j, i)]).max(0.0) / d
        } else {
            0.0
        }
    })
}

/// The renormalized Laplacian `L'`, `C` and the zero-row-sum generator (module docs).
///
/// Errors: `ERR_INVALID_INPUT` on length mismatches or a supernode with `C_V = 0`.
pub fn renormalize(l: &Mat<f64>, left: &[f64], right: &[f64], assignment: &[usize]) -> Result<EquilibriumStep> {
    let n = l.nrows();
    if left.len() != n || right.len() != n || assignment.len() != n {
        return Err(Error::invalid_input(format!("renormalize: expected {n} null-vector and assignment entries")));
    }
    let m = super::contract::count(assignment);
    let mut c2 = vec![0.0; m];
    for i in 0..n {
        c2[assignment[i]] += left[i] * right[i];
    }
    if let Some(v) = c2.iter().position(|&x| !(x > 0.0)) {
        return Err(Error::invalid_input(format!("renormalize: supernode {v} has zero stationary weight (C_V = 0)")));
    }
    let c: Vec<f64> = c2.iter().map(|x| x.sqrt()).collect();
    let mut agg = Mat::<f64>::zeros(m, m);
    for j in 0..n {
        let (e, rj) = (assignment[j], right[j]);
        for i in 0..n {
            let x = l[(i, j)];
            if x != 0.0 {
                agg[(assignment[i], e)] += left[i] * x * rj;
            }
        }
    }
    let lp = Mat::<f64>::from_fn(m, m, |v, e| agg[(v, e)] / (c[v] * c[e]));
    let gen = Mat::<f64>::from_fn(m, m, |v, e| agg[(v, e)] / c2[v]);
    Ok(EquilibriumStep { assignment: assignment.to_vec(), laplacian: lp, scale: c, generator: gen })
}

/// Default target size: `#{k : Re lam_k < 1/tau}` of `L` (at least 1).
pub fn default_target(l: &Mat<f64>, tau: f64, exec: &Exec) -> Result<usize> {
    let n = l.nrows();
    if tau <= 0.0 || n == 0 {
        return Ok(n);
    }
    let vals = exec.install(|| l.eigenvalues()).map_err(|e| Error::no_convergence(format!("eigenvalues failed: {e:?}")))?;
    Ok(vals.iter().filter(|z| z.re < 1.0 / tau).count().max(1))
}

/// One equilibrium-preserving step on a dense Laplacian with known null vectors.
pub fn step(l: &Mat<f64>, left: &[f64], right: &[f64], tau: f64, target: Option<usize>, exec: &Exec) -> Result<EquilibriumStep> {
    super::kernel::check_tau(tau)?;
    let n = l.nrows();
    let symmetric = (0..n).all(|i| (0..i).all(|j| l[(i, j)] == l[(j, i)]));
    let k = if symmetric { super::kernel::symmetric_expm(l, tau, exec)? } else { super::kernel::general_expm(l, -tau, exec)? };
    let target = match target {
        Some(t) => t,
        None => default_target(l, tau, exec)?,
    };
    let a = partition(&k, target, exec)?;
    renormalize(l, left, right, &a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{EdgeListOptions, Graph};
    use crate::laplacian::{self, LaplacianKind};

    fn directed(n: usize, e: &[(usize, usize, f64)]) -> Graph {
        Graph::from_edges(n, e, &EdgeListOptions { directed: true, ..Default::default() }).unwrap()
    }

    #[test]
    fn null_vectors_and_stationarity_on_a_directed_graph() {
        let ex = Exec::sequential();
        let g = directed(5, &[(0, 1, 1.0), (1, 2, 2.0), (2, 0, 1.5), (2, 3, 0.5), (3, 4, 1.0), (4, 2, 3.0), (1, 0, 0.2)]);
        let l = laplacian::dense(&g, LaplacianKind::Combinatorial);
        let (left, right) = null_vectors(&l, &ex).unwrap();
        assert!(right.iter().all(|&x| (x - 1.0).abs() < 1e-12));
        for j in 0..5 {
            assert!((0..5).map(|i| left[i] * l[(i, j)]).sum::<f64>().abs() < 1e-12);
        }
        let st = step(&l, &left, &right, 0.5, Some(3), &ex).unwrap();
        let m = st.scale.len();
        assert_eq!(m, 3);
        for v in 0..m {
            // L' r' = 0, l'^T L' = 0, zero row sums of G, aggregated stationary state.
            assert!((0..m).map(|e| st.laplacian[(v, e)] * st.scale[e]).sum::<f64>().abs() < 1e-12);
            assert!((0..m).map(|e| st.scale[e] * st.laplacian[(e, v)]).sum::<f64>().abs() < 1e-12);
            assert!((0..m).map(|e| st.generator[(v, e)]).sum::<f64>().abs() < 1e-12);
            let agg: f64 = (0..5).filter(|&i| st.assignment[i] == v).map(|i| left[i]).sum();
            assert!((st.scale[v].powi(2) - agg).abs() < 1e-12);
        }
        for v in 0..m {
            assert!((0..m).map(|e| st.scale[e].powi(2) * st.generator[(e, v)]).sum::<f64>().abs() < 1e-12);
        }
    }

    #[test]
    fn two_fast_pairs_reduce_to_the_slow_two_state_process() {
        // Fast pairs {0,1} and {2,3} (rate 1 both ways), slow directed links 1 -> 2 and 3 -> 0.
        let ex = Exec::sequential();
        let eps = 1e-3;
        let g = directed(4, &[(0, 1, 1.0), (1, 0, 1.0), (2, 3, 1.0), (3, 2, 1.0), (1, 2, eps), (3, 0, 2.0 * eps)]);
        let l = laplacian::dense(&g, LaplacianKind::Combinatorial);
        let (left, right) = null_vectors(&l, &ex).unwrap();
        let st = step(&l, &left, &right, 2.0, Some(2), &ex).unwrap();
        assert_eq!(st.assignment, vec![0, 0, 1, 1]);
        // Local equilibrium inside a pair is uniform, so the coarse rates are eps/2 and 2 eps/2.
        assert!((-st.generator[(0, 1)] - eps / 2.0).abs() < 1e-2 * eps);
        assert!((-st.generator[(1, 0)] - eps).abs() < 1e-2 * eps);
        // The coarse relaxation rate matches the slowest fine mode.
        let vals = l.eigenvalues().unwrap();
        let slow = vals.iter().map(|z| z.re).filter(|&x| x > 1e-9).fold(f64::INFINITY, f64::min);
        let coarse = -(st.generator[(0, 1)] + st.generator[(1, 0)]);
        assert!((coarse.abs() - slow).abs() < 1e-2 * slow, "{coarse} vs {slow}");
    }

    #[test]
    fn undirected_combinatorial_is_analytic() {
        // l = r = 1, C_V = sqrt|V|: L'_VE = -w_VE / sqrt(|V||E|).
        let ex = Exec::sequential();
        let g = crate::graph::generators::ring(6);
        let l = laplacian::dense(&g, LaplacianKind::Combinatorial);
        let st = renormalize(&l, &[1.0; 6], &[1.0; 6], &[0, 0, 0, 1, 1, 2]).unwrap();
        assert!((st.laplacian[(0, 1)] + 1.0 / 6f64.sqrt()).abs() < 1e-14);
        assert!((st.laplacian[(1, 2)] + 1.0 / 2f64.sqrt()).abs() < 1e-14);
        assert!((st.laplacian[(0, 0)] - 2.0 / 3.0).abs() < 1e-14);
        assert_eq!(null_vectors(&l, &ex).unwrap().0, vec![1.0; 6]);
    }

    #[test]
    fn several_closed_classes_are_rejected() {
        let ex = Exec::sequential();
        let g = directed(3, &[(0, 1, 1.0), (0, 2, 1.0)]);
        let l = laplacian::dense(&g, LaplacianKind::Combinatorial);
        assert_eq!(null_vectors(&l, &ex).unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(renormalize(&l, &[1.0; 3], &[1.0; 3], &[0, 1]).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }
}
