//! Spike trains: ragged, sorted spike times per neuron, with neuron ids.
//!
//! [`SpikeTrains`] stores `n` trains in one flat array (`times`) with row offsets (`offsets`,
//! length `n + 1`), like a CSR matrix: the spikes of row `r` are
//! `times[offsets[r]..offsets[r + 1]]`, non-decreasing, finite and `>= 0` (seconds).
//! Every row carries an external neuron id (`ids[r]`), so a subset of a recording keeps the ids
//! of the original file; rows are always addressed by position `r` inside the library.
//!
//! Validation is total: every constructor rejects negative, NaN/infinite and (within a neuron)
//! decreasing times, and out-of-range neuron indices, with a typed [`Error`] naming the neuron
//! and the index of the offending value.

use crate::error::{Error, Result};
use crate::exec::Exec;

/// Ragged, sorted spike trains (times in seconds) with neuron ids.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeTrains {
    ids: Vec<u64>,
    offsets: Vec<usize>,
    times: Vec<f64>,
}

/// Summary statistics of one spike train over a window `[t_start, t_stop)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainStats {
    /// Number of spikes in the window.
    pub count: usize,
    /// `count / (t_stop - t_start)` in Hz.
    pub rate: f64,
    /// Mean inter-spike interval (s); NaN with fewer than 2 spikes.
    pub isi_mean: f64,
    /// Coefficient of variation of the ISIs, `std(ISI) / mean(ISI)`; NaN with fewer than 3 spikes.
    pub isi_cv: f64,
    /// Smallest inter-spike interval (s); infinite with fewer than 2 spikes.
    pub isi_min: f64,
}

fn check_time(neuron: u64, index: usize, t: f64, prev: Option<f64>) -> Result<()> {
    if !t.is_finite() {
        return Err(Error::not_finite(format!("neuron {neuron}: spike time at index {index} is {t}")));
    }
    if t < 0.0 {
        return Err(Error::invalid_input(format!("neuron {neuron}: spike time at index {index} is negative ({t})")));
    }
    if let Some(p) = prev {
        if t < p {
            return Err(Error::invalid_input(format!("neuron {neuron}: spike times not sorted at index {index} ({t} < previous {p})")));
        }
    }
    Ok(())
}

impl SpikeTrains {
    /// An empty set of `n` silent neurons with ids `0..n`.
    pub fn silent(n: usize) -> Self {
        SpikeTrains { ids: (0..n as u64).collect(), offsets: vec![0; n + 1], times: Vec::new() }
    }

    /// Builds from one `Vec` of times per neuron; `ids` defaults to `0..trains.len()`.
    /// Times must be finite, `>= 0` and non-decreasing within each train.
    pub fn from_trains(trains: Vec<Vec<f64>>, ids: Option<Vec<u64>>) -> Result<Self> {
        let n = trains.len();
        let ids = Self::check_ids(n, ids)?;
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let total = trains.iter().map(Vec::len).sum();
        let mut times = Vec::with_capacity(total);
        for (r, train) in trains.into_iter().enumerate() {
            let mut prev = None;
            for (k, &t) in train.iter().enumerate() {
                check_time(ids[r], k, t, prev)?;
                prev = Some(t);
            }
            times.extend_from_slice(&train);
            offsets.push(times.len());
        }
        Ok(SpikeTrains { ids, offsets, times })
    }

    /// Wraps flat CSR-style arrays after validating them (see the module doc).
    pub fn from_parts(offsets: Vec<usize>, times: Vec<f64>, ids: Option<Vec<u64>>) -> Result<Self> {
        if offsets.is_empty() {
            return Err(Error::invalid_input("offsets must have length n + 1 >= 1"));
        }
        let n = offsets.len() - 1;
        if offsets[0] != 0 || offsets[n] != times.len() {
            return Err(Error::invalid_input(format!(
                "offsets[0] = {} and offsets[n] = {} must be 0 and times.len() = {}",
                offsets[0],
                offsets[n],
                times.len()
            )));
        }
        let ids = Self::check_ids(n, ids)?;
        for r in 0..n {
            if offsets[r] > offsets[r + 1] {
                return Err(Error::invalid_input(format!("offsets decrease at row {r} (neuron {})", ids[r])));
            }
            let mut prev = None;
            for (k, &t) in times[offsets[r]..offsets[r + 1]].iter().enumerate() {
                check_time(ids[r], k, t, prev)?;
                prev = Some(t);
            }
        }
        Ok(SpikeTrains { ids, offsets, times })
    }

