//! Compact L-BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed., alg. 7.4 / 7.5) with a
//! backtracking line search, used by the pseudo-likelihood and K-pairwise fits
//! ([`super::baselines`], [`super::kpairwise`]). It reports what it did ([`SolverReport`]).

use crate::error::Result;
use crate::exec::Exec;

/// What an iterative solver did: iterations used and whether its convergence test was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SolverReport {
    pub iterations: usize,
    pub converged: bool,
}

/// Compact L-BFGS with backtracking (Nocedal & Wright, alg. 7.5); minimises `fg`.
///
/// Converged: gradient norm below 1e-7, or a relative decrease below 1e-12, or no further
/// decrease along the search direction. Cancellation is checked every iteration.
pub(crate) fn lbfgs(x: &mut [f64], max_iter: usize, exec: &Exec, mut fg: impl FnMut(&[f64], &mut [f64]) -> f64) -> Result<SolverReport> {
    let n = x.len();
    let mem = 8;
    let mut g = vec![0.0; n];
    let mut f = fg(x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut gnew = vec![0.0; n];
    let mut report = SolverReport::default();
    for it in 0..max_iter {
        exec.check()?;
        report.iterations = it;
        let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if gnorm < 1e-7 {
            report.converged = true;
            return Ok(report);
        }
        // two-loop recursion
        let mut q = g.clone();
        let k = s_hist.len();
        let mut alpha = vec![0.0; k];
        for i in (0..k).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alpha[i] = rho * dot(&s_hist[i], &q);
            q.iter_mut().zip(&y_hist[i]).for_each(|(a, b)| *a -= alpha[i] * b);
        }
        let gamma = if k > 0 { dot(&s_hist[k - 1], &y_hist[k - 1]) / dot(&y_hist[k - 1], &y_hist[k - 1]) } else { 1.0 / gnorm.max(1.0) };
        q.iter_mut().for_each(|v| *v *= gamma);
        for i in 0..k {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let beta = rho * dot(&y_hist[i], &q);
            q.iter_mut().zip(&s_hist[i]).for_each(|(a, b)| *a += (alpha[i] - beta) * b);
        }
        let mut dg = -dot(&g, &q);
        if dg >= 0.0 {
            q = g.clone();
            dg = -dot(&g, &g);
            s_hist.clear();
            y_hist.clear();
        }
        let mut t = 1.0;
        let mut xnew = vec![0.0; n];
        let mut fnew = f64::INFINITY;
        for _ in 0..30 {
            xnew.iter_mut().zip(x.iter().zip(&q)).for_each(|(o, (a, b))| *o = a - t * b);
            fnew = fg(&xnew, &mut gnew);
            if fnew <= f + 1e-4 * t * dg {
                break;
            }
            t *= 0.5;
        }
        if !(fnew < f) {
            // no decrease along a descent direction: at the optimum up to round-off
            report.converged = true;
            return Ok(report);
        }
        let s: Vec<f64> = xnew.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gnew.iter().zip(&g).map(|(a, b)| a - b).collect();
        let converged = (f - fnew).abs() < 1e-12 * f.abs().max(1.0);
        if dot(&s, &y) > 1e-12 {
            if s_hist.len() == mem {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        x.copy_from_slice(&xnew);
        g.copy_from_slice(&gnew);
        f = fnew;
        report.iterations = it + 1;
        if converged {
            report.converged = true;
            return Ok(report);
        }
    }
    Ok(report)
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
