//! Column-parallel passes over column-major matrices with reproducible reductions.
//!
//! Each pass splits the columns into tasks of [`column_chunk`] columns (fixed by the shape,
//! not by the thread count) and returns one accumulator per task in task order, so a caller
//! that adds them in that order gets the same bits on any number of threads.

use crate::exec::column_chunk;
use faer::{MatMut, MatRef};
use rayon::prelude::*;

/// Visits every column of `m` as `f(acc, column index, column)`, in parallel tasks of
/// [`column_chunk`] columns, each with its own accumulator from `init`; the accumulators are
/// returned in task order. Runs on the current rayon pool (use inside `Exec::install`).
pub fn fold_cols_mut<A: Send>(m: MatMut<'_, f64>, init: impl Fn() -> A + Sync, f: impl Fn(&mut A, usize, &mut [f64]) + Sync) -> Vec<A> {
    let chunk = column_chunk(m.nrows());
    m.par_col_chunks_mut(chunk)
        .enumerate()
        .map(|(t, mut block)| {
            let mut acc = init();
            for jj in 0..block.ncols() {
                let col = block.as_mut().col_mut(jj).try_as_col_major_mut().expect("column-major matrix").as_slice_mut();
                f(&mut acc, t * chunk + jj, col);
            }
            acc
        })
        .collect()
}

/// Visits every column of `m` as `f(column index, column)`, in parallel ([`fold_cols_mut`]
/// without an accumulator).
pub fn for_cols_mut(m: MatMut<'_, f64>, f: impl Fn(usize, &mut [f64]) + Sync) {
    fold_cols_mut(m, || (), |_, j, col| f(j, col));
}

/// [`fold_cols_mut`] for reading only.
pub fn fold_cols<A: Send>(m: MatRef<'_, f64>, init: impl Fn() -> A + Sync, f: impl Fn(&mut A, usize, &[f64]) + Sync) -> Vec<A> {
    let chunk = column_chunk(m.nrows());
    m.par_col_chunks(chunk)
        .enumerate()
        .map(|(t, block)| {
            let mut acc = init();
            for jj in 0..block.ncols() {
                f(&mut acc, t * chunk + jj, block.col(jj).try_as_col_major().expect("column-major matrix").as_slice());
            }
            acc
        })
        .collect()
}

/// Sums per-task partial vectors in task order.
pub fn sum_in_order(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for part in parts {
        out.iter_mut().zip(part).for_each(|(o, x)| *o += x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn folds_visit_every_column_once_and_reduce_the_same_on_any_pool() {
        let (r, c) = (3000, 37);
        let m = Mat::from_fn(r, c, |i, j| ((i * 31 + j * 17) % 101) as f64 * 1e-3 + 1.0 / (1 + i + j) as f64);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let sums = fold_cols(m.as_ref(), || 0.0, |a, _, col| *a += col.iter().map(|x| x * x).sum::<f64>());
                let rows =
                    sum_in_order(fold_cols(m.as_ref(), || vec![0.0; r], |a, _, col| a.iter_mut().zip(col).for_each(|(a, x)| *a += x)), r);
                (sums.iter().sum::<f64>(), rows)
            })
        };
        let (s1, r1) = run(1);
        let (s3, r3) = run(3);
        assert_eq!(s1.to_bits(), s3.to_bits());
        assert_eq!(r1, r3);
        let want: f64 = (0..c).map(|j| (0..r).map(|i| m[(i, j)] * m[(i, j)]).sum::<f64>()).sum();
        assert!((s1 - want).abs() < 1e-9 * want);
        for i in [0, 1234, r - 1] {
            let w: f64 = (0..c).map(|j| m[(i, j)]).sum();
            assert!((r1[i] - w).abs() < 1e-12 * w.abs().max(1.0));
        }
        let mut x = m.clone();
        let seen = fold_cols_mut(x.as_mut(), Vec::new, |a, j, col| {
            col.iter_mut().for_each(|v| *v *= 2.0);
            a.push(j)
        });
        assert_eq!(seen.concat(), (0..c).collect::<Vec<_>>());
        assert_eq!(x, &m * 2.0);
    }
}
