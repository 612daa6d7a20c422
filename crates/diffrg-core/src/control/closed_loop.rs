//! The coarse-to-fine closed-loop demonstration (issue 11, docs/control.md "Closed loop"):
//! identify the coarse dynamics of a clustered LIF network with inputs, then steer one cell
//! assembly to a target rate through a controller designed on the identified coarse model.
//!
//! 1. Network: `assemblies` excitatory assemblies of `assembly_size` neurons plus
//!    `inhibitory` unclustered inhibitory neurons ([`crate::sim::connectivity`]); channel `a`
//!    reaches a seeded random `drive_fraction` of assembly `a` (rate-mode Poisson drive);
//!    a random `observe` fraction of all neurons is observed.
//! 2. Identification: an `id_duration` run under random telegraph excitation of every channel
//!    (levels `0` and `excitation`, mean dwell `dwell` periods); the observed spike counts per
//!    control period are the data.
//! 3. Communities inferred by diffrg from that run: the inferred graph ([`crate::infer`],
//!    `infer_method`, on the period counts), its `edges_per_node · N` strongest couplings
//!    (|weight|, undirected), Leiden; communities smaller than `min_community` are left out of
//!    the coarse state. ARI against the planted assemblies over the observed excitatory neurons.
//! 4. Coarse state = community rates (Hz) over the excitatory members, post-stratified by
//!    stimulation ([`rate_weights`]); ARX / DMDc fit ([`super::sysid`]) with held-out R².
//! 5. Control run (`duration`): open loop at `u_0` until `step_time` (the baseline, measured
//!    over `[settle, step_time)`), then the target: the observed neurons of the target assembly
//!    should move by `Δ = target_rate - baseline`, i.e. community `k` by `Δ f_k` (`f_k` the
//!    fraction of its members in the target assembly), the others held. Three runs on the same
//!    network and drive noise: the [`Tracker`] (LQR or MPC with integral action + Kalman
//!    filter), the open-loop static inverse of the same model, and the same tracker designed
//!    on a random partition of the same community sizes.
//! 6. Scores (ground truth: all excitatory neurons of each assembly): error of the target
//!    assembly's mean rate over the last second as a fraction of the step; largest change of
//!    an off-target assembly's mean rate over the last second from its baseline; RMS error of
//!    the target assembly's rate in `rms_window` windows after the step.

use super::sysid::{fit_arx, ArxFit, ArxOptions};
use super::tracking::{Policy, Tracker, TrackingOptions};
use crate::community::leiden::{leiden, LeidenOptions};
use crate::community::metrics::adjusted_rand_index;
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::{EdgeListOptions, Graph};
use crate::infer::api::{infer_dense, InferOptions, Method};
use crate::sim::connectivity::Connectivity;
use crate::sim::lif::{simulate_stimulated, LifOptions, LifResult, StimRecord};
use crate::sim::stim::{Controller, DriveMode, Stimulation, Telegraph};
use crate::sim::subsample::{subsample, SubsampleMode};
use faer::Mat;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Options of [`closed_loop`]. Times in s, rates and drives in Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedLoopOptions {
    /// Excitatory assemblies. Default 4.
    pub assemblies: usize,
    /// Excitatory neurons per assembly. Default 100.
    pub assembly_size: usize,
    /// Inhibitory neurons (one unclustered pool). Default 100.
    pub inhibitory: usize,
    /// Fraction of an assembly its channel reaches. Default 0.5.
    pub drive_fraction: f64,
    /// Fraction of all neurons observed. Default 0.3.
    pub observe: f64,
    /// Control period = bin of the coarse rates. Default 0.01.
    pub period: f64,
    /// Identification run length. Default 60.
    pub id_duration: f64,
    /// Telegraph mean dwell (periods). Default 10.
    pub dwell: f64,
    /// Operating drive `u_0` of every channel (Hz of extra Poisson input) before the step.
    /// Default 15: a low operating point makes the step to the target large (baseline 7-13 Hz
    /// instead of 10-17 Hz at 100), so the sampling error of the observed neurons' rate, about
    /// 1.3 Hz at the target whatever `u_0`, is a smaller fraction of it (docs/control.md).
    pub operating_drive: f64,
    /// Assembly to steer (0-based). Default 0.
    pub target_assembly: usize,
    /// Target rate of that assembly. Default 20.
    pub target_rate: f64,
    /// Control run length. Default 6.
    pub duration: f64,
    /// Start of the step. Default 2.
    pub step_time: f64,
    /// Start of the baseline window (transient dropped). Default 0.3.
    pub settle: f64,
    /// Window of the RMS error. Default 0.1.
    pub rms_window: f64,
    /// Inference method for the communities. Default correlation.
    pub infer_method: Method,
    /// Strongest couplings kept per observed neuron for Leiden. Default 16 (8: ARI 0.70-0.86 on
    /// seeds 1-3, 16: 0.96-0.99; docs/control.md).
    pub edges_per_node: f64,
    /// Smallest community kept in the coarse state. Default 4.
    pub min_community: usize,
    /// Controller weights, bounds and policy (default LQR, drive in `[0, 1000]` Hz).
    pub tracking: TrackingOptions,
    /// Expected E and I inputs per neuron. Default 40 and 10.
    pub k_exc: f64,
    pub k_inh: f64,
    /// Fraction of an E neuron's E inputs from its own assembly. Default 0.5.
    pub in_fraction: f64,
    /// In-assembly E -> E weight factor. Default 2.5.
    pub w_ratio: f64,
    /// Telegraph high level (Hz; low level 0). Default 400.
    pub excitation: f64,
    /// Post-stratify the coarse rates by stimulation (see [`rate_weights`]). Default true.
    pub stratify: bool,
    /// Seed of everything. Default 1.
    pub seed: u64,
}

