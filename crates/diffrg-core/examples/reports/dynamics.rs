//! Effective dynamics reports: entropy production of LIF assemblies against feed-forward
//! coupling, and the bias of the state-space estimator over seeds.
use crate::env;
use diffrg_core::dynamics::assemblies::assembly_rates;
use diffrg_core::dynamics::states::{states_from_labels, StatesOptions};
use diffrg_core::exec::Exec;
use diffrg_core::sim::NetworkOptions;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Assembly entropy production at feed-forward 0, 0.5, 1: `FF_N` (200), `FF_K` (4), `FF_KE` (20),
/// `FF_KI` (10), `FF_R` (4), `FF_WR` (2), `FF_WEE` (0.75), `FF_T` (30 s), `FF_BIN` (0.02 s),
/// `FF_SEEDS` (2).
pub fn feedforward() {
    let exec = Exec::with_threads(2);
    let net = |f: f64| NetworkOptions {
        n: env("FF_N", 200),
        clusters: env("FF_K", 4),
        k_exc: env("FF_KE", 20.0),
        k_inh: env("FF_KI", 10.0),
        p_ratio: Some(env("FF_R", 4.0)),
        w_ratio: env("FF_WR", 2.0),
        w_ee: env("FF_WEE", 0.75),
        feedforward: f,
        ..Default::default()
    };
    for seed in 1..=env::<u64>("FF_SEEDS", 2) {
        for f in [0.0, 0.5, 1.0] {
            let t0 = std::time::Instant::now();
            let (v, s, re, ri) = assembly_rates(net(f), env("FF_T", 30.0), env("FF_BIN", 0.02), seed, &exec).unwrap();
            println!("seed {seed} f {f}: var {v:.4} states {s:.4} rates {re:.1}/{ri:.1} Hz ({:.2}s)", t0.elapsed().as_secs_f64());
        }
    }
}

/// A Markov chain with row-stochastic transition matrix `t` (k x k), from state 0.
fn chain(t: &[f64], k: usize, steps: usize, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut s, mut out) = (0usize, vec![0u32]);
    for _ in 0..steps {
        let mut u: f64 = rng.random();
        s = (0..k)
            .find(|&j| {
                u -= t[s * k + j];
                u < 0.0
            })
            .unwrap_or(k - 1);
        out.push(s as u32);
    }
    out
}

/// Plug-in and bias-corrected entropy rates with CI coverage of the exact value (docs/dynamics.md):
/// `STATES_SEEDS` (20), `STATES_STEPS` (20,000), `STATES_BOOTSTRAP` (100).
pub fn states_bias() {
    let (seeds, steps, boot): (u64, usize, usize) = (env("STATES_SEEDS", 20), env("STATES_STEPS", 20_000), env("STATES_BOOTSTRAP", 100));
    let ring = |a: f64, b: f64| vec![1.0 - a - b, a, b, b, 1.0 - a - b, a, a, b, 1.0 - a - b];
    let four = [0.7, 0.2, 0.1, 0.0, 0.2, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 0.1, 0.0, 0.1, 0.1, 0.8];
    for (name, t, k, exact) in [
        ("reversible ring a=b=0.2", ring(0.2, 0.2), 3, 0.0),
        ("reversible 4-state", four.to_vec(), 4, 0.0),
        ("ring a=0.3 b=0.1", ring(0.3, 0.1), 3, 0.2 * 3f64.ln()),
    ] {
        let (mut raw, mut cor, mut cover) = (Vec::new(), Vec::new(), 0);
        for seed in 1..=seeds {
            let labels = chain(&t, k, steps, seed);
            let o = StatesOptions { bootstrap: boot, seed, ..Default::default() };
            let r = states_from_labels(&labels, k, 1.0, &o, &Exec::with_threads(2)).unwrap();
            raw.push(r.plug_in);
            cor.push(r.estimate.per_step.unwrap());
            cover += usize::from(r.estimate.ci[0] <= exact && exact <= r.estimate.ci[1]);
        }
        let m = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let sd = |v: &[f64]| (v.iter().map(|x| (x - m(v)).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        println!(
            "{name}: exact {exact:.5}; plug-in {:.5} ± {:.5}; corrected {:.5} ± {:.5}; CI coverage {cover}/{seeds} ({steps} steps, {seeds} seeds)",
            m(&raw),
            sd(&raw),
            m(&cor),
            sd(&cor)
        );
    }
}
