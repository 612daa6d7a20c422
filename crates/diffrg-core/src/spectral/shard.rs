//! Sharded SLQ: one scan split by probes over several processes (or cluster jobs) and merged
//! exactly.
//!
//! Hutchinson's estimator is an average over independent probes, and probe `p` is seeded by
//! its global index (ChaCha8 stream `p` of the seed), so the probes of a run can be computed in
//! any grouping: shard `i` of `K` computes probes `[i P / K, (i + 1) P / K)` and
//! [`merge_shards`] puts the per-probe quadratures back in global order. The merged measure is
//! the unsharded one: every probe's Lanczos run is the same arithmetic whatever block it runs
//! in (the lockstep lanes are independent and the row sums are reduced in a fixed chunk order),
//! so the merged scan equals the unsharded scan with the same seed and thread count to
//! rounding (tested to 1e-12).
//!
//! Deflation: the automatic trigger looks at the jackknife error over all probes, which a shard
//! does not have, so a sharded run deflates only the null space unless a count is forced
//! (`SlqOptions::deflate = Some(d)`); a forced count is recomputed by every shard with the same
//! seed (deterministic; it costs each shard the deflation time) and [`merge_shards`] checks that
//! the shards agree. Graphs large enough to need sharding (`N > deflate_max_n`) never deflate
//! automatically anyway, so for them the merged result is the default unsharded scan.

use super::slq::SlqMeasure;
use crate::error::{Error, Result};
use std::ops::Range;

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The global probe indices of this shard out of `probes`: `[i P / K, (i + 1) P / K)`
    /// (sizes differ by at most one).
    ///
    /// Errors: `ERR_INVALID_INPUT` unless `index < count <= probes`.
    pub fn probes(&self, probes: usize) -> Result<Range<usize>> {
        self.items(probes, "probes")
    }

    /// The global indices of this shard out of `total` items (probes, surrogates, ...):
    /// `[i n / K, (i + 1) n / K)`. `what` names the items in the error.
    ///
    /// Errors: `ERR_INVALID_INPUT` unless `index < count <= total`.
    pub fn items(&self, total: usize, what: &str) -> Result<Range<usize>> {
        let probes = total;
        if self.count == 0 || self.index >= self.count {
            return Err(Error::invalid_input(format!(
                "shard: index {} must be below the shard count {} (shards are 0-based: 0/{} .. {}/{})",
                self.index,
                self.count,
                self.count,
                self.count.saturating_sub(1),
                self.count
            )));
        }
        if self.count > probes {
            return Err(Error::invalid_input(format!("shard: {} shards need at least as many {what} (got {probes})", self.count)));
        }
        Ok(self.index * probes / self.count..(self.index + 1) * probes / self.count)
    }
}

