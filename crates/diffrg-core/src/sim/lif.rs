//! Clustered current-based leaky integrate-and-fire network with exponential synapses.
//!
//! Every neuron `i` (potential `v` in mV relative to rest) obeys
//!
//! ```text
//!   tau_m dv/dt = -v + I_e + I_i          (v frozen at v_reset during t_ref after a spike)
//!   tau_e dI_e/dt = -I_e,   tau_i dI_i/dt = -I_i
//!   v >= v_threshold  ->  spike, v <- v_reset
//! ```
//!
//! A spike of neuron `j` makes `I_e` (j excitatory) or `I_i` (j inhibitory) of every target
//! `i` jump by the signed weight `w_ij` (mV, see [`super::connectivity`]) after the synapse's
//! delay. External drive: every neuron receives an independent Poisson spike train of rate
//! `ext_rate_exc` (E) or `ext_rate_inh` (I) whose spikes make `I_e` jump by `w_ext`.
//!
//! Integration: fixed step `dt`, exact for the linear subthreshold dynamics (the propagator
//! of the 3-variable linear system, as Brian2's `exact` method and NEST's `iaf_psc_exp`):
//!
//! ```text
//!   v(t+dt) = e^{-dt/tau_m} v + P(tau_e) I_e + P(tau_i) I_i,
//!   P(tau_s) = tau_s / (tau_s - tau_m) (e^{-dt/tau_s} - e^{-dt/tau_m})   [(dt/tau_m) e^{-dt/tau_m} if tau_s = tau_m]
//! ```
//!
//! Synaptic input and external Poisson spikes arriving in step `t` are added to the currents at
//! the start of the step; spikes are detected at the end of the step and stamped with the step
//! start time `t dt`. A neuron that spiked in step `t` stays at `v_reset` for
//! `round(t_ref / dt)` steps, so inter-spike intervals are at least `t_ref + dt`.
//!
//! Parallel design (deterministic for a seed and independent of the thread count): neurons are
//! split into contiguous ranges, one per worker thread (scoped OS threads). Each worker owns the
//! state and the delay ring buffer of its range. Since no spike takes effect earlier than the
//! shortest delay `d_min`, workers advance `d_min` steps independently and then meet at one
//! spin barrier (the "min-delay" communication window of NEST); after it, every worker walks
//! all spikes of the window, step by step and in increasing neuron order, and adds the weights
//! of the synapses that end in its own range (each source row is pre-split at the range
//! boundaries). Every target thus receives its inputs in the same order whatever the number of
//! threads, so results are bitwise identical for any thread count. External Poisson spikes come from one ChaCha8 stream per
//! block of 64 neurons (exponential inter-arrival times), also independent of the partition.
//!
//! External stimulation over time (channels of neurons, piecewise-constant drive per control
//! period, open or closed loop) is described in [`super::stim`]; the control period is a
//! multiple of the communication window (the window shrinks to `gcd(d_min, period)`), and at
//! every period boundary one worker calls the controller after the window's spikes are known,
//! then a second barrier publishes the new drive to all workers.
//!
//! References: N. Brunel, J. Comput. Neurosci. 8 (2000) 183; A. Litwin-Kumar and B. Doiron,
//! Nat. Neurosci. 15 (2012) 1498; S. Rotter and M. Diesmann, Biol. Cybern. 81 (1999) 381
//! (exact integration).