impl Default for ClosedLoopOptions {
    fn default() -> Self {
        ClosedLoopOptions {
            assemblies: 4,
            assembly_size: 100,
            inhibitory: 100,
            drive_fraction: 0.5,
            observe: 0.3,
            period: 0.01,
            id_duration: 60.0,
            dwell: 10.0,
            operating_drive: 15.0,
            target_assembly: 0,
            target_rate: 20.0,
            duration: 6.0,
            step_time: 2.0,
            settle: 0.3,
            rms_window: 0.1,
            infer_method: Method::Correlation,
            edges_per_node: 16.0,
            min_community: 4,
            tracking: TrackingOptions::default(),
            k_exc: 40.0,
            k_inh: 10.0,
            in_fraction: 0.5,
            w_ratio: 2.5,
            excitation: 400.0,
            stratify: true,
            seed: 1,
        }
    }
}

/// Identification summary.
#[derive(Debug, Clone)]
pub struct Identification {
    /// Held-out one-step pooled R² of the ARX fit on the community rates.
    pub prediction_r2: f64,
    pub r2_train: f64,
    /// Communities in the coarse state.
    pub communities: usize,
    /// ARI of the inferred communities vs the planted assemblies (observed E neurons).
    pub ari: f64,
    pub spectral_radius: f64,
    /// Observed neuron ids (public) and their community (`usize::MAX`: left out).
    pub observed: Vec<u32>,
    pub labels: Vec<usize>,
    /// The identified model.
    pub fit: ArxFit,
}

/// One control run's scores and traces.
#[derive(Debug, Clone)]
pub struct LoopRun {
    /// `|mean rate over the last second - target| / |step|` of the target assembly.
    pub final_error_fraction: f64,
    /// Largest `|mean over the last second - baseline|` of an off-target assembly.
    pub off_target_max_hz: f64,
    /// RMS error of the target assembly after the step (`rms_window` windows).
    pub rms_error_hz: f64,
    /// Baseline and last-second mean rate of every assembly.
    pub baseline_hz: Vec<f64>,
    pub final_hz: Vec<f64>,
    /// Per period: `rates[p * assemblies + a]` (all E neurons of assembly `a`),
    /// `drive[p * channels + c]`, `reference[p]` (target assembly's reference).
    pub rates: Vec<f64>,
    pub drive: Vec<f64>,
    pub reference: Vec<f64>,
    pub periods: usize,
    /// MPC: largest QP iteration count and whether all QPs converged.
    pub qp_iterations: usize,
    pub qp_converged: bool,
    /// Fraction of the last second's periods in which some channel's drive sat at a bound.
    pub saturated_fraction: f64,
    /// The same error as `final_error_fraction` measured on what the controller sees: the
    /// (post-stratified) rate of the observed neurons of the target assembly, against the
    /// target, as a fraction of the observed step. Small while `final_error_fraction` is large:
    /// the loop holds the observed sample and the miss is the sample's unrepresentativeness.
    pub observed_final_error_fraction: f64,
    /// What the controller measured of the target assembly (its observed neurons'
    /// post-stratified rate): the baseline and the last second's mean (Hz).
    pub observed_baseline_hz: f64,
    pub observed_final_hz: f64,
}

