//! External stimulation of the LIF network: drive channels, open-loop schedules, excitation
//! protocols and the closed-loop hook.
//!
//! A channel is a set of neurons (public ids: an assembly, a fraction of one, a random subset).
//! The drive of channel `c` is a value `u_c` held constant over each control period (piecewise
//! constant, zero-order hold); a neuron's drive is the sum over the channels that contain it.
//! In [`DriveMode::Current`] the drive is an injected current in mV (it adds `u` to the right-hand
//! side `-v + I_e + I_i + u` of the membrane equation, integrated exactly: `v += (1 - e^{-dt/τ_m}) u`);
//! in [`DriveMode::Rate`] it is an extra Poisson input of `u` Hz with the external weight
//! `w_ext` (superposed on the background drive; per-step counts from a ChaCha8 stream per block
//! of 64 neurons, so the run is deterministic for a seed whatever the thread count).
//!
//! Every control period the simulator calls a [`Controller`] with the spike counts of the
//! observed neurons in the period just ended; it returns the channel values for the next one.
//! [`Schedule`] (open loop, from a `time_s,channel,value` table) and [`Telegraph`] (random
//! telegraph / PRBS excitation for system identification) are controllers too.

use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How a channel's value acts on its neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriveMode {
    /// Injected current (mV of steady depolarisation).
    Current,
    /// Extra Poisson input (Hz), values must be >= 0. Default.
    #[default]
    Rate,
}

impl DriveMode {
    pub fn parse(s: &str) -> Result<DriveMode> {
        match s {
            "current" => Ok(DriveMode::Current),
            "rate" => Ok(DriveMode::Rate),
            _ => Err(Error::invalid_input(format!("mode must be 'current' or 'rate' (got '{s}')"))),
        }
    }
}

/// Stimulation set-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulation {
    /// Neurons (public ids) of every channel.
    pub channels: Vec<Vec<usize>>,
    pub mode: DriveMode,
    /// Control period (s): a whole number of integration steps. Default 10 ms.
    pub period: f64,
    /// Observed neurons (public ids), in the order of the counts given to the controller.
    pub observed: Vec<usize>,
}

impl Stimulation {
    /// Checks channels and observed ids against `n` neurons and the period against `dt`;
    /// returns the period in steps.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for no channels, an empty channel, an id `>= n`, or a period that is
    /// not a positive whole number of steps.
    pub fn validate(&self, n: usize, dt: f64) -> Result<usize> {
        if self.channels.is_empty() {
            return Err(Error::invalid_input("stimulation: no channels"));
        }
        for (c, ch) in self.channels.iter().enumerate() {
            if ch.is_empty() {
                return Err(Error::invalid_input(format!("stimulation: channel {c} is empty")));
            }
            if let Some(&i) = ch.iter().find(|&&i| i >= n) {
                return Err(Error::invalid_input(format!("stimulation: channel {c} names neuron {i} of a {n}-neuron network")));
            }
        }
        if let Some(&i) = self.observed.iter().find(|&&i| i >= n) {
            return Err(Error::invalid_input(format!("stimulation: observed neuron {i} of a {n}-neuron network")));
        }
        let steps = (self.period / dt).round();
        if !(self.period.is_finite() && steps >= 1.0 && (steps * dt - self.period).abs() <= 1e-9 * self.period) {
            return Err(Error::invalid_input(format!(
                "stimulation: period ({} s) must be a positive multiple of dt ({dt} s)",
                self.period
            )));
        }
        Ok(steps as usize)
    }
}

/// A policy called every control period.
pub trait Controller {
    /// `t`: the time (s) at which the next period starts; `counts`: spikes of every observed
    /// neuron in the period that ended at `t` (all zero at `t = 0`). Returns one value per channel.
    fn control(&mut self, t: f64, counts: &[u32]) -> Result<Vec<f64>>;
}

