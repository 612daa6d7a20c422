//! Sharded LGD: the circular time-shift surrogate null split over several processes (or
//! cluster jobs) and merged exactly.
//!
//! The surrogate schedule `d_0..d_{M-1}` is drawn once from the seed for the whole run
//! ([`crate::infer::surrogates::shift_schedule`]), so surrogate `m` is the same shift whatever
//! shard computes it: shard `i` of `K` computes surrogates `[i M / K, (i + 1) M / K)`. Each
//! shard streams the recording once for `C(0..p)` and the circular covariances of its own
//! shifts and solves `B^{(m)} = C₊^{(m)} (Γ+ρI)^{-1}` for them; shard 0 also runs the
//! penalty search and the fit ([`crate::infer::lgd::lgd_partial`]) and keeps the statistics
//! the null is applied to. [`merge_lgd_null`] puts the surrogates back in global order and
//! applies [`crate::infer::lgd::LgdNullInputs::apply`], the same code the unsharded run ends
//! with. Each surrogate's covariance is accumulated by the same arithmetic whichever other
//! shifts share the pass, so the merged result equals the unsharded run with the same seed
//! bit for bit (tested).

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::infer::api::{covariance_plan, InferOptions, Method};
use crate::infer::baselines::var_stats;
use crate::infer::covariance::{lagged_covariances, CountRaster, CovOptions, CovarianceSet};
use crate::infer::covariance_dense::lagged_covariances_dense;
use crate::infer::lgd::{lgd_partial, surrogate_nets, LgdNullInputs, LgdPartial, NullStats};
use crate::spectral::shard::Shard;
use faer::{Mat, MatRef};

/// The lag-summed surrogate statistics of one shard (global indices `first..first + len`).
#[derive(Debug, Clone)]
pub struct SurrogatePart {
    /// Surrogates in the whole run (`M`).
    pub total: usize,
    pub first: usize,
    /// `N × N` each (row = target, column = source).
    pub surrogates: Vec<Mat<f64>>,
}

impl SurrogatePart {
    /// The surrogates concatenated, each row-major by target (`[m][target * n + source]`).
    pub fn to_rows(&self) -> Vec<f64> {
        self.surrogates.iter().flat_map(|m| (0..m.nrows()).flat_map(move |i| (0..m.ncols()).map(move |j| m[(i, j)]))).collect()
    }

    /// The inverse of [`SurrogatePart::to_rows`] for `n × n` surrogates.
    ///
    /// Errors: `ERR_INVALID_INPUT` when `rows` is not a whole number of `n × n` matrices.
    pub fn from_rows(total: usize, first: usize, n: usize, rows: &[f64]) -> Result<Self> {
        if n == 0 || rows.len() % (n * n) != 0 {
            return Err(Error::invalid_input(format!(
                "merge: a shard's surrogates ({} values) are not a whole number of {n} x {n} matrices",
                rows.len()
            )));
        }
        let surrogates = rows.chunks(n * n).map(|c| Mat::from_fn(n, n, |i, j| c[i * n + j])).collect();
        Ok(SurrogatePart { total, first, surrogates })
    }
}

/// What shard `i` of an LGD run computes.
#[derive(Debug, Clone)]
pub struct LgdShard {
    pub shard: Shard,
    pub part: SurrogatePart,
    /// Shard 0 only: the fit and the statistics the null is applied to.
    pub partial: Option<LgdPartial>,
}

/// Shard `shard` of LGD on a spike-count raster (see the module docs).
///
/// Errors: `ERR_INVALID_INPUT` when the method is not LGD or unless `index < count <=
/// surrogates`; as [`crate::infer::infer_raster`] otherwise.
pub fn lgd_shard_raster(r: &CountRaster, o: &InferOptions, shard: Shard, exec: &Exec) -> Result<LgdShard> {
    lgd_shard_with(o, r.n_bins, shard, exec, |plan, ex| lagged_covariances(r, plan, ex))
}

