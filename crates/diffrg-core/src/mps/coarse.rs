//! Kernels of the DTNR flow (see [`super::dtnr`]): one coarse-graining step of a model train
//! with recompression, the negative mass it creates, non-negative log-probabilities of
//! probability trains, and the empirical coarse-graining of pattern data.
//!
//! **Born machines, Kronecker-structured.** The probability train of a Born machine has cores
//! `A[s] (x) A[s]` (bond `D^2`). Contracting a block `B = [a, b)` of it with a block map `f`,
//!
//! `C[v] = sum_{s_B : f(s_B) = v} prod_{k in B} A_k[s_k] (x) A_k[s_k]`,
//!
//! is a dynamic programme over the partial map value u with partial matrices `X_u`
//! (`D_a^2 x D_k^2`). Appending site k maps `X_u` to `X_{f(u, s)}` by
//! `X'[q, (c1, c2)] = sum_{b1, b2} X[q, (b1, b2)] A[b1, s, c1] A[b2, s, c2]`, done as two GEMMs
//! (`Y = X A_s` over `b2`, then `A_s^T Y_q` over `b1`): `O(d V D^5)` per site instead of the
//! `O(d V D^6)` of multiplying the doubled cores. Blocks are independent and run in parallel.
//! Every left partial product `sum_prefix psi (x) psi` is the vectorisation of a symmetric
//! `D x D` matrix and every `A (x) A` maps symmetric matrices to symmetric matrices, so the
//! exact coarse train is kept in the orthonormal basis of symmetric matrices (`e_xx`,
//! `(e_xy + e_yx) / sqrt 2`): bonds `D (D + 1) / 2` instead of `D^2` with the same tensor
//! (`T = x_0 C_1 S S^T C_2 S S^T ...`, `S S^T` the projector onto the symmetric subspace), which
//! makes the recompression (`O(V D'^3)` per block in the bond `D'`) ~8x cheaper.
//! Probability trains use [`super::block::contract_blocks`] (`O(d V D^3)` per site).
//!
//! **Negative mass.** Truncating a probability train in the 2-norm can make entries negative.
//! Reported: `nu = sum_v max(-P(v), 0) / sum_v P(v)`. Exact by enumeration when the coarse state
//! space is small. Otherwise (a) the rigorous lower bound `nu >= max(0, -min_{k,a} P(v_k = a))`
//! from the exact single-variable marginals (a marginal entry sums positive and negative mass,
//! so it is `>= -nu`), and (b) an unbiased importance-sampling estimate with exact samples of
//! the Born distribution of the same cores, `Q2(v) = T(v)^2 / S2` (`S2 = sum T^2`, exact):
//! `nu = (S2 / Z) E_{Q2}[ 1{T(v) < 0} / |T(v)| ]`, with its standard error (heavy-tailed when
//! tiny negative entries exist; the lower bound is then the safer figure).
//!
//! **Non-negative log-probabilities.** A truncated probability train can assign `P(v) <= 0` to a
//! held-out pattern, which would make its NLL infinite. Patterns are evaluated under the
//! sequential distribution `Q_eps(v) = prod_k q_k(v_k | v_<k)` whose conditionals are the
//! train's exact conditional weights `w_k(a) = (A_1[v_1] .. A_k[a]) R_{k+1}` floored at
//! `eps * sum_a max(w_k(a), 0)` (eps = 1e-12) and renormalised. `Q_eps` is a normalised
//! distribution and equals `P` (to 1e-12 relative) wherever all conditional weights are
//! positive; the number of patterns that hit the floor is reported.

use super::block::{add_into, contract_blocks, BlockMap};
use super::compress::{compress, CompressOptions};
use super::dense::{gemm, rescale, view, view_mut};
use super::env::{layered_sum, right_envs};
use super::eval::log_abs_amplitudes;
use super::marginals::marginals;
use super::sample::sample;
use super::tt::{Core, Kind, TensorTrain};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use rayon::prelude::*;
use std::f64::consts::FRAC_1_SQRT_2;

/// Relative floor of the conditional weights in [`log2_prob_nonneg`].
pub const CONDITIONAL_FLOOR: f64 = 1e-12;

