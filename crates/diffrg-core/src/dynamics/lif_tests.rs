//! Entropy production of LIF assemblies as feed-forward coupling between them is dialled in
//! (`NetworkOptions::feedforward`): the ground truth that irreversibility is visible at the
//! assembly scale.

use super::pipeline::{effective_dynamics, DynamicsOptions, Estimators};
use super::states::StatesOptions;
use super::trajectory::{from_spikes, TrajectoryOptions};
use crate::activity::BinOptions;
use crate::exec::Exec;
use crate::sim::{simulate, LifOptions, NetworkOptions};

/// (var, states per second) at the assembly scale of a small clustered network.
fn assembly_rates(net: NetworkOptions, duration: f64, bin: f64, seed: u64, exec: &Exec) -> (f64, f64, f64, f64) {
    let o = LifOptions { network: net, duration, seed, ..Default::default() };
    let r = simulate(&o, exec, None).unwrap();
    let k = r.connectivity.clusters();
    let groups = r.connectivity.labels().iter().map(|&l| ((l as usize) < k).then_some(l as usize)).collect();
    let t = from_spikes(
        &r.spikes,
        &BinOptions { bin_width: bin, ..Default::default() },
        &TrajectoryOptions { groups: Some(groups), ..Default::default() },
        exec,
    )
    .unwrap();
    let e = Estimators { ou: false, var: true, spectral: false, sfi: false, states: true };
    let d = DynamicsOptions {
        estimators: e,
        bootstrap: 0,
        states: StatesOptions { bias_replicates: 10, ..Default::default() },
        ..Default::default()
    };
    let s = &effective_dynamics(t.view().unwrap(), &[], &d, exec).unwrap()[0];
    (s.entropy.var.as_ref().map_or(f64::NAN, |e| e.rate), s.entropy.states.as_ref().map_or(f64::NAN, |e| e.rate), r.rate_exc, r.rate_inh)
}

/// 200 neurons, 4 assemblies of 40 E neurons, 30 s at 20 ms bins.
fn small(f: f64) -> NetworkOptions {
    NetworkOptions { n: 200, clusters: 4, k_exc: 40.0, k_inh: 10.0, p_ratio: Some(6.0), w_ratio: 2.5, feedforward: f, ..Default::default() }
}

#[test]
fn assembly_irreversibility_grows_with_feedforward() {
    let exec = Exec::with_threads(2);
    let r: Vec<(f64, f64, f64, f64)> = [0.0, 0.5, 1.0].iter().map(|&f| assembly_rates(small(f), 30.0, 0.02, 1, &exec)).collect();
    // the firing regime stays the same (the in-degree is kept)
    for x in &r {
        assert!((x.2 - r[0].2).abs() < 0.2 * r[0].2, "{r:?}");
    }
    for w in r.windows(2) {
        assert!(w[1].0 > 1.5 * w[0].0, "var: {r:?}");
        assert!(w[1].1 > w[0].1 + 0.2, "states: {r:?}");
    }
}

/// Parameter exploration: `FF_*` environment variables, `--ignored --nocapture`.
#[test]
#[ignore]
fn explore_feedforward() {
    let env = |k: &str, d: f64| std::env::var(k).ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(d);
    let exec = Exec::with_threads(2);
    let net = |f: f64| NetworkOptions {
        n: env("FF_N", 200.0) as usize,
        clusters: env("FF_K", 4.0) as usize,
        k_exc: env("FF_KE", 20.0),
        k_inh: env("FF_KI", 10.0),
        p_ratio: Some(env("FF_R", 4.0)),
        w_ratio: env("FF_WR", 2.0),
        w_ee: env("FF_WEE", 0.75),
        feedforward: f,
        ..Default::default()
    };
    for seed in 1..=env("FF_SEEDS", 2.0) as u64 {
        for f in [0.0, 0.5, 1.0] {
            let t0 = std::time::Instant::now();
            let (v, s, re, ri) = assembly_rates(net(f), env("FF_T", 30.0), env("FF_BIN", 0.02), seed, &exec);
            println!("seed {seed} f {f}: var {v:.4} states {s:.4} rates {re:.1}/{ri:.1} Hz ({:.2}s)", t0.elapsed().as_secs_f64());
        }
    }
}
