//! Binning of spike times: the core's one rule (`activity::bin_events`) for the facade's spike
//! tables (`inferSpikes`) and trains (`binSpikes`).

use crate::job::guard;
use diffrg_core::activity::bin_events;
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
