//! VAR(p) estimation from lagged covariances: design matrices, ridge Yule-Walker solve,
//! held-out prediction likelihood and the continuous-time generator (matrix logarithm).
//!
//! Model (discrete time, bin `Δt`): `x_t = Σ_{k=1}^p A_k x_{t-k} + ε_t`, `ε_t` white with
//! covariance `Σ`. Stacking `B = [A_1 … A_p]` (`N × Np`), the Yule-Walker equations are
//! `B Γ = C₊` with `Γ_{ab} = E[x_{t-a} x_{t-b}^T]` (block Toeplitz: `C(b-a)` for `b ≥ a`,
//! `C(a-b)^T` otherwise) and `C₊ = [C(1) … C(p)]`. With ridge `ρ` (relative to the mean
//! diagonal of `Γ`) the estimate is `B = C₊ (Γ + ρ I)^{-1}`, computed by a Cholesky
//! factorisation (faer). The one-step residual covariance of any `B` follows from the same
//! statistics: `Σ(B) = C(0) - B C₊^T - C₊ B^T + B Γ B^T`, so held-out likelihoods need no
//! second pass over the data.
//!
//! For `p = 1` the process is the exact discretisation of a multivariate Ornstein-Uhlenbeck
//! process `dx = G x dt + dW` when `A = exp(G Δt)`; `G = log(A)/Δt` is well defined (real,
//! principal branch) iff `A` has no eigenvalue on the closed negative real axis
//! (Culver 1966; Higham 2008, Thm 1.31). [`continuous_generator`] computes it through the
//! eigendecomposition `A = V Λ V^{-1}` and reports why it is not defined otherwise (an
//! eigenvalue on `(-∞, 0]`, or an ill-conditioned eigenbasis, e.g. a defective `A`).

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::linalg::cols::{fold_cols, for_cols_mut, sum_in_order};
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{c64, Accum, Mat, MatMut, MatRef, Par, Side};

/// VAR(p) sufficient statistics (see the module docs).
#[derive(Debug, Clone)]
pub struct VarDesign {
    pub n: usize,
    pub p: usize,
    /// `C(0)`.
    pub c0: Mat<f64>,
    /// `Γ` (`Np × Np`).
    pub gamma: Mat<f64>,
    /// `C₊ = [C(1) … C(p)]` (`N × Np`).
    pub cplus: Mat<f64>,
}

/// Builds the design from `cov[k] = C(k)`, `k = 0..=p`.
pub fn design(cov: &[Mat<f64>], p: usize) -> Result<VarDesign> {
    if p == 0 || cov.len() < p + 1 {
        return Err(Error::invalid_input(format!("max_lag must be >= 1 and covariances up to lag {p} are needed (got {})", cov.len())));
    }
    let n = cov[0].nrows();
    let gamma = Mat::from_fn(n * p, n * p, |r, c| {
        let (a, i) = (r / n, r % n);
        let (b, j) = (c / n, c % n);
        if b >= a {
            cov[b - a][(i, j)]
        } else {
            cov[a - b][(j, i)]
        }
    });
    let cplus = Mat::from_fn(n, n * p, |i, c| cov[c / n + 1][(i, c % n)]);
    Ok(VarDesign { n, p, c0: cov[0].clone(), gamma, cplus })
}

/// Per-neuron standardising factors `1/sqrt(C(0)_ii)` (0 for silent neurons).
pub fn standard_scale(c0: &Mat<f64>) -> Vec<f64> {
    (0..c0.nrows()).map(|i| if c0[(i, i)] > 0.0 { 1.0 / c0[(i, i)].sqrt() } else { 0.0 }).collect()
}

/// `D C D` for every lag, `D = diag(scale)`.
pub fn scaled(cov: &[Mat<f64>], scale: &[f64]) -> Vec<Mat<f64>> {
    cov.iter().map(|c| Mat::from_fn(c.nrows(), c.ncols(), |i, j| c[(i, j)] * scale[i] * scale[j])).collect()
}

/// Cholesky factor of `Γ + ρ I` for repeated right-solves `R (Γ + ρ I)^{-1}`.
pub struct RidgeSolver {
    llt: faer::linalg::solvers::Llt<f64>,
    /// The absolute ridge `ρ` added to the diagonal.
    pub ridge: f64,
}

