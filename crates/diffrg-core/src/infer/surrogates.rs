//! Circular time-shift surrogates, surrogate z-scores with Student-t p-values, and
//! Benjamini-Hochberg false-discovery-rate control.
//!
//! **Surrogates.** Shifting neuron `i` circularly by `d` bins, `x_i(t) -> x_i((t + d) mod T)`,
//! preserves its autocorrelation (and rate) exactly while destroying its temporal relation to
//! the other neurons for `d` well beyond the correlation time (Lancaster et al. 2018, §3.3).
//! For a pair `(i, j)` the shifted lag-`k` cross-covariance is the *circular* cross-covariance
//! at lag `d + k`, so all `N²` surrogate statistics of one shift come out of the same
//! streaming pass as `C(0..p)` (`covariance.rs`, circular lags). Surrogate `m` shifts every
//! target row by `d_m` relative to all sources, which is what the regression of target `i` on
//! the sources' past needs (`B^{(m)} = C₊^{(m)} (Γ+ρI)^{-1}`, row by row).
//!
//! **p-values.** With `M` surrogate values `s_1..s_M` of an edge statistic and the observed
//! value `x`, under the null `x` is exchangeable with the surrogates; assuming approximate
//! normality, `(x - s̄) / (σ_s sqrt(1 + 1/M)) ~ t_{M-1}` (a prediction interval), which gives
//! p-values far below `1/(M+1)` as needed for FDR control over `N²` edges. (The rank p-value
//! `(1 + #{|s_m - s̄| >= |x - s̄|})/(M + 1)` cannot go below `1/(M+1)`.)
//!
//! **FDR.** Benjamini & Hochberg (1995) step-up q-values
//! `q_(r) = min_{r' >= r} m p_(r') / r'`; edges with `q <= α` are declared at FDR `α`.

