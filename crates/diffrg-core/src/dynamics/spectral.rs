//! The `spectral` estimator: the exact entropy production rate (KL rate between the path law
//! and its time reversal) of a linear projection `y = P x` of a stationary OU process.
//!
//! A projection of a Markov process is in general not Markov, so its irreversibility is not
//! that of any OU model refitted on `y`. For a stationary Gaussian process the KL rate between
//! the forward and time-reversed path laws is a spectral integral (the Whittle form of the
//! Gaussian relative-entropy rate): with the spectral density of `y`
//!
//! `S_y(ω) = P (iω + B)^{-1} 2D (-iω + B^T)^{-1} P^T` (Hermitian, `S_y(-ω) = S_y(ω)^T`),
//!
//! `σ_P = (1/4π) ∫ [Tr(S_y(ω)^{-1} S_y(-ω)) - m] dω`.
//!
//! By the data-processing inequality `σ_P ≤ σ_I` = the `ou` rate of `(B, D)` (reached at
//! `P = I`). Writing `S_y = R + iK` (`R` symmetric, `K` antisymmetric), the integrand is
//! `Tr(S_y^{-1}(S_y - 2iK)) - m = 2 Im Tr(S_y^{-1} K)`, evaluated in that form so that the
//! `O(1/ω²)` tail carries no cancellation. The even integrand is integrated over `ω ≥ 0`
//! after the substitution `ω = s tan θ` (`s` = mean relaxation rate `Tr B / n`), which maps
//! the tail to a finite interval with a bounded integrand, by globally adaptive
//! Gauss-Kronrod (7, 15) quadrature; the result carries the quadrature's error estimate.

use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::c64;
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};

/// A spectral rate and its quadrature error estimate (nats/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectralRate {
    pub rate: f64,
    pub error: f64,
    /// Integrand evaluations.
    pub evaluations: usize,
    /// Whether the requested tolerance was reached within the subdivision limit.
    pub converged: bool,
}

/// Options of the quadrature.
#[derive(Debug, Clone, Copy)]
pub struct SpectralOptions {
    /// Relative tolerance of the integral (default 1e-6).
    pub tol: f64,
    /// Largest number of subintervals (default 200).
    pub max_intervals: usize,
}

impl Default for SpectralOptions {
    fn default() -> Self {
        SpectralOptions { tol: 1e-6, max_intervals: 200 }
    }
}

// Gauss-Kronrod (7, 15) nodes and weights (QUADPACK qk15).
const XGK: [f64; 8] = [
    0.991455371120812639206854697526329,
    0.949107912342758524526189684047851,
    0.864864423359769072789712788640926,
    0.741531185599394439863864773280788,
    0.586087235467691130294144845693013,
    0.405845151377397166906606412076961,
    0.207784955007898467600689403773245,
    0.0,
];
const WGK: [f64; 8] = [
    0.022935322010529224963732008058970,
    0.063092092629978553290700663189204,
    0.104790010322250183839876322541518,
    0.140653259715525918745189590510238,
    0.169004726639267902826583426598550,
    0.190350578064785409913256402421014,
    0.204432940075298892414161999234649,
    0.209482141084727828012999174891714,
];
const WG: [f64; 4] = [
    0.129484966168869693270611432679082,
    0.279705391489276667901467771423780,
    0.381830050505118944950369775488975,
    0.417959183673469387755102040816327,
];

fn gk15(f: &mut impl FnMut(f64) -> Result<f64>, a: f64, b: f64) -> Result<(f64, f64)> {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c)?;
    let mut k = fc * WGK[7];
    let mut g = fc * WG[3];
    for j in 0..7 {
        let x = h * XGK[j];
        let s = f(c - x)? + f(c + x)?;
        k += WGK[j] * s;
        if j % 2 == 1 {
            g += WG[j / 2] * s;
        }
    }
    Ok((k * h, ((k - g) * h).abs()))
}

/// Globally adaptive GK15 on `[a, b]`: `(integral, error, evaluations, converged)`.
fn adaptive(mut f: impl FnMut(f64) -> Result<f64>, a: f64, b: f64, o: &SpectralOptions, exec: &Exec) -> Result<(f64, f64, usize, bool)> {
    let mut parts: Vec<(f64, f64, f64, f64)> = Vec::new();
    let panels = 4;
    for p in 0..panels {
        let (x0, x1) = (a + (b - a) * p as f64 / panels as f64, a + (b - a) * (p + 1) as f64 / panels as f64);
        let (v, e) = gk15(&mut f, x0, x1)?;
        parts.push((x0, x1, v, e));
    }
    loop {
        exec.check()?;
        let total: f64 = parts.iter().map(|p| p.2).sum();
        let err: f64 = parts.iter().map(|p| p.3).sum();
        let evals = parts.len() * 15;
        if err <= o.tol * total.abs().max(1e-300) || err == 0.0 {
            return Ok((total, err, evals, true));
        }
        if parts.len() >= o.max_intervals {
            return Ok((total, err, evals, false));
        }
        let (k, _) = parts.iter().enumerate().fold((0, -1.0), |best, (k, p)| if p.3 > best.1 { (k, p.3) } else { best });
        let (x0, x1, _, _) = parts.swap_remove(k);
        let xm = 0.5 * (x0 + x1);
        let (v0, e0) = gk15(&mut f, x0, xm)?;
        let (v1, e1) = gk15(&mut f, xm, x1)?;
        parts.push((x0, xm, v0, e0));
        parts.push((xm, x1, v1, e1));
    }
}