use super::connectivity::{build_internal, Connectivity, InternalNetwork, NetworkOptions};
use super::stim::{check_drive, poisson_small, Controller, DriveMode, Stimulation};
use crate::activity::SpikeTrains;
use crate::error::{Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Exp1;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Neurons per external-drive random stream (ranges of worker threads are aligned to it).
const RNG_BLOCK: usize = 64;

/// Simulation options. Times in seconds, rates in Hz, potentials and weights in mV.
#[derive(Debug, Clone, PartialEq)]
pub struct LifOptions {
    /// Network structure (size, clusters, weights, delays).
    pub network: NetworkOptions,
    /// Simulated time (s). Default 1.0.
    pub duration: f64,
    /// Integration step (s). Default 1e-4 (0.1 ms).
    pub dt: f64,
    /// Membrane time constant of E neurons (s). Default 20 ms.
    pub tau_m_exc: f64,
    /// Membrane time constant of I neurons (s). Default 10 ms.
    pub tau_m_inh: f64,
    /// Decay time of excitatory synaptic currents (s). Default 5 ms.
    pub tau_syn_exc: f64,
    /// Decay time of inhibitory synaptic currents (s). Default 5 ms.
    pub tau_syn_inh: f64,
    /// Spike threshold (mV above rest). Default 20.
    pub v_threshold: f64,
    /// Reset potential (mV above rest). Default 10.
    pub v_reset: f64,
    /// Absolute refractory period (s). Default 2 ms.
    pub t_ref: f64,
    /// External Poisson rate onto each E neuron (Hz). Default 2,000.
    pub ext_rate_exc: f64,
    /// External Poisson rate onto each I neuron (Hz). Default 2,000.
    pub ext_rate_inh: f64,
    /// External spike weight (mV jump of I_e). Default 2.0.
    pub w_ext: f64,
    /// Seed of the network, the initial potentials and the external drive. Default 1.
    pub seed: u64,
}

impl Default for LifOptions {
    fn default() -> Self {
        LifOptions {
            network: NetworkOptions::default(),
            duration: 1.0,
            dt: 1e-4,
            tau_m_exc: 20e-3,
            tau_m_inh: 10e-3,
            tau_syn_exc: 5e-3,
            tau_syn_inh: 5e-3,
            v_threshold: 20.0,
            v_reset: 10.0,
            t_ref: 2e-3,
            ext_rate_exc: 2000.0,
            ext_rate_inh: 2000.0,
            w_ext: 2.0,
            seed: 1,
        }
    }
}

/// Output of [`simulate`].
#[derive(Debug, Clone)]
pub struct LifResult {
    /// Spike trains of all neurons, row = public id (times in s).
    pub spikes: SpikeTrains,
    /// Ground-truth connectivity and cluster labels (public ids).
    pub connectivity: Connectivity,
    /// Number of integration steps.
    pub steps: usize,
    /// Worker threads actually used.
    pub threads: usize,
    /// Mean firing rate of E and I neurons (Hz).
    pub rate_exc: f64,
    pub rate_inh: f64,
}

fn positive(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(Error::invalid_input(format!("{name} must be positive and finite, got {v}")));
    }
    Ok(())
}

impl LifOptions {
    fn validate(&self) -> Result<()> {
        positive("dt", self.dt)?;
        if !(self.duration.is_finite() && self.duration >= 0.0) {
            return Err(Error::invalid_input(format!("duration must be finite and >= 0, got {}", self.duration)));
        }
        if self.duration > 0.0 && (self.duration / self.dt).round() < 1.0 {
            // steps = round(duration / dt) would be 0: nothing simulated, silently
            return Err(Error::invalid_input(format!(
                "dt ({} s) must not exceed twice the duration ({} s): no time step would be simulated",
                self.dt, self.duration
            )));
        }
        if self.duration / self.dt > u32::MAX as f64 {
            return Err(Error::too_large(format!("duration / dt = {} steps exceeds 2^32", self.duration / self.dt)));
        }
        for (name, v) in [
            ("tau_m_exc", self.tau_m_exc),
            ("tau_m_inh", self.tau_m_inh),
            ("tau_syn_exc", self.tau_syn_exc),
            ("tau_syn_inh", self.tau_syn_inh),
        ] {
            positive(name, v)?;
        }
        for (name, v) in
            [("t_ref", self.t_ref), ("ext_rate_exc", self.ext_rate_exc), ("ext_rate_inh", self.ext_rate_inh), ("w_ext", self.w_ext)]
        {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid_input(format!("{name} must be finite and >= 0, got {v}")));
            }
        }
        if !(self.v_threshold.is_finite() && self.v_reset.is_finite() && self.v_reset < self.v_threshold) {
            return Err(Error::invalid_input(format!(
                "v_reset ({}) must be below v_threshold ({}), both finite",
                self.v_reset, self.v_threshold
            )));
        }
        if self.t_ref / self.dt > u16::MAX as f64 {
            return Err(Error::invalid_input(format!("t_ref ({} s) is too long for dt = {} s", self.t_ref, self.dt)));
        }
        self.network.validate(self.dt)
    }
}

/// Exact propagator coefficient of a synaptic current with decay `tau_s` onto `v`.
fn propagator(dt: f64, tau_m: f64, tau_s: f64) -> f64 {
    let em = (-dt / tau_m).exp();
    if ((tau_s - tau_m) / tau_m).abs() < 1e-9 {
        dt / tau_m * em
    } else {
        tau_s / (tau_s - tau_m) * ((-dt / tau_s).exp() - em)
    }
}

