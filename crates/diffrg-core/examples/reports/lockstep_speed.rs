//! The lockstep Lanczos kernel on BA m=3 (`PN` nodes, default 1,000,000), 32 sign probes,
//! `PS` steps (100) on `PT` threads (2); `DIFFRG_NO_SIMD=1` for the baseline kernels; last, the
//! CPU time of the sparse product alone (one thread).
use crate::{cpu_seconds, env};
use diffrg_core::exec::Exec;
use diffrg_core::graph::generators::barabasi_albert;
use diffrg_core::laplacian::{LaplacianKind, SymLaplacian};
use diffrg_core::simd::Level;
use diffrg_core::spectral::lockstep::{lockstep_lanczos, sign_probes, LockstepLaplacian, NodeOrder};

pub fn run() {
    let (threads, steps, n): (usize, usize, usize) = (env("PT", 2), env("PS", 100), env("PN", 1_000_000));
    let g = barabasi_albert(n, 3, 1);
    let t = std::time::Instant::now();
    let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
    let comp = g.components();
    let z = op.null_values(&comp);
    let lop = LockstepLaplacian::new(&op, &comp, &z, NodeOrder::Degree);
    eprintln!("operator, null space and relabelling: {:.3} s", t.elapsed().as_secs_f64());
    let probes = sign_probes(n, 30, false);
    let exec = Exec::with_threads(threads);
    let (t, c0) = (std::time::Instant::now(), cpu_seconds());
    let r = exec.install(|| lockstep_lanczos::<32>(&lop, &probes, steps, &exec)).unwrap();
    eprintln!(
        "{} runs x {steps} steps on {threads} threads ({:?}): wall {:.3} s, cpu {:.2} s",
        r.len(),
        Level::detect(),
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c0
    );
    // the sparse product alone (gathers of 256-byte rows, no recurrence), 10 times, one thread
    let x: Vec<f64> = (0..n * 32).map(|k| (k % 7) as f64).collect();
    let (mut acc, mut sink, c0) = ([0.0; 32], 0.0, cpu_seconds());
    for _ in 0..10 {
        for i in 0..n {
            lop.row_product::<32>(i, &x, &mut acc);
            sink += acc[3];
        }
    }
    eprintln!("sparse product alone (baseline build of the loop, 1 thread): {:.1} ms per product ({sink})", (cpu_seconds() - c0) * 100.0);
}
