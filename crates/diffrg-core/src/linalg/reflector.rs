//! Householder reflectors and the vector kernels of the two-stage eigensolver.
//!
//! `#[inline(always)]` so that they take the target features of the kernels that call them
//! (`crate::simd`: no closures, no fused multiply-add, the same order at every level). The dot
//! product is Lanczos's four-accumulator one.

pub(crate) use crate::spectral::lanczos::dot;

/// Householder reflector (LAPACK `dlarfg`) annihilating `x[1..]`: on return `x[0] = beta`,
/// `x[1..]` holds `v[1..]` (with `v[0] = 1`) and the result is `tau`, so that
/// `(I - tau v v^T) x_in = beta e_1`. `tau = 0` (identity) when `x[1..]` is already zero.
#[inline(always)]
pub(crate) fn householder(x: &mut [f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let alpha = x[0];
    let tail = &mut x[1..];
    let scale = tail.iter().fold(0.0f64, |m, &v| m.max(v.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    // Scaled norm: no overflow or underflow for entries of any magnitude.
    let inv = 1.0 / scale;
    let ss: f64 = tail.iter().map(|&v| (v * inv) * (v * inv)).sum();
    let xnorm = scale * ss.sqrt();
    let beta = -alpha.hypot(xnorm).copysign(alpha);
    let tau = (beta - alpha) / beta;
    let f = 1.0 / (alpha - beta);
    for v in tail.iter_mut() {
        *v *= f;
    }
    x[0] = beta;
    tau
}

/// `y += alpha x`.
#[inline(always)]
pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}
