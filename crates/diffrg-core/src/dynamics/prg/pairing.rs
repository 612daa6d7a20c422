//! The phenomenological RG's coarse-graining step (Meshulam et al., PRL 123, 178103, 2019):
//! Pearson correlations of the current cluster variables, then greedy pairing of the most
//! correlated pairs, each variable used once.

use super::Units;
use crate::error::{ensure_fits, Result};
use crate::exec::Exec;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef};
use rayon::prelude::*;

/// Largest correlation matrix plus pair list built in memory (bytes).
const PAIRING_LIMIT_BYTES: u128 = 4 << 30;

/// Pearson correlations of the `m` rows of `rows` (row-major `m × frames`), row-major `m × m`.
/// A row with zero variance has correlation 0 with every other row (and 1 with itself).
///
/// Complexity: `m² frames / 2` multiply-adds (the upper triangle) in GEMMs (faer, on `exec.threads` rayon workers), split
/// into column blocks with `exec.check()` between them.
pub fn correlations(rows: &[f64], m: usize, frames: usize, exec: &Exec) -> Result<Vec<f64>> {
    ensure_fits("the correlation matrix", (m as u128) * (m as u128) * 3, PAIRING_LIMIT_BYTES, "use fewer units")?;
    // standardised rows scaled by 1/sqrt(frames), so that Z Zᵀ is the correlation matrix
    let mut z = rows.to_vec();
    exec.install(|| {
        z.par_chunks_mut(frames.max(1)).for_each(|r| {
            let mean = r.iter().sum::<f64>() / frames as f64;
            let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
            let s = if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 };
            r.iter_mut().for_each(|v| *v = (*v - mean) * s);
        })
    });
    let zm = MatRef::from_column_major_slice(&z, frames, m);
    let mut c = Mat::<f64>::zeros(m, m);
    let block = 256;
    for lo in (0..m).step_by(block) {
        exec.check()?;
        let b = block.min(m - lo);
        // rows 0..lo+b only: the upper triangle (and diagonal blocks), half the flops
        let r = lo + b;
        exec.install(|| {
            matmul(c.as_mut().submatrix_mut(0, lo, r, b), Accum::Replace, zm.subcols(0, r).transpose(), zm.subcols(lo, b), 1.0, exec.par())
        });
    }
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            out[i * m + j] = if i == j { 1.0 } else { c[(i.min(j), i.max(j))] };
        }
    }
    Ok(out)
}

/// Greedy pairing: every pair `i < j` in decreasing order of `c[i * m + j]` (ties by `i`, then
/// `j`), taken when neither is used yet. With `m` odd, one variable is left unpaired.
pub fn greedy_pairs(c: &[f64], m: usize) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(m * m.saturating_sub(1) / 2);
    for i in 0..m {
        for j in i + 1..m {
            pairs.push((c[i * m + j], i, j));
        }
    }
    pairs.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used = vec![false; m];
    let mut out = Vec::with_capacity(m / 2);
    for (_, i, j) in pairs {
        if !used[i] && !used[j] {
            used[i] = true;
            used[j] = true;
            out.push((i, j));
            if out.len() == m / 2 {
                break;
            }
        }
    }
    out
}