/// Checks a controller's output: one finite value per channel, non-negative in rate mode.
pub fn check_drive(t: f64, values: &[f64], channels: usize, mode: DriveMode) -> Result<()> {
    if values.len() != channels {
        return Err(Error::invalid_input(format!("controller: returned {} values for {channels} channels at t = {t} s", values.len())));
    }
    for (c, &v) in values.iter().enumerate() {
        if !v.is_finite() || (mode == DriveMode::Rate && v < 0.0) {
            let need = if mode == DriveMode::Rate { "finite and >= 0 (rate mode)" } else { "finite" };
            return Err(Error::invalid_input(format!("controller: channel {c} drive is {v} at t = {t} s; it must be {need}")));
        }
    }
    Ok(())
}

/// An open-loop schedule: entry `k` sets channel `channel[k]` to `value[k]` from `time[k]` on
/// (every channel starts at 0). Times are sorted and non-negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub time: Vec<f64>,
    pub channel: Vec<usize>,
    pub value: Vec<f64>,
    channels: usize,
    next: usize,
    current: Vec<f64>,
}

impl Schedule {
    /// # Errors
    /// `ERR_INVALID_INPUT` naming the row (1-based, as in the file after its header) for
    /// unequal lengths, a negative, non-finite or decreasing time, an unknown channel or a
    /// non-finite value (negative in rate mode).
    pub fn new(time: Vec<f64>, channel: Vec<usize>, value: Vec<f64>, channels: usize, mode: DriveMode) -> Result<Self> {
        if time.len() != channel.len() || time.len() != value.len() {
            return Err(Error::invalid_input(format!(
                "schedule: {} times, {} channels, {} values",
                time.len(),
                channel.len(),
                value.len()
            )));
        }
        for k in 0..time.len() {
            let row = k + 1;
            if !(time[k].is_finite() && time[k] >= 0.0) {
                return Err(Error::invalid_input(format!("schedule: row {row}: time_s = {} must be finite and >= 0", time[k])));
            }
            if k > 0 && time[k] < time[k - 1] {
                return Err(Error::invalid_input(format!(
                    "schedule: row {row}: time_s = {} is before the previous row's {} (times must be sorted)",
                    time[k],
                    time[k - 1]
                )));
            }
            if channel[k] >= channels {
                return Err(Error::invalid_input(format!("schedule: row {row}: channel {} is unknown ({channels} channels)", channel[k])));
            }
            if !value[k].is_finite() || (mode == DriveMode::Rate && value[k] < 0.0) {
                return Err(Error::invalid_input(format!(
                    "schedule: row {row}: value {} must be finite{}",
                    value[k],
                    if mode == DriveMode::Rate { " and >= 0 (rate mode)" } else { "" }
                )));
            }
        }
        Ok(Schedule { time, channel, value, channels, next: 0, current: vec![0.0; channels] })
    }
}

impl Controller for Schedule {
    /// The values in force at `t` (entries up to `t` plus half a nanosecond, so that times on
    /// the period grid are not lost to rounding).
    fn control(&mut self, t: f64, _counts: &[u32]) -> Result<Vec<f64>> {
        while self.next < self.time.len() && self.time[self.next] <= t + 5e-10 {
            self.current[self.channel[self.next]] = self.value[self.next];
            self.next += 1;
        }
        debug_assert_eq!(self.current.len(), self.channels);
        Ok(self.current.clone())
    }
}

/// Random telegraph excitation: every channel switches between `low` and `high` with
/// probability `1/dwell` per control period (mean dwell `dwell` periods; `dwell = 1`: a
/// pseudo-random binary sequence with independent periods). Seeded (ChaCha8).
#[derive(Debug, Clone)]
pub struct Telegraph {
    pub low: f64,
    pub high: f64,
    state: Vec<bool>,
    p_switch: f64,
    rng: ChaCha8Rng,
}

