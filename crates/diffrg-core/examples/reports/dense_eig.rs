//! Dense Laplacian eigenvalues of BA m=3 with `DIFFRG_EIG_N` nodes (4000) on 1 and 2 threads:
//! faer's one-stage `self_adjoint_eigenvalues` against the stages of the two-stage solver the
//! exact path uses (`linalg::sym_eig`: dense to band of half-bandwidth `DIFFRG_EIG_B` (32), bulge
//! chase, tridiagonal QL). docs/benchmarks.md, "Exact scan: two-stage tridiagonalization".
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::graph::generators::barabasi_albert;
use diffrg_core::laplacian::{self, LaplacianKind};
use diffrg_core::linalg::sym_eig::{band_to_tridiagonal, dense_to_band, tridiagonal_eigenvalues, Band, DEFAULT_BANDWIDTH};
use std::time::Instant;

pub fn run() {
    let n: usize = env("DIFFRG_EIG_N", 4000);
    let b: usize = env("DIFFRG_EIG_B", DEFAULT_BANDWIDTH);
    let l = laplacian::dense(&barabasi_albert(n, 3, 1), LaplacianKind::Combinatorial);
    for threads in [1usize, 2] {
        let exec = Exec::with_threads(threads);
        let (one, par) = (l.clone(), exec.par());
        let t = Instant::now();
        let v = exec.install(move || {
            faer::set_global_parallelism(par);
            one.self_adjoint_eigenvalues(faer::Side::Lower).unwrap()
        });
        let faer_s = t.elapsed().as_secs_f64();
        let mut a = l.clone();
        let t = Instant::now();
        exec.install(|| dense_to_band(a.as_mut(), b, &exec, exec.par()).unwrap());
        let t1 = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let (d, e) = band_to_tridiagonal(Band::from_dense(a.as_ref(), b), &exec).unwrap();
        let t2 = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let w = tridiagonal_eigenvalues(&d, &e).unwrap();
        let t3 = t.elapsed().as_secs_f64();
        let lam_max = |x: &[f64]| x.iter().copied().fold(f64::MIN, f64::max);
        eprintln!(
            "n={n} b={b} threads={threads}: faer one-stage {faer_s:.3} s | two-stage: dense to band {t1:.3} s \
             ({:.1} GFLOP/s at 4/3 n^3), band to tridiagonal {t2:.3} s, tridiagonal QL {t3:.3} s, total {:.3} s \
             (lam_max {:.6} / {:.6})",
            4.0 / 3.0 * (n as f64).powi(3) / t1 / 1e9,
            t1 + t2 + t3,
            lam_max(&v),
            lam_max(&w)
        );
    }
}
