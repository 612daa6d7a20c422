//! SLQ against the dense spectrum, and SLQ's wall time on the large-graph path.
//! `DIFFRG_SLQ_N`: nodes (accuracy 5000, speed 1,000,000).
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::graph::generators::{barabasi_albert, erdos_renyi, torus};
use diffrg_core::graph::Graph;
use diffrg_core::laplacian::LaplacianKind;
use diffrg_core::spectral::dense::{laplacian_eigenvalues, DEFAULT_DENSE_LIMIT_BYTES};
use diffrg_core::spectral::slq::{slq, SlqOptions};
use diffrg_core::spectral::{log_grid, thermodynamics};

/// (max |dC|, max C, max |dS|) of SLQ against the dense spectrum over `taus`.
fn max_heat_error(g: &Graph, kind: LaplacianKind, opts: &SlqOptions, taus: &[f64]) -> (f64, f64, f64) {
    let exec = Exec::with_threads(2);
    let exact = laplacian_eigenvalues(g, kind, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
    let te = thermodynamics(&exact, None, g.n(), taus);
    let ts = slq(g, kind, opts, &exec).unwrap().thermodynamics(taus);
    let cmax = te.specific_heat.iter().cloned().fold(0.0, f64::max);
    let err = te.specific_heat.iter().zip(&ts.specific_heat).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let serr = te.entropy.iter().zip(&ts.entropy).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    (err, cmax, serr)
}

/// BA m=2, ER <k>=4 and a torus: relative heat-capacity error, entropy error and stderr.
pub fn accuracy() {
    let n: usize = env("DIFFRG_SLQ_N", 5000);
    let side = (n as f64).sqrt().round() as usize;
    let taus = log_grid(1e-3, 1e3, 200);
    let opts = SlqOptions::default();
    for (name, g) in [("BA m=2", barabasi_albert(n, 2, 11)), ("ER <k>=4", erdos_renyi(n, 4.0, 5)), ("torus", torus(side, 2))] {
        let t0 = std::time::Instant::now();
        let m = slq(&g, LaplacianKind::Combinatorial, &opts, &Exec::with_threads(2)).unwrap();
        let dt = t0.elapsed().as_secs_f64();
        let (err, cmax, serr) = max_heat_error(&g, LaplacianKind::Combinatorial, &opts, &taus);
        let (l2, lm) = m.extremes();
        let tg = log_grid(0.01 / lm, 10.0 / l2.unwrap_or(lm), 100);
        let cm = m.thermodynamics(&tg).specific_heat.iter().cloned().fold(0.0, f64::max);
        let se = m.stderr(&tg).1.iter().cloned().fold(0.0, f64::max) / cm;
        eprintln!(
            "{name} n={}: deflated {} (dim {}), slq {dt:.2} s, se/cmax {se:.4}, max|dC|/maxC = {:.4}, max|dS| = {serr:.4}",
            g.n(),
            m.exact.len(),
            m.deflation_dim,
            err / cmax
        );
    }
}

/// BA m = 3, default options (30 probes x 100 steps), 2 threads.
pub fn speed() {
    let n: usize = env("DIFFRG_SLQ_N", 1_000_000);
    let g = barabasi_albert(n, 3, 1);
    let exec = Exec::with_threads(2);
    let t0 = std::time::Instant::now();
    let m = slq(&g, LaplacianKind::Combinatorial, &SlqOptions::default(), &exec).unwrap();
    let dt = t0.elapsed().as_secs_f64();
    let (_, lm) = m.extremes();
    let taus = log_grid(1e-3, 1e3, 200);
    let c = m.thermodynamics(&taus).specific_heat;
    let cmax = c.iter().cloned().fold(0.0, f64::max);
    eprintln!(
        "BA m=3 n={n}: slq {dt:.2} s ({} probes x {} steps), lam_max {lm:.4}, max C {cmax:.6}, C(tau=1) {:.6}",
        m.probes.len(),
        m.steps,
        c[100]
    );
}
