//! Thermodynamic curves of the network density matrix from a spectral measure.
//!
//! With eigenvalues `lam_k` carrying weights `w_k` (1 each for an exact spectrum; quadrature
//! weights that sum to N for stochastic Lanczos quadrature) and `p_k = w_k e^{-tau lam_k} / Z`:
//!
//! - `Z = sum_k w_k e^{-tau lam_k}`
//! - `S(tau) = ln Z + tau <lam>` (natural log; `S / ln N` is also reported)
//! - `C(tau) = -dS/d ln tau = tau^2 Var_p(lam)`
//! - `d_s(tau) = 2 tau <lam>`
//!
//! Everything is evaluated with the spectrum shifted by its minimum, so `e^{-tau (lam - lam_min)}
//! <= 1` never overflows, the sum contains a term equal to its weight and never underflows to 0,
//! and the variance is taken in two passes around the mean. Zero modes need no special case.

/// Curves on a tau grid. Field names mirror the public JSON contract.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thermodynamics {
    pub tau: Vec<f64>,
    pub entropy: Vec<f64>,
    pub entropy_normalized: Vec<f64>,
    pub specific_heat: Vec<f64>,
    pub spectral_dimension: Vec<f64>,
}

/// `count` log-spaced values from `min` to `max` inclusive.
pub fn log_grid(min: f64, max: f64, count: usize) -> Vec<f64> {
    match count {
        0 => vec![],
        1 => vec![min],
        _ => {
            let (a, b) = (min.ln(), max.ln());
            (0..count).map(|k| (a + (b - a) * k as f64 / (count - 1) as f64).exp()).collect()
        }
    }
}

