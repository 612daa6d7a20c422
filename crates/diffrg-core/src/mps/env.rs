//! Transfer-matrix environments: contractions of K identical layers of a tensor train.
//!
//! An environment at bond b with K layers is the tensor
//!
//! `L_b[a_1..a_K] = sum_{s_1..s_{b-1}} w(s) prod_{i=1..K} (A_1[s_1] ... A_{b-1}[s_{b-1}])[0, a_i]`
//!
//! (and the mirror image `R_b` over sites >= b). K = 1 gives sums of a probability train,
//! K = 2 the norm of a Born machine (or `sum P^2` of a probability train), K = 4 the
//! collision sum `sum_s Psi(s)^4` used by the exact Renyi-2 entropy. Per-site weights
//! `w_k(s)` (1 for all values, or a one-hot vector) give marginals and conditionals.
//!
//! One step contracts the K axes one at a time: viewing `E` as `D x D^{K-1}`,
//! `E^T A[s]` is `D^{K-1} x D'` row-major, i.e. the same tensor with its first axis replaced by
//! a new last one; K such rotations give the updated environment in its original axis order.
//! Cost per step: `K d D^{K+1}` multiply-adds (a GEMM each). Environments are rescaled to
//! max-abs 1 after each step and carry the natural log of the removed factor in `log`.

use super::dense::{gemm, rescale, view, view_mut};
use super::tt::{Core, TensorTrain};
use faer::MatRef;
use rayon::prelude::*;

/// A K-layer environment tensor (`dim^layers` values, row-major) times `exp(log)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Env {
    pub data: Vec<f64>,
    pub dim: usize,
    pub layers: usize,
    pub log: f64,
}

impl Env {
    /// The boundary environment (dimension 1, value 1).
    pub fn boundary(layers: usize) -> Env {
        Env { data: vec![1.0], dim: 1, layers, log: 0.0 }
    }
}

/// First-axis contraction with rotation: `t` is `n0 x rest`; returns `t^T m` (`rest x m.ncols()`).
fn rotate(t: &[f64], n0: usize, rest: usize, m: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = vec![0.0; rest * m.ncols()];
    gemm(view_mut(&mut out, rest, m.ncols()), false, view(t, n0, rest).transpose(), m, 1.0);
    out
}

fn step(env: &Env, core: &Core, weights: Option<&[f64]>, leftward: bool) -> Env {
    let (din, dout) = if leftward { (core.right, core.left) } else { (core.left, core.right) };
    debug_assert_eq!(env.dim, din);
    let k = env.layers;
    let one = |s: usize| -> Option<(f64, Vec<f64>)> {
        let w = weights.map_or(1.0, |w| w[s]);
        if w == 0.0 {
            return None;
        }
        let m = if leftward { core.slice(s).transpose() } else { core.slice(s) };
        let mut t = env.data.clone();
        // t currently has axes (dout^i, din^(k-i)) rotated; track the leading dimension.
        for i in 0..k {
            let rest = din.pow((k - i - 1) as u32) * dout.pow(i as u32);
            t = rotate(&t, din, rest, m);
        }
        Some((w, t))
    };
    // large steps: one task per symbol value, in the current rayon pool
    let parts: Vec<Option<(f64, Vec<f64>)>> = if core.dim > 1 && din * dout * din.max(dout) >= 1 << 18 {
        (0..core.dim).into_par_iter().map(one).collect()
    } else {
        (0..core.dim).map(one).collect()
    };
    let mut out = vec![0.0; dout.pow(k as u32)];
    for (w, t) in parts.into_iter().flatten() {
        for (o, v) in out.iter_mut().zip(&t) {
            *o += w * v;
        }
    }
    let log = env.log + rescale(&mut out);
    Env { data: out, dim: dout, layers: k, log }
}

/// Extends a left environment at bond k over site k (`core = A_k`).
pub fn left_step(env: &Env, core: &Core, weights: Option<&[f64]>) -> Env {
    step(env, core, weights, false)
}

/// Extends a right environment at bond k+1 over site k.
pub fn right_step(env: &Env, core: &Core, weights: Option<&[f64]>) -> Env {
    step(env, core, weights, true)
}

/// `sum_i L[i] R[i]` as `(mantissa, log)`: the value is `mantissa * exp(log)`.
pub fn close(l: &Env, r: &Env) -> (f64, f64) {
    debug_assert_eq!(l.data.len(), r.data.len());
    let m: f64 = l.data.iter().zip(&r.data).map(|(a, b)| a * b).sum();
    (m, l.log + r.log)
}

/// Left environments at every bond 0..=N (`out[b]` covers sites < b).
pub fn left_envs(tt: &TensorTrain, layers: usize) -> Vec<Env> {
    let mut out = Vec::with_capacity(tt.n_sites() + 1);
    out.push(Env::boundary(layers));
    for c in tt.cores() {
        let next = left_step(out.last().unwrap(), c, None);
        out.push(next);
    }
    out
}

/// Right environments at every bond 0..=N (`out[b]` covers sites >= b).
pub fn right_envs(tt: &TensorTrain, layers: usize) -> Vec<Env> {
    let n = tt.n_sites();
    let mut out = vec![Env::boundary(layers); n + 1];
    for k in (0..n).rev() {
        out[k] = right_step(&out[k + 1], tt.core(k), None);
    }
    out
}

/// `sum_s T(s)^layers` as `(sign, ln |value|)` (full contraction, O(N K d D^{K+1})).
pub fn layered_sum(tt: &TensorTrain, layers: usize) -> (f64, f64) {
    let mut e = Env::boundary(layers);
    for c in tt.cores() {
        e = left_step(&e, c, None);
    }
    let v = e.data[0];
    (v.signum(), v.abs().ln() + e.log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::tt::Kind;

    #[test]
    fn layered_sums_match_dense() {
        let t = TensorTrain::random(Kind::Born, &[2, 3, 2, 2, 3], 4, 3).unwrap();
        let dense = t.dense().unwrap();
        for k in 1..=4usize {
            let want: f64 = dense.iter().map(|x| x.powi(k as i32)).sum();
            let (sign, ln) = layered_sum(&t, k);
            let got = sign * ln.exp();
            assert!((got - want).abs() < 1e-10 * want.abs().max(1.0), "k={k} {got} {want}");
        }
        // environments from both sides agree at every bond
        let (l, r) = (left_envs(&t, 2), right_envs(&t, 2));
        let want: f64 = dense.iter().map(|x| x * x).sum();
        for b in 0..=t.n_sites() {
            let (m, lg) = close(&l[b], &r[b]);
            assert!((m * lg.exp() - want).abs() < 1e-10 * want);
        }
    }
}