/// The entropy production rate of `y = P x` for the OU process `(B, D)` (see the module docs).
/// `p` is `m × n`.
///
/// # Errors
/// `ERR_INVALID_INPUT` for mismatched shapes, a drift whose trace is not positive, or a
/// singular projected spectral density (e.g. linearly dependent rows of `P`).
pub fn spectral_rate(b: MatRef<f64>, d: MatRef<f64>, p: MatRef<f64>, o: &SpectralOptions, exec: &Exec) -> Result<SpectralRate> {
    let n = b.nrows();
    let m = p.nrows();
    if b.ncols() != n || d.nrows() != n || d.ncols() != n || p.ncols() != n {
        return Err(Error::invalid_input(format!(
            "spectral: B ({}x{}), D ({}x{}) and P ({}x{}) do not match",
            n,
            b.ncols(),
            d.nrows(),
            d.ncols(),
            m,
            p.ncols()
        )));
    }
    if m == 0 {
        return Ok(SpectralRate { rate: 0.0, error: 0.0, evaluations: 0, converged: true });
    }
    let scale = (0..n).map(|i| b[(i, i)]).sum::<f64>() / n as f64;
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(Error::invalid_input("spectral: the drift must be stable (positive trace)"));
    }
    let d2 = Mat::from_fn(n, n, |i, j| c64::new(2.0 * d[(i, j)], 0.0));
    let pt = Mat::from_fn(n, m, |i, g| c64::new(p[(g, i)], 0.0));
    let integrand = |w: f64| -> Result<f64> {
        // W^T = (iw + B^T)^{-1} P^T, S_y = W 2D W^H
        let t = Mat::from_fn(n, n, |i, j| c64::new(b[(j, i)], if i == j { w } else { 0.0 }));
        let wt = t.partial_piv_lu().solve(&pt);
        let sy = wt.transpose() * &d2 * wt.conjugate();
        let k = Mat::from_fn(m, m, |i, j| c64::new(0.5 * (sy[(i, j)].im - sy[(j, i)].im), 0.0));
        let x = sy.partial_piv_lu().solve(&k);
        let tr: c64 = (0..m).map(|i| x[(i, i)]).fold(c64::new(0.0, 0.0), |a, z| a + z);
        if !tr.im.is_finite() {
            return Err(Error::invalid_input("spectral: the projected spectral density is singular (dependent projection rows?)"));
        }
        Ok(2.0 * tr.im)
    };
    let g = |theta: f64| -> Result<f64> {
        let (s, c) = theta.sin_cos();
        let w = scale * s / c;
        Ok(integrand(w)? * scale / (c * c))
    };
    let (v, e, evals, converged) = adaptive(g, 0.0, std::f64::consts::FRAC_PI_2, o, exec)?;
    let k = 1.0 / (2.0 * std::f64::consts::PI);
    Ok(SpectralRate { rate: v * k, error: e * k, evaluations: evals, converged })
}

#[cfg(test)]
mod tests {
    use super::super::linear::tests::mat;
    use super::super::ou::{lyapunov, ou_rate};
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn identity_projection_is_the_ou_rate() {
        let b = mat(&[&[1.0, -0.3], &[0.3, 1.0]]);
        let d = mat(&[&[0.5, 0.0], &[0.0, 0.5]]);
        let r =
            spectral_rate(b.as_ref(), d.as_ref(), Mat::<f64>::identity(2, 2).as_ref(), &SpectralOptions::default(), &Exec::sequential())
                .unwrap();
        assert!(r.converged);
        assert!((r.rate - 0.18).abs() < 1e-6, "{r:?}");
        assert!(r.error < 1e-6);
        // A single coordinate of a 2D process is a stationary scalar Gaussian process: reversible.
        let r =
            spectral_rate(b.as_ref(), d.as_ref(), mat(&[&[1.0, 0.0]]).as_ref(), &SpectralOptions::default(), &Exec::sequential()).unwrap();
        assert!(r.rate.abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn projections_never_exceed_the_full_rate() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let exec = Exec::sequential();
        for &n in &[3usize, 5, 8] {
            for _ in 0..3 {
                // Stable B = a I + G with a above the spectral radius of G; D = L L^T + 0.1 I.
                let g = Mat::from_fn(n, n, |_, _| rng.random::<f64>() * 2.0 - 1.0);
                let b = Mat::from_fn(n, n, |i, j| g[(i, j)] + if i == j { n as f64 } else { 0.0 });
                let l = Mat::from_fn(n, n, |_, _| rng.random::<f64>() - 0.5);
                let d = &l * l.transpose() + Mat::<f64>::identity(n, n) * faer::Scale(0.1);
                let s = lyapunov(b.as_ref(), d.as_ref()).unwrap();
                let full = ou_rate(b.as_ref(), d.as_ref(), s.as_ref()).unwrap();
                let id =
                    spectral_rate(b.as_ref(), d.as_ref(), Mat::<f64>::identity(n, n).as_ref(), &SpectralOptions::default(), &exec).unwrap();
                assert!((id.rate - full).abs() < 1e-5 * full.max(1e-3), "n {n}: {} vs {full}", id.rate);
                for m in 1..n {
                    let p = Mat::from_fn(m, n, |_, _| rng.random::<f64>() - 0.5);
                    let r = spectral_rate(b.as_ref(), d.as_ref(), p.as_ref(), &SpectralOptions::default(), &exec).unwrap();
                    assert!(r.rate >= -1e-9 && r.rate <= full + r.error + 1e-9, "n {n} m {m}: {} > {full}", r.rate);
                }
            }
        }
    }
}