/// Shard `shard` of LGD on dense activity (`T × N`), as [`lgd_shard_raster`].
pub fn lgd_shard_dense(x: MatRef<f64>, o: &InferOptions, shard: Shard, exec: &Exec) -> Result<LgdShard> {
    lgd_shard_with(o, x.nrows(), shard, exec, |plan, ex| lagged_covariances_dense(x, plan, ex))
}

/// [`lgd_shard_dense`] on neuron-major data (`data[i * n_samples + t]`), validated as
/// [`crate::infer::infer_dense_neuron_major`].
pub fn lgd_shard_dense_neuron_major(
    data: &[f64],
    n_neurons: usize,
    n_samples: usize,
    o: &InferOptions,
    shard: Shard,
    exec: &Exec,
) -> Result<LgdShard> {
    crate::infer::api::check_dense_neuron_major(data, n_neurons, n_samples, o)?;
    lgd_shard_dense(MatRef::from_column_major_slice(data, n_samples, n_neurons), o, shard, exec)
}

fn lgd_shard_with(
    o: &InferOptions,
    n_bins: usize,
    shard: Shard,
    exec: &Exec,
    pass: impl FnOnce(&CovOptions, &Exec) -> Result<CovarianceSet>,
) -> Result<LgdShard> {
    if o.method != Method::Lgd {
        return Err(Error::invalid_input(format!(
            "sharded inference splits the LGD surrogates; method '{}' is not lgd",
            o.method.as_str()
        )));
    }
    let mut plan = covariance_plan(o, n_bins)?;
    let total = plan.shifts.len();
    let range = shard.items(total, "surrogates")?;
    plan.shifts = plan.shifts[range.clone()].to_vec();
    if shard.index > 0 {
        // no penalty search here: the time-split covariances are not needed
        plan.split_bin = None;
    }
    let set = pass(&plan, &exec.part(0.0, 0.5))?;
    let rest = exec.part(0.5, 1.0);
    let (partial, surrogates) = if shard.index == 0 {
        let (mut partial, sur) = lgd_partial(&set, o, &rest)?;
        let d = &mut partial.graph.diagnostics;
        d.n_bins = set.full.n_bins;
        d.total_activity = set.total_activity;
        d.shifts = set.shifts.clone();
        (Some(partial), sur)
    } else {
        let vs = var_stats(&set, o, &rest)?;
        (None, surrogate_nets(&vs, set.n, o.max_lag))
    };
    Ok(LgdShard { shard, part: SurrogatePart { total, first: range.start, surrogates }, partial })
}

