//! Rasters (neurons x time bins) and binning.
//!
//! - [`SparseRaster`]: spike counts in CSR form (row = neuron, columns = bins with a non-zero
//!   count). Memory is O(n + spikes), never O(n x bins), so an hour of 1 ms bins is cheap.
//! - [`DenseRaster`]: a dense float matrix (calcium traces, rates), row-major `n x bins`.
//! - [`BlockBinner`]: a streaming binner that walks a recording in blocks of bins and yields each
//!   block bin-major ([`BinBlock`]: for every bin, the neurons that fired and their counts).
//!   Memory is O(n + spikes in one block); downstream estimators (lagged covariances) consume
//!   blocks without ever materialising the whole raster.
//!
//! Binning convention ([`BinGrid`], the one rule of the core, the binding and the TypeScript
//! facade; docs/activity.md): bin `b` covers `[t_start + b w, t_start + (b + 1) w)`; a spike at
//! time `t` falls in bin `min(floor((t - t_start) / w), bins - 1)` (the last edge clamped);
//! spikes before `t_start` or at or after `t_stop` are dropped. With `t_stop` the window holds
//! `ceil((t_stop - t_start) / w - 1e-9)` bins, so the last bin may be partial and a window that is
//! a whole number of bins up to rounding gets no extra sliver bin ([`BIN_TOLERANCE`]). Without
//! `t_stop`, [`BinGrid::resolve`] ends the grid with the bin holding the last spike, and
//! [`bin_events`] (the facade's default) ends the window one bin after the last spike.

use super::spikes::{check_window, SpikeTrains};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;

/// How to bin spike trains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinOptions {
    /// Bin width in seconds (> 0). Default 0.005 (5 ms).
    pub bin_width: f64,
    /// Start of the first bin (s). Default `None` = 0 (recordings start at time zero).
    pub t_start: Option<f64>,
    /// End of the window (exclusive, s). Default `None` = just after the last spike.
    pub t_stop: Option<f64>,
}

impl Default for BinOptions {
    fn default() -> Self {
        BinOptions { bin_width: 0.005, t_start: None, t_stop: None }
    }
}

/// A resolved time grid: `bins` bins of width `bin_width` starting at `t_start`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinGrid {
    pub t_start: f64,
    pub bin_width: f64,
    pub bins: usize,
    /// Exclusive end of the window (`t_start + bins * bin_width` unless `t_stop` cut the last bin).
    pub t_stop: f64,
}

impl BinGrid {
    /// Resolves `opts` against a recording (used only when `t_stop` is `None`).
    pub fn resolve(opts: &BinOptions, trains: &SpikeTrains) -> Result<BinGrid> {
        let t0 = opts.t_start.unwrap_or(0.0);
        if let Some(t1) = opts.t_stop {
            return BinGrid::window(t0, t1, opts.bin_width);
        }
        let w = check_width(opts.bin_width, t0)?;
        // The last spike at or after t_start defines the end.
        let last = (0..trains.n()).filter_map(|r| trains.train(r).last().copied()).fold(f64::NEG_INFINITY, f64::max);
        let (t_stop, bins) = if last < t0 {
            (t0, 0.0)
        } else {
            let b = ((last - t0) / w).floor() + 1.0;
            (t0 + b * w, b)
        };
        BinGrid::checked(t0, w, bins, t_stop)
    }

    /// The grid of the window `[t_start, t_stop)` in bins of `bin_width`
    /// (`ceil((t_stop - t_start) / bin_width - 1e-9)` bins, at least one).
    pub fn window(t_start: f64, t_stop: f64, bin_width: f64) -> Result<BinGrid> {
        let w = check_width(bin_width, t_start)?;
        check_window(t_start, t_stop)?;
        BinGrid::checked(t_start, w, window_bins(t_start, t_stop, w), t_stop)
    }

    fn checked(t_start: f64, bin_width: f64, bins: f64, t_stop: f64) -> Result<BinGrid> {
        if bins > u32::MAX as f64 {
            return Err(Error::too_large(format!(
                "{bins} bins of width {bin_width} s exceed the 2^32 bin limit; use a wider bin_width or a shorter window"
            )));
        }
        Ok(BinGrid { t_start, bin_width, bins: bins as usize, t_stop })
    }