/// Result of [`closed_loop`].
#[derive(Debug, Clone)]
pub struct ClosedLoopResult {
    pub identification: Identification,
    pub closed_loop: LoopRun,
    pub open_loop: LoopRun,
    pub random_partition: LoopRun,
    /// Baseline rate of the observed target-assembly neurons and the requested step.
    pub step_hz: f64,
    /// Whether the identified model reaches the set point within the drive bounds (the static
    /// inverse needed no clipping). `false`: the target is out of reach for this assembly and
    /// drive range; the run still holds the nearest reachable set point.
    pub reachable: bool,
    pub channels: usize,
    pub assemblies: usize,
    pub period: f64,
    pub policy: Policy,
}

impl ClosedLoopOptions {
    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::invalid_input(m));
        if self.assemblies == 0 || self.assembly_size < 2 {
            return bad(format!("assemblies ({}) >= 1 and assemblySize ({}) >= 2 required", self.assemblies, self.assembly_size));
        }
        if self.target_assembly >= self.assemblies {
            return bad(format!("targetAssembly {} out of range ({} assemblies)", self.target_assembly, self.assemblies));
        }
        for (name, v) in [("driveFraction", self.drive_fraction), ("observe", self.observe)] {
            if !(v > 0.0 && v <= 1.0) {
                return bad(format!("{name} must be in (0, 1] (got {v})"));
            }
        }
        for (name, v) in [
            ("period", self.period),
            ("idDuration", self.id_duration),
            ("duration", self.duration),
            ("rmsWindow", self.rms_window),
            ("operatingDrive", self.operating_drive),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(format!("{name} must be positive and finite (got {v})"));
            }
        }
        if !(self.target_rate.is_finite() && self.target_rate >= 0.0) {
            return bad(format!("targetRate must be finite and >= 0 (got {})", self.target_rate));
        }
        if !(self.settle >= 0.0 && self.settle + 0.2 <= self.step_time && self.step_time + 1.0 <= self.duration) {
            return bad(format!(
                "need 0 <= settle ({}) <= stepTime - 0.2 ({}) and stepTime + 1 <= duration ({}): a baseline and a last second",
                self.settle, self.step_time, self.duration
            ));
        }
        if !(self.excitation > 0.0 && self.excitation <= self.tracking.hi) {
            return bad(format!("excitation ({}) must be in (0, hi = {}]", self.excitation, self.tracking.hi));
        }
        Ok(())
    }

    fn lif(&self, duration: f64) -> LifOptions {
        let mut o = LifOptions { duration, seed: self.seed, ..Default::default() };
        let n_exc = self.assemblies * self.assembly_size;
        o.network.n = n_exc + self.inhibitory;
        o.network.exc_fraction = n_exc as f64 / o.network.n as f64;
        o.network.clusters = self.assemblies;
        o.network.k_exc = self.k_exc;
        o.network.k_inh = self.k_inh;
        o.network.in_fraction = self.in_fraction;
        o.network.w_ratio = self.w_ratio;
        o
    }
}

/// The network's ground truth and the stimulation set-up.
struct Setup {
    conn: Connectivity,
    stim: Stimulation,
}