/// Merges the surrogate parts of all shards (any order) and applies the null to `null` (shard
/// 0's statistics): the z-scores, p-values, q-values and ranking scores of the unsharded run.
///
/// Errors: `ERR_INVALID_INPUT` when parts come from different runs (surrogate count, size),
/// overlap or leave surrogates out (naming the first one).
pub fn merge_lgd_null(null: &LgdNullInputs, mut parts: Vec<SurrogatePart>) -> Result<NullStats> {
    if parts.is_empty() {
        return Err(Error::invalid_input("merge: no shards given"));
    }
    parts.sort_by_key(|p| p.first);
    let total = parts[0].total;
    let n = null.stat.nrows();
    let mut sur = Vec::with_capacity(total);
    for (k, p) in parts.into_iter().enumerate() {
        if p.total != total {
            return Err(Error::invalid_input(format!("merge: shard {k} is from another run ({} surrogates vs {total})", p.total)));
        }
        if p.first != sur.len() {
            let what = if p.first < sur.len() { "overlap" } else { "leave a gap" };
            return Err(Error::invalid_input(format!(
                "merge: shards {what} at surrogate {} (expected surrogate {} next)",
                p.first.min(sur.len()),
                sur.len()
            )));
        }
        if let Some(m) = p.surrogates.iter().position(|s| s.nrows() != n || s.ncols() != n) {
            return Err(Error::invalid_input(format!("merge: surrogate {} is not {n} x {n} (another recording?)", p.first + m)));
        }
        sur.extend(p.surrogates);
    }
    if sur.len() != total {
        return Err(Error::invalid_input(format!("merge: surrogates {}..{total} are missing (a shard was left out)", sur.len())));
    }
    null.apply(&sur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::api::infer_raster;
    use crate::infer::covariance::OwnedRaster;
    use crate::infer::synthetic::{clustered_network, simulate_hawkes, NetworkOptions};

    #[test]
    fn merged_shards_equal_the_unsharded_run() {
        let raster = test_raster();
        let o = InferOptions { surrogates: 7, max_lag: 2, seed: 5, lambda_grid: vec![4.0, 1.0], mu_grid: vec![4.0], ..Default::default() };
        let exec = Exec::with_threads(2);
        let whole = infer_raster(&raster.view(), &o, &exec).unwrap();
        for count in [1usize, 3, 7] {
            let shards: Vec<LgdShard> =
                (0..count).rev().map(|i| lgd_shard_raster(&raster.view(), &o, Shard { index: i, count }, &exec).unwrap()).collect();
            let partial = shards.iter().find_map(|s| s.partial.clone()).unwrap();
            let null = merge_lgd_null(&partial.null, shards.iter().map(|s| s.part.clone()).collect()).unwrap();
            let mut g = partial.graph;
            (g.zscore, g.pvalue, g.qvalue, g.score) = (null.zscore, null.pvalue, null.qvalue, null.score);
            assert_eq!(g.weight, whole.weight, "{count} shards: weight");
            assert_eq!(g.zscore, whole.zscore, "{count} shards: zscore");
            assert_eq!(g.pvalue, whole.pvalue, "{count} shards: pvalue");
            assert_eq!(g.qvalue, whole.qvalue, "{count} shards: qvalue");
            assert_eq!(g.score, whole.score, "{count} shards: score");
            assert_eq!(g.lag, whole.lag);
        }
    }

    #[test]
    fn merge_rejects_gaps_overlaps_and_bad_shards() {
        let raster = test_raster();
        let o = InferOptions { surrogates: 4, max_lag: 1, lambda_grid: vec![1.0], mu_grid: vec![], ..Default::default() };
        let exec = Exec::with_threads(1);
        let s: Vec<LgdShard> = (0..2).map(|i| lgd_shard_raster(&raster.view(), &o, Shard { index: i, count: 2 }, &exec).unwrap()).collect();
        let null = &s[0].partial.as_ref().unwrap().null;
        let e = merge_lgd_null(null, vec![s[0].part.clone()]).unwrap_err();
        assert!(e.to_string().contains("surrogates 2..4 are missing"), "{e}");
        let e = merge_lgd_null(null, vec![s[0].part.clone(), s[0].part.clone(), s[1].part.clone()]).unwrap_err();
        assert!(e.to_string().contains("overlap"), "{e}");
        let e = merge_lgd_null(null, vec![s[1].part.clone()]).unwrap_err();
        assert!(e.to_string().contains("gap"), "{e}");
        let e = lgd_shard_raster(&raster.view(), &o, Shard { index: 0, count: 5 }, &exec).unwrap_err();
        assert!(e.to_string().contains("5 shards need at least as many surrogates (got 4)"), "{e}");
        let var = InferOptions { method: Method::Var, ..o.clone() };
        assert!(lgd_shard_raster(&raster.view(), &var, Shard { index: 0, count: 1 }, &exec).is_err());
        assert!(s[1].partial.is_none());
    }

    fn test_raster() -> OwnedRaster {
        let truth =
            clustered_network(&NetworkOptions { n: 12, clusters: 2, inhibitory_fraction: 0.0, w_exc: 0.05, seed: 3, ..Default::default() })
                .unwrap();
        let t = 20_000;
        OwnedRaster::from_trains(t, &simulate_hawkes(&truth, 0.02, &[0.5, 0.5], t, 4).unwrap()).unwrap()
    }
}
