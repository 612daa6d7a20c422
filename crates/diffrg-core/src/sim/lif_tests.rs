//! Tests of the LIF simulator: analytic single-neuron rate, delays, refractoriness,
//! determinism across seeds and thread counts, asynchronous-irregular statistics with cluster
//! structure, cancellation.

use super::*;
use crate::activity::{BinOptions, SparseRaster};
use crate::error::ErrorCode;
use std::sync::atomic::AtomicUsize;

fn net(n: usize, clusters: usize) -> NetworkOptions {
    NetworkOptions { n, clusters, ..Default::default() }
}

/// A network with the default in-degrees and 400-neuron E clusters.
fn ai_opts(n: usize, duration: f64, seed: u64) -> LifOptions {
    let clusters = (n * 4 / 5 / 400).max(1);
    LifOptions { network: net(n, clusters), duration, seed, ..Default::default() }
}

#[test]
fn single_neuron_matches_deterministic_lif_rate() {
    // Dense weak Poisson drive ~ constant current mu = w_ext * tau_e * rate = 25 mV.
    let opts = LifOptions {
        network: NetworkOptions { n: 1, clusters: 1, exc_fraction: 1.0, ..Default::default() },
        duration: 2.0,
        ext_rate_exc: 5e5,
        w_ext: 0.01,
        ..Default::default()
    };
    let r = simulate(&opts, &Exec::sequential(), None).unwrap();
    let mu = 0.01 * 5e-3 * 5e5;
    // Period: t_ref + tau_m ln((mu - v_reset) / (mu - theta)), plus up to one step of
    // threshold detection latency (half a step on average).
    let period = 2e-3 + 20e-3 * ((mu - 10.0) / (mu - 20.0_f64)).ln() + 0.5e-4;
    let t = r.spikes.train(0);
    assert!(t.len() > 50);
    // Skip the first spikes (the synaptic current starts at zero).
    let isi: Vec<f64> = t[5..].windows(2).map(|w| w[1] - w[0]).collect();
    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
    assert!((mean - period).abs() / period < 0.01, "mean ISI {mean} vs {period}");
}

#[test]
fn delays_and_signs_reach_targets() {
    // E -> I pair with a huge weight and one-step synaptic currents: the I neuron (no
    // external drive) fires exactly when an E spike arrives, i.e. exactly one delay later.
    let network = NetworkOptions {
        n: 2,
        clusters: 1,
        exc_fraction: 0.5,
        w_ie: 1e5,
        w_ei: 0.0,
        delay_min: 1e-3,
        delay_max: 1e-3,
        ..Default::default()
    };
    let opts = LifOptions { network, duration: 2.0, tau_syn_exc: 1e-4, w_ext: 120.0, ext_rate_inh: 0.0, seed: 3, ..Default::default() };
    let r = simulate(&opts, &Exec::sequential(), None).unwrap();
    let e = r.connectivity.excitatory().iter().position(|&x| x).unwrap();
    let i = 1 - e;
    assert_eq!(r.connectivity.weight(e, i), 1e5);
    assert_eq!(r.connectivity.weight(i, e), -0.0);
    let (te, ti) = (r.spikes.train(e), r.spikes.train(i));
    assert!(te.len() > 10, "{} E spikes", te.len());
    let expected: Vec<f64> = te.iter().map(|t| t + 1e-3).filter(|&t| t < 2.0 - 1e-9).collect();
    assert_eq!(ti.len(), expected.len());
    for (a, b) in ti.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-9, "I spike at {a}, expected {b}");
    }
}

