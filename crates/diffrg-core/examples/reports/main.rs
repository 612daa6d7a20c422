//! Timing and report harnesses of the core, one binary: `reports <name> [<name> ...]`
//! (`reports list` names them). They were `#[ignore]` tests in `src/`; tests there assert, these
//! print. Run by `npm run bench -- core-reports` (benches/core-reports.mjs) and
//! `npm run bench -- lgd-scale` (benches/lgd-scale.mjs), which build this example once in the
//! addon's release profile and pass tiny sizes under `DIFFRG_BENCH_SMOKE=1`. Sizes and knobs are
//! environment variables, listed per harness in benches/README.md.

mod closed_loop;
mod dense_eig;
mod dynamics;
mod hidden_assemblies;
mod lgd_covariance_pass;
mod lgd_scale;
mod lif_accuracy;
mod lif_benchmark;
mod local_step;
mod lockstep_speed;
mod mps_compress;
mod rate_estimators;
mod slq;

use std::str::FromStr;

/// `k` parsed from the environment, else `d` (a malformed value is an error, not the default).
pub fn env<T: FromStr>(k: &str, d: T) -> T {
    match std::env::var(k) {
        Ok(s) => s.trim().parse().unwrap_or_else(|_| panic!("{k}={s} does not parse")),
        Err(_) => d,
    }
}

/// A comma-separated list from the environment, else `d`.
pub fn env_list<T: FromStr>(k: &str, d: &str) -> Vec<T> {
    let s = std::env::var(k).unwrap_or_else(|_| d.into());
    s.split(',').map(|x| x.trim().parse().unwrap_or_else(|_| panic!("{k}: '{x}' does not parse"))).collect()
}

/// Process CPU seconds (user + system, from /proc/self/stat; 0 elsewhere): less disturbed than
/// wall time on a shared machine.
pub fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let tick = |k: usize| f.get(k).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

const REPORTS: &[(&str, fn(), &str)] = &[
    ("lgd_scale", lgd_scale::run, "LGD at scale: covariance pass, fit and AUROC/AUPR (docs/lgd.md, Speed)"),
    ("lgd_covariance_pass", lgd_covariance_pass::run, "the streaming covariance pass alone"),
    ("hidden_assemblies", hidden_assemblies::run, "LGD's latent part over lengths and observed fractions (docs/lgd.md)"),
    ("lif_accuracy", lif_accuracy::run, "LGD vs baselines on the clustered LIF simulator (docs/lgd.md)"),
    ("local_step", local_step::run, "one localized real-space RG step at scale (docs/benchmarks.md)"),
    ("slq_accuracy", slq::accuracy, "SLQ heat-capacity error against the dense spectrum (docs/benchmarks.md)"),
    ("slq_speed", slq::speed, "SLQ wall time on the large-graph path (docs/benchmarks.md)"),
    ("lockstep_speed", lockstep_speed::run, "lockstep Lanczos kernel and the sparse product alone"),
    ("dense_eig", dense_eig::run, "dense Laplacian eigenvalues, 1 and 2 threads"),
    ("lif_benchmark", lif_benchmark::run, "LIF network build and simulation"),
    ("feedforward", dynamics::feedforward, "assembly entropy production against feed-forward coupling"),
    ("states_bias", dynamics::states_bias, "plug-in and corrected state-space entropy rates over seeds (docs/dynamics.md)"),
    ("mps_compress", mps_compress::run, "phases of MPS compression, 100 sites chi 128 -> 32 (docs/mps.md)"),
    ("closed_loop", closed_loop::run, "the coarse-to-fine control demonstration over seeds and targets (docs/control.md)"),
    ("rate_estimators", rate_estimators::run, "estimators of an assembly's rate from its observed neurons (docs/control.md)"),
];

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() || names[0] == "list" {
        for (name, _, what) in REPORTS {
            println!("{name:22} {what}");
        }
        return;
    }
    for name in &names {
        let Some((_, run, _)) = REPORTS.iter().find(|r| r.0 == name) else {
            eprintln!("unknown report '{name}' (`reports list` names them)");
            std::process::exit(2);
        };
        run();
    }
}
