//! Initial states of the Born-machine fit.
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

use super::LearnOptions;
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::mps::compress::{compress, CompressOptions};
use crate::mps::data::{site_marginals, Distinct};
use crate::mps::dense::{eigh_desc, truncation, view, view_mut};
use crate::mps::tt::{check_patterns, Core, Kind, TensorTrain};
use faer::Accum;
use std::collections::HashMap;

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
/// estimate as [`crate::mps::baselines::Independent`]); every core has unit norm (left-canonical).
pub fn independent_state(dims: &[usize], data: &Distinct, pseudocount: f64) -> Result<TensorTrain> {
    let marg = site_marginals(data, dims, pseudocount.max(1e-12));
    TensorTrain::product(Kind::Born, &marg.iter().map(|p| p.iter().map(|x| x.sqrt()).collect()).collect::<Vec<_>>())
}

/// `sqrt(1 - eps) Psi_emp / ||Psi_emp|| + sqrt(eps) Psi_ind`, recompressed to `max_bond`
/// (`eps = 0`: `emp` itself; `eps = 1`: the product state of the smoothed site marginals, i.e.
/// the independent model). Returns the state and the recompression's discarded weight.
pub fn mix_initial(
    dims: &[usize],
    data: &Distinct,
    emp: &TensorTrain,
    eps: f64,
    opts: &LearnOptions,
    exec: &Exec,
) -> Result<(TensorTrain, f64)> {
    if eps <= 0.0 {
        return Ok((emp.clone(), 0.0));
    }
    let ind = independent_state(dims, data, opts.pseudocount)?;
    if eps >= 1.0 {
        return Ok((ind, 0.0));
    }
    let emp_norm = crate::mps::canonical::log_norm(emp)?;
    let sum = add(emp, &ind, (1.0 - eps).sqrt() * (-0.5 * emp_norm).exp(), eps.sqrt());
    let (t, rep) = compress(&sum, &CompressOptions { max_bond: opts.max_bond, cutoff: opts.cutoff }, exec)?;
    Ok((t, rep.total_discarded))
}