/// Index pairs `(x, y)`, `x <= y`, of the orthonormal basis of symmetric `n x n` matrices
/// (`e_xx`, `(e_xy + e_yx) / sqrt 2`).
fn sym_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|x| (x..n).map(move |y| (x, y))).collect()
}

/// One block of the doubled (probability) train of a Born machine, Kronecker-structured, with
/// its bonds restricted to the symmetric subspace (see the module docs).
fn born_block_core(tt: &TensorTrain, a: usize, b: usize, map: BlockMap, exec: &Exec) -> Result<Core> {
    let nv = map.values();
    let ca = tt.core(a);
    let l = ca.left;
    let p = l * (l + 1) / 2;
    let widest = (a..b).map(|k| tt.core(k).right).max().unwrap_or(1) as u128;
    ensure_fits(
        "the block contraction of the doubled Born machine",
        (p as u128) * widest * widest * (nv as u128 + 2),
        8 << 30,
        "reduce chi",
    )?;
    let mut parts: Vec<Option<Vec<f64>>> = vec![None; nv];
    let r = ca.right;
    let pairs = sym_pairs(l);
    for s in 0..ca.dim {
        // rows in the orthonormal basis of symmetric l x l matrices (S^T (A (x) A))
        let mut m = vec![0.0; p * r * r];
        for (q, &(x, y)) in pairs.iter().enumerate() {
            let row = &mut m[q * r * r..(q + 1) * r * r];
            for c1 in 0..r {
                let (ax, ay) = (ca.at(x, s, c1), ca.at(y, s, c1));
                for c2 in 0..r {
                    row[c1 * r + c2] =
                        if x == y { ax * ca.at(x, s, c2) } else { (ax * ca.at(y, s, c2) + ay * ca.at(x, s, c2)) * FRAC_1_SQRT_2 };
                }
            }
        }
        add_into(&mut parts[map.step(0, s)], m);
    }
    let mut width = r;
    for k in a + 1..b {
        exec.check()?;
        let c = tt.core(k);
        let (din, dout) = (c.left, c.right);
        debug_assert_eq!(din, width);
        let mut next: Vec<Option<Vec<f64>>> = vec![None; nv];
        let mut y = vec![0.0; p * din * dout];
        for s in 0..c.dim {
            let asl = c.slice(s);
            for u in 0..nv {
                let Some(x) = &parts[u] else { continue };
                // Y[(q, b1), c2] = sum_b2 X[(q, b1), b2] A_s[b2, c2]
                gemm(view_mut(&mut y, p * din, dout), false, view(x, p * din, din), asl, 1.0);
                // Z_q = A_s^T Y_q
                let mut z = vec![0.0; p * dout * dout];
                for q in 0..p {
                    gemm(
                        view_mut(&mut z[q * dout * dout..(q + 1) * dout * dout], dout, dout),
                        false,
                        asl.transpose(),
                        view(&y[q * din * dout..(q + 1) * din * dout], din, dout),
                        1.0,
                    );
                }
                add_into(&mut next[map.step(u, s)], z);
            }
        }
        parts = next;
        width = dout;
    }
    // columns to the symmetric basis (C S)
    let cols = sym_pairs(width);
    let ws = cols.len();
    let mut data = vec![0.0; p * nv * ws];
    for (v, m) in parts.iter().enumerate() {
        if let Some(m) = m {
            for q in 0..p {
                let src = &m[q * width * width..(q + 1) * width * width];
                let dst = &mut data[(q * nv + v) * ws..(q * nv + v + 1) * ws];
                for (b, &(c1, c2)) in cols.iter().enumerate() {
                    dst[b] = if c1 == c2 { src[c1 * width + c1] } else { (src[c1 * width + c2] + src[c2 * width + c1]) * FRAC_1_SQRT_2 };
                }
            }
        }
    }
    Ok(Core { left: p, dim: nv, right: ws, data })
}

