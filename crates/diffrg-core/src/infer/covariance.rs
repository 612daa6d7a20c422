//! Lagged covariances `C(0..p)` of binned activity in one streaming pass.
//!
//! For a binned recording `x_t ∈ R^N`, `t = 0..T-1`, with mean `μ` the (biased, Yule-Walker)
//! lagged covariance is
//!
//! ```text
//! C(k) = (1/T) Σ_{t=k}^{T-1} (x_t - μ)(x_{t-k} - μ)^T          (target t, source t-k)
//!      = (1/T) [ R(k) - (S - h_k) μ^T - μ (S - e_k)^T + (T-k) μ μ^T ],
//! R(k) = Σ_{t=k}^{T-1} x_t x_{t-k}^T,   S = Σ_t x_t,
//! h_k = Σ_{t<k} x_t (first k bins),     e_k = Σ_{t>=T-k} x_t (last k bins),
//! ```
//!
//! so `C(k)[i][j] = cov(x_i(t+k), x_j(t))` (row = later/target neuron). Using the global mean
//! and the `1/T` normalisation makes the block-Toeplitz matrix built from `C(0..p)` positive
//! semi-definite (Brockwell & Davis 1991, §8.1), which the Yule-Walker solve relies on.
//!
//! **Sparse path.** For spike counts the raw products `R(k)` only involve bins in which
//! both neurons fired: with `r` spikes per bin on average the pass costs `O(T r² (p+1))`
//! integer additions instead of `O(T N² (p+1))` flops. Bins are streamed in chunks
//! (`chunk_bins`, re-bucketed from the per-neuron CSR raster); a history of the last
//! `max_lag` bins is kept, so memory is `O((p+1) N²)` for the accumulators plus
//! `O(chunk + max_lag)` bins of spikes, independent of the recording length. Target rows are
//! split into blocks balanced by spike count and processed in parallel (rayon), each block
//! owning its rows: no reduction, no locks. Accumulators are `u32` (half the cache
//! footprint of `f64`) with an exact overflow guard that spills into `f64` when needed.
//!
//! **Extra statistics in the same pass.** (i) A time split (`split_bin`) gives the
//! covariances of the training segment `[0, split)` and the held-out segment `[split, T)`
//! used to choose penalties by held-out likelihood; pairs straddling the boundary are kept
//! in a short list so the full-data estimate is exact. (ii) Circular lags `d + k` for a list
//! of surrogate shifts `d` give the covariances of circularly time-shifted data,
//! `C_d(k)[i][j] = (1/T) Σ_t x_i((t + d + k) mod T) x_j(t) - μ_i μ_j`, which is what the
//! circular time-shift surrogates need (see `surrogates.rs`).
//!
//! **Dense path** ([`lagged_covariances_dense`]): float traces (e.g. calcium) as a `T × N`
//! matrix, with the same estimator computed by blocked matrix products (faer).

use crate::error::{ensure_fits, Error, Result};
use faer::Mat;

pub use crate::infer::covariance_dense::lagged_covariances_dense;
pub use crate::infer::covariance_stream::lagged_covariances;
pub use crate::infer::raster::{CountRaster, OwnedRaster};

/// Options for [`lagged_covariances`] / [`lagged_covariances_dense`].
#[derive(Debug, Clone)]
pub struct CovOptions {
    /// Largest lag `p` (bins): `C(0..=p)` are estimated. Default 1.
    pub max_lag: usize,
    /// Time split: training segment `[0, split_bin)`, held-out segment `[split_bin, T)`.
    /// Default `None` (full data only). Both segments must hold more than `max_lag` bins.
    pub split_bin: Option<usize>,
    /// Circular surrogate shifts `d` (bins, `1 <= d < T`). Default empty.
    pub shifts: Vec<usize>,
    /// Offsets `k` added to each shift: the circular covariances at lags `d + k` are
    /// computed for every `d` in `shifts` and `k` in `shift_lags`. Default empty.
    pub shift_lags: Vec<usize>,
    /// Bins per streamed chunk (sparse path). Default 16384.
    pub chunk_bins: usize,
    /// Limit on the dense accumulators and outputs (bytes). Default 8 GiB.
    pub memory_limit_bytes: u128,
    /// Largest value a `u32` accumulator may reach before spilling to `f64` (tests lower
    /// it to exercise the spill path). Default `u32::MAX`.
    pub accumulator_limit: u64,
}