    /// Bin index of time `t`, `None` outside `[t_start, t_stop)`.
    #[inline]
    pub fn bin_of(&self, t: f64) -> Option<usize> {
        if t < self.t_start || t >= self.t_stop || self.bins == 0 {
            return None;
        }
        Some((((t - self.t_start) / self.bin_width).floor() as usize).min(self.bins - 1))
    }

    /// Left edge of bin `b`.
    pub fn bin_start(&self, b: usize) -> f64 {
        self.t_start + b as f64 * self.bin_width
    }
}

/// Rounding allowance, in bins, of the bin count of a window: `(t_stop - t_start) / w` computed
/// in floating point exceeds a whole number by up to a few ulps (e.g. `0.035 / 0.005 = 7.000000000000001`).
pub const BIN_TOLERANCE: f64 = 1e-9;

/// A positive finite bin width and a finite start, or a typed error.
fn check_width(w: f64, t0: f64) -> Result<f64> {
    if !w.is_finite() || w <= 0.0 {
        return Err(Error::invalid_input(format!("bin_width must be a positive finite number of seconds, got {w}")));
    }
    if !t0.is_finite() {
        return Err(Error::not_finite(format!("t_start is {t0}")));
    }
    Ok(w)
}

/// Number of bins of the window `[t0, t1)` (as a float, checked against the bin limit by the caller).
fn window_bins(t0: f64, t1: f64, w: f64) -> f64 {
    ((t1 - t0) / w - BIN_TOLERANCE).ceil().max(1.0)
}

/// Flat spike times binned on one window: the facade's binning of spike tables and trains.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBins {
    pub grid: BinGrid,
    /// Bin of each time, [`EventBins::OUTSIDE`] for a time outside `[t_start, t_stop)`.
    pub index: Vec<u32>,
}

impl EventBins {
    /// The index of a time outside the window.
    pub const OUTSIDE: u32 = u32::MAX;
}

/// Bins spike times given in any order on the window `[t_start, t_stop)` (`t_start` default 0;
/// `t_stop` default one bin after the latest time, or `t_start + w` without times) with the rule
/// of [`BinGrid`]. O(times). Errors: a bad bin width or window (`ERR_INVALID_INPUT`,
/// `ERR_NOT_FINITE`), a non-finite time (`ERR_NOT_FINITE`, naming `times[k]`), more than 2^32 - 1
/// bins (`ERR_TOO_LARGE`).
pub fn bin_events(times: &[f64], bin_width: f64, t_start: Option<f64>, t_stop: Option<f64>) -> Result<EventBins> {
    if let Some(k) = times.iter().position(|t| !t.is_finite()) {
        return Err(Error::not_finite(format!("times[{k}] is {}", times[k])));
    }
    let latest = times.iter().copied().reduce(f64::max);
    let grid = EventBins::grid(latest, bin_width, t_start, t_stop)?;
    let index = times.iter().map(|&t| grid.bin_of(t).map_or(EventBins::OUTSIDE, |b| b as u32)).collect();
    Ok(EventBins { grid, index })
}

impl EventBins {
    /// The window of [`bin_events`] for times whose latest is `latest` (`None` without times):
    /// `[t_start, t_stop)`, `t_start` default 0, `t_stop` default `latest + bin_width` (or
    /// `t_start + bin_width`). Errors as [`bin_events`]'; a bin index must fit below
    /// [`EventBins::OUTSIDE`].
    pub fn grid(latest: Option<f64>, bin_width: f64, t_start: Option<f64>, t_stop: Option<f64>) -> Result<BinGrid> {
        let t0 = t_start.unwrap_or(0.0);
        let t1 = match (t_stop, latest) {
            (Some(t1), _) => t1,
            (None, None) => t0 + bin_width,
            (None, Some(last)) => last + bin_width,
        };
        let grid = BinGrid::window(t0, t1, bin_width)?;
        if grid.bins >= EventBins::OUTSIDE as usize {
            return Err(Error::too_large(format!(
                "{} bins of width {bin_width} s exceed the 2^32 - 1 bin limit; use a wider bin or a shorter window",
                grid.bins
            )));
        }
        Ok(grid)
    }
}