/// Per-population update coefficients.
#[derive(Debug, Clone, Copy)]
struct Coeffs {
    em: f64,
    pe: f64,
    pi: f64,
    /// Expected external events per step.
    lambda: f64,
    /// `1 - em`: the exact step response of `v` to a constant injected current.
    ginj: f64,
}

/// Sense-reversing spin barrier for a fixed set of OS threads (yields when spinning long, so an
/// oversubscribed machine is not starved).
struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        SpinBarrier { n, count: AtomicUsize::new(0), generation: AtomicUsize::new(0) }
    }
    fn wait(&self) {
        if self.n == 1 {
            return;
        }
        let gen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == gen {
                spins += 1;
                if spins < 200 {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// The state of one worker: a contiguous neuron range `[lo, hi)`.
struct Worker {
    lo: usize,
    hi: usize,
    v: Vec<f64>,
    ie: Vec<f64>,
    ii: Vec<f64>,
    refr: Vec<u16>,
    /// Time to the next external spike, in steps.
    next_ext: Vec<f64>,
    /// One generator per RNG_BLOCK neurons.
    rngs: Vec<ChaCha8Rng>,
    /// Ring buffer `[slot][local neuron] -> (I_e jump, I_i jump)`.
    ring: Vec<[f64; 2]>,
    /// Recorded spikes `(internal neuron, step)`.
    record: Vec<(u32, u32)>,
    /// External drive of every local neuron in the current control period (0 without stimulation).
    drive: Vec<f64>,
    /// One generator per RNG_BLOCK neurons for the rate-mode drive.
    drive_rngs: Vec<ChaCha8Rng>,
}

/// Stimulation state shared by the workers.
struct StimShared {
    mode: DriveMode,
    period_steps: usize,
    /// Drive per internal neuron for the next period (written by worker 0 at a boundary).
    drive: Mutex<Vec<f64>>,
    error: Mutex<Option<Error>>,
}

/// Worker 0's side of the closed loop: the controller and the per-period records.
struct Hook<'c> {
    ctl: &'c mut dyn Controller,
    /// Observed index of every internal neuron (`u32::MAX`: not observed).
    observed_of: Vec<u32>,
    counts: Vec<u32>,
    /// Internal ids of every channel.
    channels: Vec<Vec<u32>>,
    n: usize,
    mode: DriveMode,
    dt: f64,
    drive_log: Vec<f64>,
    count_log: Vec<u32>,
}

impl Hook<'_> {
    /// Calls the controller at step `t` and returns the drive per internal neuron.
    fn call(&mut self, t: usize) -> Result<Vec<f64>> {
        let time = t as f64 * self.dt;
        let values = self.ctl.control(time, &self.counts)?;
        check_drive(time, &values, self.channels.len(), self.mode)?;
        self.drive_log.extend_from_slice(&values);
        let mut drive = vec![0.0; self.n];
        for (ch, v) in self.channels.iter().zip(&values) {
            ch.iter().for_each(|&g| drive[g as usize] += v);
        }
        Ok(drive)
    }
}

/// Everything the workers share read-only.
struct Shared<'a> {
    net: &'a InternalNetwork,
    /// `split[s * (threads + 1) + w]`: first synapse of source `s` targeting worker `w`'s range.
    split: Vec<usize>,
    coeffs: [Coeffs; 2],
    de: f64,
    di: f64,
    w_ext: f64,
    v_th: f64,
    v_reset: f64,
    ref_steps: u16,
    slots: usize,
    steps: usize,
    threads: usize,
    /// Steps per communication window (the shortest delay).
    window: usize,
    /// Windows between cancellation checks.
    check_windows: usize,
    /// Spikes of the current window per worker, double-buffered by window parity.
    spikes: Vec<[Mutex<WindowSpikes>; 2]>,
    barrier: SpinBarrier,
    stop: AtomicBool,
    stim: Option<StimShared>,
    dt: f64,
}

const CHECK_EVERY: usize = 200;

