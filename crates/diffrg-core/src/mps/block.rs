//! Coarse-graining a probability tensor train over contiguous site blocks.
//!
//! Given a partition of the sites into consecutive blocks `B_1, .., B_M` and a block map
//! `f` (block variable = any spike in the block, or the spike count capped at `cap`), the
//! coarse distribution `P'(v_1..v_M) = sum_{s : f(s_{B_m}) = v_m for all m} P(s)` is again a
//! tensor train whose core for block m is
//!
//! `C_m[v] = sum_{s_B : f(s_B) = v} A_{b_1}[s_{b_1}] ... A_{b_L}[s_{b_L}]`.
//!
//! It is built by a dynamic programme over the partial map value (2 states for "any",
//! cap + 1 for "count"): `M'_{g(u, s)} += M_u A_k[s]`, cost `O(L d V D^3)` per block, exact.
//! A Born machine is first converted exactly to its probability train (bond dimension
//! squared); [`super::coarse`] has the Kronecker-structured kernel for Born machines, the
//! recompression step with its truncation error and the negative-mass measures.

use super::dense::{gemm, view, view_mut};
use super::tt::{Core, Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::Exec;

/// How a block of sites maps to one coarse variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockMap {
    /// 1 if any site in the block is non-zero, else 0.
    Any,
    /// Sum of the site values, capped at `cap` (>= 1): values 0..=cap.
    Count { cap: usize },
}

/// The names of the [`BlockMap`] variants (the `block` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockMapName {
    Any,
    Count,
}

named_enum!(BlockMapName, "block map" { Any => "any", Count => "count" });

impl BlockMap {
    /// The name of this map.
    pub fn name(self) -> BlockMapName {
        match self {
            BlockMap::Any => BlockMapName::Any,
            BlockMap::Count { .. } => BlockMapName::Count,
        }
    }
    /// Default `cap` of [`BlockMap::Count`].
    pub const DEFAULT_CAP: usize = 3;
    /// The map named `name`; `cap` (default [`Self::DEFAULT_CAP`]) applies to `"count"`.
    /// Errors: `ERR_INVALID_INPUT` naming the `block` option.
    pub fn from_name(name: &str, cap: Option<usize>) -> Result<BlockMap> {
        Ok(match BlockMapName::parse_field(name, "block")? {
            BlockMapName::Any => BlockMap::Any,
            BlockMapName::Count => BlockMap::Count { cap: cap.unwrap_or(Self::DEFAULT_CAP) },
        })
    }
    /// Number of values of the block variable (2 for `Any`, `cap + 1` for `Count`).
    pub fn values(self) -> usize {
        match self {
            BlockMap::Any => 2,
            BlockMap::Count { cap } => cap + 1,
        }
    }
    /// Folds one more site value `s` into the partial block value `u` (start from `u = 0`).
    #[inline]
    pub fn step(self, u: usize, s: usize) -> usize {
        match self {
            BlockMap::Any => (u > 0 || s > 0) as usize,
            BlockMap::Count { cap } => (u + s).min(cap),
        }
    }
}

/// Validates that `blocks` (half-open ranges) partition `0..n` in order.
pub fn check_blocks(blocks: &[(usize, usize)], n: usize) -> Result<()> {
    let mut next = 0;
    for (i, &(a, b)) in blocks.iter().enumerate() {
        if a != next || b <= a {
            return Err(Error::invalid_input(format!(
                "blocks[{i}] = [{a}, {b}) must be non-empty and start at {next} (blocks must be contiguous, in order)"
            )));
        }
        next = b;
    }
    if next != n {
        return Err(Error::invalid_input(format!("blocks cover sites 0..{next} but the train has {n} sites")));
    }
    Ok(())
}

