//! Band to tridiagonal by Householder bulge chasing (stage 2 of [`super::sym_eig`]).

use super::reflector::{axpy, dot, householder};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::simd::Level;
use faer::MatRef;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Largest half-bandwidth of the bulge chase (its work vectors live on the stack); wider
/// requests are clamped.
pub const MAX_CHASE_B: usize = 128;

/// Lower band of a symmetric matrix in compact column storage: entry `(r, c)`, `0 <= r - c <=
/// 2b`, at `data[(r - c) + ld * c]` with `ld = 2b + 1` (the lower `b` diagonals are the band,
/// the next `b` hold the bulge of the chase).
pub struct Band {
    n: usize,
    b: usize,
    ld: usize,
    data: Vec<f64>,
}

impl Band {
    /// The band of half-bandwidth `b` of the lower triangle of `a`.
    /// `b` is clamped to `1..=MAX_CHASE_B`.
    pub fn from_dense(a: MatRef<'_, f64>, b: usize) -> Band {
        let n = a.nrows();
        let b = b.clamp(1, MAX_CHASE_B);
        let ld = 2 * b + 1;
        let mut data = vec![0.0; ld * n];
        for c in 0..n {
            for d in 0..=b.min(n - 1 - c) {
                data[d + ld * c] = a[(c + d, c)];
            }
        }
        Band { n, b, ld, data }
    }
    #[inline]
    fn idx(&self, r: usize, c: usize) -> usize {
        debug_assert!(r >= c && r - c < self.ld);
        (r - c) + self.ld * c
    }
}

/// Reduces the band to tridiagonal form by Householder bulge chasing; returns the diagonal and
/// the sub-diagonal.
///
/// Sweep `i` builds the reflector that annihilates column `i` below the sub-diagonal (rows
/// `i+2 .. i+b`), applies it to the diagonal block from both sides and to the block below from
/// the right, which fills that block (the bulge); the reflector of the bulge's first column is
/// applied from the left to the rest of the bulge, to the next diagonal block from both sides
/// and to the block below it from the right, and so on to the end of the band. The rest of
/// each bulge is annihilated by the following sweeps, so the fill never reaches beyond `2b`
/// diagonals (LAPACK `dsb2st_kernels`, types 1-3).
///
/// Parallel sweeps (Haidar, Ltaief & Dongarra 2011): step `s` of sweep `i` touches only the
/// band columns `[i + 1 + (s - 1) b, i + 1 + (s + 2) b)`, so sweep `i + 1` may run its step `s`
/// once sweep `i` has finished its step `s + 3`; with that lag, sweeps dealt round-robin to
/// `exec.threads` threads (at most one per `8b` rows and one per core) give the serial result
/// bit for bit.
///
/// Errors: `ERR_ABORTED` when `exec` is cancelled (checked every 32 sweeps per thread).
pub fn band_to_tridiagonal(band: Band, exec: &Exec) -> Result<(Vec<f64>, Vec<f64>)> {
    band_to_tridiagonal_at(band, exec, Level::detect())
}

fn band_to_tridiagonal_at(mut band: Band, exec: &Exec, level: Level) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = band.n;
    let sweeps = n.saturating_sub(2);
    // Spin-waiting threads need a core each: no more than the machine has.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads = exec.threads.min(cores).min(n / (8 * band.b)).max(1);
    let shared = SharedBand { ptr: band.data.as_mut_ptr(), n, b: band.b, ld: band.ld };
    let sync = Sync_ { done: (0..sweeps).map(|_| AtomicUsize::new(0)).collect(), stop: AtomicBool::new(false), lag: CHASE_LAG };
    let run = |t: usize| -> Result<()> {
        let r = run_sweeps(level, &shared, t, threads, &sync, exec);
        if r.is_err() {
            sync.stop.store(true, Ordering::Relaxed);
        }
        r
    };
    if threads == 1 {
        run(0)?;
    } else {
        std::thread::scope(|scope| -> Result<()> {
            let handles: Vec<_> = (1..threads).map(|t| scope.spawn(move || run(t))).collect();
            let mut result = run(0);
            for h in handles {
                let r = h.join().unwrap_or_else(|_| Err(Error::internal("bulge-chasing thread panicked")));
                result = result.and(r);
            }
            result
        })?;
    }
    exec.progress.set_done(sweeps, sweeps);
    let d = (0..n).map(|c| band.data[band.idx(c, c)]).collect();
    let e = (0..n.saturating_sub(1)).map(|c| band.data[band.idx(c + 1, c)]).collect();
    Ok((d, e))
}