impl Telegraph {
    /// # Errors
    /// `ERR_INVALID_INPUT` for `dwell < 1` or non-finite levels.
    pub fn new(channels: usize, low: f64, high: f64, dwell: f64, seed: u64) -> Result<Self> {
        if !(dwell >= 1.0 && dwell.is_finite()) {
            return Err(Error::invalid_input(format!("telegraph: dwell must be >= 1 period (got {dwell})")));
        }
        if !(low.is_finite() && high.is_finite()) {
            return Err(Error::invalid_input("telegraph: levels must be finite"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(7);
        let state = (0..channels).map(|_| rng.random::<bool>()).collect();
        Ok(Telegraph { low, high, state, p_switch: if dwell == 1.0 { 0.5 } else { 1.0 / dwell }, rng })
    }
}

impl Controller for Telegraph {
    fn control(&mut self, _t: f64, _counts: &[u32]) -> Result<Vec<f64>> {
        for s in self.state.iter_mut() {
            if self.rng.random::<f64>() < self.p_switch {
                *s = !*s;
            }
        }
        Ok(self.state.iter().map(|&s| if s { self.high } else { self.low }).collect())
    }
}

/// A Poisson count of mean `mu` (small: per-step drive) by inversion.
#[inline]
pub(crate) fn poisson_small(rng: &mut ChaCha8Rng, mu: f64) -> u32 {
    let u: f64 = rng.random();
    let mut p = (-mu).exp();
    let mut s = p;
    let mut k = 0u32;
    while u > s && k < 10_000 {
        k += 1;
        p *= mu / k as f64;
        s += p;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_validation_names_the_row() {
        let ok = Schedule::new(vec![0.0, 0.5, 0.5], vec![0, 1, 0], vec![1.0, 2.0, 3.0], 2, DriveMode::Rate).unwrap();
        let mut s = ok.clone();
        assert_eq!(s.control(0.0, &[]).unwrap(), vec![1.0, 0.0]);
        assert_eq!(s.control(0.5, &[]).unwrap(), vec![3.0, 2.0]);
        let e = Schedule::new(vec![0.2, 0.1], vec![0, 0], vec![1.0, 1.0], 1, DriveMode::Rate).unwrap_err();
        assert!(e.message.contains("row 2") && e.message.contains("sorted"), "{}", e.message);
        let e = Schedule::new(vec![-0.1], vec![0], vec![1.0], 1, DriveMode::Rate).unwrap_err();
        assert!(e.message.contains("row 1") && e.message.contains(">= 0"), "{}", e.message);
        let e = Schedule::new(vec![0.0], vec![3], vec![1.0], 2, DriveMode::Rate).unwrap_err();
        assert!(e.message.contains("channel 3 is unknown"), "{}", e.message);
        let e = Schedule::new(vec![0.0], vec![0], vec![-1.0], 1, DriveMode::Rate).unwrap_err();
        assert!(e.message.contains("rate mode"), "{}", e.message);
        assert!(Schedule::new(vec![0.0], vec![0], vec![-1.0], 1, DriveMode::Current).is_ok());
    }

    #[test]
    fn telegraph_dwell_and_levels() {
        let mut t = Telegraph::new(3, 0.0, 5.0, 4.0, 1).unwrap();
        let mut switches = 0;
        let mut prev = t.control(0.0, &[]).unwrap();
        for _ in 0..4000 {
            let v = t.control(0.0, &[]).unwrap();
            assert!(v.iter().all(|&x| x == 0.0 || x == 5.0));
            switches += v.iter().zip(&prev).filter(|(a, b)| a != b).count();
            prev = v;
        }
        // switch probability 1/4 per channel and period: 3000 expected, sd ~ 47
        assert!((switches as f64 - 3000.0).abs() < 250.0, "{switches}");
        assert!(Telegraph::new(1, 0.0, 1.0, 0.5, 1).is_err());
    }

    #[test]
    fn poisson_counts_have_the_right_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 200_000;
        let mu = 0.05;
        let sum: u32 = (0..n).map(|_| poisson_small(&mut rng, mu)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - mu).abs() < 5.0 * (mu / n as f64).sqrt(), "{mean}");
    }

    #[test]
    fn drive_check() {
        assert!(check_drive(0.0, &[1.0, f64::NAN], 2, DriveMode::Current).unwrap_err().message.contains("channel 1 drive is NaN"));
        assert!(check_drive(0.0, &[1.0], 2, DriveMode::Current).is_err());
        assert!(check_drive(0.0, &[-1.0], 1, DriveMode::Rate).is_err());
        assert!(check_drive(0.0, &[-1.0], 1, DriveMode::Current).is_ok());
    }
}