    /// Builds `n` trains from `(neuron, time)` pairs, e.g. the rows of a spike table.
    /// `neurons[k]` is a row index in `0..n`. Within each neuron the times must appear in
    /// non-decreasing order unless `sort` is true (then each train is sorted); the global order
    /// of the pairs is free (a table sorted by time is fine). Errors name the neuron and the
    /// pair index `k`. O(n + pairs) (plus sorting when requested).
    pub fn from_pairs(n: usize, neurons: &[u32], times: &[f64], ids: Option<Vec<u64>>, sort: bool) -> Result<Self> {
        if neurons.len() != times.len() {
            return Err(Error::invalid_input(format!("neurons has {} entries but times has {}", neurons.len(), times.len())));
        }
        let ids = Self::check_ids(n, ids)?;
        let mut offsets = vec![0usize; n + 1];
        for (k, &i) in neurons.iter().enumerate() {
            if i as usize >= n {
                return Err(Error::invalid_input(format!("neuron id {i} at index {k} is out of range for {n} neurons")));
            }
            offsets[i as usize + 1] += 1;
        }
        for r in 0..n {
            offsets[r + 1] += offsets[r];
        }
        let mut fill = offsets[..n].to_vec();
        let mut out = vec![0.0; times.len()];
        // Last accepted time per neuron, to report the pair index of an out-of-order spike.
        let mut last = vec![f64::NEG_INFINITY; n];
        for (k, (&i, &t)) in neurons.iter().zip(times).enumerate() {
            let r = i as usize;
            if !t.is_finite() {
                return Err(Error::not_finite(format!("neuron {}: spike time at index {k} is {t}", ids[r])));
            }
            if t < 0.0 {
                return Err(Error::invalid_input(format!("neuron {}: spike time at index {k} is negative ({t})", ids[r])));
            }
            if !sort && t < last[r] {
                return Err(Error::invalid_input(format!(
                    "neuron {}: spike times not sorted at index {k} ({t} < previous {})",
                    ids[r], last[r]
                )));
            }
            last[r] = t;
            out[fill[r]] = t;
            fill[r] += 1;
        }
        if sort {
            for r in 0..n {
                out[offsets[r]..offsets[r + 1]].sort_unstable_by(f64::total_cmp);
            }
        }
        Ok(SpikeTrains { ids, offsets, times: out })
    }

    fn check_ids(n: usize, ids: Option<Vec<u64>>) -> Result<Vec<u64>> {
        match ids {
            None => Ok((0..n as u64).collect()),
            Some(ids) if ids.len() == n => Ok(ids),
            Some(ids) => Err(Error::invalid_input(format!("ids has {} entries for {n} neurons", ids.len()))),
        }
    }

