//! Two-site likelihood sweeps of the Born-machine fit.
//!
//! **Two-site sweeps** (Han, Wang, Fan, Wang & Zhang, PRX 8, 031012 (2018)). With the
//! orthogonality centre on the pair (k, k+1) and the merged tensor `B = A_k A_{k+1}`,
//! `Z = ||B||^2` and the training NLL (nats) as a function of B is
//!
//! `f(B) = -sum_j w_j ln psi_j(B)^2 + ln ||B||^2`,  `psi_j = L_j^T B[x_jk, x_jk+1] R_j`,
//!
//! with per-pattern left/right environment vectors `L_j`, `R_j` cached for every bond (grouped
//! by identical patterns first: spike data repeat a lot). The gradient is
//! `2 B / ||B||^2 - 2 sum_j w_j (L_j (x) e (x) e (x) R_j) / psi_j`. Each bond takes
//! `steps_per_bond` gradient steps with a backtracking (Armijo) line search on the exact
//! `f`, then an SVD splits B back, truncating with the relative `cutoff` up to `max_bond`
//! (adaptive bond dimension), and the centre moves on. Rows of the environment matrices are
//! rescaled freely: `f(B') - f(B)` and the gradient direction are invariant to per-pattern
//! factors. After each half-sweep the held-out NLL is evaluated; training stops after
//! `patience` half-sweeps without improvement and the best model is returned.
//! Departures from Han et al.: line search instead of a fixed learning rate, several steps per
//! bond, the empirical (rather than random) initial state, early stopping, and the mixing
//! weight `eps` chosen on the validation split among candidates that include the product-state
//! (independent-model) start ([`crate::mps::select`]; with a fixed `init_mix` when
//! `init_mix_grid` is empty).

use super::LearnOptions;
use crate::error::Result;
use crate::mps::dense::{gemm, rescale, svd, truncation, view, view_mut};
use crate::mps::tt::Core;
use faer::MatRef;
use rayon::prelude::*;

/// Per-pattern environment vectors and the training data in "sweep" form.
pub(super) struct Sweeper<'a> {
    pub(super) x: &'a [u8],
    pub(super) n: usize,
    pub(super) m: usize,
    pub(super) w: &'a [f64],
    /// left[b]: m x D_b (covers sites < b); right[b]: m x D_b (covers sites >= b)
    pub(super) left: Vec<Vec<f64>>,
    pub(super) right: Vec<Vec<f64>>,
}

/// Patterns per parallel work item (and per gradient partial sum).
pub(super) const CHUNK: usize = 512;

/// `out[j] = env[j]^T M(x_j[k])` for every pattern (rows rescaled), where `M(a)` is `din x dout`.
pub(super) fn advance<'m>(
    x: &[u8],
    n: usize,
    k: usize,
    env: &[f64],
    din: usize,
    dout: usize,
    d: usize,
    mat: &(dyn Fn(usize) -> MatRef<'m, f64> + Sync),
) -> Vec<f64> {
    let m = env.len() / din;
    let mut out = vec![0.0; m * dout];
    out.par_chunks_mut(CHUNK * dout).enumerate().for_each(|(ci, o)| {
        let start = ci * CHUNK;
        let rows = o.len() / dout;
        let mut order: Vec<usize> = (0..rows).collect();
        order.sort_by_key(|&i| x[(start + i) * n + k]);
        let mut g = vec![0.0; rows * din];
        for (p, &i) in order.iter().enumerate() {
            g[p * din..(p + 1) * din].copy_from_slice(&env[(start + i) * din..(start + i + 1) * din]);
        }
        let mut res = vec![0.0; rows * dout];
        let mut p = 0;
        for a in 0..d {
            let q = p + order[p..].iter().take_while(|&&i| x[(start + i) * n + k] as usize == a).count();
            if q > p {
                gemm(view_mut(&mut res[p * dout..q * dout], q - p, dout), false, view(&g[p * din..q * din], q - p, din), mat(a), 1.0);
            }
            p = q;
        }
        for (p, &i) in order.iter().enumerate() {
            let row = &mut o[i * dout..(i + 1) * dout];
            row.copy_from_slice(&res[p * dout..(p + 1) * dout]);
            rescale(row);
        }
    });
    out
}

/// Merged two-site tensor `B[(l, a, b, r)]` of sites k, k+1.
pub(super) fn merge(a: &Core, b: &Core) -> Vec<f64> {
    let mut out = vec![0.0; a.left * a.dim * b.dim * b.right];
    gemm(view_mut(&mut out, a.left * a.dim, b.dim * b.right), false, a.left_unfolding(), b.right_unfolding(), 1.0);
    out
}