/// Steps by which sweep `i + 1` trails sweep `i` (see [`band_to_tridiagonal`]).
const CHASE_LAG: usize = 4;

/// The band's storage shared by the chasing threads; each step borrows only the columns it
/// touches, and the lag between sweeps keeps concurrent steps on disjoint columns.
struct SharedBand {
    ptr: *mut f64,
    n: usize,
    b: usize,
    ld: usize,
}

// SAFETY: the threads access disjoint column ranges (the lag protocol of `band_to_tridiagonal`,
// with acquire/release on the step counters ordering the hand-over of columns).
unsafe impl Sync for SharedBand {}

/// Completed steps of each sweep (`usize::MAX` when the sweep is done) and the stop flag.
struct Sync_ {
    done: Vec<AtomicUsize>,
    stop: AtomicBool,
    lag: usize,
}

/// Band columns `c0..c1` as a mutable view (entry `(r, c)` at `(r - c) + ld (c - c0)`).
struct View<'a> {
    data: &'a mut [f64],
    base: usize,
    ld: usize,
}

impl View<'_> {
    #[inline(always)]
    fn idx(&self, r: usize, c: usize) -> usize {
        debug_assert!(r >= c && r - c < self.ld && c >= self.base);
        (r - c) + self.ld * (c - self.base)
    }
}

/// Sweeps `t, t + threads, ...` compiled for the vector level (the kernels are short loops
/// over `b`-vectors in cache; every operation is per lane in a fixed order, without fused
/// multiply-add, so all levels give the same result: `crate::simd`).
fn run_sweeps(level: Level, band: &SharedBand, t: usize, threads: usize, sync: &Sync_, exec: &Exec) -> Result<()> {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2(band: &SharedBand, t: usize, threads: usize, sync: &Sync_, exec: &Exec) -> Result<()> {
        run_sweeps_body(band, t, threads, sync, exec)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(band: &SharedBand, t: usize, threads: usize, sync: &Sync_, exec: &Exec) -> Result<()> {
        run_sweeps_body(band, t, threads, sync, exec)
    }
    match level {
        Level::Baseline => run_sweeps_body(band, t, threads, sync, exec),
        // SAFETY: the level was detected on this CPU (Level::detect).
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2(band, t, threads, sync, exec) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512(band, t, threads, sync, exec) },
    }
}

#[inline(always)]
fn run_sweeps_body(band: &SharedBand, t: usize, threads: usize, sync: &Sync_, exec: &Exec) -> Result<()> {
    let n = band.n;
    let b = band.b;
    let sweeps = sync.done.len();
    let mut v = [0.0f64; MAX_CHASE_B];
    let mut y = [0.0f64; MAX_CHASE_B];
    let mut z = [0.0f64; MAX_CHASE_B];
    let mut i = t;
    let mut count = 0usize;
    while i < sweeps {
        if count % 32 == 0 {
            exec.check()?;
            if t == 0 {
                exec.progress.set_done(i, sweeps);
            }
        }
        count += 1;
        // Block: reflector from column c0 rows r0..r1, then columns c0+1..c0+w from the left.
        let mut c0 = i;
        let mut w = 1;
        let mut r0 = i + 1;
        let mut step = 0;
        while r0 < n {
            if i > 0 {
                let need = step + sync.lag;
                let mut spins = 0u32;
                while sync.done[i - 1].load(Ordering::Acquire) < need {
                    if sync.stop.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    spins += 1;
                    if spins < 64 {
                        std::hint::spin_loop();
                    } else {
                        std::thread::yield_now();
                    }
                }
            }
            let r1 = n.min(r0 + b);
            let m = r1 - r0;
            // SAFETY: columns c0..r1 are this step's alone (the lag protocol); within bounds.
            let data = unsafe { std::slice::from_raw_parts_mut(band.ptr.add(band.ld * c0), band.ld * (r1 - c0)) };
            let mut view = View { data, base: c0, ld: band.ld };
            let h = view.idx(r0, c0);
            let col = &mut view.data[h..h + m];
            let tau = householder(col);
            if tau != 0.0 {
                v[0] = 1.0;
                v[1..m].copy_from_slice(&col[1..m]);
                col[1..m].fill(0.0);
                chase_step(&mut view, n, b, &v[..m], tau, c0, w, r0, r1, &mut y, &mut z);
            }
            c0 = r0;
            w = m;
            r0 = r1;
            step += 1;
            sync.done[i].store(step, Ordering::Release);
        }
        sync.done[i].store(usize::MAX, Ordering::Release);
        i += threads;
    }
    Ok(())
}