impl Default for CovOptions {
    fn default() -> Self {
        CovOptions {
            max_lag: 1,
            split_bin: None,
            shifts: vec![],
            shift_lags: vec![],
            chunk_bins: 1 << 14,
            memory_limit_bytes: crate::spectral::dense::DEFAULT_DENSE_LIMIT_BYTES,
            accumulator_limit: u32::MAX as u64,
        }
    }
}

/// Lagged covariances of one time segment.
#[derive(Debug, Clone)]
pub struct SegmentCov {
    /// Number of bins `T` of the segment.
    pub n_bins: usize,
    /// Mean activity per neuron (per bin).
    pub mean: Vec<f64>,
    /// `cov[k] = C(k)`, `k = 0..=max_lag`, rows = target (later time), columns = source.
    pub cov: Vec<Mat<f64>>,
}

/// Everything one pass over the data produces.
#[derive(Debug, Clone)]
pub struct CovarianceSet {
    pub n: usize,
    pub max_lag: usize,
    pub full: SegmentCov,
    pub train: Option<SegmentCov>,
    pub test: Option<SegmentCov>,
    pub shifts: Vec<usize>,
    pub shift_lags: Vec<usize>,
    /// `shifted[m][q]`: circular covariance at lag `shifts[m] + shift_lags[q]`.
    pub shifted: Vec<Vec<Mat<f64>>>,
    /// Sum of all activity (spike count for rasters).
    pub total_activity: f64,
}

pub(crate) fn check_options(n: usize, t: usize, o: &CovOptions) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid_input("activity has no neurons"));
    }
    if t <= o.max_lag {
        return Err(Error::invalid_input(format!("activity has {t} bins; more than max_lag = {} are needed", o.max_lag)));
    }
    if let Some(s) = o.split_bin {
        if s <= o.max_lag || t - s <= o.max_lag {
            return Err(Error::invalid_input(format!(
                "split_bin = {s} leaves a segment of at most max_lag = {} bins (T = {t})",
                o.max_lag
            )));
        }
    }
    for (m, &d) in o.shifts.iter().enumerate() {
        for &k in &o.shift_lags {
            if d == 0 || d + k >= t {
                return Err(Error::invalid_input(format!("shifts[{m}] = {d} (+ lag {k}) must be in 1..T-1 (T = {t})")));
            }
        }
    }
    if o.chunk_bins == 0 {
        return Err(Error::invalid_input("chunk_bins must be positive"));
    }
    let slots = (o.max_lag + 1) * if o.split_bin.is_some() { 2 } else { 1 } + o.shifts.len() * o.shift_lags.len();
    let outputs = (o.max_lag + 1) * 3 + o.shifts.len() * o.shift_lags.len();
    let nn = (n as u128) * (n as u128);
    ensure_fits(
        "the lagged covariance accumulators",
        nn * (slots as u128 / 2 + 1 + outputs as u128),
        o.memory_limit_bytes,
        "reduce max_lag, the number of surrogates or the number of neurons",
    )
}

/// Segment covariance from raw sums (see the module formula).
pub(crate) fn finalize_segment(raw: &[Mat<f64>], sum: &[f64], head: &[Vec<f64>], tail: &[Vec<f64>], t: usize) -> SegmentCov {
    let n = sum.len();
    let tf = t as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / tf).collect();
    let cov = raw
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let kk = (t - k) as f64;
            Mat::from_fn(n, n, |i, j| {
                let a = sum[i] - head[k][i]; // Σ_{t>=k} x_i(t)
                let b = sum[j] - tail[k][j]; // Σ_{t<T-k} x_j(t)
                (r[(i, j)] - a * mean[j] - mean[i] * b + kk * mean[i] * mean[j]) / tf
            })
        })
        .collect();
    SegmentCov { n_bins: t, mean, cov }
}

