//! Scaling statistics of a hierarchy of clusters (Meshulam et al., PRL 2019), and their
//! power-law exponents.
//!
//! At level `k` with clusters `c` of `K_c` units, the cluster activity is
//! `x_c(t) = Σ_{i ∈ c} σ_i(t)` (normalised units, see the module docs). Per level:
//! - variance `M₂ = ⟨Var_t x_c⟩_c ∝ K^α̃` (α̃ = 1 for independent units, 2 for identical ones);
//! - silence `P₀ = ⟨Pr_t[x_c = 0]⟩_c` and `F = -ln P₀ ∝ K^β̃` (β̃ = 1 for independent units);
//! - the spectrum `λ_r` of the `K × K` covariance of a cluster's members, averaged over
//!   clusters of the level's most common size `K_s`: `λ_r ∝ (r/K_s)^{-μ}`;
//! - the autocorrelation `C(l) = ⟨Cov(x_c(t), x_c(t+l)) / Var x_c⟩_c` and its `1/e` time
//!   `τ_c ∝ K^z̃`.
//!
//! `K` is the level's mean cluster size. Exponents are least-squares slopes on log-log axes
//! over the levels (μ: over the points `r ≤ K_s/2` of every level with a spectrum), with the
//! regression's standard error and a percentile interval from a bootstrap over clusters
//! (each replicate redraws every level's clusters with replacement and refits).

use super::{PrgOptions, Units};
use crate::dynamics::pipeline::percentile_ci;
use crate::error::{Error, Result};
use crate::exec::Exec;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A fitted exponent: the least-squares slope, its percentile bootstrap interval (`[value,
/// value]` without bootstrap), the regression's standard error (`None` with 2 points), the
/// number of points fitted, and (with `PrgOptions::shuffle`) the same exponent of the data with
/// every unit circularly shifted in time by an independent random offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Exponent {
    pub value: f64,
    pub ci: [f64; 2],
    pub stderr: Option<f64>,
    pub points: usize,
    pub null: Option<f64>,
}

/// The statistics of one level.
#[derive(Debug, Clone, PartialEq)]
pub struct PrgLevel {
    /// Index of the level in the hierarchy given (levels with too few clusters are left out).
    pub source: usize,
    pub clusters: usize,
    /// Mean, smallest and largest cluster size (units).
    pub mean_size: f64,
    pub min_size: usize,
    pub max_size: usize,
    /// `M₂`: mean over clusters of the variance of the cluster activity.
    pub variance: f64,
    /// `P₀`: mean over clusters of the fraction of frames where the cluster is silent.
    pub silence: f64,
    /// `-ln P₀` (`None` when `P₀ = 0`).
    pub free_energy: Option<f64>,
    /// Mean autocorrelation of the cluster activity at lags `0, 1, ...` frames.
    pub autocorrelation: Vec<f64>,
    /// First time (s) where `autocorrelation` falls below `1/e` (linear interpolation).
    pub autocorrelation_time: Option<f64>,
    /// Mean eigenvalues (descending) of the member covariance of clusters of `spectrum_size`
    /// units (empty when no cluster qualifies).
    pub spectrum: Vec<f64>,
    pub spectrum_size: usize,
    pub spectrum_clusters: usize,
}

/// The statistics of every level of a hierarchy and the fitted exponents.
#[derive(Debug, Clone, PartialEq)]
pub struct PrgResult {
    pub levels: Vec<PrgLevel>,
    /// Units of every cluster of every level.
    pub clusters: Vec<Vec<Vec<usize>>>,
    /// α̃ (variance), β̃ (`-ln P₀`), μ (spectrum decay), z̃ (autocorrelation time).
    pub variance: Option<Exponent>,
    pub silence: Option<Exponent>,
    pub spectrum: Option<Exponent>,
    pub autocorrelation: Option<Exponent>,
    pub frames: usize,
    pub bin_seconds: f64,
    /// Why an exponent or a level statistic is missing, or a warning.
    pub diagnostics: Vec<String>,
}

/// Per-cluster statistics of one level.
struct LevelData {
    sizes: Vec<usize>,
    var: Vec<f64>,
    silence: Vec<f64>,
    acf: Vec<Vec<f64>>,
    spectra: Vec<Vec<f64>>,
    spectrum_size: usize,
}

