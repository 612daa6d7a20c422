//! Tensor-train (matrix product state) types over discrete variables.
//!
//! A tensor train over N sites with alphabet sizes `d_k` represents
//!
//! `T(s_1..s_N) = A_1[s_1] A_2[s_2] ... A_N[s_N]`
//!
//! with `A_k[s]` a `D_{k-1} x D_k` matrix (`D_0 = D_N = 1`). Core k is stored row-major with
//! index `(l * d_k + s) * D_k + r`, so the left unfolding `(D_{k-1} d_k) x D_k` and the right
//! unfolding `D_{k-1} x (d_k D_k)` are both plain row-major views of the same buffer.
//!
//! Two model kinds share the storage:
//! - [`Kind::Born`]: `P(s) = T(s)^2 / Z`, `Z = sum_s T(s)^2` (a Born machine; Han et al.,
//!   PRX 8, 031012 (2018)).
//! - [`Kind::Probability`]: `P(s) = T(s) / Z`, `Z = sum_s T(s)` (a probability tensor train;
//!   entries may turn slightly negative after truncation, which diagnostics report).
//!
//! The normalisation `Z` is never assumed: every evaluation divides by it, and
//! [`crate::mps::canonical::normalize`] rescales the cores so that `Z = 1`.

use crate::error::{ensure_finite, ensure_fits, Error, Result};
use faer::MatRef;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Which distribution the tensor train encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `P(s) = T(s)^2 / Z`.
    Born,
    /// `P(s) = T(s) / Z`.
    Probability,
}

named_enum!(Kind, "kind" { Born => "born", Probability => "probability" });

/// One core `A[l, s, r]`, row-major `(l * dim + s) * right + r`.
#[derive(Debug, Clone, PartialEq)]
pub struct Core {
    pub left: usize,
    pub dim: usize,
    pub right: usize,
    pub data: Vec<f64>,
}

impl Core {
    /// A validated core (`data.len() == left * dim * right`, all dimensions >= 1, finite).
    pub fn new(left: usize, dim: usize, right: usize, data: Vec<f64>) -> Result<Core> {
        if left == 0 || dim == 0 || right == 0 {
            return Err(Error::invalid_input(format!("core shape ({left}, {dim}, {right}) has a zero dimension")));
        }
        if data.len() != left * dim * right {
            return Err(Error::invalid_input(format!(
                "core data has {} values but shape ({left}, {dim}, {right}) needs {}",
                data.len(),
                left * dim * right
            )));
        }
        ensure_finite("core data", &data)?;
        Ok(Core { left, dim, right, data })
    }
    pub fn zeros(left: usize, dim: usize, right: usize) -> Core {
        Core { left, dim, right, data: vec![0.0; left * dim * right] }
    }
    #[inline]
    pub fn at(&self, l: usize, s: usize, r: usize) -> f64 {
        self.data[(l * self.dim + s) * self.right + r]
    }
    /// The matrix `A[s]` (`left x right`), a strided view.
    #[inline]
    pub fn slice(&self, s: usize) -> MatRef<'_, f64> {
        let stride = self.dim * self.right;
        let start = s * self.right;
        MatRef::from_row_major_slice_with_stride(&self.data[start..], self.left, self.right, stride)
    }
    /// Left unfolding `(left * dim) x right`.
    #[inline]
    pub fn left_unfolding(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.data, self.left * self.dim, self.right)
    }
    /// Right unfolding `left x (dim * right)`.
    #[inline]
    pub fn right_unfolding(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.data, self.left, self.dim * self.right)
    }
}

/// A tensor train with its model kind.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorTrain {
    kind: Kind,
    cores: Vec<Core>,
}

impl TensorTrain {
    /// Validates bond consistency (`cores[k].right == cores[k+1].left`, boundaries 1) and
    /// builds the train. At least one site is required.
    pub fn new(kind: Kind, cores: Vec<Core>) -> Result<TensorTrain> {
        if cores.is_empty() {
            return Err(Error::invalid_input("cores must contain at least one site"));
        }
        if cores[0].left != 1 {
            return Err(Error::invalid_input(format!("cores[0] must have left bond 1, got {}", cores[0].left)));
        }
        let n = cores.len();
        if cores[n - 1].right != 1 {
            return Err(Error::invalid_input(format!("cores[{}] must have right bond 1, got {}", n - 1, cores[n - 1].right)));
        }
        for k in 0..n {
            let c = &cores[k];
            if c.data.len() != c.left * c.dim * c.right || c.dim == 0 || c.left == 0 || c.right == 0 {
                return Err(Error::invalid_input(format!("cores[{k}] has an inconsistent shape")));
            }
            ensure_finite(&format!("cores[{k}]"), &c.data)?;
            if k + 1 < n && c.right != cores[k + 1].left {
                return Err(Error::invalid_input(format!(
                    "bond mismatch: cores[{k}] right bond {} != cores[{}] left bond {}",
                    c.right,
                    k + 1,
                    cores[k + 1].left
                )));
            }
        }
        if cores.iter().any(|c| c.dim > 256) {
            return Err(Error::invalid_input("alphabet sizes above 256 are not supported (patterns are u8)"));
        }
        Ok(TensorTrain { kind, cores })
    }