impl Worker {
    fn step(&mut self, sh: &Shared, t: usize, out: &mut Vec<u32>) {
        let n_loc = self.hi - self.lo;
        let slot = (t % sh.slots) * n_loc;
        let n_exc = sh.net.n_exc;
        for b in 0..self.rngs.len() {
            let rng = &mut self.rngs[b];
            let a = b * RNG_BLOCK;
            let z = ((b + 1) * RNG_BLOCK).min(n_loc);
            for k in a..z {
                let g = self.lo + k;
                let c = &sh.coeffs[usize::from(g >= n_exc)];
                let input = std::mem::take(&mut self.ring[slot + k]);
                let mut next = self.next_ext[k];
                let mut ext = 0u32;
                while next < 1.0 {
                    ext += 1;
                    let e: f64 = rng.sample(Exp1);
                    next += e / c.lambda;
                }
                self.next_ext[k] = next - 1.0;
                let d = self.drive[k];
                let mut inj = 0.0;
                if d != 0.0 {
                    match sh.stim.as_ref().map(|s| s.mode) {
                        Some(DriveMode::Rate) => ext += poisson_small(&mut self.drive_rngs[b], d * sh.dt),
                        _ => inj = c.ginj * d,
                    }
                }
                let ie = self.ie[k] + input[0] + sh.w_ext * ext as f64;
                let ii = self.ii[k] + input[1];
                if self.refr[k] > 0 {
                    self.refr[k] -= 1;
                } else {
                    let v = self.v[k] * c.em + ie * c.pe + ii * c.pi + inj;
                    if v >= sh.v_th {
                        self.v[k] = sh.v_reset;
                        self.refr[k] = sh.ref_steps;
                        out.push(g as u32);
                        self.record.push((g as u32, t as u32));
                    } else {
                        self.v[k] = v;
                    }
                }
                self.ie[k] = ie * sh.de;
                self.ii[k] = ii * sh.di;
            }
        }
    }

    /// Adds the synapses of `sources` (spiking at step `t`) that end in this worker's range.
    fn deliver(&mut self, sh: &Shared, w: usize, t: usize, sources: &[u32]) {
        let n_loc = self.hi - self.lo;
        let net = sh.net;
        for &s in sources {
            let s = s as usize;
            let ch = usize::from(s >= net.n_exc);
            let base = s * (sh.threads + 1);
            for k in sh.split[base + w]..sh.split[base + w + 1] {
                let slot = (t + net.delays[k] as usize) % sh.slots;
                let local = net.targets[k] as usize - self.lo;
                self.ring[slot * n_loc + local][ch] += net.weights[k];
            }
        }
    }

