//! One localized real-space RG step at scale: `DIFFRG_LOCAL=<graph>:<N>:<tau>` (graph `ba` m=2,
//! `er` <k>=4, `torus`, `tree`; default `ba:20000:0.3`), `DIFFRG_GLOBAL_SUPPORT` (4096), 2 threads.
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::graph::generators::{barabasi_albert, erdos_renyi, random_tree, torus};
use diffrg_core::rg::real_space_local::{partition_local, LocalOptions};

pub fn run() {
    let spec: String = env("DIFFRG_LOCAL", "ba:20000:0.3".to_string());
    let parts: Vec<&str> = spec.split(':').collect();
    assert_eq!(parts.len(), 3, "DIFFRG_LOCAL=<graph>:<N>:<tau>, got {spec}");
    let n: usize = parts[1].parse().expect("DIFFRG_LOCAL: N");
    let tau: f64 = parts[2].parse().expect("DIFFRG_LOCAL: tau");
    let g = match parts[0] {
        "er" => erdos_renyi(n, 4.0, 7),
        "torus" => torus((n as f64).sqrt().round() as usize, 2),
        "tree" => random_tree(n, 7),
        _ => barabasi_albert(n, 2, 7),
    };
    let gs: usize = env("DIFFRG_GLOBAL_SUPPORT", 4096);
    let t0 = std::time::Instant::now();
    let (a, d) = partition_local(&g, tau, &LocalOptions { global_support: gs, ..Default::default() }, &Exec::with_threads(2)).unwrap();
    let k = a.iter().max().map_or(0, |&m| m + 1);
    eprintln!("{spec}: {} -> {k} in {:.1} s; {d:?}", g.n(), t0.elapsed().as_secs_f64());
}