impl RidgeSolver {
    /// `ridge_rel` is relative to the mean diagonal of `gamma` (must be >= 0).
    pub fn new(gamma: &Mat<f64>, ridge_rel: f64, exec: &Exec) -> Result<Self> {
        if !(ridge_rel >= 0.0) || !ridge_rel.is_finite() {
            return Err(Error::invalid_input(format!("ridge must be finite and >= 0 (got {ridge_rel})")));
        }
        let m = gamma.nrows();
        let mean_diag = if m == 0 { 1.0 } else { (0..m).map(|i| gamma[(i, i)]).sum::<f64>() / m as f64 };
        let ridge = ridge_rel * if mean_diag > 0.0 { mean_diag } else { 1.0 };
        // Floor keeps Γ + ρ I factorizable when neurons are silent (zero rows/columns).
        let floor = 1e-12 * mean_diag.max(1e-300);
        let mut g = gamma.clone();
        for i in 0..m {
            g[(i, i)] += ridge.max(floor);
        }
        let par = exec.par();
        let llt = exec.install(move || {
            faer::set_global_parallelism(par);
            g.llt(Side::Lower)
        });
        let llt =
            llt.map_err(|e| Error::invalid_input(format!("the lag covariance matrix is not positive definite ({e:?}); increase ridge")))?;
        Ok(RidgeSolver { llt, ridge })
    }

    /// `rhs (Γ + ρ I)^{-1}` for `rhs` with `Np` columns.
    pub fn solve_right(&self, rhs: MatRef<f64>) -> Mat<f64> {
        // (Γ+ρI) is symmetric: X = rhs M^{-1}  <=>  M X^T = rhs^T.
        let xt = self.llt.solve(rhs.transpose());
        xt.transpose().to_owned()
    }
}

/// Ridge Yule-Walker estimate `B = C₊ (Γ + ρ I)^{-1}` and its solver.
pub fn yule_walker(d: &VarDesign, ridge_rel: f64, exec: &Exec) -> Result<(Mat<f64>, RidgeSolver)> {
    let solver = RidgeSolver::new(&d.gamma, ridge_rel, exec)?;
    let b = solver.solve_right(d.cplus.as_ref());
    Ok((b, solver))
}

/// A coupling with at most one nonzero entry in `SPARSE_PRODUCT_DENSITY` goes through
/// [`times_gamma`]'s sparse product. The switch was set, not tuned: the product at 1,000 neurons
/// was only measured with the penalty search's thresholded iterates (docs/benchmarks.md,
/// "Sparse products in the sparse fits"), far below it.
const SPARSE_PRODUCT_DENSITY: usize = 16;

/// `out = B Γ` (`B` is `N × Np`, `Γ` is `Np × Np`). A `B` with few nonzero entries (the sparse
/// program's iterates and fits without a low-rank part: most pairs are thresholded to exactly
/// 0) is multiplied through its nonzeros, `out[:, c] = Σ_k B[:, k] Γ[k, c]` over the nonzero
/// entries in increasing `k`, column-parallel (the same bits on any thread count), at
/// `nnz(B) · Np` multiply-adds instead of `N · Np²`; a denser `B` goes to faer's product. Call
/// inside [`Exec::install`].
pub(crate) fn times_gamma(mut out: MatMut<f64>, b: MatRef<f64>, gamma: MatRef<f64>, par: Par) {
    let (n, m) = (b.nrows(), b.ncols());
    let strided = b.row_stride() != 1 || gamma.row_stride() != 1;
    // Counted first, so that a dense `B` (every iteration of a low-rank fit) is only read once.
    let nnz: usize =
        if strided { n * m } else { fold_cols(b, || 0, |c, _, col| *c += col.iter().filter(|&&v| v != 0.0).count()).into_iter().sum() };
    if nnz * SPARSE_PRODUCT_DENSITY > n * m || n * m < SPARSE_PRODUCT_DENSITY {
        faer::linalg::matmul::matmul(out, Accum::Replace, b, gamma, 1.0, par);
        return;
    }
    // The nonzeros column by column (column-parallel, chunks in column order): `cols` holds
    // (column, entries in it) pairs, `entries` (row, value).
    let nonzeros: Vec<(Vec<(u32, u32)>, Vec<(u32, f64)>)> = fold_cols(
        b,
        || (Vec::new(), Vec::new()),
        |(cols, entries), k, col| {
            let before = entries.len();
            entries.extend(col.iter().enumerate().filter(|(_, &v)| v != 0.0).map(|(i, &v)| (i as u32, v)));
            if entries.len() > before {
                cols.push((k as u32, (entries.len() - before) as u32));
            }
        },
    );
    for_cols_mut(out.as_mut(), |c, oc| {
        oc.fill(0.0);
        let gc = gamma.col(c).try_as_col_major().expect("column-major Γ").as_slice();
        for (cols, entries) in &nonzeros {
            let mut at = 0;
            for &(k, len) in cols {
                let (w, len) = (gc[k as usize], len as usize);
                for &(i, v) in &entries[at..at + len] {
                    oc[i as usize] += v * w;
                }
                at += len;
            }
        }
    });
}

