//! Learning a Born machine from patterns: exact initialisation plus two-site DMRG sweeps.
//!
//! **Exact initialisation.** With distinct training patterns `x_j` of empirical probability
//! `p_j`, `Psi_emp(s) = sum_j sqrt(p_j) delta(s, x_j)` reproduces `p_emp` exactly as a Born
//! machine. It is built by sequential SVD (the tensor-train SVD of Oseledets 2011) without
//! ever forming the dense tensor: at site k the remaining state is `sum_j C[a, j] |L_a>|suffix_j>`
//! with orthonormal left states and distinct (hence orthonormal) suffixes, so the matrix
//! `M[(a, s_k), tau] = sum_{j: x_j[k] = s_k, suffix_{k+1}(x_j) = tau} C[a, j]` is the exact
//! unfolding at bond k+1 in orthonormal bases; its Gram matrix `M M^T` gives the Schmidt
//! weights and the kept left vectors. The construction is exact when `max_bond` is at least
//! the number of distinct prefixes/suffixes at every cut (in particular when
//! `max_bond >= #distinct patterns`). Cost `O(N (chi d)^2 m)` for m distinct patterns.
//! Optionally the amplitude is mixed with the independent-site model,
//! `Psi = sqrt(1 - eps) Psi_emp + sqrt(eps) prod_k sqrt(p_k(s_k))` (all amplitudes are
//! non-negative, so every pattern gets probability >= eps P_ind(s)), then recompressed.
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
//! (independent-model) start ([`super::select`]; with a fixed `init_mix` when
//! `init_mix_grid` is empty).

use super::compress::{compress, CompressOptions};
use super::data::{site_marginals, Distinct};
use super::dense::{eigh_desc, gemm, rescale, svd, truncation, view, view_mut};
use super::eval::nll_bits;
use super::tt::{check_patterns, Core, Kind, TensorTrain};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use faer::{Accum, MatRef};
use rayon::prelude::*;
use std::collections::HashMap;

/// Options of [`fit`]; every default is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnOptions {
    /// Maximum bond dimension. Default 32.
    pub max_bond: usize,
    /// Relative discarded-weight cutoff of every SVD (initialisation and sweeps). Default 1e-10.
    pub cutoff: f64,
    /// Weight `eps` of the independent-site amplitude mixed into the initial state when
    /// `init_mix_grid` is empty (or there is no validation data). Default 0.01; 0 gives the pure
    /// empirical initialisation.
    pub init_mix: f64,
    /// Maximum number of half-sweeps (one direction each). Default 12.
    pub max_half_sweeps: usize,
    /// Stop after this many half-sweeps without a held-out improvement. Default 2.
    pub patience: usize,
    /// Gradient steps per bond. Default 2.
    pub steps_per_bond: usize,
    /// Initial line-search step. Default 0.5.
    pub learning_rate: f64,
    /// Pseudocount per value for the independent-site marginals in the mixture. Default 0.5.
    pub pseudocount: f64,
    /// Limit for the cached per-pattern environments, in bytes. Default 4 GiB.
    pub memory_limit_bytes: u128,
    /// Candidate mixing weights `eps` chosen on the validation split (see
    /// [`super::select`]); `1.0` is the product-state (independent-model) start. Empty: the
    /// single weight `init_mix`. Ignored without validation data. Default
    /// `[1.0, 0.3, 0.1, 0.03, 0.01, 0.001]`.
    pub init_mix_grid: Vec<f64>,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            max_bond: 32,
            cutoff: 1e-10,
            init_mix: 0.01,
            max_half_sweeps: 12,
            patience: 2,
            steps_per_bond: 2,
            learning_rate: 0.5,
            pseudocount: 0.5,
            memory_limit_bytes: 4 << 30,
            init_mix_grid: vec![1.0, 0.3, 0.1, 0.03, 0.01, 0.001],
        }
    }
}

/// One half-sweep's diagnostics (NLL in bits per pattern).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRecord {
    pub nll_train: f64,
    pub nll_heldout: f64,
    pub max_bond: usize,
}