/// The level statistics of a (resampled) set of clusters.
struct Summary {
    k: f64,
    var: f64,
    silence: f64,
    acf: Vec<f64>,
    tau: Option<f64>,
    spectrum: Vec<f64>,
}

const INV_E: f64 = 0.36787944117144233;
/// The autocorrelations stop once their mean falls below this (past the `1/e` crossing, so
/// bootstrap replicates usually cross too).
const ACF_STOP: f64 = 0.1;

fn level_data(u: &Units, clusters: &[Vec<usize>], o: &PrgOptions, exec: &Exec) -> Result<LevelData> {
    let t = u.frames;
    let m = clusters.len();
    let mut sums = vec![0.0; m * t];
    exec.install(|| {
        sums.par_chunks_mut(t).zip(clusters).for_each(|(dst, c)| {
            for &i in c {
                dst.iter_mut().zip(&u.x[i * t..(i + 1) * t]).for_each(|(d, v)| *d += v);
            }
        })
    });
    exec.check()?;
    let mut var = vec![0.0; m];
    let mut silence = vec![0.0; m];
    exec.install(|| {
        sums.par_chunks_mut(t).zip(var.par_iter_mut()).zip(silence.par_iter_mut()).for_each(|((r, v), s)| {
            *s = r.iter().filter(|x| **x == 0.0).count() as f64 / t as f64;
            let mean = r.iter().sum::<f64>() / t as f64;
            r.iter_mut().for_each(|x| *x -= mean);
            *v = r.iter().map(|x| x * x).sum::<f64>() / t as f64;
        })
    });
    // autocorrelations, a chunk of lags at a time until the mean is well below 1/e
    let max_lag = o.max_lag.min(t / 2).max(1);
    let mut acf: Vec<Vec<f64>> = vec![vec![1.0]; m];
    let chunk = 16;
    let mut lo = 1;
    while lo <= max_lag {
        exec.check()?;
        let hi = (lo + chunk).min(max_lag + 1);
        exec.install(|| {
            acf.par_iter_mut().zip(sums.par_chunks(t)).zip(&var).for_each(|((a, r), &v)| {
                for l in lo..hi {
                    let c = r[..t - l].iter().zip(&r[l..]).map(|(p, q)| p * q).sum::<f64>() / (t - l) as f64;
                    a.push(if v > 0.0 { c / v } else { 0.0 });
                }
            })
        });
        let last = acf.iter().map(|a| a[hi - 1]).sum::<f64>() / m as f64;
        lo = hi;
        if last < ACF_STOP {
            break;
        }
    }
    // within-cluster spectra of the most common size in range
    let mut count = std::collections::BTreeMap::new();
    for c in clusters.iter().filter(|c| c.len() >= o.spectrum_min_size && c.len() <= o.spectrum_max_size) {
        *count.entry(c.len()).or_insert(0usize) += 1;
    }
    let spectrum_size = count.iter().max_by_key(|(&s, &n)| (n, s)).map_or(0, |(&s, _)| s);
    let chosen: Vec<&Vec<usize>> = clusters.iter().filter(|c| c.len() == spectrum_size).collect();
    let spectra = exec.install(|| {
        chosen
            .par_iter()
            .map(|c| -> Result<Vec<f64>> {
                exec.check()?;
                let k = c.len();
                let mut z = Vec::with_capacity(k * t);
                for &i in c.iter() {
                    let r = &u.x[i * t..(i + 1) * t];
                    let mean = r.iter().sum::<f64>() / t as f64;
                    z.extend(r.iter().map(|v| v - mean));
                }
                let zm = MatRef::from_column_major_slice(&z, t, k);
                let mut cov = Mat::<f64>::zeros(k, k);
                matmul(cov.as_mut(), Accum::Replace, zm.transpose(), zm, 1.0 / t as f64, Par::Seq);
                let mut ev = cov
                    .self_adjoint_eigenvalues(Side::Lower)
                    .map_err(|e| Error::no_convergence(format!("prg: covariance eigenvalues failed ({e:?})")))?;
                ev.sort_by(|a, b| b.total_cmp(a));
                Ok(ev)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(LevelData { sizes: clusters.iter().map(|c| c.len()).collect(), var, silence, acf, spectra, spectrum_size })
}

/// First crossing of `1/e` (in frames, linear interpolation), `None` if `a` stays above.
fn crossing(a: &[f64]) -> Option<f64> {
    let l = a.iter().position(|&v| v < INV_E)?;
    if l == 0 {
        return Some(0.0);
    }
    Some((l - 1) as f64 + (a[l - 1] - INV_E) / (a[l - 1] - a[l]))
}

fn mean_of(idx: impl Iterator<Item = usize> + Clone, f: impl Fn(usize) -> f64) -> f64 {
    let n = idx.clone().count();
    idx.map(f).sum::<f64>() / n.max(1) as f64
}

fn summarise(d: &LevelData, picks: &[usize], spicks: &[usize]) -> Summary {
    let it = picks.iter().copied();
    let lags = picks.iter().map(|&c| d.acf[c].len()).min().unwrap_or(0);
    let acf: Vec<f64> = (0..lags).map(|l| mean_of(it.clone(), |c| d.acf[c][l])).collect();
    let ks = d.spectrum_size;
    let spectrum: Vec<f64> =
        if spicks.is_empty() { Vec::new() } else { (0..ks).map(|r| mean_of(spicks.iter().copied(), |c| d.spectra[c][r])).collect() };
    Summary {
        k: mean_of(it.clone(), |c| d.sizes[c] as f64),
        var: mean_of(it.clone(), |c| d.var[c]),
        silence: mean_of(it.clone(), |c| d.silence[c]),
        tau: crossing(&acf),
        acf,
        spectrum,
    }
}

/// Least-squares slope, and its standard error with 3 points or more.
fn ols(p: &[(f64, f64)]) -> Option<(f64, Option<f64>)> {
    let n = p.len() as f64;
    if p.len() < 2 {
        return None;
    }
    let mx = p.iter().map(|q| q.0).sum::<f64>() / n;
    let my = p.iter().map(|q| q.1).sum::<f64>() / n;
    let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
    if !(sxx > 1e-12) {
        return None;
    }
    let b = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum::<f64>() / sxx;
    let se = (p.len() > 2).then(|| (p.iter().map(|q| (q.1 - my - b * (q.0 - mx)).powi(2)).sum::<f64>() / (n - 2.0) / sxx).sqrt());
    Some((b, se))
}

/// The four exponents (α̃, β̃, μ, z̃) of a set of level summaries: (slope, stderr, points).
fn fit_all(s: &[Summary]) -> [Option<(f64, Option<f64>, usize)>; 4] {
    let fit = |p: Vec<(f64, f64)>| ols(&p).map(|(b, se)| (b, se, p.len()));
    let var = fit(s.iter().filter(|l| l.var > 0.0).map(|l| (l.k.ln(), l.var.ln())).collect());
    let sil = fit(s.iter().filter(|l| l.silence > 0.0 && l.silence < 1.0).map(|l| (l.k.ln(), (-l.silence.ln()).ln())).collect());
    let mut sp = Vec::new();
    for l in s {
        let ks = l.spectrum.len();
        for r in 1..=ks / 2 {
            if l.spectrum[r - 1] > 0.0 {
                sp.push(((r as f64 / ks as f64).ln(), l.spectrum[r - 1].ln()));
            }
        }
    }
    let spec = fit(sp).map(|(b, se, n)| (-b, se, n));
    let tau = fit(s.iter().filter_map(|l| l.tau.filter(|&t| t > 0.0).map(|t| (l.k.ln(), t.ln()))).collect());
    [var, sil, spec, tau]
}

const NAMES: [&str; 4] = ["variance", "silence", "spectrum", "autocorrelation"];
const NEEDS: [&str; 4] = [
    "fewer than 2 levels with positive variance and distinct cluster sizes",
    "fewer than 2 levels with 0 < P(silence) < 1 and distinct cluster sizes (activity never exactly zero, or always)",
    "no level has clusters large enough for a spectrum (spectrum_min_size)",
    "fewer than 2 levels whose mean autocorrelation falls below 1/e within max_lag",
];

/// The scaling statistics and exponents of the cluster `levels` of `u` (level 0 usually the
/// single units). See the module docs.
///
/// # Errors
/// `ERR_INVALID_INPUT` for an empty level; `ERR_ABORTED`.
pub fn hierarchy_scaling(u: &Units, levels: Vec<Vec<Vec<usize>>>, o: &PrgOptions, exec: &Exec) -> Result<PrgResult> {
    let n = levels.len();
    hierarchy_scaling_of(u, levels, (0..n).collect(), o, exec)
}

/// [`hierarchy_scaling`] with the source index of every level.
pub(super) fn hierarchy_scaling_of(
    u: &Units,
    levels: Vec<Vec<Vec<usize>>>,
    source: Vec<usize>,
    o: &PrgOptions,
    exec: &Exec,
) -> Result<PrgResult> {
    if let Some(k) = levels.iter().position(|l| l.is_empty() || l.iter().any(|c| c.is_empty())) {
        return Err(Error::invalid_input(format!("prg: level {k} has no cluster or an empty cluster")));
    }
    let mut data = Vec::with_capacity(levels.len());
    for (k, l) in levels.iter().enumerate() {
        data.push(level_data(u, l, o, exec)?);
        exec.progress.set(0.8 * (k + 1) as f64 / levels.len() as f64);
    }
    let all = |d: &LevelData| ((0..d.sizes.len()).collect::<Vec<_>>(), (0..d.spectra.len()).collect::<Vec<_>>());
    let point: Vec<Summary> = data
        .iter()
        .map(|d| {
            let (p, s) = all(d);
            summarise(d, &p, &s)
        })
        .collect();
    let fits = fit_all(&point);
    let mut diagnostics = Vec::new();
    for (k, s) in point.iter().enumerate() {
        if s.tau.is_none() {
            diagnostics
                .push(format!("level {k}: the mean autocorrelation stays above 1/e up to lag {} (max_lag)", s.acf.len().saturating_sub(1)));
        } else if s.tau.is_some_and(|t| t < 1.0) {
            diagnostics.push(format!("level {k}: autocorrelation time below one bin; z is poorly resolved at this bin width"));
        }
    }
    // bootstrap over clusters
    let done = std::sync::atomic::AtomicUsize::new(0);
    let reps: Vec<[Option<f64>; 4]> = exec.install(|| {
        (0..o.bootstrap)
            .into_par_iter()
            .map(|r| -> Result<[Option<f64>; 4]> {
                exec.check()?;
                let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
                rng.set_stream(r as u64);
                let s: Vec<Summary> = data
                    .iter()
                    .map(|d| {
                        let (n, ns) = (d.sizes.len(), d.spectra.len());
                        let p: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
                        let q: Vec<usize> = (0..ns).map(|_| rng.random_range(0..ns)).collect();
                        summarise(d, &p, &q)
                    })
                    .collect();
                let f = fit_all(&s);
                exec.progress.set(0.8 + 0.2 * (done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1) as f64 / o.bootstrap as f64);
                Ok(f.map(|x| x.map(|x| x.0)))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut exps: [Option<Exponent>; 4] = [None, None, None, None];
    for e in 0..4 {
        let Some((value, stderr, points)) = fits[e] else {
            diagnostics.push(format!("{} exponent: {}", NAMES[e], NEEDS[e]));
            continue;
        };
        let mut vals: Vec<f64> = reps.iter().filter_map(|r| r[e]).filter(|x| x.is_finite()).collect();
        let failed = reps.len() - vals.len();
        if failed > 0 {
            diagnostics.push(format!(
                "{} exponent: {failed} of {} bootstrap replicates could not be fitted and were left out",
                NAMES[e],
                reps.len()
            ));
        }
        let ci = if o.bootstrap == 0 { [value, value] } else { percentile_ci(&mut vals, o.level).unwrap_or([value, value]) };
        exps[e] = Some(Exponent { value, ci, stderr, points, null: None });
    }
    let out_levels = point
        .into_iter()
        .zip(&data)
        .zip(source)
        .map(|((s, d), source)| PrgLevel {
            source,
            clusters: d.sizes.len(),
            mean_size: s.k,
            min_size: d.sizes.iter().copied().min().unwrap_or(0),
            max_size: d.sizes.iter().copied().max().unwrap_or(0),
            variance: s.var,
            silence: s.silence,
            free_energy: (s.silence > 0.0).then(|| -s.silence.ln()),
            autocorrelation_time: s.tau.map(|t| t * u.dt),
            autocorrelation: s.acf,
            spectrum: s.spectrum,
            spectrum_size: d.spectrum_size,
            spectrum_clusters: d.spectra.len(),
        })
        .collect();
    let [variance, silence, spectrum, autocorrelation] = exps;
    exec.progress.set(1.0);
    Ok(PrgResult {
        levels: out_levels,
        clusters: levels,
        variance,
        silence,
        spectrum,
        autocorrelation,
        frames: u.frames,
        bin_seconds: u.dt,
        diagnostics,
    })
}
