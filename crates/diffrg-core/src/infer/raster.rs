//! Input adapter for inference: sparse spike-count rasters (neurons × bins, CSR).
//!
//! [`CountRaster`] is a borrowed view, so any CSR count raster (e.g. the activity module's
//! type) is used without copying; [`OwnedRaster`] builds one from per-neuron spike-bin lists or
//! from unsorted `(neuron, bin)` events.

use crate::activity::{BinGrid, EventBins};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// A borrowed sparse count raster (neurons × bins, CSR): neuron `i` has spikes in bins
/// `bins[indptr[i]..indptr[i+1]]` (strictly increasing, `< n_bins`) with `counts` (>= 1).
///
/// This is the input adapter: any CSR count raster (e.g. the activity module's type) can be
/// viewed as a `CountRaster` without copying.
#[derive(Debug, Clone, Copy)]
pub struct CountRaster<'a> {
    pub n_bins: usize,
    pub indptr: &'a [usize],
    pub bins: &'a [u32],
    pub counts: &'a [u32],
}

impl<'a> CountRaster<'a> {
    /// Validates the CSR structure (typed errors naming the neuron and position).
    pub fn new(n_bins: usize, indptr: &'a [usize], bins: &'a [u32], counts: &'a [u32]) -> Result<Self> {
        if indptr.is_empty() {
            return Err(Error::invalid_input("raster.indptr must have n_neurons + 1 entries (got 0)"));
        }
        if bins.len() != counts.len() {
            return Err(Error::invalid_input(format!("raster.bins has {} entries but raster.counts has {}", bins.len(), counts.len())));
        }
        if indptr[0] != 0 || *indptr.last().unwrap() != bins.len() {
            return Err(Error::invalid_input("raster.indptr must start at 0 and end at bins.len()"));
        }
        if n_bins > u32::MAX as usize {
            return Err(Error::too_large(format!("raster.n_bins = {n_bins} exceeds 2^32 - 1 bins")));
        }
        for i in 0..indptr.len() - 1 {
            let (a, b) = (indptr[i], indptr[i + 1]);
            if b < a {
                return Err(Error::invalid_input(format!("raster.indptr decreases at neuron {i}")));
            }
            for k in a..b {
                if bins[k] as usize >= n_bins {
                    return Err(Error::invalid_input(format!("raster: neuron {i} has a spike in bin {} but n_bins = {n_bins}", bins[k])));
                }
                if k > a && bins[k] <= bins[k - 1] {
                    return Err(Error::invalid_input(format!(
                        "raster: bins of neuron {i} are not strictly increasing at position {}",
                        k - a
                    )));
                }
                if counts[k] == 0 {
                    return Err(Error::invalid_input(format!("raster: neuron {i} has a zero count at position {}", k - a)));
                }
            }
        }
        Ok(CountRaster { n_bins, indptr, bins, counts })
    }
    /// View of the activity module's sparse raster (same CSR layout: no copy).
    pub fn from_activity(r: &'a crate::activity::SparseRaster) -> Self {
        let (indptr, bins, counts) = r.csr();
        CountRaster { n_bins: r.n_bins(), indptr, bins, counts }
    }

    pub fn n_neurons(&self) -> usize {
        self.indptr.len() - 1
    }
    /// Total number of spikes (sum of counts).
    pub fn total_spikes(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }
}

/// An owned CSR count raster; [`OwnedRaster::view`] gives the [`CountRaster`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedRaster {
    pub n_bins: usize,
    pub indptr: Vec<usize>,
    pub bins: Vec<u32>,
    pub counts: Vec<u32>,
}

