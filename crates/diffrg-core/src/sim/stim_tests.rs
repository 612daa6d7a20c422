//! Tests of the stimulated LIF simulator: analytic responses to injected current and to rate
//! drive, per-period counts, determinism across thread counts in closed loop, typed errors.

use super::*;
use crate::sim::stim::{Schedule, Telegraph};

fn single(duration: f64) -> LifOptions {
    LifOptions {
        network: NetworkOptions { n: 1, clusters: 1, exc_fraction: 1.0, ..Default::default() },
        duration,
        ext_rate_exc: 0.0,
        ..Default::default()
    }
}

fn stim1(mode: DriveMode) -> Stimulation {
    Stimulation { channels: vec![vec![0]], mode, period: 10e-3, observed: vec![0] }
}

/// Deterministic LIF period under a constant drive `mu` (mV) plus up to a step of latency.
fn lif_period(mu: f64) -> f64 {
    2e-3 + 20e-3 * ((mu - 10.0) / (mu - 20.0_f64)).ln() + 0.5e-4
}

#[test]
fn injected_current_from_a_schedule() {
    let opts = single(2.0);
    let mut sched = Schedule::new(vec![0.0, 0.5], vec![0, 0], vec![0.0, 25.0], 1, DriveMode::Current).unwrap();
    let (r, rec) = simulate_stimulated(&opts, &stim1(DriveMode::Current), &mut sched, &Exec::sequential(), None).unwrap();
    let t = r.spikes.train(0);
    assert!(t[0] >= 0.5, "spike before the drive starts: {}", t[0]);
    let isi: Vec<f64> = t[2..].windows(2).map(|w| w[1] - w[0]).collect();
    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
    assert!((mean - lif_period(25.0)).abs() / lif_period(25.0) < 0.01, "{mean}");
    assert_eq!((rec.periods, rec.channels, rec.observed), (200, 1, 1));
    assert!(rec.drive[..50].iter().all(|&d| d == 0.0) && rec.drive[50..].iter().all(|&d| d == 25.0));
    // the per-period counts are the spikes of each period
    for p in 0..rec.periods {
        let (a, b) = (p as f64 * 10e-3 - 1e-9, (p + 1) as f64 * 10e-3 - 1e-9);
        let n = t.iter().filter(|&&x| x >= a && x < b).count() as u32;
        assert_eq!(rec.counts[p], n, "period {p}");
    }
}

#[test]
fn rate_drive_matches_the_diffusion_limit() {
    // dense weak Poisson drive ~ constant current w_ext tau_e rate = 25 mV
    let opts = LifOptions { w_ext: 0.01, ..single(2.0) };
    let mut sched = Schedule::new(vec![0.0], vec![0], vec![5e5], 1, DriveMode::Rate).unwrap();
    let (r, _) = simulate_stimulated(&opts, &stim1(DriveMode::Rate), &mut sched, &Exec::sequential(), None).unwrap();
    let t = r.spikes.train(0);
    let isi: Vec<f64> = t[5..].windows(2).map(|w| w[1] - w[0]).collect();
    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
    assert!((mean - lif_period(25.0)).abs() / lif_period(25.0) < 0.02, "{mean}");
}

/// A proportional controller on the first observed neurons' counts.
struct Proportional(usize);
impl Controller for Proportional {
    fn control(&mut self, _t: f64, counts: &[u32]) -> Result<Vec<f64>> {
        self.0 += 1;
        let s: u32 = counts.iter().sum();
        Ok(vec![(200.0 - s as f64).max(0.0) * 20.0, 100.0])
    }
}

#[test]
fn closed_loop_is_deterministic_across_thread_counts() {
    let opts =
        LifOptions { network: NetworkOptions { n: 1000, clusters: 4, ..Default::default() }, duration: 0.3, seed: 5, ..Default::default() };
    let stim = Stimulation {
        channels: vec![(0..100).collect(), (500..700).step_by(2).collect()],
        mode: DriveMode::Rate,
        period: 5e-3,
        observed: (0..1000).step_by(3).collect(),
    };
    let run = |threads: usize| {
        let mut ctl = Proportional(0);
        let r = simulate_with(&opts, &Exec::with_threads(threads), None, 64, Some((&stim, &mut ctl))).unwrap();
        (r.0.spikes.counts(), r.1.unwrap(), ctl.0)
    };
    let (c1, r1, calls) = run(1);
    let (c3, r3, _) = run(3);
    assert_eq!(calls, 60, "one call at t = 0 and one per period boundary before the end");
    assert_eq!(c1, c3);
    assert_eq!(r1.counts, r3.counts);
    assert_eq!(r1.drive, r3.drive);
    assert!(r1.drive.iter().step_by(2).any(|&d| d > 0.0));
    // a telegraph excitation is deterministic for its seed too
    let mut a = Telegraph::new(2, 0.0, 300.0, 3.0, 9).unwrap();
    let mut b = Telegraph::new(2, 0.0, 300.0, 3.0, 9).unwrap();
    let ra = simulate_with(&opts, &Exec::with_threads(2), None, 64, Some((&stim, &mut a))).unwrap();
    let rb = simulate_with(&opts, &Exec::with_threads(1), None, 64, Some((&stim, &mut b))).unwrap();
    assert_eq!(ra.1.unwrap().counts, rb.1.unwrap().counts);
}

struct Bad;
impl Controller for Bad {
    fn control(&mut self, t: f64, _counts: &[u32]) -> Result<Vec<f64>> {
        Ok(vec![if t > 0.05 { f64::NAN } else { 1.0 }])
    }
}

#[test]
fn bad_stimulation_is_a_typed_error() {
    let opts = single(0.2);
    let e = simulate_stimulated(&opts, &stim1(DriveMode::Current), &mut Bad, &Exec::sequential(), None).unwrap_err();
    assert_eq!(e.code, crate::error::ErrorCode::InvalidInput);
    assert!(e.message.contains("channel 0 drive is NaN at t = 0.06"), "{}", e.message);
    let mut s = Schedule::new(vec![], vec![], vec![], 1, DriveMode::Rate).unwrap();
    let empty = Stimulation { channels: vec![vec![]], ..stim1(DriveMode::Rate) };
    let e = simulate_stimulated(&opts, &empty, &mut s, &Exec::sequential(), None).unwrap_err();
    assert!(e.message.contains("channel 0 is empty"), "{}", e.message);
    let odd = Stimulation { period: 1.5e-4, ..stim1(DriveMode::Rate) };
    assert!(simulate_stimulated(&opts, &odd, &mut s, &Exec::sequential(), None).unwrap_err().message.contains("multiple of dt"));
}