/// Spike counts, CSR with one row per neuron (columns = bins with non-zero count, increasing).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRaster {
    grid: BinGrid,
    ids: Vec<u64>,
    indptr: Vec<usize>,
    bins: Vec<u32>,
    counts: Vec<u32>,
}

impl SparseRaster {
    /// Bins every train on the grid of `opts`. O(n + spikes); parallel over neurons is not
    /// needed (memory bound), the loop checks `exec` every 4096 neurons.
    pub fn from_spikes(trains: &SpikeTrains, opts: &BinOptions, exec: &Exec) -> Result<SparseRaster> {
        let grid = BinGrid::resolve(opts, trains)?;
        let n = trains.n();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let mut bins: Vec<u32> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        for r in 0..n {
            if r % 4096 == 0 {
                exec.check()?;
            }
            let t = trains.train(r);
            let lo = t.partition_point(|&x| x < grid.t_start);
            let mut last: Option<usize> = None;
            for &x in &t[lo..] {
                let Some(b) = grid.bin_of(x) else { break };
                if last == Some(b) {
                    *counts.last_mut().expect("a count exists for the current bin") += 1;
                } else {
                    bins.push(b as u32);
                    counts.push(1);
                    last = Some(b);
                }
            }
            indptr.push(bins.len());
        }
        Ok(SparseRaster { grid, ids: trains.ids().to_vec(), indptr, bins, counts })
    }

    pub fn grid(&self) -> &BinGrid {
        &self.grid
    }
    pub fn n(&self) -> usize {
        self.ids.len()
    }
    pub fn n_bins(&self) -> usize {
        self.grid.bins
    }
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }
    /// Number of non-zero (neuron, bin) entries.
    pub fn nnz(&self) -> usize {
        self.bins.len()
    }
    /// Sum of all counts (spikes inside the window).
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }
    /// CSR arrays `(indptr, bins, counts)`.
    pub fn csr(&self) -> (&[usize], &[u32], &[u32]) {
        (&self.indptr, &self.bins, &self.counts)
    }
    /// Non-zero bins and counts of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[u32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.bins[a..b], &self.counts[a..b])
    }

    /// Transpose: for every bin, the neurons with a non-zero count (increasing) and the counts,
    /// as one [`BinBlock`] covering all bins. O(nnz + bins).
    pub fn to_bin_major(&self) -> BinBlock {
        let nb = self.n_bins();
        let mut indptr = vec![0usize; nb + 1];
        for &b in &self.bins {
            indptr[b as usize + 1] += 1;
        }
        for b in 0..nb {
            indptr[b + 1] += indptr[b];
        }
        let mut fill = indptr[..nb].to_vec();
        let mut neurons = vec![0u32; self.nnz()];
        let mut counts = vec![0u32; self.nnz()];
        for r in 0..self.n() {
            let (bs, cs) = self.row(r);
            for (&b, &c) in bs.iter().zip(cs) {
                let k = &mut fill[b as usize];
                neurons[*k] = r as u32;
                counts[*k] = c;
                *k += 1;
            }
        }
        BinBlock { first_bin: 0, indptr, neurons, counts }
    }

    /// Dense float copy (n x bins, row-major). Fails with `TooLarge` above `limit_bytes`.
    pub fn to_dense(&self, limit_bytes: u128) -> Result<DenseRaster> {
        ensure_fits(
            "dense raster",
            self.n() as u128 * self.n_bins() as u128,
            limit_bytes,
            "keep the sparse raster or stream it with BlockBinner",
        )?;
        let nb = self.n_bins();
        let mut data = vec![0.0; self.n() * nb];
        for r in 0..self.n() {
            let (bs, cs) = self.row(r);
            for (&b, &c) in bs.iter().zip(cs) {
                data[r * nb + b as usize] = c as f64;
            }
        }
        DenseRaster::new(self.n(), nb, data, self.grid.bin_width, self.grid.t_start, Some(self.ids.clone()))
    }
}