/// Result diagnostics of [`fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    pub n_train: usize,
    pub n_heldout: usize,
    pub n_distinct_train: usize,
    /// NLL of the initial state (bits per pattern).
    pub init_nll_train: f64,
    pub init_nll_heldout: f64,
    /// Best model's NLL (bits per pattern); held-out is NaN without validation data.
    pub nll_train: f64,
    pub nll_heldout: f64,
    /// Index into `history` of the returned model (None: the initial state).
    pub best_half_sweep: Option<usize>,
    pub history: Vec<SweepRecord>,
    /// Discarded weight (relative) of the initialisation.
    pub init_discarded: f64,
    /// Mixing weight `eps` of the returned model's initial state (1: product-state start).
    pub init_mix: f64,
    /// Every candidate initial state of the validation selection ([`super::select`]).
    pub candidates: Vec<super::select::Candidate>,
}

/// Exact (or truncated) Born machine of `sqrt(p_emp)` by sequential SVD of the distinct
/// patterns; returns the train (left-canonical, `Z = 1` up to truncation) and the total
/// relative discarded weight.
pub fn exact_init(dims: &[usize], data: &Distinct, max_bond: usize, cutoff: f64, exec: &Exec) -> Result<(TensorTrain, f64)> {
    let n = dims.len();
    if data.n_sites != n {
        return Err(Error::invalid_input(format!("data has {} sites but dims has {n}", data.n_sites)));
    }
    check_patterns(dims, &data.patterns, "patterns")?;
    let m = data.len();
    // suffix classes: class[k][j] = id of x_j[k..] among distinct suffixes, k = 0..=n
    let mut class: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
    let mut n_class = vec![0usize; n + 1];
    class[n] = vec![0; m];
    n_class[n] = 1;
    for k in (0..n).rev() {
        exec.check()?;
        let mut map: HashMap<(u8, u32), u32> = HashMap::with_capacity(m);
        let mut ids = Vec::with_capacity(m);
        for j in 0..m {
            let key = (data.row(j)[k], class[k + 1][j]);
            let next = map.len() as u32;
            ids.push(*map.entry(key).or_insert(next));
        }
        n_class[k] = map.len();
        class[k] = ids;
    }
    // representative pattern of each class at k
    let reps = |k: usize| -> Vec<usize> {
        let mut r = vec![usize::MAX; n_class[k]];
        for j in 0..m {
            let c = class[k][j] as usize;
            if r[c] == usize::MAX {
                r[c] = j;
            }
        }
        r
    };
    // C: l x n_class[k], row-major; at k = 0 all classes are distinct patterns
    let rep0 = reps(0);
    let mut c: Vec<f64> = rep0.iter().map(|&j| data.weights[j].sqrt()).collect();
    let mut l = 1usize;
    let mut cores = Vec::with_capacity(n);
    let mut discarded = 0.0;
    let total_w: f64 = data.weights.iter().sum();
    for k in 0..n {
        exec.check()?;
        let d = dims[k];
        let cols = n_class[k];
        let next_cols = n_class[k + 1];
        let rep = reps(k);
        let rows = l * d;
        ensure_fits("the initialisation unfolding", (rows * next_cols) as u128, 4 << 30, "reduce the number of distinct patterns")?;
        let mut mm = vec![0.0; rows * next_cols];
        for cls in 0..cols {
            let j = rep[cls];
            let a = data.row(j)[k] as usize;
            let tau = class[k + 1][j] as usize;
            for al in 0..l {
                mm[(al * d + a) * next_cols + tau] += c[al * cols + cls];
            }
        }
        if k == n - 1 {
            cores.push(Core { left: l, dim: d, right: 1, data: mm });
            break;
        }
        let mut rho = vec![0.0; rows * rows];
        let par = exec.par();
        let mv = view(&mm, rows, next_cols);
        exec.install(|| faer::linalg::matmul::matmul(view_mut(&mut rho, rows, rows), Accum::Replace, mv, mv.transpose(), 1.0, par));
        let (vals, vecs) = eigh_desc(view(&rho, rows, rows))?;
        let rank = rows.min(next_cols);
        let (keep, disc) = truncation(&vals[..rank], max_bond, cutoff);
        discarded += (disc + vals[rank..].iter().map(|v| v.max(0.0)).sum::<f64>()) / total_w;
        let mut u = vec![0.0; rows * keep];
        for i in 0..rows {
            u[i * keep..(i + 1) * keep].copy_from_slice(&vecs[i * rows..i * rows + keep]);
        }
        let mut newc = vec![0.0; keep * next_cols];
        let uv = view(&u, rows, keep);
        exec.install(|| faer::linalg::matmul::matmul(view_mut(&mut newc, keep, next_cols), Accum::Replace, uv.transpose(), mv, 1.0, par));
        cores.push(Core { left: l, dim: d, right: keep, data: u });
        c = newc;
        l = keep;
    }
    Ok((TensorTrain::from_parts(Kind::Born, cores), discarded))
}