impl<'a> Sweeper<'a> {
    /// psi_j for all patterns (per-pattern scaled) given B at bond (k, k+1): per chunk of
    /// patterns, one GEMM per value pair (a, b).
    fn amplitudes(&self, k: usize, bmat: &[f64], dl: usize, da: usize, db: usize, dr: usize) -> Vec<f64> {
        let (n, x) = (self.n, self.x);
        let (le, re) = (&self.left[k], &self.right[k + 2]);
        let mut psi = vec![0.0; self.m];
        psi.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, out)| {
            let start = ci * CHUNK;
            let mut order: Vec<usize> = (start..start + out.len()).collect();
            order.sort_by_key(|&j| (x[j * n + k], x[j * n + k + 1]));
            let mut lg = vec![0.0; out.len() * dl];
            let mut y = vec![0.0; out.len() * dr];
            let mut p = 0;
            while p < order.len() {
                let key = (x[order[p] * n + k], x[order[p] * n + k + 1]);
                let q = p + order[p..].iter().take_while(|&&j| (x[j * n + k], x[j * n + k + 1]) == key).count();
                let rows = q - p;
                for (t, &j) in order[p..q].iter().enumerate() {
                    lg[t * dl..(t + 1) * dl].copy_from_slice(&le[j * dl..(j + 1) * dl]);
                }
                let (a, b) = (key.0 as usize, key.1 as usize);
                let slice = MatRef::from_row_major_slice_with_stride(&bmat[(a * db + b) * dr..], dl, dr, da * db * dr);
                gemm(view_mut(&mut y, rows, dr), false, view(&lg, rows, dl), slice, 1.0);
                for (t, &j) in order[p..q].iter().enumerate() {
                    out[j - start] = y[t * dr..(t + 1) * dr].iter().zip(&re[j * dr..(j + 1) * dr]).map(|(u, v)| u * v).sum();
                }
                p = q;
            }
        });
        psi
    }

    /// `sum_j coef_j L_j (x) e_a (x) e_b (x) R_j` as a B-shaped tensor.
    fn gradient_part(&self, k: usize, coef: &[f64], dl: usize, da: usize, db: usize, dr: usize) -> Vec<f64> {
        let (n, x) = (self.n, self.x);
        let (le, re) = (&self.left[k], &self.right[k + 2]);
        let size = dl * da * db * dr;
        let chunks: Vec<usize> = (0..self.m.div_ceil(CHUNK)).collect();
        chunks
            .par_iter()
            .map(|&ci| {
                let start = ci * CHUNK;
                let end = (start + CHUNK).min(self.m);
                let mut order: Vec<usize> = (start..end).collect();
                order.sort_by_key(|&j| (x[j * n + k], x[j * n + k + 1]));
                let mut g = vec![0.0; size];
                let mut tmp = vec![0.0; dl * dr];
                let mut p = 0;
                while p < order.len() {
                    let key = (x[order[p] * n + k], x[order[p] * n + k + 1]);
                    let q = p + order[p..].iter().take_while(|&&j| (x[j * n + k], x[j * n + k + 1]) == key).count();
                    let rows = q - p;
                    let mut lg = vec![0.0; rows * dl];
                    let mut rg = vec![0.0; rows * dr];
                    for (t, &j) in order[p..q].iter().enumerate() {
                        lg[t * dl..(t + 1) * dl].copy_from_slice(&le[j * dl..(j + 1) * dl]);
                        let c = coef[j];
                        for (o, v) in rg[t * dr..(t + 1) * dr].iter_mut().zip(&re[j * dr..(j + 1) * dr]) {
                            *o = c * v;
                        }
                    }
                    let (a, b) = (key.0 as usize, key.1 as usize);
                    // contiguous product, then added into the strided block (nano-gemm 0.2
                    // corrupts memory for some small strided destinations)
                    gemm(view_mut(&mut tmp, dl, dr), false, view(&lg, rows, dl).transpose(), view(&rg, rows, dr), 1.0);
                    for l in 0..dl {
                        let off = ((l * da + a) * db + b) * dr;
                        g[off..off + dr].iter_mut().zip(&tmp[l * dr..(l + 1) * dr]).for_each(|(o, v)| *o += v);
                    }
                    p = q;
                }
                g
            })
            .collect::<Vec<_>>()
            // summed in chunk order, not rayon's adaptive reduction tree, so a fit is
            // bit-reproducible for a seed whatever the thread count and scheduling
            .into_iter()
            .fold(vec![0.0; size], |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            })
    }
}