pub(crate) fn finalize_circular(raw: &Mat<f64>, mean: &[f64], t: usize) -> Mat<f64> {
    let n = mean.len();
    let tf = t as f64;
    Mat::from_fn(n, n, |i, j| raw[(i, j)] / tf - mean[i] * mean[j])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Exec;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_trains(n: usize, t: usize, rate: f64, seed: u64) -> Vec<Vec<u32>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let mut v = vec![];
                for b in 0..t {
                    // a few neurons fire in bursts so counts > 1 occur
                    let r = rate * (1.0 + i as f64 * 0.3);
                    while rng.random::<f64>() < r {
                        v.push(b as u32);
                    }
                }
                v
            })
            .collect()
    }

    fn dense_of(trains: &[Vec<u32>], t: usize) -> Mat<f64> {
        let mut x = Mat::<f64>::zeros(t, trains.len());
        for (i, tr) in trains.iter().enumerate() {
            for &b in tr {
                x[(b as usize, i)] += 1.0;
            }
        }
        x
    }

    /// Direct O(T N²) definition.
    fn reference(x: &Mat<f64>, a: usize, b: usize, k: usize) -> Mat<f64> {
        let n = x.ncols();
        let tt = (b - a) as f64;
        let mu: Vec<f64> = (0..n).map(|j| (a..b).map(|t| x[(t, j)]).sum::<f64>() / tt).collect();
        Mat::from_fn(n, n, |i, j| (a + k..b).map(|t| (x[(t, i)] - mu[i]) * (x[(t - k, j)] - mu[j])).sum::<f64>() / tt)
    }

    fn reference_circ(x: &Mat<f64>, l: usize) -> Mat<f64> {
        let (t, n) = (x.nrows(), x.ncols());
        let mu: Vec<f64> = (0..n).map(|j| (0..t).map(|s| x[(s, j)]).sum::<f64>() / t as f64).collect();
        Mat::from_fn(n, n, |i, j| (0..t).map(|s| x[((s + l) % t, i)] * x[(s, j)]).sum::<f64>() / t as f64 - mu[i] * mu[j])
    }

    fn close(a: &Mat<f64>, b: &Mat<f64>, tol: f64) {
        assert_eq!(a.nrows(), b.nrows());
        for i in 0..a.nrows() {
            for j in 0..a.ncols() {
                assert!((a[(i, j)] - b[(i, j)]).abs() < tol, "({i},{j}): {} vs {}", a[(i, j)], b[(i, j)]);
            }
        }
    }

    fn check_all(set: &CovarianceSet, x: &Mat<f64>, o: &CovOptions) {
        let t = x.nrows();
        for k in 0..=o.max_lag {
            close(&set.full.cov[k], &reference(x, 0, t, k), 1e-12);
        }
        if let Some(s) = o.split_bin {
            for k in 0..=o.max_lag {
                close(&set.train.as_ref().unwrap().cov[k], &reference(x, 0, s, k), 1e-12);
                close(&set.test.as_ref().unwrap().cov[k], &reference(x, s, t, k), 1e-12);
            }
        }
        for (m, &d) in o.shifts.iter().enumerate() {
            for (q, &k) in o.shift_lags.iter().enumerate() {
                close(&set.shifted[m][q], &reference_circ(x, d + k), 1e-12);
            }
        }
    }

    #[test]
    fn sparse_matches_dense_definition() {
        let t = 700;
        let trains = random_trains(7, t, 0.08, 1);
        let raster = OwnedRaster::from_trains(t, &trains).unwrap();
        let x = dense_of(&trains, t);
        let o = CovOptions {
            max_lag: 3,
            split_bin: Some(450),
            shifts: vec![5, 123, 350],
            shift_lags: vec![0, 1, 3],
            chunk_bins: 64, // many chunks, circular wrap across several head chunks
            ..Default::default()
        };
        for threads in [1, 3] {
            let set = lagged_covariances(&raster.view(), &o, &Exec::with_threads(threads)).unwrap();
            check_all(&set, &x, &o);
        }
        let dense = lagged_covariances_dense(x.as_ref(), &o, &Exec::sequential()).unwrap();
        check_all(&dense, &x, &o);
    }

    #[test]
    fn spill_path_is_exact() {
        let t = 300;
        let trains = random_trains(5, t, 0.2, 2);
        let raster = OwnedRaster::from_trains(t, &trains).unwrap();
        let x = dense_of(&trains, t);
        let o =
            CovOptions { max_lag: 2, shifts: vec![40], shift_lags: vec![1], chunk_bins: 16, accumulator_limit: 600, ..Default::default() };
        let set = lagged_covariances(&raster.view(), &o, &Exec::with_threads(2)).unwrap();
        check_all(&set, &x, &o);
    }

    #[test]
    fn single_neuron_and_silent_neurons() {
        let t = 50;
        let trains = vec![vec![1, 1, 4, 9, 30], vec![]];
        let raster = OwnedRaster::from_trains(t, &trains).unwrap();
        let x = dense_of(&trains, t);
        let o = CovOptions { max_lag: 2, ..Default::default() };
        let set = lagged_covariances(&raster.view(), &o, &Exec::sequential()).unwrap();
        check_all(&set, &x, &o);
        assert_eq!(set.full.cov[0][(1, 1)], 0.0);
        assert_eq!(set.total_activity, 5.0);
    }

    #[test]
    fn bad_inputs_are_typed() {
        use crate::ErrorCode;
        assert_eq!(OwnedRaster::from_trains(5, &[vec![1, 7]]).unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(OwnedRaster::from_trains(5, &[vec![3, 1]]).unwrap_err().code, ErrorCode::InvalidInput);
        assert!(CountRaster::new(5, &[0, 2], &[3, 3], &[1, 1]).unwrap_err().message.contains("neuron 0"));
        assert!(CountRaster::new(5, &[0, 1], &[3], &[0]).is_err());
        assert!(CountRaster::new(5, &[0, 1], &[3], &[1, 2]).is_err());
        let r = OwnedRaster::from_trains(4, &[vec![1]]).unwrap();
        let e = lagged_covariances(&r.view(), &CovOptions { max_lag: 4, ..Default::default() }, &Exec::sequential()).unwrap_err();
        assert!(e.message.contains("max_lag"));
        let r = OwnedRaster::from_trains(40, &[vec![1]]).unwrap();
        let o = CovOptions { shifts: vec![39], shift_lags: vec![1], ..Default::default() };
        assert!(lagged_covariances(&r.view(), &o, &Exec::sequential()).unwrap_err().message.contains("shifts[0]"));
        let o = CovOptions { memory_limit_bytes: 10, ..Default::default() };
        assert_eq!(lagged_covariances(&r.view(), &o, &Exec::sequential()).unwrap_err().code, ErrorCode::TooLarge);
        let mut x = Mat::<f64>::zeros(10, 2);
        x[(3, 1)] = f64::NAN;
        assert_eq!(
            lagged_covariances_dense(x.as_ref(), &CovOptions::default(), &Exec::sequential()).unwrap_err().code,
            ErrorCode::NotFinite
        );
    }

    #[test]
    fn cancellation_is_observed() {
        let t = 2000;
        let trains = random_trains(4, t, 0.1, 3);
        let raster = OwnedRaster::from_trains(t, &trains).unwrap();
        let exec = Exec::sequential();
        exec.cancel.cancel();
        let e = lagged_covariances(&raster.view(), &CovOptions::default(), &exec).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::Aborted);
    }
}