/// Block sum `a (+) b` scaled by `alpha`, `beta` (bond dimensions add).
fn add(a: &TensorTrain, b: &TensorTrain, alpha: f64, beta: f64) -> TensorTrain {
    let n = a.n_sites();
    let cores = (0..n)
        .map(|k| {
            let (x, y) = (a.core(k), b.core(k));
            let l = if k == 0 { 1 } else { x.left + y.left };
            let r = if k == n - 1 { 1 } else { x.right + y.right };
            let d = x.dim;
            let mut data = vec![0.0; l * d * r];
            let (ox_l, oy_l) = (0, if k == 0 { 0 } else { x.left });
            let (ox_r, oy_r) = (0, if k == n - 1 { 0 } else { x.right });
            let (fa, fb) = if k == 0 { (alpha, beta) } else { (1.0, 1.0) };
            for s in 0..d {
                for i in 0..x.left {
                    for j in 0..x.right {
                        data[((ox_l + i) * d + s) * r + ox_r + j] += fa * x.at(i, s, j);
                    }
                }
                for i in 0..y.left {
                    for j in 0..y.right {
                        data[((oy_l + i) * d + s) * r + oy_r + j] += fb * y.at(i, s, j);
                    }
                }
            }
            Core { left: l, dim: d, right: r, data }
        })
        .collect();
    TensorTrain::from_parts(a.kind(), cores)
}

/// Initial Born machine: exact empirical amplitude mixed with the independent model.
pub fn initial_state(dims: &[usize], data: &Distinct, opts: &LearnOptions, exec: &Exec) -> Result<(TensorTrain, f64)> {
    let (emp, disc) = exact_init(dims, data, opts.max_bond, opts.cutoff, exec)?;
    let (t, d) = mix_initial(dims, data, &emp, opts.init_mix, opts, exec)?;
    Ok((t, disc + d))
}

/// The independent-site model as a bond-dimension-1 Born machine, `Psi_ind(s) = prod_k
/// sqrt(p_k(s_k))` with the site marginals smoothed by `pseudocount` per value (the same
/// estimate as [`super::baselines::Independent`]); every core has unit norm (left-canonical).
pub fn independent_state(dims: &[usize], data: &Distinct, pseudocount: f64) -> Result<TensorTrain> {
    let marg = site_marginals(data, dims, pseudocount.max(1e-12));
    TensorTrain::product(Kind::Born, &marg.iter().map(|p| p.iter().map(|x| x.sqrt()).collect()).collect::<Vec<_>>())
}

