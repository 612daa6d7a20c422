//! Dense path of the lagged covariances: float activity (e.g. calcium traces) as a `T × N`
//! matrix, with the estimator of `covariance.rs` computed by matrix products (faer).

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::infer::covariance::{check_options, finalize_circular, finalize_segment, CovOptions, CovarianceSet, SegmentCov};
use faer::{Accum, Mat, MatRef};

// ------------------------------------------------------------------------------------------

/// Raw lagged product `Σ_{t=k}^{T-1} x_t x_{t-k}^T` of rows `[a, b)` of `x` (T × N).
fn raw_dense(x: MatRef<f64>, a: usize, b: usize, k: usize, par: faer::Par) -> Mat<f64> {
    let n = x.ncols();
    let mut out = Mat::<f64>::zeros(n, n);
    if b - a > k {
        let tgt = x.subrows(a + k, b - a - k);
        let src = x.subrows(a, b - a - k);
        faer::linalg::matmul::matmul(out.as_mut(), Accum::Replace, tgt.transpose(), src, 1.0, par);
    }
    out
}

fn sums_dense(x: MatRef<f64>, a: usize, b: usize, p: usize) -> (Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = x.ncols();
    let mut s = vec![0.0; n];
    let mut head = vec![vec![0.0; n]; p + 1];
    let mut tail = vec![vec![0.0; n]; p + 1];
    for j in 0..n {
        let col = x.col(j);
        for t in a..b {
            s[j] += col[t];
        }
        for k in 1..=p {
            head[k][j] = (a..a + k).map(|t| col[t]).sum();
            tail[k][j] = (b - k..b).map(|t| col[t]).sum();
        }
    }
    (s, head, tail)
}

/// The same statistics as [`lagged_covariances`] for dense float activity `x` (`T × N`,
/// one row per bin), by matrix products. Errors: as the sparse path, plus `ERR_NOT_FINITE`.
pub fn lagged_covariances_dense(x: MatRef<f64>, o: &CovOptions, exec: &Exec) -> Result<CovarianceSet> {
    let (t, n) = (x.nrows(), x.ncols());
    check_options(n, t, o)?;
    for j in 0..n {
        for i in 0..t {
            if !x[(i, j)].is_finite() {
                return Err(Error::not_finite(format!("activity[{i}][{j}] is {} (finite values required)", x[(i, j)])));
            }
        }
    }
    let p = o.max_lag;
    let par = exec.par();
    exec.install(|| {
        let seg = |a: usize, b: usize| -> Result<SegmentCov> {
            let mut raw = Vec::with_capacity(p + 1);
            for k in 0..=p {
                exec.check()?;
                raw.push(raw_dense(x, a, b, k, par));
            }
            let (s, h, e) = sums_dense(x, a, b, p);
            Ok(finalize_segment(&raw, &s, &h, &e, b - a))
        };
        let full = seg(0, t)?;
        let (train, test) = match o.split_bin {
            Some(s) => (Some(seg(0, s)?), Some(seg(s, t)?)),
            None => (None, None),
        };
        let mut shifted = Vec::with_capacity(o.shifts.len());
        for &d in &o.shifts {
            let mut row = Vec::with_capacity(o.shift_lags.len());
            for &k in &o.shift_lags {
                exec.check()?;
                let l = d + k;
                // Σ_t x((t + l) mod T) x(t)^T = X[l..]^T X[..T-l] + X[..l]^T X[T-l..].
                let mut raw = raw_dense(x, 0, t, l, par);
                let tgt = x.subrows(0, l);
                let src = x.subrows(t - l, l);
                faer::linalg::matmul::matmul(raw.as_mut(), Accum::Add, tgt.transpose(), src, 1.0, par);
                row.push(finalize_circular(&raw, &full.mean, t));
            }
            shifted.push(row);
        }
        let total_activity = full.mean.iter().sum::<f64>() * t as f64;
        Ok(CovarianceSet {
            n,
            max_lag: p,
            full,
            train,
            test,
            shifts: o.shifts.clone(),
            shift_lags: o.shift_lags.clone(),
            shifted,
            total_activity,
        })
    })
}