    /// Number of neurons (rows).
    pub fn n(&self) -> usize {
        self.ids.len()
    }
    /// External ids, one per row.
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }
    /// Row offsets into [`SpikeTrains::times`] (length `n + 1`).
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }
    /// All spike times, row after row.
    pub fn times(&self) -> &[f64] {
        &self.times
    }
    /// The spike times of row `r` (panics if `r >= n`, like slice indexing).
    pub fn train(&self, r: usize) -> &[f64] {
        &self.times[self.offsets[r]..self.offsets[r + 1]]
    }
    /// Total number of spikes.
    pub fn num_spikes(&self) -> usize {
        self.times.len()
    }
    /// Spike count per row.
    pub fn counts(&self) -> Vec<usize> {
        self.offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }
    /// Earliest and latest spike time, `None` when there is no spike.
    pub fn time_range(&self) -> Option<(f64, f64)> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for r in 0..self.n() {
            let t = self.train(r);
            if let (Some(&a), Some(&b)) = (t.first(), t.last()) {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// The rows `rows` (in that order), keeping their ids. Errors on an out-of-range row.
    pub fn select(&self, rows: &[usize]) -> Result<SpikeTrains> {
        let mut ids = Vec::with_capacity(rows.len());
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let mut times = Vec::new();
        for (k, &r) in rows.iter().enumerate() {
            if r >= self.n() {
                return Err(Error::invalid_input(format!("rows[{k}] = {r} is out of range for {} neurons", self.n())));
            }
            ids.push(self.ids[r]);
            times.extend_from_slice(self.train(r));
            offsets.push(times.len());
        }
        Ok(SpikeTrains { ids, offsets, times })
    }

    /// Keeps only spikes in `[t_start, t_stop)` (all rows kept).
    pub fn window(&self, t_start: f64, t_stop: f64) -> Result<SpikeTrains> {
        check_window(t_start, t_stop)?;
        let mut offsets = Vec::with_capacity(self.n() + 1);
        offsets.push(0);
        let mut times = Vec::new();
        for r in 0..self.n() {
            let t = self.train(r);
            let a = t.partition_point(|&x| x < t_start);
            let b = t.partition_point(|&x| x < t_stop);
            times.extend_from_slice(&t[a..b]);
            offsets.push(times.len());
        }
        Ok(SpikeTrains { ids: self.ids.clone(), offsets, times })
    }

    /// Rate and ISI statistics of every row over `[t_start, t_stop)`.
    pub fn stats(&self, t_start: f64, t_stop: f64, exec: &Exec) -> Result<Vec<TrainStats>> {
        check_window(t_start, t_stop)?;
        let mut out = Vec::with_capacity(self.n());
        for r in 0..self.n() {
            if r % 4096 == 0 {
                exec.check()?;
            }
            let t = self.train(r);
            let t = &t[t.partition_point(|&x| x < t_start)..t.partition_point(|&x| x < t_stop)];
            out.push(train_stats(t, t_stop - t_start));
        }
        Ok(out)
    }

    /// All spikes as `(row, time)` pairs sorted by time (ties by row): a k-way merge, O(S log n).
    pub fn to_time_ordered(&self) -> Vec<(u32, f64)> {
        let mut pairs: Vec<(u32, f64)> = Vec::with_capacity(self.num_spikes());
        for r in 0..self.n() {
            pairs.extend(self.train(r).iter().map(|&t| (r as u32, t)));
        }
        pairs.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        pairs
    }
}

pub(crate) fn check_window(t_start: f64, t_stop: f64) -> Result<()> {
    if !t_start.is_finite() || !t_stop.is_finite() {
        return Err(Error::not_finite(format!("time window [{t_start}, {t_stop}) must be finite")));
    }
    if t_stop <= t_start {
        return Err(Error::invalid_input(format!("time window: t_stop ({t_stop}) must exceed t_start ({t_start})")));
    }
    Ok(())
}

/// Rate and ISI statistics of one sorted train observed for `duration` seconds.
pub fn train_stats(t: &[f64], duration: f64) -> TrainStats {
    let count = t.len();
    let rate = count as f64 / duration;
    let (mut isi_mean, mut isi_cv, mut isi_min) = (f64::NAN, f64::NAN, f64::INFINITY);
    if count >= 2 {
        let m = (count - 1) as f64;
        let mut s = 0.0;
        for w in t.windows(2) {
            let d = w[1] - w[0];
            s += d;
            isi_min = isi_min.min(d);
        }
        isi_mean = s / m;
        if count >= 3 {
            let var = t.windows(2).map(|w| (w[1] - w[0] - isi_mean).powi(2)).sum::<f64>() / (m - 1.0);
            isi_cv = var.sqrt() / isi_mean;
        }
    }
    TrainStats { count, rate, isi_mean, isi_cv, isi_min }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn build_and_access() {
        let s = SpikeTrains::from_trains(vec![vec![0.1, 0.2, 0.2], vec![], vec![1.5]], Some(vec![7, 8, 9])).unwrap();
        assert_eq!(s.n(), 3);
        assert_eq!(s.num_spikes(), 4);
        assert_eq!(s.train(0), &[0.1, 0.2, 0.2]);
        assert!(s.train(1).is_empty());
        assert_eq!(s.counts(), vec![3, 0, 1]);
        assert_eq!(s.time_range(), Some((0.1, 1.5)));
        assert_eq!(SpikeTrains::silent(0).time_range(), None);
        assert_eq!(SpikeTrains::silent(2).n(), 2);
        let sub = s.select(&[2, 0]).unwrap();
        assert_eq!(sub.ids(), &[9, 7]);
        assert_eq!(sub.train(0), &[1.5]);
        assert_eq!(s.select(&[3]).unwrap_err().code, ErrorCode::InvalidInput);
        let w = s.window(0.15, 1.5).unwrap();
        assert_eq!(w.counts(), vec![2, 0, 0]);
    }

    #[test]
    fn bad_times_name_neuron_and_index() {
        let e = SpikeTrains::from_trains(vec![vec![0.1], vec![0.3, 0.2]], Some(vec![4, 5])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("neuron 5") && e.message.contains("index 1"), "{}", e.message);
        let e = SpikeTrains::from_trains(vec![vec![-0.1]], None).unwrap_err();
        assert!(e.message.contains("negative") && e.message.contains("neuron 0"), "{}", e.message);
        let e = SpikeTrains::from_trains(vec![vec![0.0, f64::NAN]], None).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFinite);
        assert!(e.message.contains("index 1"));
        let e = SpikeTrains::from_trains(vec![vec![f64::INFINITY]], None).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFinite);
        assert!(SpikeTrains::from_trains(vec![vec![]], Some(vec![1, 2])).is_err());
        assert!(SpikeTrains::from_parts(vec![0, 2], vec![0.0], None).is_err());
        assert!(SpikeTrains::from_parts(vec![0, 2, 1], vec![0.0, 1.0], None).is_err());
        assert!(SpikeTrains::from_parts(vec![], vec![], None).is_err());
        let e = SpikeTrains::from_parts(vec![0, 2], vec![1.0, 0.5], None).unwrap_err();
        assert!(e.message.contains("index 1"));
    }

    #[test]
    fn pairs_group_by_neuron() {
        // A table sorted by time, interleaving neurons.
        let neurons = [1u32, 0, 1, 2, 0];
        let times = [0.1, 0.2, 0.3, 0.3, 0.9];
        let s = SpikeTrains::from_pairs(3, &neurons, &times, None, false).unwrap();
        assert_eq!(s.train(0), &[0.2, 0.9]);
        assert_eq!(s.train(1), &[0.1, 0.3]);
        assert_eq!(s.train(2), &[0.3]);
        let back = s.to_time_ordered();
        assert_eq!(back, vec![(1, 0.1), (0, 0.2), (1, 0.3), (2, 0.3), (0, 0.9)]);
        // Out of range id names the index.
        let e = SpikeTrains::from_pairs(2, &[0, 2], &[0.0, 0.1], None, false).unwrap_err();
        assert!(e.message.contains("neuron id 2") && e.message.contains("index 1"), "{}", e.message);
        // Unsorted within neuron 0: error unless sort is requested.
        let e = SpikeTrains::from_pairs(2, &[0, 1, 0], &[0.5, 0.1, 0.2], None, false).unwrap_err();
        assert!(e.message.contains("neuron 0") && e.message.contains("index 2"), "{}", e.message);
        let s = SpikeTrains::from_pairs(2, &[0, 1, 0], &[0.5, 0.1, 0.2], None, true).unwrap();
        assert_eq!(s.train(0), &[0.2, 0.5]);
        let e = SpikeTrains::from_pairs(2, &[0, 1], &[0.5, f64::NAN], Some(vec![10, 11]), true).unwrap_err();
        assert!(e.message.contains("neuron 11") && e.code == ErrorCode::NotFinite);
        assert!(SpikeTrains::from_pairs(2, &[0], &[0.5, 0.6], None, true).is_err());
    }

    #[test]
    fn isi_statistics_match_hand_computation() {
        let st = train_stats(&[0.0, 1.0, 3.0, 6.0], 10.0);
        assert_eq!(st.count, 4);
        assert!((st.rate - 0.4).abs() < 1e-15);
        assert!((st.isi_mean - 2.0).abs() < 1e-15);
        assert!((st.isi_cv - 0.5).abs() < 1e-15); // ISIs 1,2,3: sd 1, mean 2
        assert_eq!(st.isi_min, 1.0);
        assert!(train_stats(&[1.0], 1.0).isi_mean.is_nan());
        let s = SpikeTrains::from_trains(vec![vec![0.0, 1.0, 3.0, 6.0, 20.0]], None).unwrap();
        let st = s.stats(0.0, 10.0, &Exec::sequential()).unwrap();
        assert_eq!(st[0].count, 4);
        assert!(s.stats(1.0, 1.0, &Exec::sequential()).is_err());
    }
}