impl OwnedRaster {
    /// From per-neuron sorted spike-bin lists (repeats mean several spikes in a bin).
    pub fn from_trains(n_bins: usize, trains: &[Vec<u32>]) -> Result<Self> {
        let mut indptr = Vec::with_capacity(trains.len() + 1);
        indptr.push(0);
        let (mut bins, mut counts) = (Vec::new(), Vec::new());
        for (i, t) in trains.iter().enumerate() {
            let start = bins.len();
            for (k, &b) in t.iter().enumerate() {
                if b as usize >= n_bins {
                    return Err(Error::invalid_input(format!("trains[{i}][{k}] = {b} is not below n_bins = {n_bins}")));
                }
                if bins.len() > start && *bins.last().unwrap() == b {
                    *counts.last_mut().unwrap() += 1;
                } else if bins.len() > start && *bins.last().unwrap() > b {
                    return Err(Error::invalid_input(format!("trains[{i}] is not sorted at position {k}")));
                } else {
                    bins.push(b);
                    counts.push(1);
                }
            }
            indptr.push(bins.len());
        }
        Ok(OwnedRaster { n_bins, indptr, bins, counts })
    }
    /// From unsorted spike events `(neuron[k], bin[k])` (e.g. a spike table binned by the
    /// caller). Errors name the first event out of range.
    pub fn from_events(n_neurons: usize, n_bins: usize, neurons: &[u32], bins: &[u32]) -> Result<Self> {
        if n_neurons == 0 {
            return Err(Error::invalid_input("nNeurons must be positive"));
        }
        if neurons.len() != bins.len() {
            return Err(Error::invalid_input(format!("spike events: {} neuron ids but {} bins", neurons.len(), bins.len())));
        }
        let mut deg = vec![0usize; n_neurons + 1];
        for (k, (&i, &b)) in neurons.iter().zip(bins).enumerate() {
            if i as usize >= n_neurons {
                return Err(Error::invalid_input(format!("spike event {k}: neuron {i} out of range (n_neurons = {n_neurons})")));
            }
            if b as usize >= n_bins {
                return Err(Error::invalid_input(format!("spike event {k}: bin {b} out of range (n_bins = {n_bins})")));
            }
            deg[i as usize + 1] += 1;
        }
        for i in 0..n_neurons {
            deg[i + 1] += deg[i];
        }
        let mut fill = deg.clone();
        let mut sorted = vec![0u32; bins.len()];
        for (&i, &b) in neurons.iter().zip(bins) {
            sorted[fill[i as usize]] = b;
            fill[i as usize] += 1;
        }
        // Each neuron's bins in order: rows sorted in parallel (disjoint slices of `sorted`) on
        // the caller's pool.
        let mut rows: Vec<&mut [u32]> = Vec::with_capacity(n_neurons);
        let mut rest = sorted.as_mut_slice();
        for i in 0..n_neurons {
            let (row, tail) = rest.split_at_mut(deg[i + 1] - deg[i]);
            rows.push(row);
            rest = tail;
        }
        rows.into_par_iter().for_each(|row| row.sort_unstable());
        let mut indptr = Vec::with_capacity(n_neurons + 1);
        indptr.push(0);
        let (mut out_bins, mut counts) = (Vec::with_capacity(bins.len()), Vec::with_capacity(bins.len()));
        for i in 0..n_neurons {
            push_runs(&sorted[deg[i]..deg[i + 1]], &mut out_bins, &mut counts);
            indptr.push(out_bins.len());
        }
        Ok(OwnedRaster { n_bins, indptr, bins: out_bins, counts })
    }

    pub fn view(&self) -> CountRaster<'_> {
        CountRaster { n_bins: self.n_bins, indptr: &self.indptr, bins: &self.bins, counts: &self.counts }
    }
}

/// A spike table indexed and binned by [`OwnedRaster::from_spike_table`].
#[derive(Debug, Clone, PartialEq)]
pub struct TableRaster {
    /// Neuron ids in increasing order: raster row `i` is neuron `ids[i]` (every id of the
    /// table, also one whose spikes all fall outside the window).
    pub ids: Vec<u64>,
    pub grid: BinGrid,
    pub raster: OwnedRaster,
}

/// Largest neuron id a spike table may hold: ids are JavaScript numbers, exact below 2^53.
const MAX_SAFE_ID: f64 = 9_007_199_254_740_991.0;

/// Events per task of the spike-table passes (each task also holds one count per neuron).
const TABLE_CHUNK: usize = 1 << 16;