fn setup(o: &ClosedLoopOptions, exec: &Exec) -> Result<Setup> {
    let lif = o.lif(1.0);
    let n_exc = o.assemblies * o.assembly_size;
    if o.inhibitory == 0 || lif.network.exc_fraction * lif.network.n as f64 != n_exc as f64 {
        return Err(Error::invalid_input("inhibitory must be >= 1"));
    }
    let conn = Connectivity::generate(&lif.network, lif.dt, lif.seed, exec)?;
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x5717);
    let (ex, labels) = (conn.excitatory(), conn.labels());
    let channels: Vec<Vec<usize>> = (0..o.assemblies)
        .map(|a| {
            let mut members: Vec<usize> = (0..conn.n()).filter(|&i| ex[i] && labels[i] as usize == a).collect();
            members.shuffle(&mut rng);
            let k = ((o.drive_fraction * members.len() as f64).round() as usize).max(1);
            let mut ch = members[..k].to_vec();
            ch.sort_unstable();
            ch
        })
        .collect();
    let observed: Vec<usize> =
        subsample(labels, o.observe, SubsampleMode::Random, o.seed.wrapping_add(101))?.into_iter().map(|i| i as usize).collect();
    if observed.is_empty() {
        return Err(Error::invalid_input("observe: no neuron observed"));
    }
    Ok(Setup { conn, stim: Stimulation { channels, mode: DriveMode::Rate, period: o.period, observed } })
}

/// Weights `w_i` of the observed neurons in their group's rate `Σ_i w_i n_i / Δ` (groups
/// `0..k` in `labels`, others weight 0).
///
/// Plain mean: `w_i = 1/|group|`. Post-stratified by stimulation (`stratify`): a group's rate
/// is `f · mean(reached members) + (1 - f) · mean(other members)`, `f` the fraction of an
/// assembly that its channel reaches (a design quantity the experimenter knows, like the opsin
/// expression fraction). Reached cells respond to the drive several times more than the
/// others, so the plain mean of a sample with more (or fewer) reached cells than the assembly
/// over- (or under-) states the assembly's response, and a loop holding that mean makes the
/// assembly under- (or over-) shoot; post-stratification (survey sampling: the stratum means
/// weighted by the known population shares) removes that bias. A group without members in one
/// stratum falls back to the plain mean.
fn rate_weights(labels: &[usize], k: usize, reached: &[bool], f: f64, stratify: bool) -> Vec<f64> {
    let (mut nr, mut nu) = (vec![0usize; k], vec![0usize; k]);
    for (i, &l) in labels.iter().enumerate() {
        if l < k {
            if reached[i] {
                nr[l] += 1;
            } else {
                nu[l] += 1;
            }
        }
    }
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            if l >= k {
                0.0
            } else if !stratify || nr[l] == 0 || nu[l] == 0 {
                1.0 / (nr[l] + nu[l]) as f64
            } else if reached[i] {
                f / nr[l] as f64
            } else {
                (1.0 - f) / nu[l] as f64
            }
        })
        .collect()
}

/// Coarse rates (Hz) per period: `x[p * k + c]` = weighted count of group `c` / period.
fn coarse_rates(rec: &StimRecord, labels: &[usize], w: &[f64], k: usize, period: f64) -> Vec<f64> {
    let mut x = vec![0.0; rec.periods * k];
    for p in 0..rec.periods {
        for (i, &l) in labels.iter().enumerate() {
            if l < k {
                x[p * k + l] += w[i] * rec.counts[p * rec.observed + i] as f64 / period;
            }
        }
    }
    x
}

fn community_sizes(labels: &[usize], k: usize) -> Vec<usize> {
    let mut s = vec![0usize; k];
    labels.iter().filter(|&&l| l < k).for_each(|&l| s[l] += 1);
    s
}

/// ARX fit with `x_t` = coarse rates of period `t`, `u_t` = drive of period `t + 1`.
fn identify(rec: &StimRecord, labels: &[usize], w: &[f64], k: usize, period: f64) -> Result<ArxFit> {
    let x = coarse_rates(rec, labels, w, k, period);
    let m = rec.channels;
    let mut u = vec![0.0; rec.periods * m];
    for p in 0..rec.periods.saturating_sub(1) {
        u[p * m..(p + 1) * m].copy_from_slice(&rec.drive[(p + 1) * m..(p + 2) * m]);
    }
    fit_arx(&x, &u, rec.periods, k, m, &ArxOptions::default())
}