/// Exact block contraction of either kind into a probability train over block variables
/// (Born machines via the Kronecker-structured kernel, blocks in parallel).
pub fn contract_model(tt: &TensorTrain, blocks: &[(usize, usize)], map: BlockMap, exec: &Exec) -> Result<TensorTrain> {
    if let BlockMap::Count { cap } = map {
        if cap == 0 || cap > 255 {
            return Err(Error::invalid_input(format!("count cap must be in 1..=255, got {cap}")));
        }
    }
    super::block::check_blocks(blocks, tt.n_sites())?;
    match tt.kind() {
        Kind::Probability => contract_blocks(tt, blocks, map, exec),
        Kind::Born => {
            // the exact coarse train of the doubled machine has bonds D^2
            let total: u128 = blocks
                .iter()
                .map(|&(a, b)| {
                    let (l, r) = (tt.core(a).left as u128, tt.core(b - 1).right as u128);
                    l * (l + 1) / 2 * map.values() as u128 * r * (r + 1) / 2
                })
                .sum();
            ensure_fits("the exact coarse train of the doubled Born machine", total, 8 << 30, "reduce chi or use larger blocks")?;
            let cores =
                exec.install(|| blocks.par_iter().map(|&(a, b)| born_block_core(tt, a, b, map, exec)).collect::<Result<Vec<Core>>>())?;
            TensorTrain::new(Kind::Probability, cores)
        }
    }
}

/// Negative mass of a probability train (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct NegativeMass {
    /// Exact value, or the importance-sampling estimate.
    pub value: f64,
    /// Standard error of the estimate (0 when exact).
    pub std_error: f64,
    /// Rigorous lower bound from the single-variable marginals (the value itself when exact).
    pub lower_bound: f64,
    pub estimated: bool,
}

/// Measures the negative mass: exact when `prod d <= exact_limit`, else the marginal lower
/// bound and the `samples`-sample importance estimate (seeded).
pub fn negative_mass(tt: &TensorTrain, exact_limit: u128, samples: usize, seed: u64, exec: &Exec) -> Result<NegativeMass> {
    if tt.kind() == Kind::Born {
        return Ok(NegativeMass { value: 0.0, std_error: 0.0, lower_bound: 0.0, estimated: false });
    }
    let states = super::dtnr::states(&tt.dims());
    if states <= exact_limit.min(1 << 24) {
        let t = tt.dense()?;
        let z: f64 = t.iter().sum();
        if !(z > 0.0) {
            return Err(Error::invalid_input("the coarse probability train sums to a non-positive value"));
        }
        let v = t.iter().filter(|&&x| x < 0.0).map(|x| -x).sum::<f64>() / z;
        return Ok(NegativeMass { value: v, std_error: 0.0, lower_bound: v, estimated: false });
    }
    let m = marginals(tt, exec)?;
    let lower = m.iter().flatten().fold(0.0f64, |a, &x| a.max(-x));
    let (sz, lnz) = layered_sum(tt, 1);
    if !(sz > 0.0) {
        return Err(Error::invalid_input("the coarse probability train sums to a non-positive value"));
    }
    let (_, lns2) = layered_sum(tt, 2);
    let n = samples.max(2);
    let born = TensorTrain::from_parts(Kind::Born, tt.cores().to_vec());
    let s = sample(&born, n, seed, exec)?;
    let amps = log_abs_amplitudes(tt, &s.patterns, exec)?;
    let xs: Vec<f64> = amps.iter().map(|&(ln, sign)| if sign < 0.0 { (lns2 - lnz - ln).exp() } else { 0.0 }).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Ok(NegativeMass { value: mean, std_error: (var / n as f64).sqrt(), lower_bound: lower, estimated: true })
}

/// Diagnostics of one flow step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Relative squared Frobenius error of the recompression, `||T - T~||^2 / ||T||^2` (exact).
    pub truncation_error: f64,
    pub negative_mass: NegativeMass,
    /// Bond dimensions of the exact coarse train and after recompression.
    pub bond_dims_before: Vec<usize>,
    pub bond_dims_after: Vec<usize>,
}

/// One DTNR step: exact block contraction, recompression to `opts`, rescaling so the train
/// sums to that of the exact coarse train, and the negative-mass measurement.
pub fn flow_step(
    tt: &TensorTrain,
    blocks: &[(usize, usize)],
    map: BlockMap,
    opts: &CompressOptions,
    exact_limit: u128,
    samples: usize,
    seed: u64,
    exec: &Exec,
) -> Result<(TensorTrain, StepReport)> {
    let exact = contract_model(tt, blocks, map, exec)?;
    let before = exact.bond_dims();
    let (mut out, rep) = compress(&exact, opts, exec)?;
    let scale = (rep.log_scale / out.n_sites() as f64).exp();
    for c in out.cores_mut() {
        c.data.iter_mut().for_each(|x| *x *= scale);
    }
    let neg = negative_mass(&out, exact_limit, samples, seed, exec)?;
    let after = out.bond_dims();
    Ok((out, StepReport { truncation_error: rep.total_discarded, negative_mass: neg, bond_dims_before: before, bond_dims_after: after }))
}