#[test]
fn refractoriness_counts_and_time_grid() {
    // Strong drive saturates neurons at the refractory limit.
    let opts = LifOptions { network: net(300, 2), ext_rate_exc: 20_000.0, ext_rate_inh: 20_000.0, w_ext: 20.0, ..ai_opts(300, 0.3, 4) };
    let r = simulate_partitioned(&opts, &Exec::with_threads(2), None, 64).unwrap();
    let min_isi = (opts.t_ref / opts.dt).round() * opts.dt + opts.dt;
    let mut hit = false;
    for p in 0..300 {
        let t = r.spikes.train(p);
        for w in t.windows(2) {
            assert!(w[1] - w[0] >= min_isi - 1e-9, "neuron {p}: ISI {}", w[1] - w[0]);
            hit |= (w[1] - w[0] - min_isi).abs() < 1e-9;
        }
        for &x in t {
            assert!((0.0..opts.duration).contains(&x));
            assert!(((x / opts.dt) - (x / opts.dt).round()).abs() < 1e-6);
        }
    }
    assert!(hit, "the refractory bound is reached under strong drive");
    assert_eq!(r.steps, 3000);
    let total: usize = r.spikes.counts().iter().sum();
    let exc = r.connectivity.excitatory();
    let ne = exc.iter().filter(|&&x| x).count() as f64;
    let se: usize = (0..300).filter(|&p| exc[p]).map(|p| r.spikes.train(p).len()).sum();
    assert!((r.rate_exc - se as f64 / ne / 0.3).abs() < 1e-9);
    assert!(total > se);
}

#[test]
fn deterministic_and_thread_count_independent() {
    let opts = ai_opts(800, 0.25, 11);
    let a = simulate_partitioned(&opts, &Exec::sequential(), None, 64).unwrap();
    assert_eq!(a.threads, 1);
    for threads in [2, 3] {
        let b = simulate_partitioned(&opts, &Exec::with_threads(threads), None, 64).unwrap();
        assert_eq!(b.threads, threads);
        assert_eq!(a.spikes, b.spikes, "threads = {threads}");
        assert_eq!(a.connectivity, b.connectivity);
    }
    assert!(a.spikes.num_spikes() > 100);
    let c = simulate(&LifOptions { seed: 12, ..opts.clone() }, &Exec::sequential(), None).unwrap();
    assert_ne!(a.spikes, c.spikes);
}

#[test]
fn asynchronous_irregular_with_cluster_structure() {
    // 2,000 neurons = 4 clusters of 400 E neurons, the default in-degrees, 2 s.
    let opts = ai_opts(2000, 2.0, 5);
    let exec = Exec::with_threads(2);
    let r = simulate(&opts, &exec, None).unwrap();
    assert!((1.0..15.0).contains(&r.rate_exc), "E rate {}", r.rate_exc);
    assert!(r.rate_inh > r.rate_exc * 0.8 && r.rate_inh < 60.0, "I rate {}", r.rate_inh);
    // Irregular: median CV of ISIs (after a 0.2 s transient) between 0.6 and 2.
    let stats = r.spikes.stats(0.2, 2.0, &exec).unwrap();
    let mut cvs: Vec<f64> = stats.iter().map(|s| s.isi_cv).filter(|c| c.is_finite()).collect();
    cvs.sort_by(f64::total_cmp);
    assert!(cvs.len() > 500, "{} neurons with >= 3 spikes", cvs.len());
    let median = cvs[cvs.len() / 2];
    assert!((0.6..2.0).contains(&median), "median CV {median}");
    // Asynchronous: Fano factor of the population count in 5 ms bins stays moderate.
    let raster =
        SparseRaster::from_spikes(&r.spikes, &BinOptions { bin_width: 5e-3, t_start: Some(0.2), t_stop: Some(2.0) }, &exec).unwrap();
    let bins = raster.to_bin_major();
    let pop: Vec<f64> = (0..bins.len()).map(|j| bins.bin(j).1.iter().map(|&c| c as f64).sum()).collect();
    let m = pop.iter().sum::<f64>() / pop.len() as f64;
    let var = pop.iter().map(|x| (x - m).powi(2)).sum::<f64>() / pop.len() as f64;
    assert!(m > 1.0 && var / m < 30.0, "population Fano factor {}", var / m);
    // Clusters: E cluster rates (50 ms bins) correlate more within than between clusters:
    // compare pairs of random half-clusters of the same cluster vs different clusters.
    let labels = r.connectivity.labels();
    let exc = r.connectivity.excitatory();
    let coarse =
        SparseRaster::from_spikes(&r.spikes, &BinOptions { bin_width: 50e-3, t_start: Some(0.2), t_stop: Some(2.0) }, &exec).unwrap();
    let nb = coarse.n_bins();
    let k = opts.network.clusters;
    let mut halves = vec![vec![vec![0.0; nb]; 2]; k];
    let mut seen = vec![0usize; k];
    for p in 0..2000 {
        if !exc[p] {
            continue;
        }
        let c = labels[p] as usize;
        let h = seen[c] % 2;
        seen[c] += 1;
        let (bs, cs) = coarse.row(p);
        for (&b, &x) in bs.iter().zip(cs) {
            halves[c][h][b as usize] += x as f64;
        }
    }
    let corr = |a: &[f64], b: &[f64]| {
        let (ma, mb) = (a.iter().sum::<f64>() / nb as f64, b.iter().sum::<f64>() / nb as f64);
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for j in 0..nb {
            sab += (a[j] - ma) * (b[j] - mb);
            saa += (a[j] - ma).powi(2);
            sbb += (b[j] - mb).powi(2);
        }
        sab / (saa * sbb).sqrt()
    };
    let within: f64 = (0..k).map(|c| corr(&halves[c][0], &halves[c][1])).sum::<f64>() / k as f64;
    let mut between = 0.0;
    let mut pairs = 0.0;
    for a in 0..k {
        for b in (a + 1)..k {
            between += corr(&halves[a][0], &halves[b][1]);
            pairs += 1.0;
        }
    }
    between /= pairs;
    assert!(within > between + 0.1, "within {within} vs between {between}");
}