    fn run(&mut self, sh: &Shared, w: usize, exec: &Exec, progress: Option<&(dyn Fn(f64) + Sync)>, mut hook: Option<&mut Hook>) {
        let mut local = WindowSpikes::default();
        let mut t0 = 0;
        let mut window = 0usize;
        while t0 < sh.steps {
            let t1 = (t0 + sh.window).min(sh.steps);
            local.offsets.clear();
            local.neurons.clear();
            for t in t0..t1 {
                local.offsets.push(local.neurons.len());
                self.step(sh, t, &mut local.neurons);
            }
            local.offsets.push(local.neurons.len());
            {
                let mut slot = sh.spikes[w][window & 1].lock().unwrap_or_else(|e| e.into_inner());
                std::mem::swap(&mut *slot, &mut local);
            }
            let checkpoint = window % sh.check_windows == sh.check_windows - 1;
            if checkpoint && w == 0 {
                if exec.check().is_err() {
                    sh.stop.store(true, Ordering::Relaxed);
                } else if let Some(p) = progress {
                    p(t1 as f64 / sh.steps as f64);
                }
            }
            sh.barrier.wait();
            if checkpoint && sh.stop.load(Ordering::Relaxed) {
                return;
            }
            // Deliver the window's spikes step by step, in increasing neuron order.
            let guards: Vec<_> = sh.spikes.iter().map(|s| s[window & 1].lock().unwrap_or_else(|e| e.into_inner())).collect();
            for (j, t) in (t0..t1).enumerate() {
                for g in &guards {
                    self.deliver(sh, w, t, &g.neurons[g.offsets[j]..g.offsets[j + 1]]);
                }
            }
            if let Some(h) = hook.as_deref_mut() {
                for g in &guards {
                    for &s in &g.neurons {
                        let o = h.observed_of[s as usize];
                        if o != u32::MAX {
                            h.counts[o as usize] += 1;
                        }
                    }
                }
            }
            drop(guards);
            if let Some(st) = sh.stim.as_ref().filter(|st| t1 % st.period_steps == 0) {
                if let Some(h) = hook.as_deref_mut() {
                    h.count_log.extend_from_slice(&h.counts);
                    if t1 < sh.steps {
                        match h.call(t1) {
                            Ok(d) => *st.drive.lock().unwrap_or_else(|e| e.into_inner()) = d,
                            Err(e) => {
                                *st.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                                sh.stop.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                    h.counts.fill(0);
                }
                sh.barrier.wait();
                if sh.stop.load(Ordering::Relaxed) {
                    return;
                }
                if t1 < sh.steps {
                    self.drive.copy_from_slice(&st.drive.lock().unwrap_or_else(|e| e.into_inner())[self.lo..self.hi]);
                }
            }
            t0 = t1;
            window += 1;
        }
    }
}

/// Spikes of one worker in one communication window: `neurons[offsets[j]..offsets[j + 1]]`
/// fired at the window's `j`-th step.
#[derive(Debug, Default)]
struct WindowSpikes {
    offsets: Vec<usize>,
    neurons: Vec<u32>,
}

/// Fewest neurons worth one more worker thread. Each worker meets the others at one barrier
/// per communication window (`d_min` steps). On an idle 2-core machine 2 threads beat 1 at 500
/// neurons each (`LIF_N=1000 LIF_T=5 LIF_THREADS=1` and `=2 cargo run --release -p diffrg-core
/// --example reports -- lif_benchmark`: 0.44 s and 0.31 s); the bound leaves room for smaller
/// shares on many-core nodes. The former bound, 2048, left a 10,000-neuron network at most 5
/// threads on any node.
pub const MIN_NEURONS_PER_THREAD: usize = 256;

/// Simulates the clustered LIF network for `opts.duration` seconds (see the module doc).
///
/// `progress`, if given, is called from one worker with the completed fraction about every
/// `200 dt` of simulated time. Aborts with `ERR_ABORTED` within a few ms of `exec.cancel`.
pub fn simulate(opts: &LifOptions, exec: &Exec, progress: Option<&(dyn Fn(f64) + Sync)>) -> Result<LifResult> {
    simulate_partitioned(opts, exec, progress, MIN_NEURONS_PER_THREAD)
}

/// Per-period record of a stimulated run.
#[derive(Debug, Clone)]
pub struct StimRecord {
    /// Control periods simulated in full.
    pub periods: usize,
    pub channels: usize,
    pub observed: usize,
    /// `drive[p * channels + c]`: the value of channel `c` during period `p`.
    pub drive: Vec<f64>,
    /// `counts[p * observed + i]`: spikes of observed neuron `i` during period `p`.
    pub counts: Vec<u32>,
}

/// [`simulate`] with external stimulation: `controller` is called at `t = 0` (with zero counts)
/// and at the end of every control period (see [`super::stim`]).
///
/// # Errors
/// As [`simulate`]; `ERR_INVALID_INPUT` for a bad [`Stimulation`] or a controller output that is
/// not one finite value per channel (negative in rate mode); any error the controller returns.
/// Nothing is returned on error (no partial record).
pub fn simulate_stimulated(
    opts: &LifOptions,
    stim: &Stimulation,
    controller: &mut dyn Controller,
    exec: &Exec,
    progress: Option<&(dyn Fn(f64) + Sync)>,
) -> Result<(LifResult, StimRecord)> {
    simulate_with(opts, exec, progress, MIN_NEURONS_PER_THREAD, Some((stim, controller)))
        .map(|(r, s)| (r, s.expect("stimulated run has a record")))
}

/// [`simulate`] with at least `min_per_thread` neurons per worker (tests use small values to
/// exercise the multithreaded path on small networks).
pub(crate) fn simulate_partitioned(
    opts: &LifOptions,
    exec: &Exec,
    progress: Option<&(dyn Fn(f64) + Sync)>,
    min_per_thread: usize,
) -> Result<LifResult> {
    simulate_with(opts, exec, progress, min_per_thread, None).map(|r| r.0)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

pub(crate) fn simulate_with(
    opts: &LifOptions,
    exec: &Exec,
    progress: Option<&(dyn Fn(f64) + Sync)>,
    min_per_thread: usize,
    stim: Option<(&Stimulation, &mut dyn Controller)>,
) -> Result<(LifResult, Option<StimRecord>)> {
    opts.validate()?;
    let period_steps = match &stim {
        Some((st, _)) => Some(st.validate(opts.network.n, opts.dt)?),
        None => None,
    };
    let net = build_internal(&opts.network, opts.dt, opts.seed, exec)?;
    let n = opts.network.n;
    let n_exc = net.n_exc;
    let steps = (opts.duration / opts.dt).round() as usize;
    let (dmin, dmax) = opts.network.delay_steps(opts.dt);
    let slots = dmax as usize + 1;

    // One thread per >= min_per_thread neurons, ranges aligned to RNG blocks.
    let blocks = n.div_ceil(RNG_BLOCK);
    let threads = exec.threads.min(n.div_ceil(min_per_thread.max(1))).clamp(1, blocks);
    let bounds: Vec<usize> = (0..=threads).map(|w| (w * blocks / threads * RNG_BLOCK).min(n)).collect();

    let mut split = vec![0usize; n * (threads + 1)];
    for s in 0..n {
        let (a, b) = (net.indptr[s], net.indptr[s + 1]);
        let row = &net.targets[a..b];
        for (w, &bd) in bounds.iter().enumerate() {
            split[s * (threads + 1) + w] = a + row.partition_point(|&x| (x as usize) < bd);
        }
    }
    let dt = opts.dt;
    let coeffs = [
        Coeffs {
            em: (-dt / opts.tau_m_exc).exp(),
            pe: propagator(dt, opts.tau_m_exc, opts.tau_syn_exc),
            pi: propagator(dt, opts.tau_m_exc, opts.tau_syn_inh),
            lambda: opts.ext_rate_exc * dt,
            ginj: 1.0 - (-dt / opts.tau_m_exc).exp(),
        },
        Coeffs {
            em: (-dt / opts.tau_m_inh).exp(),
            pe: propagator(dt, opts.tau_m_inh, opts.tau_syn_exc),
            pi: propagator(dt, opts.tau_m_inh, opts.tau_syn_inh),
            lambda: opts.ext_rate_inh * dt,
            ginj: 1.0 - (-dt / opts.tau_m_inh).exp(),
        },
    ];
    let window = match period_steps {
        Some(p) => gcd(dmin as usize, p),
        None => dmin as usize,
    };
    let mut hook = match stim {
        Some((st, ctl)) => {
            let mut internal_of = vec![0u32; n];
            for (g, &p) in net.public.iter().enumerate() {
                internal_of[p as usize] = g as u32;
            }
            let mut observed_of = vec![u32::MAX; n];
            for (i, &p) in st.observed.iter().enumerate() {
                observed_of[internal_of[p] as usize] = i as u32;
            }
            Some(Hook {
                ctl,
                observed_of,
                counts: vec![0; st.observed.len()],
                channels: st.channels.iter().map(|c| c.iter().map(|&p| internal_of[p]).collect()).collect(),
                n,
                mode: st.mode,
                dt,
                drive_log: Vec::new(),
                count_log: Vec::new(),
            })
        }
        None => None,
    };
    let initial_drive = match hook.as_mut() {
        Some(h) => Some(h.call(0)?),
        None => None,
    };
    let stim_shared = stim_mode(&hook).map(|mode| StimShared {
        mode,
        period_steps: period_steps.unwrap_or(1),
        drive: Mutex::new(Vec::new()),
        error: Mutex::new(None),
    });
    let shared = Shared {
        net: &net,
        split,
        coeffs,
        de: (-dt / opts.tau_syn_exc).exp(),
        di: (-dt / opts.tau_syn_inh).exp(),
        w_ext: opts.w_ext,
        v_th: opts.v_threshold,
        v_reset: opts.v_reset,
        ref_steps: (opts.t_ref / dt).round() as u16,
        slots,
        steps,
        threads,
        window,
        check_windows: (CHECK_EVERY / window).max(1),
        spikes: (0..threads).map(|_| [Mutex::new(WindowSpikes::default()), Mutex::new(WindowSpikes::default())]).collect(),
        barrier: SpinBarrier::new(threads),
        stop: AtomicBool::new(false),
        stim: stim_shared,
        dt,
    };

    // Initial state: v uniform in [v_reset, v_threshold), currents zero, first external
    // arrival exponential.
    let mut workers: Vec<Worker> = Vec::with_capacity(threads);
    for w in 0..threads {
        let (lo, hi) = (bounds[w], bounds[w + 1]);
        let n_loc = hi - lo;
        let mut rngs = Vec::new();
        let mut drive_rngs = Vec::new();
        let mut v = Vec::with_capacity(n_loc);
        let mut next_ext = Vec::with_capacity(n_loc);
        for b in (lo..hi).step_by(RNG_BLOCK) {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            rng.set_stream((1u64 << 40) + (b / RNG_BLOCK) as u64);
            for g in b..(b + RNG_BLOCK).min(hi) {
                v.push(opts.v_reset + (opts.v_threshold - opts.v_reset) * rng.random::<f64>());
                let lambda = coeffs[usize::from(g >= n_exc)].lambda;
                let e: f64 = rng.sample(Exp1);
                next_ext.push(if lambda > 0.0 { e / lambda } else { f64::INFINITY });
            }
            rngs.push(rng);
            let mut drng = ChaCha8Rng::seed_from_u64(opts.seed);
            drng.set_stream((2u64 << 40) + (b / RNG_BLOCK) as u64);
            drive_rngs.push(drng);
        }
        workers.push(Worker {
            lo,
            hi,
            v,
            ie: vec![0.0; n_loc],
            ii: vec![0.0; n_loc],
            refr: vec![0; n_loc],
            next_ext,
            rngs,
            ring: vec![[0.0; 2]; slots * n_loc],
            record: Vec::new(),
            drive: initial_drive.as_ref().map_or_else(|| vec![0.0; n_loc], |d| d[lo..hi].to_vec()),
            drive_rngs,
        });
    }

    let sh = &shared;
    if threads == 1 {
        workers[0].run(sh, 0, exec, progress, hook.as_mut());
    } else {
        std::thread::scope(|scope| {
            let mut rest = workers.iter_mut().enumerate();
            let (_, first) = rest.next().expect("at least one worker");
            for (w, worker) in rest {
                scope.spawn(move || worker.run(sh, w, exec, progress, None));
            }
            first.run(sh, 0, exec, progress, hook.as_mut());
        });
    }
    if let Some(e) = shared.stim.as_ref().and_then(|st| st.error.lock().unwrap_or_else(|e| e.into_inner()).take()) {
        return Err(e);
    }
    if shared.stop.load(Ordering::Relaxed) {
        return Err(Error::aborted());
    }
    exec.check()?;
    if let Some(p) = progress {
        p(1.0);
    }

    // Spike trains in public ids (counting sort; steps increase within each neuron).
    let mut offsets = vec![0usize; n + 1];
    for wk in &workers {
        for &(g, _) in &wk.record {
            offsets[net.public[g as usize] as usize + 1] += 1;
        }
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets[..n].to_vec();
    let mut times = vec![0.0; offsets[n]];
    for wk in &workers {
        for &(g, t) in &wk.record {
            let p = net.public[g as usize] as usize;
            times[fill[p]] = t as f64 * dt;
            fill[p] += 1;
        }
    }
    let spikes = SpikeTrains::from_parts(offsets, times, None)?;
    let connectivity = net.to_public(opts.network.clusters, dt);
    let counts = spikes.counts();
    let n_inh = n - n_exc;
    let sum_over = |exc: bool| -> f64 { (0..n).filter(|&p| connectivity.excitatory()[p] == exc).map(|p| counts[p] as f64).sum() };
    let dur = opts.duration.max(f64::MIN_POSITIVE);
    let rate_exc = if n_exc > 0 { sum_over(true) / n_exc as f64 / dur } else { 0.0 };
    let rate_inh = if n_inh > 0 { sum_over(false) / n_inh as f64 / dur } else { 0.0 };
    let record = hook.map(|h| {
        let (channels, observed) = (h.channels.len(), h.counts.len());
        let periods = h.count_log.len() / observed.max(1);
        let periods = if observed == 0 { steps / period_steps.unwrap_or(1) } else { periods };
        let mut drive = h.drive_log;
        drive.truncate(periods * channels);
        StimRecord { periods, channels, observed, drive, counts: h.count_log }
    });
    Ok((LifResult { spikes, connectivity, steps, threads, rate_exc, rate_inh }, record))
}

fn stim_mode(hook: &Option<Hook>) -> Option<DriveMode> {
    hook.as_ref().map(|h| h.mode)
}

#[cfg(test)]
#[path = "lif_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "stim_tests.rs"]
mod stim_tests;