/// The levels of the phenomenological RG: level 0 holds every unit alone, level `k` the
/// clusters of `2^k` units made by pairing the clusters of level `k - 1` (their summed
/// activity) by correlation. Stops when the next level would have fewer than `min_clusters`
/// clusters or at `max_level`.
///
/// Returns the clusters (unit indices, in pairing order) of every level.
pub fn prg_levels(u: &Units, min_clusters: usize, max_level: Option<usize>, exec: &Exec) -> Result<Vec<Vec<Vec<usize>>>> {
    let t = u.frames;
    let mut levels: Vec<Vec<Vec<usize>>> = vec![(0..u.n).map(|i| vec![i]).collect()];
    let mut sums = u.x.clone();
    let total = max_level.unwrap_or(usize::MAX).min((u.n / min_clusters.max(1)).max(1).ilog2() as usize);
    while levels.len() <= total {
        exec.check()?;
        let prev = levels.last().map_or(0, |l| l.len());
        if prev / 2 < min_clusters.max(1) {
            break;
        }
        let c = correlations(&sums, prev, t, exec)?;
        let pairs = greedy_pairs(&c, prev);
        let last = &levels[levels.len() - 1];
        let clusters: Vec<Vec<usize>> = pairs.iter().map(|&(i, j)| last[i].iter().chain(&last[j]).copied().collect()).collect();
        let mut next = vec![0.0; pairs.len() * t];
        exec.install(|| {
            next.par_chunks_mut(t.max(1)).zip(&pairs).for_each(|(dst, &(i, j))| {
                for ((d, a), b) in dst.iter_mut().zip(&sums[i * t..(i + 1) * t]).zip(&sums[j * t..(j + 1) * t]) {
                    *d = a + b;
                }
            })
        });
        sums = next;
        levels.push(clusters);
        exec.progress.set_done(levels.len() - 1, total);
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every perfect matching of `0..m` (m even), by brute force.
    fn matchings(items: &[usize]) -> Vec<Vec<(usize, usize)>> {
        if items.is_empty() {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for k in 1..items.len() {
            let rest: Vec<usize> = items[1..].iter().enumerate().filter(|&(q, _)| q + 1 != k).map(|(_, &x)| x).collect();
            for mut m in matchings(&rest) {
                m.push((items[0], items[k]));
                out.push(m);
            }
        }
        out
    }

    #[test]
    fn correlations_match_the_definition() {
        let rows = [1.0, 2.0, 3.0, 5.0, 2.0, 4.0, 6.0, 10.0, 5.0, 3.0, 4.0, 1.0, 7.0, 7.0, 7.0, 7.0];
        let c = correlations(&rows, 4, 4, &Exec::with_threads(2)).unwrap();
        assert!((c[1] - 1.0).abs() < 1e-12);
        let (a, b) = (&rows[0..4], &rows[8..12]);
        let (ma, mb) = (a.iter().sum::<f64>() / 4.0, b.iter().sum::<f64>() / 4.0);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let r = cov / (a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() * b.iter().map(|y| (y - mb).powi(2)).sum::<f64>()).sqrt();
        assert!((c[2] - r).abs() < 1e-12 && (c[2 * 4] - r).abs() < 1e-12);
        // the constant row correlates with nothing
        assert_eq!((c[3], c[3 * 4 + 3]), (0.0, 1.0));
        // more rows than one column block (256): both triangles agree with the definition
        use rand::{Rng, SeedableRng};
        let (m, t) = (300, 50);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let rows: Vec<f64> = (0..m * t).map(|_| rng.random::<f64>()).collect();
        let c = correlations(&rows, m, t, &Exec::with_threads(2)).unwrap();
        for (i, j) in [(0, 299), (5, 260), (270, 280), (299, 1), (150, 150)] {
            let (a, b) = (&rows[i * t..(i + 1) * t], &rows[j * t..(j + 1) * t]);
            let (ma, mb) = (a.iter().sum::<f64>() / t as f64, b.iter().sum::<f64>() / t as f64);
            let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
            let r = cov / (a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() * b.iter().map(|y| (y - mb).powi(2)).sum::<f64>()).sqrt();
            assert!((c[i * m + j] - r).abs() < 1e-12, "({i}, {j}): {} vs {r}", c[i * m + j]);
        }
    }

    #[test]
    fn greedy_pairing_on_a_planted_structure() {
        // A planted symmetric similarity on 8 units with distinct values: greedy takes the
        // largest entry, removes both units, repeats. Checked against a brute-force rule over
        // every perfect matching: the greedy matching is the one whose sorted weights are
        // lexicographically largest.
        let m = 8;
        let mut c = vec![0.0; m * m];
        let mut v = 0.013f64;
        for i in 0..m {
            for j in i + 1..m {
                v = (v * 7.31 + 0.17).fract();
                c[i * m + j] = v - 0.5;
                c[j * m + i] = v - 0.5;
            }
        }
        let g = greedy_pairs(&c, m);
        let key = |ms: &[(usize, usize)]| {
            let mut w: Vec<f64> = ms.iter().map(|&(i, j)| c[i * m + j]).collect();
            w.sort_by(|a, b| b.total_cmp(a));
            w
        };
        let all = matchings(&(0..m).collect::<Vec<_>>());
        assert_eq!(all.len(), 105);
        let best = all.iter().max_by(|a, b| key(a).partial_cmp(&key(b)).unwrap()).unwrap();
        assert_eq!(key(&g), key(best));
        // odd count: one left out
        assert_eq!(greedy_pairs(&c[..0], 0).len(), 0);
        let c3 = [1.0, 0.9, 0.1, 0.9, 1.0, 0.5, 0.1, 0.5, 1.0];
        assert_eq!(greedy_pairs(&c3, 3), vec![(0, 1)]);
    }

    #[test]
    fn pairing_finds_planted_pairs_from_activity() {
        // 8 units: unit i shares a latent signal with its planted partner p(i); the pairs are
        // recovered from the correlations of the activity itself.
        use rand::{Rng, SeedableRng};
        let partner = [5, 3, 6, 1, 7, 0, 2, 4];
        let (n, t) = (8, 4000);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let mut latent = vec![vec![0.0; t]; n];
        for l in latent.iter_mut() {
            l.iter_mut().for_each(|v| *v = if rng.random::<f64>() < 0.2 { 1.0 } else { 0.0 });
        }
        let mut x = vec![0.0; n * t];
        for i in 0..n {
            let shared = &latent[i.min(partner[i])];
            for f in 0..t {
                x[i * t + f] = shared[f] + if rng.random::<f64>() < 0.1 { 1.0 } else { 0.0 };
            }
        }
        let u = Units { x, n, frames: t, dt: 1.0, scale: vec![1.0; n] };
        let levels = prg_levels(&u, 1, Some(1), &Exec::with_threads(2)).unwrap();
        assert_eq!(levels.len(), 2);
        let mut got: Vec<(usize, usize)> = levels[1].iter().map(|c| (c[0].min(c[1]), c[0].max(c[1]))).collect();
        got.sort();
        assert_eq!(got, vec![(0, 5), (1, 3), (2, 6), (4, 7)]);
    }
}