/// `f(B) = -sum w ln psi^2 + ln ||B||^2` relative to per-pattern scales (only differences
/// between B's at the same bond are meaningful).
fn objective(psi: &[f64], w: &[f64], bmat: &[f64]) -> f64 {
    let mut f = 0.0;
    for (p, wj) in psi.iter().zip(w) {
        if *wj == 0.0 {
            continue;
        }
        if *p == 0.0 {
            return f64::INFINITY;
        }
        f -= wj * (p * p).ln();
    }
    f + bmat.iter().map(|x| x * x).sum::<f64>().ln()
}

/// Optimises the two-site tensor of bond (k, k+1) in place; returns the accepted step.
pub(super) fn optimise_bond(
    sw: &Sweeper,
    k: usize,
    bmat: &mut Vec<f64>,
    dims: (usize, usize, usize, usize),
    opts: &LearnOptions,
    lr: &mut f64,
) {
    let (dl, da, db, dr) = dims;
    let mut psi = sw.amplitudes(k, bmat, dl, da, db, dr);
    let mut f = objective(&psi, sw.w, bmat);
    if !f.is_finite() {
        // some training pattern has zero amplitude: nudge with the gradient of the others
        psi.iter_mut().for_each(|p| {
            if *p == 0.0 {
                *p = 1e-150;
            }
        });
    }
    for _ in 0..opts.steps_per_bond {
        let nb2: f64 = bmat.iter().map(|x| x * x).sum();
        let coef: Vec<f64> = psi.iter().zip(sw.w).map(|(p, w)| if *w == 0.0 { 0.0 } else { w / p }).collect();
        let part = sw.gradient_part(k, &coef, dl, da, db, dr);
        let grad: Vec<f64> = bmat.iter().zip(&part).map(|(b, g)| 2.0 * b / nb2 - 2.0 * g).collect();
        let g2: f64 = grad.iter().map(|x| x * x).sum();
        if !(g2 > 0.0) || !g2.is_finite() {
            return;
        }
        // step scaled so that lr = 1 moves B by its own norm
        let base = nb2.sqrt() / g2.sqrt();
        let mut eta = *lr;
        let mut accepted = false;
        for _ in 0..8 {
            let trial: Vec<f64> = bmat.iter().zip(&grad).map(|(b, g)| b - eta * base * g).collect();
            let tpsi = sw.amplitudes(k, &trial, dl, da, db, dr);
            let tf = objective(&tpsi, sw.w, &trial);
            if tf < f - 1e-4 * eta * base * g2 || (!f.is_finite() && tf.is_finite()) {
                *bmat = trial;
                psi = tpsi;
                f = tf;
                accepted = true;
                break;
            }
            eta *= 0.5;
        }
        if accepted {
            *lr = (eta * 1.5).min(1.0);
        } else {
            *lr = (eta).max(1e-4);
            return;
        }
    }
}

/// Splits B by SVD with truncation; `to_right`: A_k = U, A_{k+1} = S V^T / ||S||, else
/// A_k = U S / ||S||, A_{k+1} = V^T. `shrink > 0` soft-thresholds the singular values,
/// `s_j -> max(s_j - shrink s_0, 0)` (the proximal step of a nuclear-norm penalty relative to
/// the leading value), dropping those that reach 0.
pub(super) fn split_bond(
    bmat: &[f64],
    dims: (usize, usize, usize, usize),
    max_bond: usize,
    cutoff: f64,
    shrink: f64,
    to_right: bool,
) -> Result<(Core, Core)> {
    let (dl, da, db, dr) = dims;
    let (u, mut s, vt, kk) = svd(view(bmat, dl * da, db * dr))?;
    if shrink > 0.0 && !s.is_empty() {
        let tau = shrink * s[0];
        s.iter_mut().skip(1).for_each(|x| *x = (*x - tau).max(0.0));
    }
    let w: Vec<f64> = s.iter().map(|x| x * x).collect();
    let (keep, _) = truncation(&w, max_bond, cutoff);
    let keep = keep.min(s.iter().take_while(|x| **x > 0.0).count().max(1));
    let nrm = s[..keep].iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    let mut left = vec![0.0; dl * da * keep];
    for i in 0..dl * da {
        for j in 0..keep {
            left[i * keep + j] = u[i * kk + j] * if to_right { 1.0 } else { s[j] / nrm };
        }
    }
    let mut right = vec![0.0; keep * db * dr];
    for j in 0..keep {
        for c in 0..db * dr {
            right[j * db * dr + c] = vt[j * db * dr + c] * if to_right { s[j] / nrm } else { 1.0 };
        }
    }
    Ok((Core { left: dl, dim: da, right: keep, data: left }, Core { left: keep, dim: db, right: dr, data: right }))
}
