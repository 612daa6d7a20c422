//! Input adapter for inference: sparse spike-count rasters (neurons × bins, CSR).
//!
//! [`CountRaster`] is a borrowed view, so any CSR count raster (e.g. the activity module's
//! type) is used without copying; [`OwnedRaster`] builds one from per-neuron spike-bin lists or
//! from unsorted `(neuron, bin)` events.

use crate::error::{Error, Result};
use rayon::prelude::*;

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
            let row = &sorted[deg[i]..deg[i + 1]];
            let start = out_bins.len();
            for &b in row.iter() {
                if out_bins.len() > start && *out_bins.last().unwrap() == b {
                    *counts.last_mut().unwrap() += 1;
                } else {
                    out_bins.push(b);
                    counts.push(1u32);
                }
            }
            indptr.push(out_bins.len());
        }
        Ok(OwnedRaster { n_bins, indptr, bins: out_bins, counts })
    }

    pub fn view(&self) -> CountRaster<'_> {
        CountRaster { n_bins: self.n_bins, indptr: &self.indptr, bins: &self.bins, counts: &self.counts }
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
}
