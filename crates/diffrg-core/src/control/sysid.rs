//! System identification with inputs: the ARX(1) / DMD-with-control fit.
//!
//! From a trajectory of `n` coarse variables `x_t` (community rates, supernodes, principal
//! components) and the `m` inputs `u_t` decided at frame `t` (acting on `x_{t+1}`), the model
//!
//! `x_{t+1} = A x_t + B u_t + c + ε_t`, `ε_t ~ N(0, Σ)`
//!
//! is fitted by least squares on the regressors `z_t = [x_t; u_t; 1]`:
//! `[A B c] = (Σ_t x_{t+1} z_t^T) (Σ_t z_t z_t^T + ρ D)^{-1}`, `D` the diagonal of the
//! regressors' second moments without the constant (ridge `ρ`, relative), and `Σ` the residual
//! covariance with `frames - (n + m + 1)` degrees of freedom. This is DMD with control
//! (Proctor, Brunton & Kutz 2016, *SIAM J. Appl. Dyn. Syst.* 15:142) with an affine term and a
//! ridge in place of their truncated-SVD regularisation (the coarse spaces here are small, so no
//! truncation is needed; the ridge keeps a silent input channel from making the fit singular).
//! Without inputs it is the VAR(1) fit of [`crate::dynamics::linear`] by least squares instead
//! of Yule-Walker moments (the two coincide up to end effects).
//!
//! The first `1 - test_fraction` of the transitions train the model; the rest score its
//! one-step prediction by the pooled `R^2 = 1 - Σ_i RSS_i / Σ_i TSS_i` (the definition of
//! [`crate::dynamics::Prediction`], TSS about the test frames' mean).

use crate::error::{ensure_finite, Error, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// Options of [`fit_arx`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArxOptions {
    /// Relative ridge `ρ` (>= 0). Default 1e-6.
    pub ridge: f64,
    /// Fraction of transitions held out for the prediction score (0 <= f < 1; 0: no score).
    /// Default 0.2.
    pub test_fraction: f64,
}

impl Default for ArxOptions {
    fn default() -> Self {
        ArxOptions { ridge: 1e-6, test_fraction: 0.2 }
    }
}

/// A fitted ARX(1) model with its diagnostics.
#[derive(Debug, Clone)]
pub struct ArxFit {
    pub a: Mat<f64>,
    pub b: Mat<f64>,
    pub c: Vec<f64>,
    /// Residual covariance `Σ` on the training transitions.
    pub noise: Mat<f64>,
    /// Held-out one-step pooled `R^2` (NaN when `test_fraction` is 0).
    pub r2: f64,
    /// The same on the training transitions.
    pub r2_train: f64,
    pub train_frames: usize,
    pub test_frames: usize,
    /// Largest eigenvalue modulus of `A` (`>= 1`: the identified system is unstable).
    pub spectral_radius: f64,
}