/// Inferred communities of the observed neurons (labels `0..k`, `usize::MAX` left out).
fn communities(rec: &StimRecord, o: &ClosedLoopOptions, exec: &Exec) -> Result<(Vec<usize>, usize)> {
    let (t, n) = (rec.periods, rec.observed);
    let x = Mat::from_fn(t, n, |p, i| rec.counts[p * n + i] as f64);
    let io = InferOptions { method: o.infer_method, generator: false, seed: o.seed, bin_seconds: o.period, ..Default::default() };
    let g = infer_dense(x.as_ref(), &io, exec)?;
    let keep = ((o.edges_per_node * n as f64).round() as usize).max(1);
    let edges: Vec<(usize, usize, f64)> = g.edges(1.0).into_iter().take(keep).map(|e| (e.source, e.target, e.weight.abs())).collect();
    let graph = Graph::from_edges(n, &edges, &EdgeListOptions { directed: true, symmetrize: true, ..Default::default() })?;
    let lr = leiden(&graph, &LeidenOptions { seed: o.seed, ..Default::default() }, exec)?;
    let sizes = community_sizes(&lr.labels, lr.communities);
    // communities are numbered by decreasing size: keep a prefix
    let k = sizes.iter().take_while(|&&s| s >= o.min_community).count();
    if k == 0 {
        return Err(Error::invalid_input(format!("no community of at least {} observed neurons was found", o.min_community)));
    }
    Ok((lr.labels.iter().map(|&l| if l < k { l } else { usize::MAX }).collect(), k))
}

/// What the controller does at the step.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Feedback,
    StaticInverse,
}

/// The [`Controller`] of a control run.
struct Runner<'a> {
    tracker: Tracker,
    labels: &'a [usize],
    /// Rate weights of the observed neurons in their community and in the target assembly's
    /// observed sample ([`rate_weights`]).
    w: Vec<f64>,
    w_target: Vec<f64>,
    k: usize,
    /// Weight of each community's members in the target assembly.
    frac: Vec<f64>,
    mode: Mode,
    o: &'a ClosedLoopOptions,
    u0: Vec<f64>,
    y_sum: Vec<f64>,
    target_sum: f64,
    baseline_periods: usize,
    started: bool,
    step_hz: f64,
    u_static: Vec<f64>,
}

impl Controller for Runner<'_> {
    fn control(&mut self, t: f64, counts: &[u32]) -> Result<Vec<f64>> {
        let (k, period) = (self.k, self.o.period);
        if t <= 0.5 * period {
            self.tracker.reset(&vec![0.0; k], &self.u0)?;
            return Ok(self.u0.clone());
        }
        let mut y = vec![0.0; k];
        let mut tgt = 0.0;
        for (i, &l) in self.labels.iter().enumerate() {
            if l < k {
                y[l] += self.w[i] * counts[i] as f64 / period;
            }
            tgt += self.w_target[i] * counts[i] as f64 / period;
        }
        if t - period >= self.o.settle - 1e-9 && t < self.o.step_time + 1e-9 {
            for c in 0..k {
                self.y_sum[c] += y[c];
            }
            self.target_sum += tgt;
            self.baseline_periods += 1;
        }
        if t < self.o.settle - 1e-9 {
            // the filter starts from the first measurements
            self.tracker.reset(&y, &self.u0)?;
        } else {
            self.tracker.observe(&y);
        }
        if t < self.o.step_time - 1e-9 {
            self.tracker.hold(&self.u0);
            return Ok(self.u0.clone());
        }
        if !self.started {
            self.started = true;
            let bp = self.baseline_periods.max(1) as f64;
            let x_b: Vec<f64> = self.y_sum.iter().map(|s| s / bp).collect();
            self.step_hz = self.o.target_rate - self.target_sum / bp;
            let dx: Vec<f64> = self.frac.iter().map(|f| f * self.step_hz).collect();
            self.u_static = self.tracker.set_target(&x_b, &dx, &self.u0)?;
        }
        match self.mode {
            Mode::StaticInverse => {
                self.tracker.hold(&self.u_static);
                Ok(self.u_static.clone())
            }
            Mode::Feedback => self.tracker.control(),
        }
    }
}