/// Thermodynamic curves of a spectral measure (`nodes`, `weights`) of an N-node graph.
/// `weights = None` means weight 1 per node. Slightly negative nodes (round-off) are clipped to 0.
///
/// Complexity: O(len(nodes) * len(taus)).
pub fn thermodynamics(nodes: &[f64], weights: Option<&[f64]>, n: usize, taus: &[f64]) -> Thermodynamics {
    let lam: Vec<f64> = nodes.iter().map(|&l| l.max(0.0)).collect();
    let w: Vec<f64> = match weights {
        Some(w) => w.to_vec(),
        None => vec![1.0; lam.len()],
    };
    let lam_min = lam.iter().cloned().fold(f64::INFINITY, f64::min);
    let ln_n = (n as f64).ln();
    let mut out = Thermodynamics { tau: taus.to_vec(), ..Default::default() };
    for &tau in taus {
        let (mut z, mut m1) = (0.0, 0.0);
        for (&l, &wk) in lam.iter().zip(&w) {
            let e = wk * (-tau * (l - lam_min)).exp();
            z += e;
            m1 += e * l;
        }
        let (s, c, ds) = if z > 0.0 && !lam.is_empty() {
            let mean = m1 / z;
            // tau^2 Var(lambda) as the mean of (tau (lambda - mean))^2 over the modes that carry
            // weight: eigenvalues spanning hundreds of decades (weights 1e-200..1e200) would
            // overflow (lambda - mean)^2 and turn 0 * inf into NaN for modes that are long gone.
            let c: f64 = lam
                .iter()
                .zip(&w)
                .map(|(&l, &wk)| {
                    let e = wk * (-tau * (l - lam_min)).exp();
                    if e > 0.0 {
                        e * (tau * (l - mean)).powi(2)
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
                / z;
            let ln_z = z.ln() - tau * lam_min;
            ((ln_z + tau * mean).max(0.0), c, 2.0 * tau * mean)
        } else {
            (0.0, 0.0, 0.0)
        };
        out.entropy.push(s);
        out.entropy_normalized.push(if n > 1 { s / ln_n } else { 0.0 });
        out.specific_heat.push(c);
        out.spectral_dimension.push(ds);
    }
    out
}

/// [`thermodynamics`] evaluated in parallel over chunks of the tau grid, checking for
/// cancellation between chunks (use for fine grids or large spectral measures).
pub fn thermodynamics_par(
    nodes: &[f64],
    weights: Option<&[f64]>,
    n: usize,
    taus: &[f64],
    exec: &crate::exec::Exec,
) -> crate::error::Result<Thermodynamics> {
    use rayon::prelude::*;
    let chunk = (1 << 20) / nodes.len().max(1) + 1;
    let parts: Vec<crate::error::Result<Thermodynamics>> = exec.install(|| {
        taus.par_chunks(chunk)
            .map(|ts| {
                exec.check()?;
                Ok(thermodynamics(nodes, weights, n, ts))
            })
            .collect()
    });
    let mut out = Thermodynamics::default();
    for part in parts {
        let p = part?;
        out.tau.extend(p.tau);
        out.entropy.extend(p.entropy);
        out.entropy_normalized.extend(p.entropy_normalized);
        out.specific_heat.extend(p.specific_heat);
        out.spectral_dimension.extend(p.spectral_dimension);
    }
    let curves = [("entropy", &out.entropy), ("specific heat", &out.specific_heat), ("spectral dimension", &out.spectral_dimension)];
    for (name, values) in curves {
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            return Err(crate::error::Error::not_finite(format!(
                "thermodynamics: the {name} is {} at tau = {:e} (the spectrum spans too many decades for double precision; rescale the weights)",
                values[k], out.tau[k]
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        // Two components, N = 4: spectrum {0, 0, 2, 2}.
        let t = thermodynamics(&[0.0, 0.0, 2.0, 2.0], None, 4, &[0.0, 1e6]);
        assert!((t.entropy[0] - 4f64.ln()).abs() < 1e-12);
        assert!((t.entropy[1] - 2f64.ln()).abs() < 1e-12);
        assert!(t.specific_heat.iter().all(|c| c.is_finite() && *c >= 0.0));
    }

    #[test]
    fn specific_heat_is_minus_entropy_log_derivative() {
        let lam = [0.0, 0.3, 1.1, 2.5, 4.0];
        let h = 1e-5;
        for &tau in &[0.1, 1.0, 7.0] {
            let t = thermodynamics(&lam, None, 5, &[tau * (1.0 - h), tau, tau * (1.0 + h)]);
            let fd = -(t.entropy[2] - t.entropy[0]) / ((1.0 + h).ln() - (1.0 - h).ln());
            assert!((fd - t.specific_heat[1]).abs() < 1e-6, "{fd} vs {}", t.specific_heat[1]);
        }
    }

    #[test]
    fn parallel_matches_serial_and_aborts() {
        let lam: Vec<f64> = (0..50).map(|k| k as f64 * 0.1).collect();
        let taus = log_grid(1e-3, 1e3, 101);
        let exec = crate::exec::Exec::with_threads(2);
        assert_eq!(thermodynamics_par(&lam, None, 50, &taus, &exec).unwrap(), thermodynamics(&lam, None, 50, &taus));
        exec.cancel.cancel();
        assert_eq!(thermodynamics_par(&lam, None, 50, &taus, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
    }

    #[test]
    fn spectra_spanning_hundreds_of_decades_stay_finite() {
        // weights 1e-200..1e200: the large modes are extinct at every tau of the grid
        let lam = [0.0, 2e-200, 1.0, 2e100, 2e200];
        let taus = log_grid(1e-4, 1e5, 50);
        let t = thermodynamics_par(&lam, None, 5, &taus, &crate::exec::Exec::sequential()).unwrap();
        assert!(t.specific_heat.iter().chain(&t.entropy).all(|v| v.is_finite()));
        // at tau ~ 1 only the two ~zero modes and lambda = 1 carry weight
        let k = taus.iter().position(|&x| x >= 1.0).unwrap();
        let e = (-taus[k]).exp();
        let z = 2.0 + e;
        let mean = e / z;
        let want = taus[k] * taus[k] * (2.0 * mean * mean + e * (1.0 - mean).powi(2)) / z;
        assert!((t.specific_heat[k] - want).abs() < 1e-12, "{} vs {want}", t.specific_heat[k]);
    }

    #[test]
    fn grid_is_inclusive() {
        let g = log_grid(1e-2, 1e2, 5);
        assert!((g[0] - 1e-2).abs() < 1e-15 && (g[4] - 1e2).abs() < 1e-10 && (g[2] - 1.0).abs() < 1e-12);
    }
}