impl OwnedRaster {
    /// From a spike table: neuron `neurons[k]` (a non-negative integer below 2^53, stored as a
    /// float as JavaScript holds it) fired at `times[k]` seconds (finite, non-negative; any
    /// order). Rows are the table's distinct ids in increasing order; times are binned on the
    /// window of [`EventBins::grid`] (`t_start` default 0, `t_stop` default one bin after the
    /// latest time), and a time outside it is dropped. Validation, id indexing, binning and row
    /// assembly are each one pass parallel over spike chunks or rows on the caller's rayon pool;
    /// the result does not depend on the thread count. Errors name the first bad entry
    /// (`spikes.neurons[k]`, `spikes.times[k]`), an empty table, or a bad window.
    pub fn from_spike_table(
        neurons: &[f64],
        times: &[f64],
        bin_width: f64,
        t_start: Option<f64>,
        t_stop: Option<f64>,
    ) -> Result<TableRaster> {
        if neurons.len() != times.len() {
            return Err(Error::invalid_input(format!("spikes: {} neuron ids but {} times", neurons.len(), times.len())));
        }
        let bad_id = |id: f64| !((0.0..=MAX_SAFE_ID).contains(&id) && id.fract() == 0.0);
        let bad_time = |t: f64| !(t.is_finite() && t >= 0.0);
        let first_bad =
            (0..neurons.len()).into_par_iter().with_min_len(TABLE_CHUNK).find_first(|&k| bad_id(neurons[k]) || bad_time(times[k]));
        if let Some(k) = first_bad {
            return Err(if bad_id(neurons[k]) {
                Error::invalid_input(format!("spikes.neurons[{k}] = {} is not a non-negative integer below 2^53", neurons[k]))
            } else {
                Error::invalid_input(format!("spikes.times[{k}] = {} is not a finite non-negative time", times[k]))
            });
        }
        if neurons.is_empty() {
            return Err(Error::invalid_input("spikes: the table is empty"));
        }
        let latest = match t_stop {
            Some(_) => None,
            None => Some(times.par_iter().with_min_len(TABLE_CHUNK).copied().reduce(|| f64::NEG_INFINITY, f64::max)),
        };
        let grid = EventBins::grid(latest, bin_width, t_start, t_stop)?;
        let (ids, row_of) = index_ids(neurons);
        // Each chunk's inside events grouped by row (a counting sort): `starts[i]..starts[i + 1]`
        // of `bins` are row i's bins in that chunk.
        let n = ids.len();
        let chunk = TABLE_CHUNK.max(n);
        let parts: Vec<(Vec<u32>, Vec<u32>)> = neurons
            .par_chunks(chunk)
            .zip(times.par_chunks(chunk))
            .map(|(nc, tc)| {
                let events: Vec<(u32, u32)> =
                    nc.iter().zip(tc).filter_map(|(&id, &t)| grid.bin_of(t).map(|b| (row_of.row(&ids, id), b as u32))).collect();
                let mut starts = vec![0u32; n + 1];
                for &(i, _) in &events {
                    starts[i as usize + 1] += 1;
                }
                for i in 0..n {
                    starts[i + 1] += starts[i];
                }
                let mut fill = starts.clone();
                let mut bins = vec![0u32; events.len()];
                for &(i, b) in &events {
                    bins[fill[i as usize] as usize] = b;
                    fill[i as usize] += 1;
                }
                (starts, bins)
            })
            .collect();
        // Rows in parallel blocks: each row's bins from every chunk, sorted, run-length coded.
        let rows_per_block = (n / (8 * rayon::current_num_threads())).clamp(1, 4096);
        let blocks: Vec<(Vec<usize>, Vec<u32>, Vec<u32>)> = (0..n.div_ceil(rows_per_block))
            .into_par_iter()
            .map(|blk| {
                let (mut lens, mut out_bins, mut counts, mut row) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for i in blk * rows_per_block..((blk + 1) * rows_per_block).min(n) {
                    row.clear();
                    for (starts, bins) in &parts {
                        row.extend_from_slice(&bins[starts[i] as usize..starts[i + 1] as usize]);
                    }
                    row.sort_unstable();
                    lens.push(push_runs(&row, &mut out_bins, &mut counts));
                }
                (lens, out_bins, counts)
            })
            .collect();
        drop(parts);
        let nnz = blocks.iter().map(|b| b.1.len()).sum();
        let (mut indptr, mut bins, mut counts) = (Vec::with_capacity(n + 1), Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        indptr.push(0);
        for (lens, b, c) in blocks {
            for len in lens {
                indptr.push(indptr.last().unwrap() + len);
            }
            bins.extend_from_slice(&b);
            counts.extend_from_slice(&c);
        }
        Ok(TableRaster { ids, grid, raster: OwnedRaster { n_bins: grid.bins, indptr, bins, counts } })
    }
}

/// Appends a sorted row's bins run-length coded (each distinct bin once, with its count) and
/// returns the number of distinct bins.
fn push_runs(row: &[u32], bins: &mut Vec<u32>, counts: &mut Vec<u32>) -> usize {
    let before = bins.len();
    for &b in row {
        if bins.len() > before && bins.last() == Some(&b) {
            *counts.last_mut().unwrap() += 1;
        } else {
            bins.push(b);
            counts.push(1);
        }
    }
    bins.len() - before
}

/// Row of each neuron id of a spike table: a direct table when the ids are small (below 2^20,
/// or at most four table entries per event), else a binary search of the sorted ids.
enum RowOf {
    Table(Vec<u32>),
    Search,
}

impl RowOf {
    #[inline]
    fn row(&self, ids: &[u64], id: f64) -> u32 {
        match self {
            RowOf::Table(t) => t[id as usize],
            RowOf::Search => ids.partition_point(|&x| x < id as u64) as u32,
        }
    }
}

/// The distinct ids of a validated, non-empty spike table in increasing order, and their rows.
fn index_ids(neurons: &[f64]) -> (Vec<u64>, RowOf) {
    let max = neurons.par_iter().with_min_len(TABLE_CHUNK).copied().reduce(|| 0.0, f64::max) as u64;
    if max < (1 << 20) || max / 4 <= neurons.len() as u64 {
        let seen: Vec<AtomicBool> = (0..=max).map(|_| AtomicBool::new(false)).collect();
        neurons.par_iter().with_min_len(TABLE_CHUNK).for_each(|&id| seen[id as usize].store(true, Ordering::Relaxed));
        let mut ids = Vec::new();
        let table = seen
            .iter()
            .enumerate()
            .map(|(id, s)| {
                if s.load(Ordering::Relaxed) {
                    ids.push(id as u64);
                    ids.len() as u32 - 1
                } else {
                    u32::MAX
                }
            })
            .collect();
        (ids, RowOf::Table(table))
    } else {
        let mut ids: Vec<u64> = neurons.par_iter().with_min_len(TABLE_CHUNK).map(|&id| id as u64).collect();
        ids.par_sort_unstable();
        ids.dedup();
        (ids, RowOf::Search)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_match_trains() {
        let trains = vec![vec![1, 1, 4], vec![], vec![0, 9]];
        let a = OwnedRaster::from_trains(10, &trains).unwrap();
        let b = OwnedRaster::from_events(3, 10, &[2, 0, 0, 2, 0], &[9, 4, 1, 0, 1]).unwrap();
        assert_eq!(a, b);
        assert!(OwnedRaster::from_events(3, 10, &[3], &[0]).unwrap_err().message.contains("event 0"));
        assert!(OwnedRaster::from_events(3, 10, &[0], &[10]).is_err());
        assert!(OwnedRaster::from_events(0, 10, &[], &[]).unwrap_err().message.contains("nNeurons"));
    }

    #[test]
    fn shuffled_events_on_a_pool_match_sorted_trains() {
        // 50,000 events of 300 neurons in scrambled order, rows sorted on a 3-thread pool.
        let (n, bins, m) = (300usize, 5_000usize, 50_000usize);
        let ev: Vec<(u32, u32)> = (0..m).map(|k| (((k * 7919) % n) as u32, ((k * 104_729 + k / 3) % bins) as u32)).collect();
        let mut trains = vec![Vec::new(); n];
        for &(i, b) in &ev {
            trains[i as usize].push(b);
        }
        trains.iter_mut().for_each(|t| t.sort_unstable());
        let want = OwnedRaster::from_trains(bins, &trains).unwrap();
        let (neurons, times): (Vec<u32>, Vec<u32>) = ev.into_iter().unzip();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        assert_eq!(pool.install(|| OwnedRaster::from_events(n, bins, &neurons, &times)).unwrap(), want);
    }

    /// The facade's former serial path: ids sorted, times binned by `bin_events`, events
    /// outside the window dropped, rows from `from_events`.
    fn serial_table(neurons: &[f64], times: &[f64], w: f64, t0: Option<f64>, t1: Option<f64>) -> TableRaster {
        let mut ids: Vec<u64> = neurons.iter().map(|&x| x as u64).collect();
        ids.sort_unstable();
        ids.dedup();
        let eb = crate::activity::bin_events(times, w, t0, t1).unwrap();
        let (mut nb, mut bb) = (Vec::new(), Vec::new());
        for (k, &b) in eb.index.iter().enumerate() {
            if b != EventBins::OUTSIDE {
                nb.push(ids.binary_search(&(neurons[k] as u64)).unwrap() as u32);
                bb.push(b);
            }
        }
        let raster = OwnedRaster::from_events(ids.len(), eb.grid.bins, &nb, &bb).unwrap();
        TableRaster { ids, grid: eb.grid, raster }
    }

    #[test]
    fn spike_table_matches_the_serial_path_on_any_pool() {
        // 200,000 spikes in scrambled order: small ids with gaps (direct table), then huge
        // sparse ids (binary search); default and explicit windows (times outside dropped).
        let m = 200_000usize;
        let mut x = 12345u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let times: Vec<f64> = (0..m).map(|_| (next() % 1_000_000) as f64 * 1e-5).collect();
        let small: Vec<f64> = (0..m).map(|_| (3 * (next() % 700)) as f64).collect();
        let huge: Vec<f64> = (0..m).map(|_| (((next() % 500) << 40) + 17) as f64).collect();
        for neurons in [&small, &huge] {
            for (t0, t1) in [(None, None), (Some(1.5), Some(7.25))] {
                let want = serial_table(neurons, &times, 0.005, t0, t1);
                for threads in [1, 3] {
                    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                    let got = pool.install(|| OwnedRaster::from_spike_table(neurons, &times, 0.005, t0, t1)).unwrap();
                    assert_eq!(got, want, "threads {threads}, window {t0:?}..{t1:?}");
                }
            }
        }
    }

    #[test]
    fn spike_table_errors_name_the_first_bad_entry() {
        let err = |n: &[f64], t: &[f64]| OwnedRaster::from_spike_table(n, t, 0.01, None, None).unwrap_err();
        let mut n = vec![1.0; 300_000];
        let mut t = vec![0.5; 300_000];
        n[250_000] = 1.5;
        t[200_000] = f64::NAN;
        n[280_000] = -1.0;
        let e = err(&n, &t);
        assert_eq!(e.code, crate::error::ErrorCode::InvalidInput);
        assert_eq!(e.message, "spikes.times[200000] = NaN is not a finite non-negative time");
        t[200_000] = 0.5;
        assert_eq!(err(&n, &t).message, "spikes.neurons[250000] = 1.5 is not a non-negative integer below 2^53");
        assert!(err(&[2f64.powi(53)], &[0.0]).message.contains("spikes.neurons[0]"));
        assert!(err(&[0.0], &[-0.1]).message.contains("spikes.times[0] = -0.1"));
        assert_eq!(err(&[], &[]).message, "spikes: the table is empty");
        assert_eq!(err(&[0.0], &[]).message, "spikes: 1 neuron ids but 0 times");
        assert_eq!(err(&[0.0], &[1e12]).code, crate::error::ErrorCode::TooLarge);
    }
}