/// Merges the measures of the shards of one SLQ run (any order) into the measure of the whole
/// run: probes in global order, the exact part from the shards (which must agree).
///
/// Errors: `ERR_INVALID_INPUT` when the shards come from different graphs or runs (N,
/// components, probe count, exact eigenvalues), overlap, or leave probes out (naming them).
pub fn merge_shards(mut parts: Vec<SlqMeasure>) -> Result<SlqMeasure> {
    if parts.is_empty() {
        return Err(Error::invalid_input("merge: no shards given"));
    }
    parts.sort_by_key(|m| m.first_probe);
    let first = &parts[0];
    let (n, components, total) = (first.n, first.components, first.total_probes);
    let mut next = 0;
    for (k, m) in parts.iter().enumerate() {
        if m.n != n || m.components != components || m.total_probes != total || m.reorth != first.reorth {
            return Err(Error::invalid_input(format!(
                "merge: shard {k} is from another run (N {} vs {n}, components {} vs {components}, probes {} vs {total}, reorthogonalised {} vs {})",
                m.n, m.components, m.total_probes, m.reorth, first.reorth
            )));
        }
        if m.first_probe != next {
            let what = if m.first_probe < next { "overlap" } else { "leave a gap" };
            return Err(Error::invalid_input(format!(
                "merge: shards {what} at probe {} (expected probe {next} next)",
                m.first_probe.min(next)
            )));
        }
        next += m.probes.len();
        let agree = m.exact.len() == first.exact.len()
            && m.exact.iter().zip(&first.exact).all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0));
        if !agree {
            return Err(Error::invalid_input(format!(
                "merge: shard {k} deflated other eigenvalues than shard 0 ({} vs {} exact values)",
                m.exact.len(),
                first.exact.len()
            )));
        }
    }
    if next != total {
        return Err(Error::invalid_input(format!("merge: probes {next}..{total} are missing (the shards cover {next} of {total})")));
    }
    let mut out = SlqMeasure {
        n,
        components,
        exact: first.exact.clone(),
        probes: Vec::with_capacity(total),
        steps: 0,
        reorth: first.reorth,
        deflation_dim: first.deflation_dim,
        first_probe: 0,
        total_probes: total,
    };
    for m in parts {
        out.steps = out.steps.max(m.steps);
        out.probes.extend(m.probes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Exec;
    use crate::graph::generators::{barabasi_albert, erdos_renyi};
    use crate::laplacian::LaplacianKind;
    use crate::spectral::slq::{slq, ReorthPolicy, SlqOptions};
    use crate::spectral::thermo::log_grid;

    #[test]
    fn shard_ranges_partition_the_probes() {
        for (p, k) in [(30, 4), (7, 7), (2, 1), (100, 3)] {
            let mut next = 0;
            for i in 0..k {
                let r = Shard { index: i, count: k }.probes(p).unwrap();
                assert_eq!(r.start, next);
                assert!(r.len() == p / k || r.len() == p / k + 1);
                next = r.end;
            }
            assert_eq!(next, p);
        }
        assert!(Shard { index: 4, count: 4 }.probes(30).unwrap_err().message.contains("0-based"));
        assert!(Shard { index: 0, count: 31 }.probes(30).is_err());
    }

    /// Both probe paths (lockstep without reorthogonalisation; full reorthogonalisation), with
    /// and without forced deflation: the merged shards are the unsharded measure, and the
    /// thermodynamics agree to rounding.
    #[test]
    fn merged_shards_equal_the_unsharded_run() {
        let g = barabasi_albert(1200, 2, 9);
        let exec = Exec::with_threads(2);
        let taus = log_grid(1e-2, 1e2, 30);
        for (reorth, deflate) in
            [(ReorthPolicy::None, Some(0)), (ReorthPolicy::Full, Some(0)), (ReorthPolicy::Full, Some(5)), (ReorthPolicy::None, Some(5))]
        {
            let base = SlqOptions { probes: 11, steps: 40, seed: 7, reorth, deflate, ..Default::default() };
            let whole = slq(&g, LaplacianKind::Combinatorial, &base, &exec).unwrap();
            // shards given out of order
            let parts: Vec<SlqMeasure> = [2, 0, 1]
                .iter()
                .map(|&i| {
                    slq(&g, LaplacianKind::Combinatorial, &SlqOptions { shard: Some(Shard { index: i, count: 3 }), ..base.clone() }, &exec)
                        .unwrap()
                })
                .collect();
            assert_eq!(parts[1].probes.len() + parts[2].probes.len() + parts[0].probes.len(), 11);
            let merged = merge_shards(parts).unwrap();
            assert_eq!(merged.probes.len(), whole.probes.len());
            assert_eq!(merged.exact.len(), whole.exact.len());
            for (a, b) in merged.probes.iter().zip(&whole.probes) {
                assert_eq!(a.nodes.len(), b.nodes.len());
                for (x, y) in a.nodes.iter().zip(&b.nodes).chain(a.weights.iter().zip(&b.weights)) {
                    assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{reorth:?} {deflate:?}: {x} vs {y}");
                }
            }
            let (tm, tw) = (merged.thermodynamics(&taus), whole.thermodynamics(&taus));
            for (a, b) in tm.specific_heat.iter().zip(&tw.specific_heat).chain(tm.entropy.iter().zip(&tw.entropy)) {
                assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0));
            }
            assert_eq!(merged.stderr(&taus), whole.stderr(&taus));
        }
    }

    #[test]
    fn merge_refuses_gaps_overlaps_and_other_runs() {
        let g = erdos_renyi(300, 4.0, 3);
        let exec = Exec::with_threads(2);
        let run = |i: usize, k: usize, seed: u64, n_graph: &crate::graph::Graph| {
            let o = SlqOptions {
                probes: 6,
                steps: 20,
                seed,
                deflate: Some(0),
                shard: Some(Shard { index: i, count: k }),
                ..Default::default()
            };
            slq(n_graph, LaplacianKind::Combinatorial, &o, &exec).unwrap()
        };
        assert!(merge_shards(vec![]).is_err());
        let e = merge_shards(vec![run(0, 3, 1, &g), run(2, 3, 1, &g)]).unwrap_err();
        assert!(e.message.contains("gap") && e.message.contains("probe 2"), "{}", e.message);
        let e = merge_shards(vec![run(0, 3, 1, &g), run(1, 3, 1, &g)]).unwrap_err();
        assert!(e.message.contains("missing"), "{}", e.message);
        let e = merge_shards(vec![run(0, 2, 1, &g), run(0, 2, 1, &g), run(1, 2, 1, &g)]).unwrap_err();
        assert!(e.message.contains("overlap"), "{}", e.message);
        let other = erdos_renyi(301, 4.0, 3);
        let e = merge_shards(vec![run(0, 2, 1, &g), run(1, 2, 1, &other)]).unwrap_err();
        assert!(e.message.contains("another run"), "{}", e.message);
        assert!(merge_shards(vec![run(0, 2, 1, &g), run(1, 2, 1, &g)]).is_ok());
    }
}