/// Mean rate (Hz) of the excitatory neurons of every assembly per period.
fn assembly_rates(sim: &LifResult, o: &ClosedLoopOptions, periods: usize) -> Vec<f64> {
    let a = o.assemblies;
    let conn = &sim.connectivity;
    let mut r = vec![0.0; periods * a];
    let sizes = {
        let mut s = vec![0usize; a];
        for i in 0..conn.n() {
            if conn.excitatory()[i] {
                s[conn.labels()[i] as usize] += 1;
            }
        }
        s
    };
    for row in 0..sim.spikes.n() {
        let id = sim.spikes.ids()[row] as usize;
        if !conn.excitatory()[id] {
            continue;
        }
        let l = conn.labels()[id] as usize;
        for &t in sim.spikes.train(row) {
            let p = (t / o.period + 1e-9).floor() as usize;
            if p < periods {
                r[p * a + l] += 1.0;
            }
        }
    }
    for p in 0..periods {
        for l in 0..a {
            r[p * a + l] /= sizes[l].max(1) as f64 * o.period;
        }
    }
    r
}

fn mean_over(r: &[f64], a: usize, l: usize, from: usize, to: usize) -> f64 {
    (from..to).map(|p| r[p * a + l]).sum::<f64>() / (to - from).max(1) as f64
}

fn run(
    o: &ClosedLoopOptions,
    s: &Setup,
    fit: &ArxFit,
    labels: &[usize],
    k: usize,
    mode: Mode,
    exec: &Exec,
) -> Result<(LoopRun, f64, bool)> {
    let sizes = community_sizes(labels, k);
    let (ex, lab) = (s.conn.excitatory(), s.conn.labels());
    let in_target: Vec<bool> = s.stim.observed.iter().map(|&i| ex[i] && lab[i] as usize == o.target_assembly).collect();
    let reached = reached(s);
    let w = rate_weights(labels, k, &reached, o.drive_fraction, o.stratify);
    let tl: Vec<usize> = in_target.iter().map(|&b| if b { 0 } else { usize::MAX }).collect();
    let w_target = rate_weights(&tl, 1, &reached, o.drive_fraction, o.stratify);
    let mut frac = vec![0.0; k];
    for (i, &l) in labels.iter().enumerate() {
        if l < k && in_target[i] {
            frac[l] += w[i];
        }
    }
    // Poisson variance of a community rate at the fitted mean level
    let x_mean: Vec<f64> = fit_mean(fit);
    let meas_var: Vec<f64> = (0..k).map(|c| x_mean[c].max(1.0) / (sizes[c] as f64 * o.period)).collect();
    let tracker = Tracker::new(fit, &meas_var, &o.tracking, exec)?;
    let m = s.stim.channels.len();
    let mut runner = Runner {
        tracker,
        labels,
        w,
        w_target,
        k,
        frac,
        mode,
        o,
        u0: vec![o.operating_drive; m],
        y_sum: vec![0.0; k],
        target_sum: 0.0,
        baseline_periods: 0,
        started: false,
        step_hz: f64::NAN,
        u_static: vec![],
    };
    let lif = o.lif(o.duration);
    let (sim, rec) = simulate_stimulated(&lif, &s.stim, &mut runner, exec, None)?;
    let periods = rec.periods;
    let a = o.assemblies;
    let rates = assembly_rates(&sim, o, periods);
    let at = |t: f64| ((t / o.period).round() as usize).min(periods);
    let (b0, b1, step, last) = (at(o.settle), at(o.step_time), at(o.step_time), at(o.duration - 1.0));
    let baseline_hz: Vec<f64> = (0..a).map(|l| mean_over(&rates, a, l, b0, b1)).collect();
    let final_hz: Vec<f64> = (0..a).map(|l| mean_over(&rates, a, l, last, periods)).collect();
    let ta = o.target_assembly;
    let step_true = o.target_rate - baseline_hz[ta];
    let final_error_fraction = (final_hz[ta] - o.target_rate).abs() / step_true.abs().max(1e-9);
    let off_target_max_hz = (0..a).filter(|&l| l != ta).map(|l| (final_hz[l] - baseline_hz[l]).abs()).fold(0.0, f64::max);
    let w = ((o.rms_window / o.period).round() as usize).max(1);
    let (mut se, mut cnt) = (0.0, 0usize);
    let mut p = step;
    while p + w <= periods {
        let e = mean_over(&rates, a, ta, p, p + w) - o.target_rate;
        se += e * e;
        cnt += 1;
        p += w;
    }
    let reference = (0..periods).map(|p| if p < step { baseline_hz[ta] } else { o.target_rate }).collect();
    let m = s.stim.channels.len();
    let (lo, hi) = (o.tracking.lo, o.tracking.hi);
    let sat = (last..periods).filter(|&p| rec.drive[p * m..(p + 1) * m].iter().any(|&u| u <= lo || u >= hi)).count();
    let saturated_fraction = sat as f64 / (periods - last).max(1) as f64;
    // the observed target estimate (the controller's own measurement) over the last second
    let observed_target = coarse_rates(&rec, &tl, &runner.w_target, 1, o.period);
    let obs_final = mean_over(&observed_target, 1, 0, last, periods);
    let observed_final_error_fraction = (obs_final - o.target_rate).abs() / runner.step_hz.abs().max(1e-9);
    Ok((
        LoopRun {
            final_error_fraction,
            off_target_max_hz,
            rms_error_hz: (se / cnt.max(1) as f64).sqrt(),
            baseline_hz,
            final_hz,
            rates,
            drive: rec.drive,
            reference,
            periods,
            qp_iterations: runner.tracker.qp_iterations,
            qp_converged: runner.tracker.qp_converged,
            saturated_fraction,
            observed_final_error_fraction,
            observed_baseline_hz: o.target_rate - runner.step_hz,
            observed_final_hz: obs_final,
        },
        runner.step_hz,
        !runner.tracker.clipped,
    ))
}