/// `log2 Q_eps(v)` of every row under a probability train (see the module docs) and the
/// number of rows that hit the floor. Born machines are evaluated exactly (never floored).
pub fn log2_prob_nonneg(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<(Vec<f64>, usize)> {
    let rows = rows_nonneg(tt, patterns, exec)?;
    let floored = rows.iter().filter(|r| r.1).count();
    Ok((rows.into_iter().map(|r| r.0).collect(), floored))
}

/// Per row: `(log2 Q_eps, hit the floor)`.
fn rows_nonneg(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<Vec<(f64, bool)>> {
    if tt.kind() == Kind::Born {
        return Ok(super::eval::log2_prob(tt, patterns, exec)?.into_iter().map(|v| (v, false)).collect());
    }
    tt.check_patterns(patterns, "patterns")?;
    let n = tt.n_sites();
    let renv = right_envs(tt, 1);
    let rows: Vec<(f64, bool)> = exec.install(|| {
        patterns
            .par_chunks(n)
            .enumerate()
            .map(|(i, row)| -> Result<(f64, bool)> {
                if i % 512 == 0 {
                    exec.check()?;
                }
                let mut v = vec![1.0f64];
                let mut lp = 0.0;
                let mut floored = false;
                let mut w = [0.0f64; 256];
                let mut pick = Vec::new();
                for k in 0..n {
                    let c = tt.core(k);
                    let (l, d, r) = (c.left, c.dim, c.right);
                    let mut pos = 0.0;
                    for a in 0..d {
                        let mut u = vec![0.0; r];
                        for x in 0..l {
                            if v[x] == 0.0 {
                                continue;
                            }
                            let src = &c.data[(x * d + a) * r..(x * d + a + 1) * r];
                            u.iter_mut().zip(src).for_each(|(o, &y)| *o += v[x] * y);
                        }
                        w[a] = u.iter().zip(&renv[k + 1].data).map(|(p, q)| p * q).sum();
                        pos += w[a].max(0.0);
                        if a == row[k] as usize {
                            pick = u;
                        }
                    }
                    let floor = CONDITIONAL_FLOOR * pos;
                    let (mut tot, mut wk) = (0.0, 0.0);
                    for a in 0..d {
                        let q = if pos > 0.0 { w[a].max(floor) } else { 1.0 };
                        if q != w[a] {
                            floored |= a == row[k] as usize;
                        }
                        tot += q;
                        if a == row[k] as usize {
                            wk = q;
                        }
                    }
                    lp += (wk / tot).log2();
                    v = std::mem::take(&mut pick);
                    rescale(&mut v);
                }
                Ok((lp, floored))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(rows)
}

/// Mean of `-log2 Q_eps` in bits per pattern over `patterns` (distinct rows evaluated once)
/// and the number of patterns that hit the floor. NaN for an empty set.
pub fn nll_nonneg(tt: &TensorTrain, patterns: &[u8], exec: &Exec) -> Result<(f64, usize)> {
    if patterns.is_empty() {
        return Ok((f64::NAN, 0));
    }
    let d = super::data::Distinct::new(patterns, tt.n_sites(), "patterns")?;
    let rows = rows_nonneg(tt, &d.patterns, exec)?;
    let nll = -rows.iter().zip(&d.weights).map(|(r, w)| r.0 * w).sum::<f64>();
    let hits = rows.iter().zip(&d.counts).filter(|(r, _)| r.1).map(|(_, c)| c).sum();
    Ok((nll, hits))
}

/// Applies the block map to a row-major pattern matrix with `n` columns: column m of the
/// result is `f` folded over the columns of `blocks[m]`.
pub fn coarse_patterns(patterns: &[u8], n: usize, blocks: &[(usize, usize)], map: BlockMap) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    patterns
        .chunks_exact(n)
        .flat_map(|row| blocks.iter().map(move |&(a, b)| row[a..b].iter().fold(0usize, |u, &s| map.step(u, s as usize)) as u8))
        .collect()
}
