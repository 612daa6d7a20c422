//! Dense Laplacian eigenvalues (faer's self-adjoint eigenvalues) of BA m=3 with
//! `DIFFRG_EIG_N` nodes (4000), on 1 and 2 threads.
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::graph::generators::barabasi_albert;
use diffrg_core::laplacian::LaplacianKind;
use diffrg_core::spectral::dense::{laplacian_eigenvalues, DEFAULT_DENSE_LIMIT_BYTES};

pub fn run() {
    let n: usize = env("DIFFRG_EIG_N", 4000);
    let g = barabasi_albert(n, 3, 1);
    for threads in [1usize, 2] {
        let exec = Exec::with_threads(threads);
        let t = std::time::Instant::now();
        let v = laplacian_eigenvalues(&g, LaplacianKind::Combinatorial, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        eprintln!("faer self_adjoint_eigenvalues n={n} threads={threads}: {:.3} s (lam_max {:.3})", t.elapsed().as_secs_f64(), v[n - 1]);
    }
}
