//! Spike trains: the core's binning rule (`activity::bin_events`) for the facade's spike tables
//! (`inferSpikes`) and trains (`binSpikes`), and the core's per-train statistics.

use crate::job::guard;
use diffrg_core::activity::{bin_events, SpikeTrains};
use diffrg_core::exec::Exec;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
pub struct EventBinsJs {
    /// Bins of the window.
    pub bins: u32,
    /// Start of the first bin (s).
    pub start: f64,
    /// Exclusive end of the window (s).
    pub end: f64,
    /// Bin of each time; 4294967295 (2^32 - 1) for a time outside `[start, end)`.
    pub index: Uint32Array,
}

/// Bins spike times (any order) on `[start, end)` in bins of `binSeconds`; `start` defaults to 0,
/// `end` to one bin after the latest time (`start + binSeconds` without times).
#[napi]
pub fn bin_spike_times(times: Float64Array, bin_seconds: f64, start: Option<f64>, end: Option<f64>) -> Result<EventBinsJs> {
    guard(|| {
        let e = bin_events(&times, bin_seconds, start, end)?;
        Ok(EventBinsJs { bins: e.grid.bins as u32, start: e.grid.t_start, end: e.grid.t_stop, index: Uint32Array::new(e.index) })
    })
}

#[napi(object)]
pub struct TrainStatsJs {
    /// Spikes of each train in the window.
    pub count: Uint32Array,
    /// Rate (Hz).
    pub rate: Float64Array,
    /// Mean inter-spike interval (s); NaN with fewer than 2 spikes.
    pub isi_mean: Float64Array,
    /// Coefficient of variation of the inter-spike intervals (sample standard deviation / mean);
    /// NaN with fewer than 3 spikes.
    pub isi_cv: Float64Array,
}

/// Rate and ISI statistics of every train over `[start, end)`: train `i` is
/// `times[offsets[i] .. offsets[i + 1]]` (sorted seconds), as `simulateLif` returns them.
#[napi]
pub fn spike_train_stats(offsets: Float64Array, times: Float64Array, start: f64, end: f64) -> Result<TrainStatsJs> {
    let offsets: Vec<usize> = offsets.iter().map(|&o| o as usize).collect();
    let times = times.to_vec();
    guard(|| {
        let s = SpikeTrains::from_parts(offsets, times, None)?.stats(start, end, &Exec::sequential())?;
        Ok(TrainStatsJs {
            count: Uint32Array::new(s.iter().map(|x| x.count as u32).collect()),
            rate: Float64Array::new(s.iter().map(|x| x.rate).collect()),
            isi_mean: Float64Array::new(s.iter().map(|x| x.isi_mean).collect()),
            isi_cv: Float64Array::new(s.iter().map(|x| x.isi_cv).collect()),
        })
    })
}
