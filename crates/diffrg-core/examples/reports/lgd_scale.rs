//! LGD at the scale of issue 5: 1,000 observed neurons (of 2,000), one hour at 1 ms bins,
//! ~5 Hz (Hawkes ground truth); prints the covariance-pass and fit times and AUROC/AUPR.
//! `LGD_N` (observed neurons), `LGD_T` (bins), `LGD_METHODS` (lgd,var), `LGD_THREADS`.
//! Run by `npm run bench -- lgd-scale` (benches/lgd-scale.mjs); moved out of src/ (was an
//! `#[ignore]` test in infer/lgd.rs).
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::infer::api::{covariance_plan, infer_from_covariances, InferOptions, Method};
use diffrg_core::infer::covariance::{lagged_covariances, OwnedRaster};
use diffrg_core::infer::metrics::{aupr, auroc};
use diffrg_core::infer::synthetic::*;
use std::time::Instant;

pub fn run() {
    let n_obs: usize = env("LGD_N", 1000);
    let t: usize = env("LGD_T", 3_600_000);
    let threads = env("LGD_THREADS", diffrg_core::exec::resolve_threads(None));
    let truth = clustered_network(&NetworkOptions {
        n: 2 * n_obs,
        clusters: 20,
        degree_in: 8.0,
        degree_out: 2.0,
        inhibitory_fraction: 0.0,
        w_exc: 0.04,
        seed: 1,
        ..Default::default()
    })
    .unwrap();
    let t0 = Instant::now();
    let trains = simulate_hawkes(&truth, 0.0035, &[0.5, 0.3, 0.2], t, 2).unwrap();
    let obs = observe(truth.n, 0.5, 3);
    let sub: Vec<Vec<u32>> = obs.iter().map(|&i| trains[i].clone()).collect();
    drop(trains);
    let raster = OwnedRaster::from_trains(t, &sub).unwrap();
    drop(sub);
    let spikes = raster.view().total_spikes();
    eprintln!(
        "simulated {} neurons x {t} bins in {:.1}s: {spikes} observed spikes ({:.2} Hz at 1 ms bins)",
        truth.n,
        t0.elapsed().as_secs_f64(),
        spikes as f64 / (n_obs as f64 * t as f64 / 1000.0)
    );
    let exec = Exec::with_threads(threads);
    let labels = edge_labels(&truth, &obs);
    // LGD_METHODS=none|lgd|var|lgd,var (default lgd,var): run under `/usr/bin/time` once with
    // `none` to separate the simulation's CPU time from the inference's.
    let methods = std::env::var("LGD_METHODS").unwrap_or_else(|_| "lgd,var".into());
    for method in [Method::Lgd, Method::Var] {
        if !methods.split(',').any(|m| m == method.as_str()) {
            continue;
        }
        let o = InferOptions { method, max_lag: 1, bin_seconds: 0.001, ..Default::default() };
        let t1 = Instant::now();
        let plan = covariance_plan(&o, t).unwrap();
        let set = lagged_covariances(&raster.view(), &plan, &exec).unwrap();
        let cov_s = t1.elapsed().as_secs_f64();
        let t2 = Instant::now();
        let g = infer_from_covariances(&set, &o, &exec).unwrap();
        let fit_s = t2.elapsed().as_secs_f64();
        let s = g.offdiag_scores();
        eprintln!(
            "{} on {threads} threads: covariance pass {cov_s:.1}s, fit+surrogates {fit_s:.1}s, total {:.1}s; AUROC {:.3} AUPR {:.3}; rank {:?}; cv points {}; generator defined {:?}",
            method.as_str(),
            cov_s + fit_s,
            auroc(&s, &labels).unwrap(),
            aupr(&s, &labels).unwrap(),
            g.hidden.as_ref().map(|h| h.rank),
            g.diagnostics.cv.len(),
            g.generator.as_ref().map(|x| x.defined)
        );
    }
}