/// `sqrt(1 - eps) Psi_emp / ||Psi_emp|| + sqrt(eps) Psi_ind`, recompressed to `max_bond`
/// (`eps = 0`: `emp` itself; `eps = 1`: the product state of the smoothed site marginals, i.e.
/// the independent model). Returns the state and the recompression's discarded weight.
pub fn mix_initial(dims: &[usize], data: &Distinct, emp: &TensorTrain, eps: f64, opts: &LearnOptions, exec: &Exec) -> Result<(TensorTrain, f64)> {
    if eps <= 0.0 {
        return Ok((emp.clone(), 0.0));
    }
    let ind = independent_state(dims, data, opts.pseudocount)?;
    if eps >= 1.0 {
        return Ok((ind, 0.0));
    }
    let emp_norm = super::canonical::log_norm(emp)?;
    let sum = add(emp, &ind, (1.0 - eps).sqrt() * (-0.5 * emp_norm).exp(), eps.sqrt());
    let (t, rep) = compress(&sum, &CompressOptions { max_bond: opts.max_bond, cutoff: opts.cutoff }, exec)?;
    Ok((t, rep.total_discarded))
}

/// Per-pattern environment vectors and the training data in "sweep" form.
struct Sweeper<'a> {
    x: &'a [u8],
    n: usize,
    m: usize,
    w: &'a [f64],
    /// left[b]: m x D_b (covers sites < b); right[b]: m x D_b (covers sites >= b)
    left: Vec<Vec<f64>>,
    right: Vec<Vec<f64>>,
}

const CHUNK: usize = 512;