    /// Builds without validation (internal kernels that construct consistent cores).
    pub(crate) fn from_parts(kind: Kind, cores: Vec<Core>) -> TensorTrain {
        debug_assert!(TensorTrain::new(kind, cores.clone()).is_ok());
        TensorTrain { kind, cores }
    }

    /// A product state: site k has `T_k(s) = factors[k][s]` (bond dimension 1).
    pub fn product(kind: Kind, factors: &[Vec<f64>]) -> Result<TensorTrain> {
        let cores = factors
            .iter()
            .enumerate()
            .map(|(k, f)| Core::new(1, f.len(), 1, f.clone()).map_err(|e| Error::invalid_input(format!("factors[{k}]: {}", e.message))))
            .collect::<Result<Vec<_>>>()?;
        TensorTrain::new(kind, cores)
    }

    /// A random train with bond dimensions `min(chi, prod d left, prod d right)` and seeded
    /// entries: standard normal / sqrt(left * d) for [`Kind::Born`], uniform (0, 1] / (left * d)
    /// for [`Kind::Probability`] (so every entry of the tensor is positive).
    pub fn random(kind: Kind, dims: &[usize], chi: usize, seed: u64) -> Result<TensorTrain> {
        if dims.is_empty() {
            return Err(Error::invalid_input("dims must contain at least one site"));
        }
        if let Some(k) = dims.iter().position(|&d| d == 0 || d > 256) {
            return Err(Error::invalid_input(format!("dims[{k}] must be in 1..=256, got {}", dims[k])));
        }
        if chi == 0 {
            return Err(Error::invalid_input("chi must be >= 1"));
        }
        let bonds = max_bonds(dims, chi);
        let params: u128 = (0..dims.len()).map(|k| (bonds[k] * dims[k] * bonds[k + 1]) as u128).sum();
        ensure_fits("the random tensor train", params, 8 << 30, "reduce chi")?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cores = (0..dims.len())
            .map(|k| {
                let (l, d, r) = (bonds[k], dims[k], bonds[k + 1]);
                let data = (0..l * d * r)
                    .map(|_| match kind {
                        Kind::Born => rng.sample::<f64, _>(StandardNormal) / ((l * d) as f64).sqrt(),
                        Kind::Probability => (1.0 - rng.random::<f64>()) / (l * d) as f64,
                    })
                    .collect();
                Core { left: l, dim: d, right: r, data }
            })
            .collect();
        Ok(TensorTrain { kind, cores })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn n_sites(&self) -> usize {
        self.cores.len()
    }
    pub fn cores(&self) -> &[Core] {
        &self.cores
    }
    pub fn core(&self, k: usize) -> &Core {
        &self.cores[k]
    }
    pub(crate) fn cores_mut(&mut self) -> &mut Vec<Core> {
        &mut self.cores
    }
    pub fn into_cores(self) -> Vec<Core> {
        self.cores
    }
    /// Alphabet size per site.
    pub fn dims(&self) -> Vec<usize> {
        self.cores.iter().map(|c| c.dim).collect()
    }
    /// Bond dimensions `D_0 .. D_N` (N + 1 values, both ends 1).
    pub fn bond_dims(&self) -> Vec<usize> {
        let mut b: Vec<usize> = self.cores.iter().map(|c| c.left).collect();
        b.push(1);
        b
    }
    pub fn max_bond(&self) -> usize {
        self.cores.iter().map(|c| c.right).max().unwrap_or(1)
    }
    /// Number of stored parameters.
    pub fn n_params(&self) -> usize {
        self.cores.iter().map(|c| c.data.len()).sum()
    }

    /// Checks a row-major `n_patterns x n_sites` pattern matrix against the alphabet sizes.
    pub fn check_patterns(&self, patterns: &[u8], field: &str) -> Result<usize> {
        check_patterns(&self.dims(), patterns, field)
    }

    /// The exact probability tensor train of a Born machine: cores `A[s] (x) A[s]` (bond
    /// dimension squared), so that `T_P(s) = T(s)^2` entry by entry. A probability train is
    /// returned unchanged.
    pub fn to_probability(&self) -> Result<TensorTrain> {
        if self.kind == Kind::Probability {
            return Ok(self.clone());
        }
        let params: u128 = self.cores.iter().map(|c| (c.left * c.left * c.dim * c.right * c.right) as u128).sum();
        ensure_fits("the doubled (probability) tensor train", params, 8 << 30, "compress the Born machine first")?;
        let cores = self
            .cores
            .iter()
            .map(|c| {
                let (l, d, r) = (c.left, c.dim, c.right);
                let (l2, r2) = (l * l, r * r);
                let mut data = vec![0.0; l2 * d * r2];
                for a in 0..l {
                    for b in 0..l {
                        for s in 0..d {
                            for x in 0..r {
                                let va = c.at(a, s, x);
                                if va == 0.0 {
                                    continue;
                                }
                                for y in 0..r {
                                    data[((a * l + b) * d + s) * r2 + x * r + y] = va * c.at(b, s, y);
                                }
                            }
                        }
                    }
                }
                Core { left: l2, dim: d, right: r2, data }
            })
            .collect();
        Ok(TensorTrain { kind: Kind::Probability, cores })
    }

    /// The full tensor `T(s)` (not normalised, not squared), row-major with site 0 the most
    /// significant index. For tests and small trains (at most 2^24 entries).
    pub fn dense(&self) -> Result<Vec<f64>> {
        let total: u128 = self.cores.iter().map(|c| c.dim as u128).product();
        if total > 1 << 24 {
            return Err(Error::too_large(format!("the dense tensor has {total} entries (limit 2^24)")));
        }
        // v has shape (prefix states) x D_k
        let mut v = vec![1.0];
        let mut rows = 1usize;
        for c in &self.cores {
            let mut next = vec![0.0; rows * c.dim * c.right];
            for p in 0..rows {
                for s in 0..c.dim {
                    for l in 0..c.left {
                        let x = v[p * c.left + l];
                        if x == 0.0 {
                            continue;
                        }
                        let row = &c.data[(l * c.dim + s) * c.right..(l * c.dim + s + 1) * c.right];
                        let out = &mut next[(p * c.dim + s) * c.right..(p * c.dim + s + 1) * c.right];
                        for (o, &a) in out.iter_mut().zip(row) {
                            *o += x * a;
                        }
                    }
                }
            }
            v = next;
            rows *= c.dim;
        }
        Ok(v)
    }

    /// Normalised probabilities of every pattern (dense; tests and small trains).
    pub fn dense_probabilities(&self) -> Result<Vec<f64>> {
        let t = self.dense()?;
        let p: Vec<f64> = match self.kind {
            Kind::Born => t.iter().map(|x| x * x).collect(),
            Kind::Probability => t,
        };
        let z: f64 = p.iter().sum();
        Ok(p.iter().map(|x| x / z).collect())
    }
}

/// Bond dimensions `min(chi, prod_{i<k} d_i, prod_{i>=k} d_i)` for k = 0..=N.
pub fn max_bonds(dims: &[usize], chi: usize) -> Vec<usize> {
    let n = dims.len();
    let mut b = vec![1usize; n + 1];
    let mut left = 1usize;
    for k in 1..n {
        left = left.saturating_mul(dims[k - 1]).min(chi);
        b[k] = left;
    }
    let mut right = 1usize;
    for k in (1..n).rev() {
        right = right.saturating_mul(dims[k]).min(chi);
        b[k] = b[k].min(right);
    }
    b
}

/// Validates a row-major `n_patterns x n_sites` u8 matrix against alphabet sizes `dims`;
/// returns the number of patterns. Errors name `field`, the row and the site.
pub fn check_patterns(dims: &[usize], patterns: &[u8], field: &str) -> Result<usize> {
    let n = dims.len();
    if n == 0 {
        return Err(Error::invalid_input("the model has no sites"));
    }
    if patterns.len() % n != 0 {
        return Err(Error::invalid_input(format!("{field} has {} values, not a multiple of the {n} sites", patterns.len())));
    }
    for (row, p) in patterns.chunks_exact(n).enumerate() {
        for (k, (&v, &d)) in p.iter().zip(dims).enumerate() {
            if v as usize >= d {
                return Err(Error::invalid_input(format!("{field}[{row}][{k}] = {v} is outside the alphabet 0..{} of site {k}", d - 1)));
            }
        }
    }
    Ok(patterns.len() / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_validated() {
        assert!(TensorTrain::new(Kind::Born, vec![]).is_err());
        let a = Core::new(1, 2, 3, vec![0.0; 6]).unwrap();
        let b = Core::new(2, 2, 1, vec![0.0; 4]).unwrap();
        let e = TensorTrain::new(Kind::Born, vec![a.clone(), b]).unwrap_err();
        assert!(e.message.contains("bond mismatch"));
        assert!(Core::new(1, 2, 1, vec![f64::NAN, 0.0]).is_err());
        assert!(check_patterns(&[2, 3], &[1, 2, 2, 0], "patterns").unwrap_err().message.contains("patterns[1][0]"));
        assert_eq!(check_patterns(&[2, 3], &[1, 2, 0, 0], "patterns").unwrap(), 2);
    }

    #[test]
    fn bonds_are_capped_by_state_counts() {
        assert_eq!(max_bonds(&[2, 2, 2, 2, 2], 3), vec![1, 2, 3, 3, 2, 1]);
        let t = TensorTrain::random(Kind::Born, &[2, 3, 2], 10, 1).unwrap();
        assert_eq!(t.bond_dims(), vec![1, 2, 2, 1]);
    }

    #[test]
    fn doubling_squares_entries() {
        let t = TensorTrain::random(Kind::Born, &[2, 3, 2, 2], 3, 7).unwrap();
        let p = t.to_probability().unwrap();
        let (a, b) = (t.dense().unwrap(), p.dense().unwrap());
        for (x, y) in a.iter().zip(&b) {
            assert!((x * x - y).abs() < 1e-12);
        }
        assert_eq!(p.kind(), Kind::Probability);
    }
}
