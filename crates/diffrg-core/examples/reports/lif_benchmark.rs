//! LIF network: connectivity build and simulation time, rates and ISI CV. `LIF_N` neurons
//! (10,000; `LIF_K` clusters, 20), `LIF_T` seconds (10), `LIF_THREADS` (2); network and drive
//! overrides `LIF_R` (p_ratio), `LIF_WR`, `LIF_WEE`, `LIF_WEI`, `LIF_NUE`, `LIF_NUI`.
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::sim::{simulate, Connectivity, LifOptions, NetworkOptions};

pub fn run() {
    let n: usize = env("LIF_N", 10_000);
    let dur: f64 = env("LIF_T", 10.0);
    let threads: usize = env("LIF_THREADS", 2);
    let d = LifOptions::default();
    let opts = LifOptions {
        network: NetworkOptions {
            n,
            clusters: env("LIF_K", 20),
            p_ratio: std::env::var("LIF_R").ok().map(|s| s.parse().expect("LIF_R")),
            w_ratio: env("LIF_WR", d.network.w_ratio),
            w_ee: env("LIF_WEE", d.network.w_ee),
            w_ei: env("LIF_WEI", d.network.w_ei),
            ..Default::default()
        },
        duration: dur,
        ext_rate_exc: env("LIF_NUE", d.ext_rate_exc),
        ext_rate_inh: env("LIF_NUI", d.ext_rate_inh),
        ..Default::default()
    };
    let exec = Exec::with_threads(threads);
    let t0 = std::time::Instant::now();
    let conn = Connectivity::generate(&opts.network, opts.dt, opts.seed, &exec).unwrap();
    let t_build = t0.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    let r = simulate(&opts, &exec, None).unwrap();
    let t_sim = t0.elapsed().as_secs_f64();
    let stats = r.spikes.stats(0.2_f64.min(dur / 2.0), dur, &exec).unwrap();
    let mut cvs: Vec<f64> = stats.iter().map(|s| s.isi_cv).filter(|c| c.is_finite()).collect();
    cvs.sort_by(f64::total_cmp);
    println!(
        "n={n} synapses={} threads={} build={t_build:.3}s simulate(total)={t_sim:.3}s rate_exc={:.2}Hz rate_inh={:.2}Hz median_cv={:.2} spikes={}",
        conn.nnz(),
        r.threads,
        r.rate_exc,
        r.rate_inh,
        cvs.get(cvs.len() / 2).copied().unwrap_or(f64::NAN),
        r.spikes.num_spikes()
    );
}