/// `out[j] = env[j]^T M(x_j[k])` for every pattern (rows rescaled), where `M(a)` is `din x dout`.
fn advance<'m>(x: &[u8], n: usize, k: usize, env: &[f64], din: usize, dout: usize, d: usize, mat: &(dyn Fn(usize) -> MatRef<'m, f64> + Sync)) -> Vec<f64> {
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
fn merge(a: &Core, b: &Core) -> Vec<f64> {
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
fn optimise_bond(sw: &Sweeper, k: usize, bmat: &mut Vec<f64>, dims: (usize, usize, usize, usize), opts: &LearnOptions, lr: &mut f64) {
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
/// A_k = U S / ||S||, A_{k+1} = V^T.
fn split_bond(bmat: &[f64], dims: (usize, usize, usize, usize), max_bond: usize, cutoff: f64, to_right: bool) -> Result<(Core, Core)> {
    let (dl, da, db, dr) = dims;
    let (u, s, vt, kk) = svd(view(bmat, dl * da, db * dr))?;
    let w: Vec<f64> = s.iter().map(|x| x * x).collect();
    let (keep, _) = truncation(&w, max_bond, cutoff);
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

/// Fits a Born machine to `train` (row-major, `dims.len()` columns) with early stopping on
/// `heldout` (may be empty). With validation data and a non-empty `init_mix_grid`, the
/// initial state is chosen on the validation split ([`super::select::fit_selected`]).
/// Returns the best model (normalised, `Z = 1`) and the report.
///
/// Errors: `ERR_INVALID_INPUT` (shapes, alphabet, options), `ERR_TOO_LARGE` when the
/// environment cache exceeds `memory_limit_bytes`, `ERR_ABORTED`.
pub fn fit(dims: &[usize], train: &[u8], heldout: &[u8], opts: &LearnOptions, exec: &Exec) -> Result<(TensorTrain, FitReport)> {
    let n = dims.len();
    if opts.max_bond == 0 {
        return Err(Error::invalid_input("max_bond must be >= 1"));
    }
    if !(opts.init_mix >= 0.0 && opts.init_mix < 1.0) {
        return Err(Error::invalid_input(format!("init_mix must be in [0, 1), got {}", opts.init_mix)));
    }
    if let Some(e) = opts.init_mix_grid.iter().find(|e| !(**e >= 0.0 && **e <= 1.0)) {
        return Err(Error::invalid_input(format!("init_mix_grid values must be in [0, 1], got {e}")));
    }
    if !(opts.learning_rate > 0.0) {
        return Err(Error::invalid_input("learning_rate must be > 0"));
    }
    check_patterns(dims, train, "train")?;
    if !heldout.is_empty() {
        check_patterns(dims, heldout, "heldout")?;
    }
    let data = Distinct::new(train, n, "train")?;
    let val = if heldout.is_empty() { None } else { Some(Distinct::new(heldout, n, "heldout")?) };
    ensure_fits(
        "the per-pattern environment cache",
        (data.len() as u128) * (n as u128 + 1) * opts.max_bond as u128,
        opts.memory_limit_bytes,
        "reduce max_bond or the number of distinct training patterns",
    )?;
    if val.is_some() && !opts.init_mix_grid.is_empty() {
        return super::select::fit_selected(dims, &data, val.as_ref(), opts, exec);
    }
    let (tt, init_discarded) = initial_state(dims, &data, opts, exec)?;
    refine(dims, &data, val.as_ref(), tt, init_discarded, opts.init_mix, opts, exec)
}

/// Two-site sweeps from the left-canonical initial state `tt` (norm in the last core) with
/// early stopping on `val`; returns the best state (normalised) and its report.
#[allow(clippy::too_many_arguments)]
pub(crate) fn refine(
    dims: &[usize],
    data: &Distinct,
    val: Option<&Distinct>,
    mut tt: TensorTrain,
    init_discarded: f64,
    init_mix: f64,
    opts: &LearnOptions,
    exec: &Exec,
) -> Result<(TensorTrain, FitReport)> {
    let n = dims.len();
    let m = data.len();
    // the initial state is left-canonical with the norm in the last core: make Z = 1
    {
        let last = tt.cores_mut().last_mut().expect("n >= 1");
        let nrm = last.data.iter().map(|x| x * x).sum::<f64>().sqrt();
        if !(nrm > 0.0) {
            return Err(Error::invalid_input("the initial state is zero"));
        }
        last.data.iter_mut().for_each(|x| *x /= nrm);
    }
    let eval = |t: &TensorTrain| -> Result<(f64, f64)> {
        let tr = nll_bits(t, &data.patterns, Some(&data.weights), exec)?;
        let va = match val {
            Some(v) => nll_bits(t, &v.patterns, Some(&v.weights), exec)?,
            None => f64::NAN,
        };
        Ok((tr, va))
    };
    let (init_tr, init_va) = eval(&tt)?;
    let mut report = FitReport {
        n_train: data.total,
        n_heldout: val.map_or(0, |v| v.total),
        n_distinct_train: m,
        init_nll_train: init_tr,
        init_nll_heldout: init_va,
        nll_train: init_tr,
        nll_heldout: init_va,
        best_half_sweep: None,
        history: Vec::new(),
        init_discarded,
        init_mix,
        candidates: Vec::new(),
    };
    if n < 2 || opts.max_half_sweeps == 0 {
        return Ok((tt, report));
    }
    let score = |tr: f64, va: f64| if va.is_nan() { tr } else { va };
    let mut best = (score(init_tr, init_va), tt.clone());
    // centre is at N-1 (left-canonical): build left environments for all bonds
    let mut sw = Sweeper { x: &data.patterns, n, m, w: &data.weights, left: vec![Vec::new(); n + 1], right: vec![Vec::new(); n + 1] };
    sw.left[0] = vec![1.0; m];
    sw.right[n] = vec![1.0; m];
    exec.install(|| -> Result<()> {
        for k in 0..n - 1 {
            exec.check()?;
            let c = tt.core(k);
            let next = advance(&data.patterns, n, k, &sw.left[k], c.left, c.right, c.dim, &|a| c.slice(a));
            sw.left[k + 1] = next;
        }
        let mut lr = opts.learning_rate;
        let mut stale = 0usize;
        for half in 0..opts.max_half_sweeps {
            let leftward = half % 2 == 0;
            if leftward {
                // bonds (k-1, k) for k = n-1 .. 1, centre moves to 0
                for k in (1..n).rev() {
                    exec.check()?;
                    let (a, b) = (tt.core(k - 1).clone(), tt.core(k).clone());
                    let dims4 = (a.left, a.dim, b.dim, b.right);
                    let mut bm = merge(&a, &b);
                    optimise_bond(&sw, k - 1, &mut bm, dims4, opts, &mut lr);
                    let (na, nb) = split_bond(&bm, dims4, opts.max_bond, opts.cutoff, false)?;
                    let next = advance(&data.patterns, n, k, &sw.right[k + 1], nb.right, nb.left, nb.dim, &|s| nb.slice(s).transpose());
                    sw.right[k] = next;
                    sw.left[k] = Vec::new();
                    let cores = tt.cores_mut();
                    cores[k - 1] = na;
                    cores[k] = nb;
                }
            } else {
                for k in 0..n - 1 {
                    exec.check()?;
                    let (a, b) = (tt.core(k).clone(), tt.core(k + 1).clone());
                    let dims4 = (a.left, a.dim, b.dim, b.right);
                    let mut bm = merge(&a, &b);
                    optimise_bond(&sw, k, &mut bm, dims4, opts, &mut lr);
                    let (na, nb) = split_bond(&bm, dims4, opts.max_bond, opts.cutoff, true)?;
                    let next = advance(&data.patterns, n, k, &sw.left[k], na.left, na.right, na.dim, &|s| na.slice(s));
                    sw.left[k + 1] = next;
                    sw.right[k + 1] = Vec::new();
                    let cores = tt.cores_mut();
                    cores[k] = na;
                    cores[k + 1] = nb;
                }
            }
            let (tr, va) = eval(&tt)?;
            report.history.push(SweepRecord { nll_train: tr, nll_heldout: va, max_bond: tt.max_bond() });
            let sc = score(tr, va);
            if sc < best.0 - 1e-9 {
                best = (sc, tt.clone());
                report.best_half_sweep = Some(half);
                report.nll_train = tr;
                report.nll_heldout = va;
                stale = 0;
            } else {
                stale += 1;
                if !va.is_nan() && stale >= opts.patience {
                    break;
                }
            }
        }
        Ok(())
    })?;
    let mut out = best.1;
    super::canonical::normalize(&mut out)?;
    Ok((out, report))
}

/// Mean NLL in bits per pattern of `patterns` under `tt`.
pub fn nll(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<f64> {
    nll_bits(tt, patterns, None, exec)
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::baselines::Independent;
    use crate::mps::data::{latent_cluster_patterns, reorder_columns, split};
    use crate::mps::sample::sample;
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn exact_init_reproduces_empirical_distribution() {
        let dims = vec![2usize, 3, 2, 2, 2, 2, 3, 2, 2, 2];
        let truth = TensorTrain::random(Kind::Born, &dims, 3, 4).unwrap();
        let s = sample(&truth, 400, 1, &Exec::sequential()).unwrap();
        let data = Distinct::new(&s.patterns, dims.len(), "patterns").unwrap();
        let (t, disc) = exact_init(&dims, &data, data.len(), 0.0, &Exec::with_threads(2)).unwrap();
        assert!(disc < 1e-12);
        assert!(t.max_bond() <= data.len());
        let p = t.dense_probabilities().unwrap();
        let mut emp = vec![0.0; p.len()];
        for j in 0..data.len() {
            let idx = data.row(j).iter().zip(&dims).fold(0usize, |acc, (&v, &d)| acc * d + v as usize);
            emp[idx] += data.weights[j];
        }
        for (a, b) in p.iter().zip(&emp) {
            assert!((a - b).abs() < 1e-12);
        }
        // truncated: the discarded weight is reported and the fit is no longer exact
        let (t2, disc2) = exact_init(&dims, &data, 2, 0.0, &Exec::sequential()).unwrap();
        assert!(disc2 > 1e-6 && t2.max_bond() <= 2);
        // N = 1
        let one = Distinct::new(&[0, 1, 1, 2], 1, "p").unwrap();
        let (t1, _) = exact_init(&[3], &one, 4, 0.0, &Exec::sequential()).unwrap();
        let p1 = t1.dense_probabilities().unwrap();
        assert!((p1[0] - 0.25).abs() < 1e-14 && (p1[1] - 0.5).abs() < 1e-14);
    }

    #[test]
    fn sweeps_learn_a_low_rank_distribution() {
        let dims = vec![2usize; 12];
        let truth = TensorTrain::random(Kind::Born, &dims, 3, 17).unwrap();
        let exec = Exec::with_threads(2);
        let s = sample(&truth, 8000, 5, &exec).unwrap();
        let (train, val) = split(&s.patterns, 12, 0.25, 3).unwrap();
        let opts = LearnOptions { max_bond: 4, ..Default::default() };
        let (model, rep) = fit(&dims, &train, &val, &opts, &exec).unwrap();
        assert!(!rep.history.is_empty());
        assert!(model.max_bond() <= 4);
        let true_val = -crate::mps::eval::log2_prob(&truth, &val, &exec).unwrap().iter().sum::<f64>() / (val.len() / 12) as f64;
        let ind = Independent::fit(&dims, &train, 0.5).unwrap().nll_bits(&val).unwrap();
        // best model is reported consistently and is normalised
        let got = nll(&model, &val, &exec).unwrap();
        assert!((got - rep.nll_heldout).abs() < 1e-9);
        assert!(rep.nll_heldout <= rep.init_nll_heldout);
        eprintln!("fit {:.4} truth {true_val:.4} independent {ind:.4} init {:.4} sweeps {}", rep.nll_heldout, rep.init_nll_heldout, rep.history.len());
        assert!(rep.nll_heldout < true_val + 0.1, "{} vs truth {true_val}", rep.nll_heldout);
        assert!(rep.nll_heldout < ind - 0.1, "{} vs independent {ind}", rep.nll_heldout);
    }

    #[test]
    fn fit_is_bit_reproducible_across_runs_and_thread_counts() {
        // several gradient chunks (CHUNK patterns each), so a parallel reduction could reorder sums
        let (pats, _) = latent_cluster_patterns(3, 4, 5 * CHUNK, 0.3, 0.6, 0.05, 4);
        let (train, val) = split(&pats, 12, 0.25, 1).unwrap();
        let opts = LearnOptions { max_bond: 4, ..Default::default() };
        let run = |threads| fit(&[2; 12], &train, &val, &opts, &Exec::with_threads(threads)).unwrap();
        let bits = |t: &TensorTrain| t.cores().iter().flat_map(|c| c.data.iter().map(|v| v.to_bits())).collect::<Vec<u64>>();
        let (a, ra) = run(2);
        for threads in [2, 2, 1] {
            let (b, rb) = run(threads);
            assert_eq!(bits(&a), bits(&b), "threads {threads}");
            assert_eq!(ra.nll_heldout.to_bits(), rb.nll_heldout.to_bits());
        }
    }

    #[test]
    fn contiguous_cluster_order_beats_interleaved_and_random() {
        // 4 latent clusters x 4 sites; identity order interleaves the clusters.
        let (pats, cluster) = latent_cluster_patterns(4, 4, 6000, 0.3, 0.6, 0.05, 11);
        let n = cluster.len();
        let mut community: Vec<usize> = (0..n).collect();
        community.sort_by_key(|&i| (cluster[i], i));
        let mut random: Vec<usize> = (0..n).collect();
        random.shuffle(&mut ChaCha8Rng::seed_from_u64(2));
        let identity: Vec<usize> = (0..n).collect();
        let exec = Exec::with_threads(2);
        let opts = LearnOptions { max_bond: 2, ..Default::default() };
        let mut res = Vec::new();
        for order in [&community, &identity, &random] {
            let p = reorder_columns(&pats, order);
            let (train, val) = split(&p, n, 0.3, 1).unwrap();
            let (_, rep) = fit(&vec![2; n], &train, &val, &opts, &exec).unwrap();
            res.push(rep.nll_heldout);
        }
        eprintln!("held-out NLL (bits): community {:.4} identity {:.4} random {:.4}", res[0], res[1], res[2]);
        assert!(res[0] < res[1] - 0.1 && res[0] < res[2] - 0.1, "community {} identity {} random {}", res[0], res[1], res[2]);
    }
}