use crate::error::{Error, Result};
use crate::linalg::cols::for_cols_mut;
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `count` distinct circular shifts, stratified over `[lo, hi)` with `hi = min(T/2, max_shift)`
/// and `lo = max(hi/4, 1)`, each jittered within its stratum (seeded).
///
/// Errors: `ERR_INVALID_INPUT` when the recording is too short for `count` distinct shifts of
/// at least `min_shift` bins.
pub fn shift_schedule(t: usize, count: usize, max_shift: usize, min_shift: usize, seed: u64) -> Result<Vec<usize>> {
    if count == 0 {
        return Ok(vec![]);
    }
    let hi = (t / 2).min(max_shift.max(1));
    let lo = (hi / 4).max(min_shift).max(1);
    if hi <= lo || hi - lo < count {
        return Err(Error::invalid_input(format!(
            "the recording ({t} bins) is too short for {count} circular surrogate shifts of at least {min_shift} bins; \
             use fewer surrogates or a longer recording"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let width = (hi - lo) as f64 / count as f64;
    let mut out: Vec<usize> = (0..count)
        .map(|m| {
            let u: f64 = rng.random::<f64>();
            lo + ((m as f64 + u) * width).floor() as usize
        })
        .collect();
    out.dedup();
    if out.len() < count {
        // Strata narrower than one bin: fall back to evenly spaced shifts.
        out = (0..count).map(|m| lo + m * (hi - lo) / count).collect();
    }
    Ok(out)
}

/// Per-entry mean and sample variance (denominator `M - 1`) of `M` surrogate matrices.
pub struct SurrogateMoments {
    pub count: usize,
    pub mean: Mat<f64>,
    pub var: Mat<f64>,
}

/// The [`SurrogateMoments`] of `surrogates` (all the same shape), column-parallel on the
/// current rayon pool (callers run inside `Exec::install`).
pub fn surrogate_moments(surrogates: &[Mat<f64>]) -> SurrogateMoments {
    let (r, c) = surrogates.first().map_or((0, 0), |s| (s.nrows(), s.ncols()));
    let mf = surrogates.len() as f64;
    let mut mean = Mat::<f64>::zeros(r, c);
    for_cols_mut(mean.as_mut(), |j, col| {
        for (i, x) in col.iter_mut().enumerate() {
            *x = surrogates.iter().map(|s| s[(i, j)]).sum::<f64>() / mf;
        }
    });
    let mut var = Mat::<f64>::zeros(r, c);
    for_cols_mut(var.as_mut(), |j, col| {
        for (i, x) in col.iter_mut().enumerate() {
            *x = surrogates.iter().map(|s| (s[(i, j)] - mean[(i, j)]).powi(2)).sum::<f64>() / (mf - 1.0);
        }
    });
    SurrogateMoments { count: surrogates.len(), mean, var }
}

/// Surrogate-calibrated z-scores and two-sided p-values for every entry of `observed`.
///
/// Entries whose surrogate spread is zero (e.g. silent neurons) get `z = 0`, `p = 1`.
pub fn surrogate_pvalues(observed: &Mat<f64>, surrogates: &[Mat<f64>]) -> Result<(Mat<f64>, Mat<f64>)> {
    let m = surrogates.len();
    if m < 2 {
        return Err(Error::invalid_input(format!("at least 2 surrogates are needed for p-values (got {m})")));
    }
    Ok(pvalues_from_moments(observed, &surrogate_moments(surrogates)))
}

/// [`surrogate_pvalues`] from the surrogates' moments (at least 2 surrogates).
pub(crate) fn pvalues_from_moments(observed: &Mat<f64>, mo: &SurrogateMoments) -> (Mat<f64>, Mat<f64>) {
    let mf = mo.count as f64;
    let mut z = Mat::<f64>::zeros(observed.nrows(), observed.ncols());
    for_cols_mut(z.as_mut(), |j, zc| {
        let (oc, mc, vc) = (observed.col_as_slice(j), mo.mean.col_as_slice(j), mo.var.col_as_slice(j));
        for (i, zz) in zc.iter_mut().enumerate() {
            let sd = vc[i].sqrt() * (1.0 + 1.0 / mf).sqrt();
            let scale = mc[i].abs().max(oc[i].abs()).max(1e-300);
            *zz = if sd > 1e-13 * scale { (oc[i] - mc[i]) / sd } else { 0.0 };
        }
    });
    // p = 1 at z = 0, so a zero surrogate spread needs no separate case here.
    let t = StudentT::new(mf - 1.0);
    let mut p = Mat::<f64>::zeros(observed.nrows(), observed.ncols());
    for_cols_mut(p.as_mut(), |j, pc| {
        for (x, &zz) in pc.iter_mut().zip(z.col_as_slice(j)) {
            *x = t.two_sided(zz);
        }
    });
    (z, p)
}

/// Student's t distribution with `df` degrees of freedom, its normalising constant computed once.
struct StudentT {
    df: f64,
    /// `ln Γ(a + b) - ln Γ(a) - ln Γ(b)` for `a = df/2`, `b = 1/2`.
    ln_norm: f64,
}

impl StudentT {
    fn new(df: f64) -> Self {
        StudentT { df, ln_norm: ln_beta_norm(df / 2.0, 0.5) }
    }

    /// `P(|T| >= |t|)` ([`student_t_two_sided`]).
    fn two_sided(&self, t: f64) -> f64 {
        if !t.is_finite() {
            return if t.is_nan() { f64::NAN } else { 0.0 };
        }
        let x = self.df / (self.df + t * t);
        incomplete_beta_normed(x, self.df / 2.0, 0.5, self.ln_norm).clamp(0.0, 1.0)
    }
}

/// Two-sided tail probability `P(|T| >= |t|)` of Student's t with `df` degrees of freedom:
/// `I_{df/(df+t²)}(df/2, 1/2)`.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    StudentT::new(df).two_sided(t)
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos approximation (g = 7, n = 9), |rel err| < 1e-15 for x > 0.
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (k, &ck) in C.iter().enumerate().skip(1) {
        a += ck / (x + k as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized incomplete beta `I_x(a, b)` by Lentz's continued fraction (Press et al.,
/// Numerical Recipes §6.4).
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    incomplete_beta_normed(x, a, b, ln_beta_norm(a, b))
}

/// `ln Γ(a + b) - ln Γ(a) - ln Γ(b)`.
fn ln_beta_norm(a: f64, b: f64) -> f64 {
    ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b)
}

/// [`regularized_incomplete_beta`] given `ln_norm = ln_beta_norm(a, b)`.
fn incomplete_beta_normed(x: f64, a: f64, b: f64, ln_norm: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_norm + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(1.0 - x, b, a) / b
    }
}

fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=400 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Benjamini-Hochberg q-values (same order as `p`); NaN p-values are treated as 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    let key = |i: usize| if p[i].is_nan() { 1.0 } else { p[i] };
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for r in (0..m).rev() {
        let i = order[r];
        running = running.min(key(i) * m as f64 / (r + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_distribution_matches_closed_forms() {
        // df = 1 (Cauchy): P(|T| >= t) = 1 - 2 atan(t)/π.
        for t in [0.0, 0.5, 1.0, 3.0, 40.0] {
            let want = 1.0 - 2.0 * f64::atan(t) / std::f64::consts::PI;
            assert!((student_t_two_sided(t, 1.0) - want).abs() < 1e-12, "t={t}");
        }
        // df = 2: P(|T| >= t) = 1 - t / sqrt(t² + 2).
        for t in [0.1f64, 1.0, 2.5, 10.0] {
            let want = 1.0 - t / (t * t + 2.0).sqrt();
            assert!((student_t_two_sided(t, 2.0) - want).abs() < 1e-12);
        }
        // Large df: normal quantile 1.959964 -> 0.05.
        assert!((student_t_two_sided(1.959964, 1e7) - 0.05).abs() < 1e-5);
        assert!(student_t_two_sided(50.0, 18.0) < 1e-18);
        assert_eq!(student_t_two_sided(f64::INFINITY, 5.0), 0.0);
    }

    #[test]
    fn bh_matches_definition() {
        let p = [0.01, 0.04, 0.03, 0.5, 0.002, f64::NAN, 0.04];
        let q = benjamini_hochberg(&p);
        let m = p.len();
        let key: Vec<f64> = p.iter().map(|v| if v.is_nan() { 1.0 } else { *v }).collect();
        for i in 0..m {
            // q_i = min over j with p_j >= p_i of m p_j / rank_j (rank with ties counted up).
            let mut best = f64::INFINITY;
            for j in 0..m {
                if key[j] >= key[i] {
                    let rank = key.iter().filter(|&&v| v <= key[j]).count();
                    best = best.min(m as f64 * key[j] / rank as f64);
                }
            }
            assert!((q[i] - best.min(1.0)).abs() < 1e-12, "i={i}: {} vs {best}", q[i]);
        }
    }

    #[test]
    fn schedule_is_seeded_distinct_and_bounded() {
        let a = shift_schedule(10_000, 19, 1 << 20, 10, 7).unwrap();
        assert_eq!(a, shift_schedule(10_000, 19, 1 << 20, 10, 7).unwrap());
        assert_ne!(a, shift_schedule(10_000, 19, 1 << 20, 10, 8).unwrap());
        assert_eq!(a.len(), 19);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a[0] >= 1250 && *a.last().unwrap() < 5000);
        assert!(shift_schedule(30, 19, 1 << 20, 10, 1).is_err());
    }

    #[test]
    fn surrogate_pvalues_are_calibrated() {
        use rand_distr::{Distribution, Normal};
        // Observed and surrogates iid normal: p-values must be ~uniform.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let nd = Normal::new(0.3, 2.0).unwrap();
        let n = 60;
        let obs = Mat::from_fn(n, n, |_, _| nd.sample(&mut rng));
        let sur: Vec<Mat<f64>> = (0..9).map(|_| Mat::from_fn(n, n, |_, _| nd.sample(&mut rng))).collect();
        let (_, p) = surrogate_pvalues(&obs, &sur).unwrap();
        let frac = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).filter(|&(i, j)| p[(i, j)] < 0.1).count() as f64 / (n * n) as f64;
        assert!((frac - 0.1).abs() < 0.02, "rejection rate {frac}");
        let (_, p) = surrogate_pvalues(&Mat::from_fn(1, 1, |_, _| 1.0), &[Mat::zeros(1, 1), Mat::zeros(1, 1)]).unwrap();
        assert_eq!(p[(0, 0)], 1.0);
        assert!(surrogate_pvalues(&obs, &sur[..1]).is_err());
    }
}