/// `diag Σ(B) = diag(C(0) - B C₊^T - C₊ B^T + B Γ B^T)`: one-step residual variances.
pub fn residual_diag(d: &VarDesign, b: MatRef<f64>, exec: &Exec) -> Vec<f64> {
    let par = exec.par();
    let mut bg = Mat::<f64>::zeros(d.n, d.n * d.p);
    exec.install(|| {
        times_gamma(bg.as_mut(), b, d.gamma.as_ref(), par);
        // Row sums of `-2 B∘C₊ + (BΓ)∘B`, column-parallel.
        let parts = fold_cols(
            bg.as_ref(),
            || vec![0.0; d.n],
            |acc, c, gc| {
                let cc = d.cplus.col_as_slice(c);
                for i in 0..d.n {
                    let bic = b[(i, c)];
                    acc[i] += -2.0 * bic * cc[i] + gc[i] * bic;
                }
            },
        );
        let mut v = sum_in_order(parts, d.n);
        v.iter_mut().enumerate().for_each(|(i, x)| *x += d.c0[(i, i)]);
        v
    })
}

/// Gaussian log-likelihood per bin of held-out residuals with variances `resid` under a model
/// whose noise variances are `noise`: `-1/2 Σ_i [ln(2π σ_i²) + r_i/σ_i²]` over neurons with
/// `σ_i² > 0`.
pub fn gaussian_loglik(resid: &[f64], noise: &[f64]) -> f64 {
    resid.iter().zip(noise).filter(|(_, &s)| s > 0.0).map(|(&r, &s)| -0.5 * ((2.0 * std::f64::consts::PI * s).ln() + r / s)).sum()
}

/// Continuous-time generator `G = log(A)/Δt` (see the module docs).
#[derive(Debug, Clone)]
pub struct Generator {
    /// `G` (`N × N`, row = target) when defined.
    pub matrix: Option<Mat<f64>>,
    pub defined: bool,
    /// Why `G` is not defined (or a warning about its accuracy).
    pub reason: Option<String>,
    /// Eigenvalues of `A` as `(re, im)`.
    pub eigenvalues: Vec<(f64, f64)>,
    /// `‖V‖_F ‖V^{-1}‖_F` of the eigenbasis.
    pub condition: f64,
}