/// Counts of a run of consecutive bins, bin-major: bin `first_bin + j` has the neurons
/// `neurons[indptr[j]..indptr[j + 1]]` (increasing row indices) with counts `counts[..]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BinBlock {
    pub first_bin: usize,
    pub indptr: Vec<usize>,
    pub neurons: Vec<u32>,
    pub counts: Vec<u32>,
}

impl BinBlock {
    /// Number of bins in the block.
    pub fn len(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Active neurons and counts of the `j`-th bin of the block.
    pub fn bin(&self, j: usize) -> (&[u32], &[u32]) {
        let (a, b) = (self.indptr[j], self.indptr[j + 1]);
        (&self.neurons[a..b], &self.counts[a..b])
    }
}

/// Streaming binner: yields [`BinBlock`]s of `block_bins` bins in time order.
///
/// Keeps one cursor per neuron into its (sorted) train, so a block costs O(n + spikes in the
/// block) time and memory. Iterate with `while let Some(block) = binner.next_block(exec)? {..}`.
#[derive(Debug)]
pub struct BlockBinner<'a> {
    trains: &'a SpikeTrains,
    grid: BinGrid,
    block_bins: usize,
    cursor: Vec<usize>,
    next_bin: usize,
}

impl<'a> BlockBinner<'a> {
    pub fn new(trains: &'a SpikeTrains, opts: &BinOptions, block_bins: usize) -> Result<Self> {
        if block_bins == 0 {
            return Err(Error::invalid_input("block_bins must be >= 1"));
        }
        let grid = BinGrid::resolve(opts, trains)?;
        let cursor = (0..trains.n()).map(|r| trains.train(r).partition_point(|&x| x < grid.t_start)).collect();
        Ok(BlockBinner { trains, grid, block_bins, cursor, next_bin: 0 })
    }

    pub fn grid(&self) -> &BinGrid {
        &self.grid
    }

    /// The next block, `None` after the last bin.
    pub fn next_block(&mut self, exec: &Exec) -> Result<Option<BinBlock>> {
        exec.check()?;
        if self.next_bin >= self.grid.bins {
            return Ok(None);
        }
        let first = self.next_bin;
        let end = (first + self.block_bins).min(self.grid.bins);
        let nb = end - first;
        // Gather (bin, neuron) entries neuron by neuron, then counting-sort by bin.
        let mut entries: Vec<(u32, u32, u32)> = Vec::new();
        for r in 0..self.trains.n() {
            let t = self.trains.train(r);
            let c = &mut self.cursor[r];
            let mut last: Option<usize> = None;
            while *c < t.len() {
                let Some(b) = self.grid.bin_of(t[*c]) else {
                    *c = t.len();
                    break;
                };
                if b >= end {
                    break;
                }
                if last == Some(b) {
                    entries.last_mut().expect("entry for the current bin").2 += 1;
                } else {
                    entries.push(((b - first) as u32, r as u32, 1));
                    last = Some(b);
                }
                *c += 1;
            }
        }
        let mut indptr = vec![0usize; nb + 1];
        for e in &entries {
            indptr[e.0 as usize + 1] += 1;
        }
        for j in 0..nb {
            indptr[j + 1] += indptr[j];
        }
        let mut fill = indptr[..nb].to_vec();
        let mut neurons = vec![0u32; entries.len()];
        let mut counts = vec![0u32; entries.len()];
        for (j, r, c) in entries {
            let k = &mut fill[j as usize];
            neurons[*k] = r;
            counts[*k] = c;
            *k += 1;
        }
        self.next_bin = end;
        Ok(Some(BinBlock { first_bin: first, indptr, neurons, counts }))
    }
}

/// How [`DenseRaster::rebin`] combines bins (default [`Reduce::Sum`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduce {
    #[default]
    Sum,
    Mean,
}

named_enum!(Reduce, "reduction" { Sum => "sum", Mean => "mean" });

/// Dense float raster (n neurons x bins, row-major), e.g. calcium traces.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseRaster {
    n: usize,
    bins: usize,
    bin_width: f64,
    t_start: f64,
    ids: Vec<u64>,
    data: Vec<f64>,
}