/// Applies `H = I - tau v v^T` (rows and columns `r0..r1`) to the columns `c0+1..c0+w` from
/// the left, to the diagonal block from both sides, and to the block below from the right.
#[inline(always)]
fn chase_step(
    band: &mut View<'_>,
    n: usize,
    b: usize,
    v: &[f64],
    tau: f64,
    c0: usize,
    w: usize,
    r0: usize,
    r1: usize,
    y: &mut [f64],
    z: &mut [f64],
) {
    let m = r1 - r0;
    // Left: the rest of the block the reflector came from.
    for c in c0 + 1..c0 + w {
        let h = band.idx(r0, c);
        let col = &mut band.data[h..h + m];
        let s = dot(v, col);
        axpy(-tau * s, v, col);
    }
    // Both sides on the diagonal block D (lower triangle): y = tau D v,
    // y -= (tau/2)(y.v) v, D -= v y^T + y v^T.
    let y = &mut y[..m];
    y.fill(0.0);
    for c in 0..m {
        let h = band.idx(r0 + c, r0 + c);
        let col = &band.data[h..h + m - c];
        // col[k] = D[c + k, c].
        let vc = v[c];
        y[c] += col[0] * vc + dot(&col[1..], &v[c + 1..]);
        axpy(vc, &col[1..], &mut y[c + 1..]);
    }
    for yi in y.iter_mut() {
        *yi *= tau;
    }
    let alpha = -0.5 * tau * dot(y, v);
    axpy(alpha, v, y);
    for c in 0..m {
        let h = band.idx(r0 + c, r0 + c);
        let col = &mut band.data[h..h + m - c];
        axpy(-y[c], &v[c..], col);
        axpy(-v[c], &y[c..], col);
    }
    // Right: the block below, rows r1..r2, columns r0..r1: z = B v, B -= tau z v^T.
    let r2 = n.min(r1 + b);
    if r2 > r1 {
        let q = r2 - r1;
        let z = &mut z[..q];
        z.fill(0.0);
        for (c, &vc) in v.iter().enumerate() {
            let h = band.idx(r1, r0 + c);
            axpy(vc, &band.data[h..h + q], z);
        }
        for (c, &vc) in v.iter().enumerate() {
            let h = band.idx(r1, r0 + c);
            axpy(-tau * vc, z, &mut band.data[h..h + q]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sym_eig::dense_to_band;
    use super::super::testutil::random_sym;
    use super::*;
    use faer::Par;

    #[test]
    fn chase_is_the_same_on_every_thread_count_and_vector_level() {
        let (n, b) = (300, 6);
        let mut a = random_sym(n, 21);
        dense_to_band(a.as_mut(), b, &Exec::sequential(), Par::Seq).unwrap();
        let reference = band_to_tridiagonal_at(Band::from_dense(a.as_ref(), b), &Exec::sequential(), Level::Baseline).unwrap();
        for level in Level::available() {
            for threads in [1, 2, 3, 5] {
                let got = band_to_tridiagonal_at(Band::from_dense(a.as_ref(), b), &Exec::with_threads(threads), level).unwrap();
                assert_eq!(got, reference, "{level:?} threads={threads}");
            }
        }
    }
}
