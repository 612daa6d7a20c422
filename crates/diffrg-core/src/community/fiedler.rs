//! Fiedler vectors: the eigenvectors of the two smallest non-zero eigenvalues `lambda_2 <=
//! lambda_3` of the combinatorial Laplacian `L = D - A` of a connected undirected graph
//! (Fiedler 1973). Small graphs use faer's dense symmetric eigensolver; large ones a Lanczos
//! iteration with full reorthogonalization on the complement of the constant vector (the
//! kernel of `L`), explicitly restarted from the current Ritz vector (Golub & Van Loan,
//! Matrix Computations, ch. 10).
//!
//! Limits: Lanczos converges at a rate set by the relative gap `(lambda_3 - lambda_2) /
//! (lambda_max - lambda_2)`, which is tiny for long path-like graphs; when the residual
//! tolerance is not met the best Ritz vectors are returned with `converged = false` (for an
//! ordering an approximate Fiedler vector is still informative).

use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::{self, LaplacianKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Options for [`fiedler`].
#[derive(Debug, Clone)]
pub struct FiedlerOptions {
    /// Graphs with at most this many nodes use the dense eigensolver. Default 1500.
    pub dense_max: usize,
    /// Lanczos basis size per restart. Default 120.
    pub krylov: usize,
    /// Lanczos restarts. Default 30.
    pub restarts: usize,
    /// Relative residual `||L y - theta y|| / lambda_max` accepted by Lanczos. Default 1e-8.
    pub tol: f64,
}

impl Default for FiedlerOptions {
    fn default() -> Self {
        FiedlerOptions { dense_max: 1500, krylov: 120, restarts: 30, tol: 1e-8 }
    }
}

/// The two smallest non-trivial eigenpairs of `L`.
#[derive(Debug, Clone)]
pub struct FiedlerPairs {
    /// `lambda_2` and its unit eigenvector (the Fiedler vector).
    pub lambda2: f64,
    pub v2: Vec<f64>,
    /// `lambda_3` and its eigenvector, when the graph has at least 3 nodes.
    pub third: Option<(f64, Vec<f64>)>,
    pub converged: bool,
}

/// Fiedler pairs of a connected undirected graph with at least 2 nodes (the caller splits
/// components). Errors: `ERR_INVALID_INPUT` for fewer than 2 nodes or a directed graph,
/// `ERR_ABORTED` on cancellation.
pub fn fiedler(g: &Graph, opts: &FiedlerOptions, exec: &Exec) -> Result<FiedlerPairs> {
    let n = g.n();
    if n < 2 || g.is_directed() {
        return Err(Error::invalid_input(format!("fiedler needs an undirected graph with >= 2 nodes (got {n} nodes)")));
    }
    // tiny graphs always go dense (Lanczos needs a few Krylov vectors)
    if n <= opts.dense_max.max(8) {
        dense(g, exec)
    } else {
        lanczos(g, opts, exec)
    }
}

fn dense(g: &Graph, exec: &Exec) -> Result<FiedlerPairs> {
    let n = g.n();
    ensure_fits("the dense Fiedler solver", 3 * (n as u128) * (n as u128), 8 << 30, "lower dense_max")?;
    exec.check()?;
    let l = laplacian::dense(g, LaplacianKind::Combinatorial);
    let eig = l.self_adjoint_eigen(faer::Side::Lower).map_err(|e| Error::no_convergence(format!("dense eigensolver failed: {e:?}")))?;
    let s = eig.S().column_vector();
    let u = eig.U();
    let col = |k: usize| (0..n).map(|i| u[(i, k)]).collect::<Vec<f64>>();
    let third = if n >= 3 { Some((s[2], col(2))) } else { None };
    Ok(FiedlerPairs { lambda2: s[1], v2: col(1), third, converged: true })
}

fn project_out_mean(x: &mut [f64]) {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    x.iter_mut().for_each(|v| *v -= mean);
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalize(x: &mut [f64]) -> f64 {
    let nrm = dot(x, x).sqrt();
    if nrm > 0.0 {
        x.iter_mut().for_each(|v| *v /= nrm);
    }
    nrm
}

fn lanczos(g: &Graph, opts: &FiedlerOptions, exec: &Exec) -> Result<FiedlerPairs> {
    let n = g.n();
    let d = laplacian::strengths_without_loops(g);
    let scale = 2.0 * d.iter().cloned().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let m = opts.krylov.max(4).min(n - 1);
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    let mut start: Vec<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
    let mut best: Option<FiedlerPairs> = None;
    for _ in 0..opts.restarts.max(1) {
        project_out_mean(&mut start);
        normalize(&mut start);
        let mut basis: Vec<Vec<f64>> = vec![start.clone()];
        let mut alpha = Vec::with_capacity(m);
        let mut beta: Vec<f64> = Vec::with_capacity(m);
        let mut w = vec![0.0; n];
        let mut last_beta = 0.0;
        for j in 0..m {
            exec.check()?;
            laplacian::apply(g, LaplacianKind::Combinatorial, &d, &basis[j], &mut w);
            let a = dot(&w, &basis[j]);
            alpha.push(a);
            // full reorthogonalization (twice is enough) against the basis and the constants
            for _ in 0..2 {
                project_out_mean(&mut w);
                for q in &basis {
                    let c = dot(&w, q);
                    w.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
                }
            }
            let b = normalize(&mut w);
            last_beta = b;
            if j + 1 == m || b <= 1e-12 * scale {
                break;
            }
            beta.push(b);
            basis.push(w.clone());
        }
        let k = alpha.len();
        let mut t = faer::Mat::<f64>::zeros(k, k);
        for i in 0..k {
            t[(i, i)] = alpha[i];
            if i + 1 < k {
                t[(i, i + 1)] = beta[i];
                t[(i + 1, i)] = beta[i];
            }
        }
        let eig = t
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::no_convergence(format!("Lanczos tridiagonal eigensolver failed: {e:?}")))?;
        let s = eig.S().column_vector();
        let u = eig.U();
        let ritz = |c: usize| -> Vec<f64> {
            let mut y = vec![0.0; n];
            for (i, q) in basis.iter().enumerate() {
                let coef = u[(i, c)];
                y.iter_mut().zip(q).for_each(|(a, b)| *a += coef * b);
            }
            y
        };
        let res = |c: usize| (last_beta * u[(k - 1, c)]).abs() / scale;
        let y2 = ritz(0);
        let third = if k >= 2 { Some((s[1], ritz(1))) } else { None };
        let converged = res(0) <= opts.tol && (k < 2 || res(1) <= opts.tol.sqrt());
        let pairs = FiedlerPairs { lambda2: s[0], v2: y2.clone(), third, converged };
        if converged {
            return Ok(pairs);
        }
        start = y2;
        if let Some((_, y3)) = &pairs.third {
            // keep some of the third direction in the restart vector
            start.iter_mut().zip(y3).for_each(|(a, b)| *a += 0.1 * b);
        }
        best = Some(pairs);
    }
    Ok(best.expect("at least one restart"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{erdos_renyi, ring};
    use crate::graph::EdgeListOptions;
    use std::f64::consts::PI;

    fn path(n: usize) -> Graph {
        let e: Vec<_> = (0..n - 1).map(|i| (i, i + 1, 1.0)).collect();
        Graph::from_edges(n, &e, &EdgeListOptions::default()).unwrap()
    }

    #[test]
    fn path_fiedler_is_analytic() {
        // P_n: lambda_k = 2 - 2 cos(pi k / n), v_2(i) ~ cos(pi (i + 1/2) / n), monotone in i.
        for (n, dense_max) in [(30, 1500), (400, 10)] {
            let opts = FiedlerOptions { dense_max, krylov: 200, restarts: 60, ..Default::default() };
            let f = fiedler(&path(n), &opts, &Exec::sequential()).unwrap();
            let want = 2.0 - 2.0 * (PI / n as f64).cos();
            assert!((f.lambda2 - want).abs() < 1e-9 * want.max(1.0), "n={n}: {} vs {want}", f.lambda2);
            let sign = f.v2[0].signum();
            for i in 0..n {
                let exact = (PI * (i as f64 + 0.5) / n as f64).cos() * (2.0 / n as f64).sqrt();
                assert!((sign * f.v2[i] + exact).abs() < 1e-4 || (sign * f.v2[i] - exact).abs() < 1e-4);
            }
            assert!(f.v2.windows(2).all(|w| (w[1] - w[0]) * (f.v2[n - 1] - f.v2[0]) > 0.0), "monotone");
        }
    }

    #[test]
    fn lanczos_matches_dense() {
        let g = erdos_renyi(300, 6.0, 5).largest_component().0;
        let e = Exec::sequential();
        let d = fiedler(&g, &FiedlerOptions::default(), &e).unwrap();
        let l = fiedler(&g, &FiedlerOptions { dense_max: 10, ..Default::default() }, &e).unwrap();
        assert!(l.converged);
        assert!((d.lambda2 - l.lambda2).abs() < 1e-8);
        assert!((dot(&d.v2, &l.v2).abs() - 1.0).abs() < 1e-6);
        let (d3, l3) = (d.third.unwrap().0, l.third.unwrap().0);
        assert!((d3 - l3).abs() < 1e-6);
    }

    #[test]
    fn ring_has_degenerate_pair() {
        let f = fiedler(&ring(12), &FiedlerOptions::default(), &Exec::sequential()).unwrap();
        let want = 2.0 - 2.0 * (2.0 * PI / 12.0).cos();
        assert!((f.lambda2 - want).abs() < 1e-12);
        assert!((f.third.unwrap().0 - want).abs() < 1e-12);
        assert!(fiedler(&ring(1), &FiedlerOptions::default(), &Exec::sequential()).is_err());
    }
}