/// Fits the ARX(1) model (see the module docs). `x` is `frames x n`, `u` is `frames x m`, both
/// row-major; `u` of the last frame is unused.
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched lengths, no variables, a bad option, too few training
/// transitions (at most `n + m + 1`) or collinear regressors (with `ridge = 0`);
/// `ERR_NOT_FINITE` naming the array.
pub fn fit_arx(x: &[f64], u: &[f64], frames: usize, n: usize, m: usize, opts: &ArxOptions) -> Result<ArxFit> {
    if n == 0 {
        return Err(Error::invalid_input("arx: no state variables"));
    }
    if x.len() != frames * n || u.len() != frames * m {
        return Err(Error::invalid_input(format!(
            "arx: x has {} values and u {} for {frames} frames of {n} states and {m} inputs",
            x.len(),
            u.len()
        )));
    }
    ensure_finite("x", x)?;
    ensure_finite("u", u)?;
    if !(opts.ridge >= 0.0 && opts.ridge.is_finite()) {
        return Err(Error::invalid_input(format!("ridge must be finite and >= 0 (got {})", opts.ridge)));
    }
    if !(opts.test_fraction >= 0.0 && opts.test_fraction < 1.0) {
        return Err(Error::invalid_input(format!("testFraction must be in [0, 1) (got {})", opts.test_fraction)));
    }
    let transitions = frames.saturating_sub(1);
    let test = (transitions as f64 * opts.test_fraction).round() as usize;
    let train = transitions - test;
    let p = n + m + 1;
    if train <= p {
        return Err(Error::invalid_input(format!("arx: {train} training transitions for {p} regressors; record longer")));
    }
    let z = |t: usize, k: usize| -> f64 {
        if k < n {
            x[t * n + k]
        } else if k < n + m {
            u[t * m + k - n]
        } else {
            1.0
        }
    };
    let mut zz = Mat::<f64>::zeros(p, p);
    let mut yz = Mat::<f64>::zeros(n, p);
    for t in 0..train {
        for i in 0..p {
            let zi = z(t, i);
            for j in 0..=i {
                zz[(i, j)] += zi * z(t, j);
            }
            for r in 0..n {
                yz[(r, i)] += x[(t + 1) * n + r] * zi;
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            zz[(j, i)] = zz[(i, j)];
        }
    }
    for i in 0..p - 1 {
        zz[(i, i)] += opts.ridge * zz[(i, i)].max(f64::MIN_POSITIVE);
    }
    let llt = zz
        .llt(Side::Lower)
        .map_err(|_| Error::invalid_input("arx: the regressors are collinear (a constant state or input?); use a positive ridge"))?;
    // Θ = Y Z^T (Z Z^T)^{-1}  <=>  (Z Z^T) Θ^T = (Y Z^T)^T
    let theta = llt.solve(yz.transpose()).transpose().to_owned();
    let a = Mat::from_fn(n, n, |i, j| theta[(i, j)]);
    let b = Mat::from_fn(n, m, |i, j| theta[(i, n + j)]);
    let c: Vec<f64> = (0..n).map(|i| theta[(i, n + m)]).collect();
    let predict = |t: usize, i: usize| -> f64 { (0..p).map(|k| theta[(i, k)] * z(t, k)).sum() };
    let score = |range: std::ops::Range<usize>| -> f64 {
        let len = range.len() as f64;
        let mean: Vec<f64> = (0..n).map(|i| range.clone().map(|t| x[(t + 1) * n + i]).sum::<f64>() / len).collect();
        let (mut rss, mut tss) = (0.0, 0.0);
        for t in range {
            for i in 0..n {
                let y = x[(t + 1) * n + i];
                rss += (y - predict(t, i)).powi(2);
                tss += (y - mean[i]).powi(2);
            }
        }
        if tss > 0.0 {
            1.0 - rss / tss
        } else {
            f64::NAN
        }
    };
    let mut noise = Mat::<f64>::zeros(n, n);
    for t in 0..train {
        let e: Vec<f64> = (0..n).map(|i| x[(t + 1) * n + i] - predict(t, i)).collect();
        for i in 0..n {
            for j in 0..n {
                noise[(i, j)] += e[i] * e[j] / (train - p) as f64;
            }
        }
    }
    let spectral_radius = super::eigenvalues(a.as_ref())?.iter().map(|(re, im)| (re * re + im * im).sqrt()).fold(0.0, f64::max);
    let r2 = if test > 0 { score(train..transitions) } else { f64::NAN };
    Ok(ArxFit { a, b, c, noise, r2, r2_train: score(0..train), train_frames: train, test_frames: test, spectral_radius })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::StandardNormal;

    #[test]
    fn recovers_a_known_system_and_its_prediction_score() {
        let (n, m, frames) = (2, 1, 20_000);
        let a = [[0.8, 0.1], [-0.2, 0.6]];
        let b = [1.0, -0.5];
        let c = [0.3, 1.0];
        let sd = 0.1;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut x = vec![0.0; frames * n];
        let mut u = vec![0.0; frames * m];
        let mut level = 0.0;
        for t in 0..frames {
            if rng.random::<f64>() < 0.3 {
                level = 1.0 - level; // telegraph input
            }
            u[t] = level;
            if t + 1 < frames {
                for i in 0..n {
                    let e: f64 = rng.sample(StandardNormal);
                    x[(t + 1) * n + i] = a[i][0] * x[t * n] + a[i][1] * x[t * n + 1] + b[i] * u[t] + c[i] + sd * e;
                }
            }
        }
        let fit = fit_arx(&x, &u, frames, n, m, &ArxOptions::default()).unwrap();
        for i in 0..n {
            for j in 0..n {
                assert!((fit.a[(i, j)] - a[i][j]).abs() < 0.02, "A {:?}", fit.a);
            }
            assert!((fit.b[(i, 0)] - b[i]).abs() < 0.02 && (fit.c[i] - c[i]).abs() < 0.08, "B {:?} c {:?}", fit.b, fit.c);
            assert!((fit.noise[(i, i)] - sd * sd).abs() < 0.1 * sd * sd);
        }
        assert!(fit.r2 > 0.8 && fit.r2 < 1.0 && fit.spectral_radius < 1.0, "{}", fit.r2);
        assert_eq!((fit.train_frames, fit.test_frames), (15_999, 4_000));
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let o = ArxOptions::default();
        assert!(fit_arx(&[0.0; 6], &[0.0; 3], 3, 2, 1, &o).unwrap_err().message.contains("training transitions"));
        assert!(fit_arx(&[0.0; 5], &[0.0; 3], 3, 2, 1, &o).unwrap_err().message.contains("x has 5 values"));
        let x: Vec<f64> = (0..100).map(|t| (t as f64 * 0.37).sin()).collect();
        let e = fit_arx(&x, &vec![1.0; 100], 100, 1, 1, &ArxOptions { ridge: 0.0, ..o }).unwrap_err();
        assert!(e.message.contains("collinear"), "{}", e.message);
        let mut bad = x.clone();
        bad[7] = f64::NAN;
        assert_eq!(fit_arx(&bad, &vec![0.0; 100], 100, 1, 1, &o).unwrap_err().message, "x[7] is NaN (finite values required)");
    }
}
