//! Single-site and pairwise marginals, and conditionals given evidence.
//!
//! With per-site weights `w_k(s)` (all ones, or one-hot at an evidence value) and K-layer
//! environments (K = 2 for a Born machine, 1 for a probability train; see [`super::env`]):
//!
//! `P(s_k = a | e) = close(L_k (x) A_k[a], R_{k+1}) / close(L_N, 1)`,
//!
//! `P(s_i = a, s_j = b | e) = close(L_i (x) A_i[a] (x) T_{i+1} .. T_{j-1} (x) A_j[b], R_{j+1}) / Z_e`
//!
//! where `T_m = sum_s w_m(s) A_m[s]^{(x) K}` is the transfer matrix. Single-site marginals cost
//! `O(N d D^3)`; all pairs `O(N^2 d^2 D^3)`, parallel over the first site of the pair.
//! Conditionals are the same marginals with the evidence sites' weights set to one-hot
//! vectors: `P(s_k | e) = P(s_k, e) / P(e)`.

use super::env::{close, left_step, right_step, Env};
use super::tt::{Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;
use rayon::prelude::*;

fn layers(tt: &TensorTrain) -> usize {
    match tt.kind() {
        Kind::Born => 2,
        Kind::Probability => 1,
    }
}

/// Joint marginal table of sites `i < j`, row-major `d_i x d_j`.
#[derive(Debug, Clone, PartialEq)]
pub struct PairMarginal {
    pub i: usize,
    pub j: usize,
    pub table: Vec<f64>,
}

/// Site weights for evidence `(site, value)` pairs (duplicates must agree).
fn evidence_weights(tt: &TensorTrain, evidence: &[(usize, u8)]) -> Result<Vec<Vec<f64>>> {
    let dims = tt.dims();
    let mut w: Vec<Vec<f64>> = dims.iter().map(|&d| vec![1.0; d]).collect();
    let mut seen: Vec<Option<u8>> = vec![None; dims.len()];
    for (idx, &(k, v)) in evidence.iter().enumerate() {
        if k >= dims.len() {
            return Err(Error::invalid_input(format!("evidence[{idx}]: site {k} is out of range (N = {})", dims.len())));
        }
        if v as usize >= dims[k] {
            return Err(Error::invalid_input(format!("evidence[{idx}]: value {v} is outside the alphabet of site {k} (d = {})", dims[k])));
        }
        if let Some(prev) = seen[k] {
            if prev != v {
                return Err(Error::invalid_input(format!("evidence[{idx}]: site {k} is fixed twice to different values")));
            }
        }
        seen[k] = Some(v);
        w[k].iter_mut().enumerate().for_each(|(s, x)| *x = if s == v as usize { 1.0 } else { 0.0 });
    }
    Ok(w)
}

struct Envs {
    left: Vec<Env>,
    right: Vec<Env>,
    ln_z: f64,
}

fn envs(tt: &TensorTrain, w: &[Vec<f64>]) -> Result<Envs> {
    let n = tt.n_sites();
    let k = layers(tt);
    let mut left = vec![Env::boundary(k)];
    for s in 0..n {
        let e = left_step(&left[s], tt.core(s), Some(&w[s]));
        left.push(e);
    }
    let mut right = vec![Env::boundary(k); n + 1];
    for s in (0..n).rev() {
        right[s] = right_step(&right[s + 1], tt.core(s), Some(&w[s]));
    }
    let (m, lg) = close(&left[n], &right[n]);
    if !(m > 0.0) {
        return Err(Error::invalid_input("the evidence has zero (or negative) probability under the model"));
    }
    Ok(Envs { left, right, ln_z: m.ln() + lg })
}

fn one_hot_times(w: &[f64], a: usize) -> Vec<f64> {
    w.iter().enumerate().map(|(s, &x)| if s == a { x } else { 0.0 }).collect()
}

fn value(l: &Env, r: &Env, ln_z: f64) -> f64 {
    let (m, lg) = close(l, r);
    if m == 0.0 {
        0.0
    } else {
        m * (lg - ln_z).exp()
    }
}

/// Evidence given flat as `[site, value, site, value, ...]` (how it crosses from JavaScript),
/// as `(site, value)` pairs. Sites are checked against the model by the marginal functions.
///
/// # Errors
/// `ERR_INVALID_INPUT` naming `evidence` for an odd length or a value above 255.
pub fn evidence_pairs(flat: &[u32]) -> Result<Vec<(usize, u8)>> {
    if flat.len() % 2 != 0 {
        return Err(Error::invalid_input("evidence must hold (site, value) pairs"));
    }
    flat.chunks(2)
        .map(|p| match u8::try_from(p[1]) {
            Ok(v) => Ok((p[0] as usize, v)),
            Err(_) => Err(Error::invalid_input(format!("evidence: value {} of site {} is above 255", p[1], p[0]))),
        })
        .collect()
}

/// `P(s_k = a | evidence)` for every site k (evidence sites give one-hot rows).
/// Errors if the evidence is invalid or has zero probability.
pub fn conditional_marginals(tt: &TensorTrain, evidence: &[(usize, u8)], exec: &Exec) -> Result<Vec<Vec<f64>>> {
    let w = evidence_weights(tt, evidence)?;
    let e = envs(tt, &w)?;
    let mut out = Vec::with_capacity(tt.n_sites());
    for k in 0..tt.n_sites() {
        exec.check()?;
        let core = tt.core(k);
        out.push(
            (0..core.dim)
                .map(|a| {
                    if w[k][a] == 0.0 {
                        return 0.0;
                    }
                    let l = left_step(&e.left[k], core, Some(&one_hot_times(&w[k], a)));
                    value(&l, &e.right[k + 1], e.ln_z)
                })
                .collect(),
        );
    }
    Ok(out)
}

/// Single-site marginals `P(s_k = a)`.
pub fn marginals(tt: &TensorTrain, exec: &Exec) -> Result<Vec<Vec<f64>>> {
    conditional_marginals(tt, &[], exec)
}

/// Pairwise marginals of all pairs `i < j`, conditioned on `evidence` (may be empty),
/// ordered by `(i, j)`. Parallel over `i`.
pub fn pair_marginals(tt: &TensorTrain, evidence: &[(usize, u8)], exec: &Exec) -> Result<Vec<PairMarginal>> {
    let n = tt.n_sites();
    let w = evidence_weights(tt, evidence)?;
    let e = envs(tt, &w)?;
    let rows: Vec<Vec<PairMarginal>> = exec.install(|| {
        (0..n)
            .into_par_iter()
            .map(|i| -> Result<Vec<PairMarginal>> {
                let ci = tt.core(i);
                // one environment per value of s_i, carried to the right
                let mut carried: Vec<Env> = (0..ci.dim).map(|a| left_step(&e.left[i], ci, Some(&one_hot_times(&w[i], a)))).collect();
                let mut row = Vec::with_capacity(n - i - 1);
                for j in i + 1..n {
                    exec.check()?;
                    let cj = tt.core(j);
                    let mut table = vec![0.0; ci.dim * cj.dim];
                    for a in 0..ci.dim {
                        if w[i][a] == 0.0 {
                            continue;
                        }
                        for b in 0..cj.dim {
                            if w[j][b] == 0.0 {
                                continue;
                            }
                            let l = left_step(&carried[a], cj, Some(&one_hot_times(&w[j], b)));
                            table[a * cj.dim + b] = value(&l, &e.right[j + 1], e.ln_z);
                        }
                    }
                    row.push(PairMarginal { i, j, table });
                    if j + 1 < n {
                        for a in 0..ci.dim {
                            carried[a] = left_step(&carried[a], cj, Some(&w[j]));
                        }
                    }
                }
                Ok(row)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(rows.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_pairs_pair_up_and_reject_bad_input() {
        assert_eq!(evidence_pairs(&[]).unwrap(), vec![]);
        assert_eq!(evidence_pairs(&[3, 1, 0, 255]).unwrap(), vec![(3, 1), (0, 255)]);
        for bad in [&[1u32][..], &[0, 256], &[0, 1, 2]] {
            let e = evidence_pairs(bad).unwrap_err();
            assert!(e.code == crate::ErrorCode::InvalidInput && e.message.starts_with("evidence"), "{e:?}");
        }
    }

    fn enumerate(dims: &[usize]) -> Vec<Vec<usize>> {
        let total: usize = dims.iter().product();
        (0..total)
            .map(|mut idx| {
                let mut p = vec![0; dims.len()];
                for k in (0..dims.len()).rev() {
                    p[k] = idx % dims[k];
                    idx /= dims[k];
                }
                p
            })
            .collect()
    }

    #[test]
    fn marginals_and_conditionals_match_enumeration() {
        let dims = [2usize, 3, 2, 2, 2, 3, 2, 2, 2, 2];
        let states = enumerate(&dims);
        for kind in [Kind::Born, Kind::Probability] {
            let t = TensorTrain::random(kind, &dims, 6, 21).unwrap();
            let p = t.dense_probabilities().unwrap();
            let exec = Exec::with_threads(2);
            // single-site
            let m = marginals(&t, &exec).unwrap();
            for k in 0..dims.len() {
                for a in 0..dims[k] {
                    let want: f64 = states.iter().zip(&p).filter(|(s, _)| s[k] == a).map(|(_, q)| q).sum();
                    assert!((m[k][a] - want).abs() < 1e-12);
                }
            }
            // conditional on two sites, singles and pairs
            let ev = [(1usize, 2u8), (7usize, 1u8)];
            let sel = |s: &Vec<usize>| s[1] == 2 && s[7] == 1;
            let pe: f64 = states.iter().zip(&p).filter(|(s, _)| sel(s)).map(|(_, q)| q).sum();
            let cm = conditional_marginals(&t, &ev, &exec).unwrap();
            for k in 0..dims.len() {
                for a in 0..dims[k] {
                    let want: f64 = states.iter().zip(&p).filter(|(s, _)| sel(s) && s[k] == a).map(|(_, q)| q).sum::<f64>() / pe;
                    assert!((cm[k][a] - want).abs() < 1e-10, "k={k} a={a}");
                }
            }
            for (evid, pnorm) in [(&[][..], 1.0), (&ev[..], pe)] {
                let pm = pair_marginals(&t, evid, &exec).unwrap();
                assert_eq!(pm.len(), dims.len() * (dims.len() - 1) / 2);
                for pmij in &pm {
                    let (i, j) = (pmij.i, pmij.j);
                    for a in 0..dims[i] {
                        for b in 0..dims[j] {
                            let want: f64 = states
                                .iter()
                                .zip(&p)
                                .filter(|(s, _)| s[i] == a && s[j] == b && (evid.is_empty() || sel(s)))
                                .map(|(_, q)| q)
                                .sum::<f64>()
                                / pnorm;
                            assert!((pmij.table[a * dims[j] + b] - want).abs() < 1e-10);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bad_evidence_is_rejected() {
        let t = TensorTrain::random(Kind::Born, &[2, 2, 2], 2, 1).unwrap();
        let ex = Exec::sequential();
        assert!(conditional_marginals(&t, &[(3, 0)], &ex).unwrap_err().message.contains("evidence[0]"));
        assert!(conditional_marginals(&t, &[(0, 2)], &ex).is_err());
        assert!(conditional_marginals(&t, &[(0, 1), (0, 0)], &ex).is_err());
        // zero-probability evidence
        let z = TensorTrain::product(Kind::Probability, &[vec![1.0, 0.0], vec![0.5, 0.5]]).unwrap();
        assert!(conditional_marginals(&z, &[(0, 1)], &ex).is_err());
    }
}