impl DenseRaster {
    /// Wraps row-major data (`data.len() == n * bins`, all finite, `bin_width > 0`).
    pub fn new(n: usize, bins: usize, data: Vec<f64>, bin_width: f64, t_start: f64, ids: Option<Vec<u64>>) -> Result<Self> {
        if n.checked_mul(bins) != Some(data.len()) {
            return Err(Error::invalid_input(format!("raster data has {} values, expected n x bins = {n} x {bins}", data.len())));
        }
        if !bin_width.is_finite() || bin_width <= 0.0 {
            return Err(Error::invalid_input(format!("bin_width must be positive and finite, got {bin_width}")));
        }
        if !t_start.is_finite() {
            return Err(Error::not_finite(format!("t_start is {t_start}")));
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::not_finite(format!(
                "raster value at neuron {} (row {}), bin {} is {}",
                ids.as_ref().map_or((k / bins) as u64, |ids| ids[k / bins]),
                k / bins,
                k % bins,
                data[k]
            )));
        }
        let ids = match ids {
            None => (0..n as u64).collect(),
            Some(ids) if ids.len() == n => ids,
            Some(ids) => return Err(Error::invalid_input(format!("ids has {} entries for {n} rows", ids.len()))),
        };
        Ok(DenseRaster { n, bins, bin_width, t_start, ids, data })
    }

    pub fn n(&self) -> usize {
        self.n
    }
    pub fn n_bins(&self) -> usize {
        self.bins
    }
    pub fn bin_width(&self) -> f64 {
        self.bin_width
    }
    pub fn t_start(&self) -> f64 {
        self.t_start
    }
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }
    pub fn data(&self) -> &[f64] {
        &self.data
    }
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.bins..(r + 1) * self.bins]
    }

    /// Merges every `factor` consecutive bins (a trailing partial group is dropped).
    pub fn rebin(&self, factor: usize, reduce: Reduce) -> Result<DenseRaster> {
        if factor == 0 {
            return Err(Error::invalid_input("rebin factor must be >= 1"));
        }
        let nb = self.bins / factor;
        let mut data = Vec::with_capacity(self.n * nb);
        for r in 0..self.n {
            let row = self.row(r);
            for b in 0..nb {
                let s: f64 = row[b * factor..(b + 1) * factor].iter().sum();
                data.push(if reduce == Reduce::Mean { s / factor as f64 } else { s });
            }
        }
        DenseRaster::new(self.n, nb, data, self.bin_width * factor as f64, self.t_start, Some(self.ids.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_trains(n: usize, seed: u64) -> SpikeTrains {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let trains = (0..n)
            .map(|_| {
                let k = rng.random_range(0..40);
                let mut t: Vec<f64> = (0..k).map(|_| rng.random::<f64>() * 2.0).collect();
                t.sort_by(f64::total_cmp);
                t
            })
            .collect();
        SpikeTrains::from_trains(trains, None).unwrap()
    }

    /// Brute-force dense binning for reference.
    fn dense_reference(s: &SpikeTrains, t0: f64, w: f64, bins: usize) -> Vec<f64> {
        let mut d = vec![0.0; s.n() * bins];
        for r in 0..s.n() {
            for &t in s.train(r) {
                let b = ((t - t0) / w).floor();
                if b >= 0.0 && (b as usize) < bins {
                    d[r * bins + b as usize] += 1.0;
                }
            }
        }
        d
    }

    #[test]
    fn bin_events_edges_ends_and_rounding() {
        // On an edge: the bin that starts there (when the quotient is exact); t = end is dropped,
        // as is t < start; the default end is one bin after the latest time.
        let e = bin_events(&[0.0, 0.25, 0.5, 0.74, 0.75, -0.1, 1.0], 0.25, None, None).unwrap();
        assert_eq!(e.grid.bins, 5);
        assert_eq!(e.grid.t_stop, 1.25);
        assert_eq!(e.index, vec![0, 1, 2, 2, 3, EventBins::OUTSIDE, 4]);
        let e = bin_events(&[0.5, 1.0], 0.25, Some(0.5), Some(1.0)).unwrap();
        assert_eq!((e.grid.bins, e.index.clone()), (2, vec![0, EventBins::OUTSIDE]));
        // 0.035 / 0.005 = 7.000000000000001: seven bins, not an eighth sliver
        let e = bin_events(&[0.0349999], 0.005, None, Some(0.035)).unwrap();
        assert_eq!((e.grid.bins, e.index[0]), (7, 6));
        // a partial last bin; a time in the rounding sliver past the last whole bin is clamped into it
        assert_eq!(bin_events(&[], 0.1, None, Some(0.25)).unwrap().grid.bins, 3);
        let w = 0.1;
        let t1 = 11.0 * w * (1.0 + 1e-12);
        let e = bin_events(&[11.0 * w * (1.0 + 5e-13)], w, None, Some(t1)).unwrap();
        assert_eq!((e.grid.bins, e.index[0]), (11, 10));
        // no times: one bin from the start; ordering of the input does not matter
        let e = bin_events(&[], 0.5, Some(2.0), None).unwrap();
        assert_eq!((e.grid.bins, e.grid.t_stop), (1, 2.5));
        let e = bin_events(&[0.9, 0.1, 0.5], 0.2, None, None).unwrap();
        assert_eq!((e.grid.bins, e.index.clone()), (6, vec![4, 0, 2]));
    }

    #[test]
    fn bin_events_matches_the_sparse_raster() {
        let s = random_trains(20, 4);
        let flat: Vec<f64> = (0..s.n()).flat_map(|r| s.train(r).to_vec()).collect();
        let e = bin_events(&flat, 0.03, Some(0.1), Some(1.7)).unwrap();
        let opts = BinOptions { bin_width: 0.03, t_start: Some(0.1), t_stop: Some(1.7) };
        let r = SparseRaster::from_spikes(&s, &opts, &Exec::sequential()).unwrap();
        assert_eq!(e.grid, *r.grid());
        let mut counts = vec![0u32; s.n() * e.grid.bins];
        let mut k = 0;
        for row in 0..s.n() {
            for _ in s.train(row) {
                if e.index[k] != EventBins::OUTSIDE {
                    counts[row * e.grid.bins + e.index[k] as usize] += 1;
                }
                k += 1;
            }
        }
        let d = r.to_dense(1 << 30).unwrap();
        assert_eq!(counts.iter().map(|&c| c as f64).collect::<Vec<_>>(), d.data());
    }

    #[test]
    fn bin_events_rejects_bad_input() {
        assert_eq!(bin_events(&[0.1], 0.0, None, None).unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(bin_events(&[0.1], f64::NAN, None, None).unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(bin_events(&[0.1, f64::INFINITY], 0.1, None, None).unwrap_err().code, ErrorCode::NotFinite);
        assert!(bin_events(&[0.1, f64::NAN], 0.1, None, None).unwrap_err().message.contains("times[1]"));
        assert_eq!(bin_events(&[0.1], 0.1, Some(1.0), Some(1.0)).unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(bin_events(&[0.1], 0.1, Some(f64::NAN), None).unwrap_err().code, ErrorCode::NotFinite);
        // all times before the start: the default end is not after it
        assert_eq!(bin_events(&[0.1], 0.1, Some(5.0), None).unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(bin_events(&[0.1], 1e-9, None, Some(1e3)).unwrap_err().code, ErrorCode::TooLarge);
    }

    #[test]
    fn sparse_binning_matches_dense_reference() {
        let s = random_trains(30, 1);
        let exec = Exec::sequential();
        let opts = BinOptions { bin_width: 0.01, t_start: Some(0.0), t_stop: Some(2.0) };
        let r = SparseRaster::from_spikes(&s, &opts, &exec).unwrap();
        assert_eq!(r.n_bins(), 200);
        assert_eq!(r.total() as usize, s.num_spikes());
        let d = r.to_dense(1 << 30).unwrap();
        assert_eq!(d.data(), dense_reference(&s, 0.0, 0.01, 200).as_slice());
        // A window: spikes outside [0.5, 1.25) dropped; partial last bin kept.
        let opts = BinOptions { bin_width: 0.1, t_start: Some(0.5), t_stop: Some(1.25) };
        let r = SparseRaster::from_spikes(&s, &opts, &exec).unwrap();
        assert_eq!(r.n_bins(), 8);
        let inside = s.times().iter().filter(|&&t| (0.5..1.25).contains(&t)).count();
        assert_eq!(r.total() as usize, inside);
        assert!(r.to_dense(8).unwrap_err().code == ErrorCode::TooLarge);
    }

    #[test]
    fn default_grid_ends_at_last_spike() {
        let s = SpikeTrains::from_trains(vec![vec![0.0, 0.004, 0.005], vec![0.012]], None).unwrap();
        let r = SparseRaster::from_spikes(&s, &BinOptions::default(), &Exec::sequential()).unwrap();
        assert_eq!(r.n_bins(), 3);
        assert_eq!(r.row(0), (&[0u32, 1][..], &[2u32, 1][..]));
        assert_eq!(r.row(1), (&[2u32][..], &[1u32][..]));
        let empty = SparseRaster::from_spikes(&SpikeTrains::silent(3), &BinOptions::default(), &Exec::sequential()).unwrap();
        assert_eq!((empty.n(), empty.n_bins(), empty.nnz()), (3, 0, 0));
        let bad = BinOptions { bin_width: 0.0, ..Default::default() };
        assert!(SparseRaster::from_spikes(&s, &bad, &Exec::sequential()).unwrap_err().message.contains("bin_width"));
        let bad = BinOptions { bin_width: 1e-12, t_start: Some(0.0), t_stop: Some(1e3) };
        assert_eq!(SparseRaster::from_spikes(&s, &bad, &Exec::sequential()).unwrap_err().code, ErrorCode::TooLarge);
    }

    #[test]
    fn blocks_reassemble_the_raster() {
        let s = random_trains(25, 2);
        let exec = Exec::sequential();
        let opts = BinOptions { bin_width: 0.007, t_start: Some(0.1), t_stop: None };
        let full = SparseRaster::from_spikes(&s, &opts, &exec).unwrap().to_bin_major();
        for block_bins in [1, 7, 64, 10_000] {
            let mut binner = BlockBinner::new(&s, &opts, block_bins).unwrap();
            let mut next = 0;
            while let Some(block) = binner.next_block(&exec).unwrap() {
                assert_eq!(block.first_bin, next);
                for j in 0..block.len() {
                    assert_eq!(block.bin(j), full.bin(next + j));
                }
                next += block.len();
            }
            assert_eq!(next, full.len());
        }
        assert!(BlockBinner::new(&s, &opts, 0).is_err());
        let cancelled = Exec::sequential();
        cancelled.cancel.cancel();
        let mut binner = BlockBinner::new(&s, &opts, 5).unwrap();
        assert_eq!(binner.next_block(&cancelled).unwrap_err().code, ErrorCode::Aborted);
    }

    #[test]
    fn dense_raster_validation_and_rebin() {
        let d = DenseRaster::new(2, 4, vec![1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 1.0, 1.0], 0.5, 0.0, None).unwrap();
        let s = d.rebin(2, Reduce::Sum).unwrap();
        assert_eq!(s.data(), &[3.0, 7.0, 0.0, 2.0]);
        assert_eq!(s.bin_width(), 1.0);
        let m = d.rebin(3, Reduce::Mean).unwrap();
        assert_eq!(m.data(), &[2.0, 1.0 / 3.0]);
        assert!(DenseRaster::new(2, 3, vec![0.0; 5], 1.0, 0.0, None).unwrap_err().message.contains("2 x 3"));
        let e = DenseRaster::new(2, 2, vec![0.0, 0.0, 0.0, f64::NAN], 1.0, 0.0, Some(vec![5, 6])).unwrap_err();
        assert!(e.code == ErrorCode::NotFinite && e.message.contains("neuron 6") && e.message.contains("bin 1"));
        assert!(DenseRaster::new(1, 1, vec![0.0], -1.0, 0.0, None).is_err());
        assert!(d.rebin(0, Reduce::Sum).is_err());
    }
}
