//! Time of the streaming covariance pass alone, plain / with the time split / with 19
//! surrogate shifts (`LGD_N` neurons, `LGD_T` bins). Run by `npm run bench -- lgd-scale`
//! (benches/lgd-scale.mjs); moved out of src/ (was an `#[ignore]` test in infer/lgd.rs).
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::infer::covariance::{lagged_covariances, CovOptions, OwnedRaster};
use diffrg_core::infer::synthetic::*;
use std::time::Instant;

pub fn run() {
    let n: usize = env("LGD_N", 200);
    let t: usize = env("LGD_T", 200_000);
    let truth =
        clustered_network(&NetworkOptions { n, clusters: 10, inhibitory_fraction: 0.0, w_exc: 0.04, ..Default::default() }).unwrap();
    let trains = simulate_hawkes(&truth, 0.004, &[0.5, 0.5], t, 2).unwrap();
    let r = OwnedRaster::from_trains(t, &trains).unwrap();
    let exec = Exec::with_threads(2);
    for (label, o) in [
        ("lags 0..1", CovOptions { max_lag: 1, ..Default::default() }),
        ("lags 0..1 + split", CovOptions { max_lag: 1, split_bin: Some(t * 4 / 5), ..Default::default() }),
        (
            "lags 0..1 + 19 shifts",
            CovOptions { max_lag: 1, shifts: (1..20).map(|m| m * t / 50).collect(), shift_lags: vec![1], ..Default::default() },
        ),
    ] {
        let t0 = Instant::now();
        let s = lagged_covariances(&r.view(), &o, &exec).unwrap();
        eprintln!("{label}: {:.3}s ({} spikes)", t0.elapsed().as_secs_f64(), s.total_activity);
    }
}