/// Which observed neurons a channel reaches.
fn reached(s: &Setup) -> Vec<bool> {
    let mut r = vec![false; s.conn.n()];
    s.stim.channels.iter().flatten().for_each(|&i| r[i] = true);
    s.stim.observed.iter().map(|&i| r[i]).collect()
}

/// Stationary mean of the model at zero drive deviation: `(I - A)^{-1}(B ū + c)` is not known
/// here, so the mean level is taken from `c / (1 - diag A)` floored; it only sizes the Poisson
/// measurement variance.
fn fit_mean(fit: &ArxFit) -> Vec<f64> {
    (0..fit.a.nrows()).map(|i| (fit.c[i] / (1.0 - fit.a[(i, i)]).max(0.05)).abs()).collect()
}

/// Runs the whole demonstration (see the module docs).
///
/// # Errors
/// `ERR_INVALID_INPUT` for bad options (naming the field), no community found, or an
/// identified system without a controller (unstable, not stabilisable: the message says
/// which); errors of the simulator, the inference and Leiden; `ERR_ABORTED`.
pub fn closed_loop(o: &ClosedLoopOptions, exec: &Exec) -> Result<ClosedLoopResult> {
    o.validate()?;
    let s = setup(o, exec)?;
    let m = s.stim.channels.len();
    // identification run
    let mut tele = Telegraph::new(m, 0.0, o.excitation, o.dwell, o.seed.wrapping_add(7))?;
    let (_, rec) = simulate_stimulated(&o.lif(o.id_duration), &s.stim, &mut tele, &exec.part(0.0, 0.55), None)?;
    let (mut labels, k0) = communities(&rec, o, &exec.part(0.55, 0.6))?;
    let (ex, lab) = (s.conn.excitatory(), s.conn.labels());
    // coarse rates over the excitatory members (cell type known, as with E-targeted indicators)
    for (i, l) in labels.iter_mut().enumerate() {
        if !ex[s.stim.observed[i]] {
            *l = usize::MAX;
        }
    }
    // renumber the communities that keep excitatory members
    let sizes0 = community_sizes(&labels, k0);
    let mut new_id = vec![usize::MAX; k0];
    let mut k = 0;
    for c in 0..k0 {
        if sizes0[c] > 0 {
            new_id[c] = k;
            k += 1;
        }
    }
    labels.iter_mut().filter(|l| **l < k0).for_each(|l| *l = new_id[*l]);
    let reach = reached(&s);
    let fit = identify(&rec, &labels, &rate_weights(&labels, k, &reach, o.drive_fraction, o.stratify), k, o.period)?;
    let exc: Vec<usize> = (0..labels.len()).filter(|&i| ex[s.stim.observed[i]]).collect();
    let ari = adjusted_rand_index(
        &exc.iter().map(|&i| labels[i].min(k)).collect::<Vec<_>>(),
        &exc.iter().map(|&i| lab[s.stim.observed[i]] as usize).collect::<Vec<_>>(),
    )?;
    // random partition with the same community sizes over the same neurons
    let mut rnd = labels.clone();
    let kept: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] < k).collect();
    let mut perm: Vec<usize> = kept.iter().map(|&i| labels[i]).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(o.seed ^ 0xabcd));
    for (j, &i) in kept.iter().enumerate() {
        rnd[i] = perm[j];
    }
    let fit_rnd = identify(&rec, &rnd, &rate_weights(&rnd, k, &reach, o.drive_fraction, o.stratify), k, o.period)?;
    let (closed, step_hz, reachable) = run(o, &s, &fit, &labels, k, Mode::Feedback, &exec.part(0.6, 0.73))?;
    let (open, _, _) = run(o, &s, &fit, &labels, k, Mode::StaticInverse, &exec.part(0.73, 0.86))?;
    let (random, _, _) = run(o, &s, &fit_rnd, &rnd, k, Mode::Feedback, &exec.part(0.86, 1.0))?;
    Ok(ClosedLoopResult {
        identification: Identification {
            prediction_r2: fit.r2,
            r2_train: fit.r2_train,
            communities: k,
            ari,
            spectral_radius: fit.spectral_radius,
            observed: s.stim.observed.iter().map(|&i| i as u32).collect(),
            labels,
            fit,
        },
        closed_loop: closed,
        open_loop: open,
        random_partition: random,
        step_hz,
        reachable,
        channels: m,
        assemblies: o.assemblies,
        period: o.period,
        policy: o.tracking.policy,
    })
}

