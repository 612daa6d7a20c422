//! Phases of MPS compression on the benchmark case (a random Born train of `MPS_SITES` sites
//! (100), bond `MPS_CHI` (128) -> 32), best of 7, on 1 and 2 threads: the whole compression,
//! the Gram pass, a clone of the input, and 99 repetitions of each bulk-site kernel.
use crate::env;
use diffrg_core::exec::Exec;
use diffrg_core::mps::compress::{
    compress_borrowed, cview, gram_factors, lower_gram, psd_factor, rows_matmul, CompressOptions, CoreRef, Eigh,
};
use diffrg_core::mps::dense::rescale;
use diffrg_core::mps::tt::{Kind, TensorTrain};
use std::time::Instant;

pub fn run() {
    for threads in [1usize, 2] {
        let ex = Exec::with_threads(threads);
        println!("{threads} thread(s):");
        ex.install(|| phases(&ex));
    }
}

fn best(f: &mut dyn FnMut()) -> f64 {
    let mut b = f64::INFINITY;
    for _ in 0..7 {
        let t0 = Instant::now();
        f();
        b = b.min(t0.elapsed().as_secs_f64());
    }
    b * 1e3
}

fn phases(ex: &Exec) {
    let (sites, chi): (usize, usize) = (env("MPS_SITES", 100), env("MPS_CHI", 128));
    let t = TensorTrain::random(Kind::Born, &vec![2; sites], chi, 1).unwrap();
    let opts = CompressOptions { max_bond: 32, cutoff: 0.0 };
    let flat: Vec<f64> = t.cores().iter().flat_map(|c| c.data.iter().copied()).collect();
    let refs = CoreRef::split(&t.dims(), &t.bond_dims(), &flat, "model").unwrap();
    let total = best(&mut || {
        compress_borrowed(Kind::Born, &refs, &opts, ex).unwrap();
    });
    let gram = best(&mut || {
        gram_factors(&refs, true, ex).unwrap();
    });
    let copy = best(&mut || {
        std::hint::black_box(t.clone());
    });
    // one bulk site of the Gram pass and one eigen-decomposition of the sweep, 99 times each
    let (mid, d) = (sites / 2, 2usize);
    let (l, r) = (t.bond_dims()[mid], t.bond_dims()[mid + 1]);
    let a = &t.core(mid).data;
    let g = gram_factors(&refs, false, ex).unwrap();
    let mut bm = vec![0.0; l * d * r];
    let prod = best(&mut || {
        for _ in 0..99 {
            rows_matmul(&mut bm, a, l * d, r, cview(&g[mid + 1].f, r), true);
        }
    });
    let mut gg = Vec::new();
    let syrk = best(&mut || {
        for _ in 0..99 {
            gg = lower_gram(&bm, l, d * r);
        }
    });
    rescale(&mut gg);
    let chol = best(&mut || {
        for _ in 0..99 {
            std::hint::black_box(psd_factor(gg.clone(), l, || unreachable!()).unwrap());
        }
    });
    let half = (l / 2).max(1);
    let rho = lower_gram(&bm[..half * 2 * r], half, 2 * r);
    let mut eigh = Eigh::new();
    let eig = best(&mut || {
        for _ in 0..99 {
            std::hint::black_box(eigh.solve(&rho, half).unwrap());
        }
    });
    println!(
        "  compress (borrowed input, finiteness checks) {total:.1} ms; Gram pass {gram:.1} ms; a clone of the input train {copy:.1} ms"
    );
    println!("  x99: B = A F {prod:.1} ms, lower(B B^T) {syrk:.1} ms, Cholesky({l}) {chol:.1} ms, eigen-decomposition({half}) {eig:.1} ms");
}