#[test]
fn abort_progress_and_validation() {
    let exec = Exec::sequential();
    exec.cancel.cancel();
    assert_eq!(simulate(&ai_opts(200, 0.1, 1), &exec, None).unwrap_err().code, ErrorCode::Aborted);
    // Cancel mid-run from another thread: a 1,000 s run stops promptly.
    let exec = Exec::with_threads(2);
    let calls = AtomicUsize::new(0);
    let cancel = exec.cancel.clone();
    let progress = |f: f64| {
        assert!((0.0..=1.0).contains(&f));
        if calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 3 {
            cancel.cancel();
        }
    };
    let e = simulate_partitioned(&ai_opts(500, 1000.0, 1), &exec, Some(&progress), 64).unwrap_err();
    assert_eq!(e.code, ErrorCode::Aborted);
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 4);
    // Progress reaches 1.
    let last = std::sync::Mutex::new(0.0);
    simulate(&ai_opts(100, 0.1, 1), &Exec::sequential(), Some(&|f| *last.lock().unwrap() = f)).unwrap();
    assert_eq!(*last.lock().unwrap(), 1.0);
    // Zero duration: no spikes.
    let r = simulate(&ai_opts(100, 0.0, 1), &Exec::sequential(), None).unwrap();
    assert_eq!((r.steps, r.spikes.num_spikes()), (0, 0));
    for bad in [
        LifOptions { dt: 0.0, ..ai_opts(10, 0.1, 1) },
        LifOptions { dt: 10.0, ..ai_opts(10, 1.0, 1) },
        LifOptions { duration: -1.0, ..ai_opts(10, 0.1, 1) },
        LifOptions { tau_m_exc: f64::NAN, ..ai_opts(10, 0.1, 1) },
        LifOptions { v_reset: 30.0, ..ai_opts(10, 0.1, 1) },
        LifOptions { ext_rate_inh: -1.0, ..ai_opts(10, 0.1, 1) },
        LifOptions { network: NetworkOptions { n: 0, ..Default::default() }, ..ai_opts(10, 0.1, 1) },
    ] {
        let e = simulate(&bad, &Exec::sequential(), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
    }
}

#[test]
fn propagator_limits() {
    // tau_s -> tau_m limit and the small-dt slope dt / tau_m.
    let a = propagator(1e-4, 0.02, 0.02);
    let b = propagator(1e-4, 0.02, 0.02 * (1.0 + 1e-6));
    assert!((a - b).abs() < 1e-5 * a, "{a} {b}");
    assert!((propagator(1e-7, 0.02, 0.005) - 1e-7 / 0.02).abs() < 1e-10);
}