/// Exact block contraction (no truncation): a probability train over the block variables.
pub fn contract_blocks(tt: &TensorTrain, blocks: &[(usize, usize)], map: BlockMap, exec: &Exec) -> Result<TensorTrain> {
    if let BlockMap::Count { cap } = map {
        if cap == 0 || cap > 255 {
            return Err(Error::invalid_input(format!("count cap must be in 1..=255, got {cap}")));
        }
    }
    let p = tt.to_probability()?;
    check_blocks(blocks, p.n_sites())?;
    let nv = map.values();
    let mut cores = Vec::with_capacity(blocks.len());
    for &(a, b) in blocks {
        let dl = p.core(a).left;
        // partial products per map value, dl x D (row-major)
        let mut parts: Vec<Option<Vec<f64>>> = vec![None; nv];
        let mut width = dl;
        for k in a..b {
            exec.check()?;
            let c = p.core(k);
            let mut next: Vec<Option<Vec<f64>>> = vec![None; nv];
            for s in 0..c.dim {
                if k == a {
                    let v = map.step(0, s);
                    let mut m = vec![0.0; dl * c.right];
                    for l in 0..dl {
                        m[l * c.right..(l + 1) * c.right]
                            .copy_from_slice(&c.data[(l * c.dim + s) * c.right..(l * c.dim + s + 1) * c.right]);
                    }
                    add_into(&mut next[v], m);
                    continue;
                }
                for u in 0..nv {
                    if let Some(mu) = &parts[u] {
                        let v = map.step(u, s);
                        let mut m = vec![0.0; dl * c.right];
                        gemm(view_mut(&mut m, dl, c.right), false, view(mu, dl, width), c.slice(s), 1.0);
                        add_into(&mut next[v], m);
                    }
                }
            }
            parts = next;
            width = c.right;
        }
        let dr = width;
        let mut data = vec![0.0; dl * nv * dr];
        for (v, m) in parts.iter().enumerate() {
            if let Some(m) = m {
                for l in 0..dl {
                    data[(l * nv + v) * dr..(l * nv + v + 1) * dr].copy_from_slice(&m[l * dr..(l + 1) * dr]);
                }
            }
        }
        cores.push(Core { left: dl, dim: nv, right: dr, data });
    }
    TensorTrain::new(Kind::Probability, cores)
}

/// Adds `m` into the accumulator `slot` (or starts it).
pub(super) fn add_into(slot: &mut Option<Vec<f64>>, m: Vec<f64>) {
    match slot {
        Some(x) => x.iter_mut().zip(&m).for_each(|(a, b)| *a += b),
        None => *slot = Some(m),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Brute-force pushforward of a dense distribution (site 0 most significant).
    pub(crate) fn coarse_dense(p: &[f64], dims: &[usize], blocks: &[(usize, usize)], map: BlockMap) -> Vec<f64> {
        let nv = map.values();
        let mut out = vec![0.0; nv.pow(blocks.len() as u32)];
        for (idx, &q) in p.iter().enumerate() {
            let mut s = vec![0usize; dims.len()];
            let mut rem = idx;
            for k in (0..dims.len()).rev() {
                s[k] = rem % dims[k];
                rem /= dims[k];
            }
            let mut cidx = 0;
            for &(a, b) in blocks {
                let v = (a..b).fold(None, |u: Option<usize>, k| Some(map.step(u.unwrap_or(0), s[k]))).unwrap();
                cidx = cidx * nv + v;
            }
            out[cidx] += q;
        }
        out
    }

    #[test]
    fn exact_contraction_matches_enumeration() {
        let dims = [2usize, 2, 3, 2, 2, 2, 2, 2, 2, 2];
        let blocks = [(0, 3), (3, 5), (5, 9), (9, 10)];
        for kind in [Kind::Born, Kind::Probability] {
            let t = TensorTrain::random(kind, &dims, 4, 5).unwrap();
            let p = t.dense_probabilities().unwrap();
            for map in [BlockMap::Any, BlockMap::Count { cap: 2 }] {
                let c = contract_blocks(&t, &blocks, map, &Exec::sequential()).unwrap();
                let want = coarse_dense(&p, &dims, &blocks, map);
                let got = c.dense_probabilities().unwrap();
                for (a, b) in got.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-12, "{kind:?} {map:?}");
                }
            }
        }
        assert!(check_blocks(&[(0, 2), (3, 4)], 4).is_err());
        assert!(check_blocks(&[(0, 2), (2, 3)], 4).is_err());
    }
}