/// A run of the demonstration's network under a caller's controller.
#[derive(Debug, Clone)]
pub struct CustomRun {
    /// Drive and observed counts of every period.
    pub record: StimRecord,
    /// `rates[p * assemblies + a]`: mean rate of assembly `a`'s excitatory neurons in period `p`.
    pub rates: Vec<f64>,
    /// Observed neuron ids (the order of the counts) and the neurons of every channel.
    pub observed: Vec<u32>,
    pub channels: Vec<Vec<u32>>,
    /// Assembly of every neuron (`assemblies` for inhibitory neurons).
    pub labels: Vec<u32>,
}

/// Simulates the demonstration's network (same channels and observed neurons as
/// [`closed_loop`]) for `o.duration` seconds under `ctl`.
///
/// # Errors
/// As [`closed_loop`]'s options and the simulator; any error of `ctl`; a controller output
/// that is not one finite value `>= 0` per channel.
pub fn simulate_custom(o: &ClosedLoopOptions, ctl: &mut dyn Controller, exec: &Exec) -> Result<CustomRun> {
    o.validate()?;
    let s = setup(o, exec)?;
    let (sim, record) = simulate_stimulated(&o.lif(o.duration), &s.stim, ctl, exec, None)?;
    let rates = assembly_rates(&sim, o, record.periods);
    Ok(CustomRun {
        record,
        rates,
        observed: s.stim.observed.iter().map(|&i| i as u32).collect(),
        channels: s.stim.channels.iter().map(|c| c.iter().map(|&i| i as u32).collect()).collect(),
        labels: s.conn.labels().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_stratified_weights_reweight_the_strata_to_the_reach_fraction() {
        // group 0: 3 reached + 1 not; group 1: only unreached (plain mean); neuron 6 left out
        let labels = [0, 0, 0, 0, 1, 1, usize::MAX];
        let reached = [true, true, true, false, false, false, true];
        let w = rate_weights(&labels, 2, &reached, 0.5, true);
        let want = [0.5 / 3.0, 0.5 / 3.0, 0.5 / 3.0, 0.5, 0.5, 0.5, 0.0];
        assert!(w.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{w:?}");
        // a group's weights sum to 1, so a uniform rate is reproduced
        assert!((w[..4].iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let plain = rate_weights(&labels, 2, &reached, 0.5, false);
        assert!(plain[..4].iter().all(|&x| (x - 0.25).abs() < 1e-15) && plain[6] == 0.0);
    }
}
