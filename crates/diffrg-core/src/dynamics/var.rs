//! The `var` estimator: the exact Gaussian path Kullback-Leibler divergence per step of a
//! fitted VAR(1) (equivalently of any stationary Gaussian Markov chain) from its time reversal.
//!
//! With `J = Cov(x_t, x_{t+1}) = [[S, C(1)^T], [C(1), S]]` and `J_r = Cov(x_{t+1}, x_t)`
//! `= [[S, C(1)], [C(1)^T, S]]` (`det J_r = det J`), the entropy production per step of a
//! Markov chain is the KL divergence between the forward and reversed pair laws:
//!
//! `σ_Δt = D_KL(N(0, J) ‖ N(0, J_r)) = 1/2 Tr(J_r^{-1} J) - n` (nats per frame),
//!
//! and the rate is `σ_Δt / Δt`; it tends to the `ou` rate as `Δt → 0` for an OU process, and
//! is defined whether or not the drift logarithm exists.

use super::linear::{check_covariance, sym};
use super::stats::Moments;
use crate::error::{Error, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// `σ_Δt` (nats per frame) of the moments `m` (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for fewer frames than variables, a constant variable, a singular
/// covariance or a singular pair covariance `J_r`.
pub fn var_per_step(m: &Moments) -> Result<f64> {
    let n = m.n;
    let s = sym(&m.c0);
    check_covariance(m, &s)?;
    let c1 = m.c1();
    let j = Mat::from_fn(2 * n, 2 * n, |r, c| match (r < n, c < n) {
        (true, true) => s[(r, c)],
        (false, false) => s[(r - n, c - n)],
        (true, false) => c1[(c - n, r)],
        (false, true) => c1[(r - n, c)],
    });
    // J_r = P J P with P swapping the two halves.
    let jr = Mat::from_fn(2 * n, 2 * n, |r, c| j[((r + n) % (2 * n), (c + n) % (2 * n))]);
    let llt = jr.llt(Side::Lower).map_err(|_| {
        Error::invalid_input(
            "dynamics: the covariance of consecutive frames is singular (deterministic dynamics?); var entropy production undefined",
        )
    })?;
    let x = llt.solve(&j);
    Ok(0.5 * (0..2 * n).map(|i| x[(i, i)]).sum::<f64>() - n as f64)
}

#[cfg(test)]
mod tests {
    use super::super::linear::tests::{mat, ou_moments};
    use super::super::ou::{lyapunov, ou_rate};
    use super::*;

    #[test]
    fn var_rate_converges_to_ou_rate() {
        let b = mat(&[&[1.0, -0.3], &[0.3, 1.0]]);
        let d = mat(&[&[0.5, 0.0], &[0.0, 0.5]]);
        let s = lyapunov(b.as_ref(), d.as_ref()).unwrap();
        let exact = ou_rate(b.as_ref(), d.as_ref(), s.as_ref()).unwrap();
        let mut prev = f64::INFINITY;
        for dt in [0.4, 0.1, 0.025, 0.00625] {
            let rate = var_per_step(&ou_moments(&b, &d, dt)).unwrap() / dt;
            let err = (rate - exact).abs();
            assert!(rate <= exact + 1e-9, "sampling cannot create irreversibility: {rate} > {exact}");
            assert!(err < prev, "dt {dt}: error {err} did not shrink (prev {prev})");
            prev = err;
        }
        assert!(prev < 1e-2 * exact, "{prev}"); // O(dt): 0.6% at dt = 0.00625
    }

    #[test]
    fn reversible_chain_has_zero_per_step_rate() {
        let b = mat(&[&[2.0, 0.5], &[0.5, 1.0]]);
        let d = mat(&[&[0.7, 0.0], &[0.0, 0.7]]);
        assert!(var_per_step(&ou_moments(&b, &d, 0.3)).unwrap().abs() < 1e-10);
    }
}
