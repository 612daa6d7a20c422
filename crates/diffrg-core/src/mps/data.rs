//! Pattern datasets: distinct patterns with weights, splits, and independent-site marginals.

use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Distinct patterns (row-major `m x n_sites`, in order of first appearance) with their
/// empirical weights (counts / total, summing to 1) and raw counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Distinct {
    pub n_sites: usize,
    pub patterns: Vec<u8>,
    pub weights: Vec<f64>,
    pub counts: Vec<usize>,
    /// Number of rows before deduplication.
    pub total: usize,
}

impl Distinct {
    /// Groups identical rows. Errors on an empty matrix or a length not divisible by `n_sites`.
    pub fn new(patterns: &[u8], n_sites: usize, field: &str) -> Result<Distinct> {
        if n_sites == 0 {
            return Err(Error::invalid_input(format!("{field}: the number of sites must be >= 1")));
        }
        if patterns.is_empty() || patterns.len() % n_sites != 0 {
            return Err(Error::invalid_input(format!(
                "{field} must be a non-empty matrix with {n_sites} columns ({} values given)",
                patterns.len()
            )));
        }
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut rows: Vec<&[u8]> = Vec::new();
        let mut counts = Vec::new();
        for p in patterns.chunks_exact(n_sites) {
            match index.get(p) {
                Some(&i) => counts[i] += 1,
                None => {
                    index.insert(p, rows.len());
                    rows.push(p);
                    counts.push(1usize);
                }
            }
        }
        let total = patterns.len() / n_sites;
        let weights = counts.iter().map(|&c| c as f64 / total as f64).collect();
        Ok(Distinct { n_sites, patterns: rows.concat(), weights, counts, total })
    }
    pub fn len(&self) -> usize {
        self.counts.len()
    }
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
    pub fn row(&self, j: usize) -> &[u8] {
        &self.patterns[j * self.n_sites..(j + 1) * self.n_sites]
    }
}

/// Splits rows into (train, validation) by a seeded random permutation; `fraction` of the rows
/// (rounded down) go to validation. Row order within each part follows the permutation.
pub fn split(patterns: &[u8], n_sites: usize, fraction: f64, seed: u64) -> Result<(Vec<u8>, Vec<u8>)> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(Error::invalid_input(format!("validation fraction must be in [0, 1), got {fraction}")));
    }
    if n_sites == 0 || patterns.len() % n_sites != 0 {
        return Err(Error::invalid_input("patterns length is not a multiple of the number of sites"));
    }
    let n = patterns.len() / n_sites;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n_val = (fraction * n as f64).floor() as usize;
    let take = |ids: &[usize]| ids.iter().flat_map(|&i| patterns[i * n_sites..(i + 1) * n_sites].iter().copied()).collect::<Vec<u8>>();
    Ok((take(&idx[n_val..]), take(&idx[..n_val])))
}

/// Honest three-way split `(fit, validation, test)`: `heldout` of the rows go to the test
/// split (seed `seed`), then `validation` of the rest to the validation split (seed
/// `seed + 1`). Hyper-parameters and early stopping may use the validation split only; the
/// test split is for reporting. Used by `diffrg mps fit` and `diffrg dtnr`.
pub fn split3(patterns: &[u8], n_sites: usize, heldout: f64, validation: f64, seed: u64) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let (rest, test) = split(patterns, n_sites, heldout, seed)?;
    let (fit, val) = split(&rest, n_sites, validation, seed.wrapping_add(1))?;
    Ok((fit, val, test))
}

/// Alphabet sizes inferred from data: `max value + 1` per site, at least 2.
pub fn infer_dims(patterns: &[u8], n_sites: usize) -> Vec<usize> {
    let mut d = vec![2usize; n_sites];
    for p in patterns.chunks_exact(n_sites.max(1)) {
        for (k, &v) in p.iter().enumerate() {
            d[k] = d[k].max(v as usize + 1);
        }
    }
    d
}

/// Per-site marginals with an additive pseudocount `alpha` per value.
pub fn site_marginals(data: &Distinct, dims: &[usize], alpha: f64) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = dims.iter().map(|&d| vec![alpha; d]).collect();
    for j in 0..data.len() {
        let c = data.counts[j] as f64;
        for (k, &v) in data.row(j).iter().enumerate() {
            m[k][v as usize] += c;
        }
    }
    for row in &mut m {
        let s: f64 = row.iter().sum();
        row.iter_mut().for_each(|x| *x /= s);
    }
    m
}

/// A synthetic clustered binary process with latent cluster states: `n_clusters` clusters of
/// `cluster_size` sites; per pattern each cluster is independently "up" with probability
/// `p_up`, and its sites spike independently with probability `rate_up` (up) or `rate_down`.
/// Site `i` belongs to cluster `i % n_clusters` (clusters interleaved in the identity order).
/// Returns the row-major patterns and the cluster of every site.
pub fn latent_cluster_patterns(
    n_clusters: usize,
    cluster_size: usize,
    n_patterns: usize,
    p_up: f64,
    rate_up: f64,
    rate_down: f64,
    seed: u64,
) -> (Vec<u8>, Vec<usize>) {
    use rand::Rng;
    let n = n_clusters * cluster_size;
    let cluster: Vec<usize> = (0..n).map(|i| i % n_clusters.max(1)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n * n_patterns);
    let mut up = vec![false; n_clusters];
    for _ in 0..n_patterns {
        up.iter_mut().for_each(|u| *u = rng.random::<f64>() < p_up);
        for i in 0..n {
            let r = if up[cluster[i]] { rate_up } else { rate_down };
            out.push((rng.random::<f64>() < r) as u8);
        }
    }
    (out, cluster)
}

/// Reorders the columns of a row-major pattern matrix: new column k is old column `order[k]`.
pub fn reorder_columns(patterns: &[u8], order: &[usize]) -> Vec<u8> {
    let n = order.len();
    patterns.chunks_exact(n).flat_map(|row| order.iter().map(move |&k| row[k])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_and_split() {
        let pats = [0u8, 1, 1, 0, 0, 1, 1, 1, 0, 1];
        let d = Distinct::new(&pats, 2, "patterns").unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.counts, vec![3, 1, 1]);
        assert!((d.weights.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(Distinct::new(&pats[..3], 2, "patterns").is_err());
        let (tr, va) = split(&pats, 2, 0.4, 1).unwrap();
        assert_eq!((tr.len(), va.len()), (6, 4));
        let mut all: Vec<&[u8]> = tr.chunks(2).chain(va.chunks(2)).collect();
        all.sort();
        let mut want: Vec<&[u8]> = pats.chunks(2).collect();
        want.sort();
        assert_eq!(all, want);
        assert_eq!(infer_dims(&[0, 3, 1, 0], 2), vec![2, 4]);
        let many: Vec<u8> = (0..200u32).flat_map(|i| [(i % 2) as u8, (i / 2 % 2) as u8]).collect();
        let (f, v, t) = split3(&many, 2, 0.2, 0.25, 7).unwrap();
        assert_eq!((f.len() / 2, v.len() / 2, t.len() / 2), (120, 40, 40));
        let (rest, t2) = split(&many, 2, 0.2, 7).unwrap();
        assert_eq!(t, t2);
        assert_eq!((f, v), split(&rest, 2, 0.25, 8).unwrap());
    }
}