/// Principal matrix logarithm of the VAR(1) matrix `a` divided by `dt`.
///
/// Errors: `ERR_INVALID_INPUT` for a non-square matrix or `dt <= 0`, `ERR_NOT_FINITE`,
/// `ERR_NO_CONVERGENCE` when the eigen-solver fails. An undefined logarithm is not an error:
/// `defined = false` with the reason.
pub fn continuous_generator(a: MatRef<f64>, dt: f64, exec: &Exec) -> Result<Generator> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::invalid_input(format!("generator: the VAR matrix must be square (got {}x{})", n, a.ncols())));
    }
    if !(dt > 0.0) || !dt.is_finite() {
        return Err(Error::invalid_input(format!("generator: bin width dt must be positive (got {dt})")));
    }
    for j in 0..n {
        for i in 0..n {
            if !a[(i, j)].is_finite() {
                return Err(Error::not_finite(format!("generator: A[{i}][{j}] is {}", a[(i, j)])));
            }
        }
    }
    if n == 0 {
        return Ok(Generator { matrix: Some(Mat::zeros(0, 0)), defined: true, reason: None, eigenvalues: vec![], condition: 1.0 });
    }
    let par = exec.par();
    let am = a.to_owned();
    let eig = exec
        .install(move || {
            faer::set_global_parallelism(par);
            am.eigen()
        })
        .map_err(|e| Error::no_convergence(format!("generator: eigendecomposition failed ({e:?})")))?;
    let s = eig.S();
    let lam: Vec<c64> = (0..n).map(|i| s[i]).collect();
    let eigenvalues: Vec<(f64, f64)> = lam.iter().map(|z| (z.re, z.im)).collect();
    let scale = lam.iter().map(|z| z.norm()).fold(0.0, f64::max).max(1e-300);
    for z in &lam {
        if z.im.abs() <= 1e-12 * scale && z.re <= 1e-14 * scale {
            return Ok(Generator {
                matrix: None,
                defined: false,
                reason: Some(format!("A has the eigenvalue {:.4e} on the closed negative real axis: no real principal logarithm", z.re)),
                eigenvalues,
                condition: f64::NAN,
            });
        }
    }
    let v = eig.U().to_owned();
    let vinv = v.partial_piv_lu().inverse();
    let condition = v.norm_l2() * vinv.norm_l2();
    if !condition.is_finite() || condition > 1e10 {
        return Ok(Generator {
            matrix: None,
            defined: false,
            reason: Some(format!("the eigenbasis of A is ill-conditioned (cond ≈ {condition:.2e}; A may be defective)")),
            eigenvalues,
            condition,
        });
    }
    let mut vl = v.clone();
    for (k, z) in lam.iter().enumerate() {
        let l = z.ln();
        for i in 0..n {
            vl[(i, k)] *= l;
        }
    }
    let g = &vl * &vinv;
    let mut imag = 0.0f64;
    let mut real = 0.0f64;
    let out = Mat::from_fn(n, n, |i, j| {
        imag = imag.max(g[(i, j)].im.abs());
        real = real.max(g[(i, j)].re.abs());
        g[(i, j)].re / dt
    });
    let reason = if imag > 1e-6 * real.max(1e-300) {
        Some(format!("the logarithm has an imaginary part of relative size {:.1e} (discarded)", imag / real))
    } else {
        None
    };
    Ok(Generator { matrix: Some(out), defined: true, reason, eigenvalues, condition })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat(rows: &[&[f64]]) -> Mat<f64> {
        Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
    }

    #[test]
    fn times_gamma_equals_the_dense_product_at_every_density() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (n, m) = (37, 74);
        let gamma = Mat::from_fn(m, m, |_, _| rng.random::<f64>() - 0.5);
        // all-zero, very sparse (sparse path), at the switch, and dense (faer's path)
        for density in [0.0, 0.01, 0.05, 1.0 / SPARSE_PRODUCT_DENSITY as f64, 0.3, 1.0] {
            let b = Mat::from_fn(n, m, |_, _| if rng.random::<f64>() < density { rng.random::<f64>() - 0.5 } else { 0.0 });
            let mut want = Mat::<f64>::zeros(n, m);
            faer::linalg::matmul::matmul(want.as_mut(), Accum::Replace, b.as_ref(), gamma.as_ref(), 1.0, Par::Seq);
            let mut runs = vec![];
            for threads in [1, 3] {
                let exec = Exec::with_threads(threads);
                let mut got = Mat::<f64>::from_fn(n, m, |_, _| f64::NAN); // every entry must be written
                exec.install(|| times_gamma(got.as_mut(), b.as_ref(), gamma.as_ref(), exec.par()));
                for i in 0..n {
                    for c in 0..m {
                        assert!((got[(i, c)] - want[(i, c)]).abs() <= 1e-13, "density {density}: ({i}, {c})");
                    }
                }
                runs.push(got);
            }
            if density <= 0.05 {
                assert!(runs[0] == runs[1], "the sparse product's bits depend on the thread count");
            }
        }
    }

    #[test]
    fn yule_walker_recovers_population_var1() {
        // Population covariances of a stable VAR(1): C0 = A C0 A^T + Q, C1 = A C0.
        let a = mat(&[&[0.5, 0.2, 0.0], &[0.0, 0.4, -0.3], &[0.1, 0.0, 0.6]]);
        let mut c0 = Mat::<f64>::identity(3, 3);
        for _ in 0..500 {
            c0 = &a * &c0 * a.transpose() + Mat::<f64>::identity(3, 3);
        }
        let c1 = &a * &c0;
        let d = design(&[c0.clone(), c1], 1).unwrap();
        let (b, _) = yule_walker(&d, 0.0, &Exec::sequential()).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                assert!((b[(i, j)] - a[(i, j)]).abs() < 1e-9);
            }
        }
        // Residual covariance at the truth is Q = I.
        let r = residual_diag(&d, b.as_ref(), &Exec::sequential());
        for v in r {
            assert!((v - 1.0).abs() < 1e-8);
        }
    }

    #[test]
    fn yule_walker_recovers_population_var2() {
        // Scalar AR(2) embedded twice (block diagonal): x_t = 0.5 x_{t-1} - 0.3 x_{t-2} + e.
        let (a1, a2) = (0.5f64, -0.3f64);
        // Autocorrelations: r1 = a1/(1-a2), r2 = a1 r1 + a2.
        let r1 = a1 / (1.0 - a2);
        let r2 = a1 * r1 + a2;
        let c = |r: f64| Mat::from_fn(2, 2, |i, j| if i == j { r } else { 0.0 });
        let d = design(&[c(1.0), c(r1), c(r2)], 2).unwrap();
        assert_eq!(d.gamma[(0, 2)], r1);
        let (b, _) = yule_walker(&d, 0.0, &Exec::sequential()).unwrap();
        assert!((b[(0, 0)] - a1).abs() < 1e-12 && (b[(0, 2)] - a2).abs() < 1e-12);
        assert!(b[(0, 1)].abs() < 1e-12 && b[(1, 0)].abs() < 1e-12);
    }

    #[test]
    fn generator_of_rotation_and_diagonalizable() {
        let (r, th, dt) = (0.9f64, 0.4f64, 0.5);
        let a = mat(&[&[r * th.cos(), -r * th.sin()], &[r * th.sin(), r * th.cos()]]);
        let g = continuous_generator(a.as_ref(), dt, &Exec::sequential()).unwrap();
        assert!(g.defined);
        let m = g.matrix.unwrap();
        let want = [[r.ln(), -th], [th, r.ln()]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((m[(i, j)] - want[i][j] / dt).abs() < 1e-10, "{i}{j}");
            }
        }
        // A = V diag(e^λ) V^{-1} with real λ.
        let v = mat(&[&[1.0, 1.0], &[0.0, 2.0]]);
        let vinv = mat(&[&[1.0, -0.5], &[0.0, 0.5]]);
        let lam = [-0.2f64, -1.3];
        let a = &v * Mat::from_fn(2, 2, |i, j| if i == j { lam[i].exp() } else { 0.0 }) * &vinv;
        let g = continuous_generator(a.as_ref(), 1.0, &Exec::sequential()).unwrap();
        let want = &v * Mat::from_fn(2, 2, |i, j| if i == j { lam[i] } else { 0.0 }) * &vinv;
        let m = g.matrix.unwrap();
        for i in 0..2 {
            for j in 0..2 {
                assert!((m[(i, j)] - want[(i, j)]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn generator_reports_undefined_cases() {
        let a = mat(&[&[0.5, 0.0], &[0.0, -0.2]]);
        let g = continuous_generator(a.as_ref(), 1.0, &Exec::sequential()).unwrap();
        assert!(!g.defined && g.reason.unwrap().contains("negative real axis"));
        let a = mat(&[&[0.5, 1.0], &[0.0, 0.5]]); // defective Jordan block
        let g = continuous_generator(a.as_ref(), 1.0, &Exec::sequential()).unwrap();
        assert!(!g.defined && g.reason.unwrap().contains("ill-conditioned"));
        assert!(continuous_generator(a.as_ref(), 0.0, &Exec::sequential()).is_err());
    }

    #[test]
    fn ridge_handles_silent_neurons() {
        let c0 = mat(&[&[1.0, 0.0], &[0.0, 0.0]]);
        let c1 = mat(&[&[0.3, 0.0], &[0.0, 0.0]]);
        let d = design(&[c0, c1], 1).unwrap();
        let (b, _) = yule_walker(&d, 0.0, &Exec::sequential()).unwrap();
        assert!((b[(0, 0)] - 0.3).abs() < 1e-9 && b[(1, 1)] == 0.0);
        assert!(RidgeSolver::new(&d.gamma, -1.0, &Exec::sequential()).is_err());
    }
}
