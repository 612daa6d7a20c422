//! Eigenvalues of a dense real symmetric matrix by two-stage tridiagonalization.
//!
//! faer's `self_adjoint_eigenvalues` reduces the matrix to tridiagonal form one column at a
//! time (a rank-2 update and a matrix-vector product per column): every flop streams the
//! trailing matrix from memory, so it runs at memory bandwidth. LAPACK's one-stage `dsytrd`
//! moves half of those flops into `dsyr2k`; the two-stage scheme moves all of them into matrix
//! products (Bischof, Lang & Sun 2000; Haidar, Ltaief & Dongarra 2011; LAPACK
//! `dsytrd_2stage`):
//!
//! 1. **Dense to band** ([`dense_to_band`]): for each panel of `b` columns, the Householder QR
//!    $P = QR$ of the block below the band, $Q = I - V T V^\top$ (compact WY), and the
//!    two-sided update of the trailing matrix
//!    $$X = A_{22} V T,\quad W = X - \tfrac12 V (T^\top V^\top X),\quad
//!    A_{22} \leftarrow Q^\top A_{22} Q = A_{22} - V W^\top - W V^\top,$$
//!    which leaves a band of half-bandwidth `b`. $\tfrac43 n^3$ flops, all in matrix products
//!    (the symmetric product and the rank-$2b$ update touch one triangle).
//! 2. **Band to tridiagonal** ([`band_to_tridiagonal`]): Householder bulge chasing on the
//!    compact band (Lang's successive band reduction in the form of LAPACK's `dsb2st`
//!    kernels): sweep $i$ annihilates column $i$ below the sub-diagonal and chases the bulge
//!    down the band one $b$-block at a time. $O(n^2 b)$ flops on blocks that stay in cache;
//!    no transformation is accumulated (eigenvalues only).
//! 3. **Tridiagonal eigenvalues** ([`tridiagonal_eigenvalues`]): the root-free QL iteration of
//!    Pal, Walker and Kahan (LAPACK `dsterf`), $O(n^2)$.

use crate::error::{Error, Result};
use crate::exec::{threads_for_work, Exec};
use crate::simd::Level;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Half-bandwidth of the intermediate band (the fastest of 16-64 on a BA Laplacian, N = 4000:
/// docs/benchmarks.md, "Exact scan: two-stage tridiagonalization").
pub const DEFAULT_BANDWIDTH: usize = 32;

/// Largest half-bandwidth of the bulge chase (its work vectors live on the stack); wider
/// requests are clamped.
pub const MAX_CHASE_B: usize = 128;

/// Eigenvalues of the symmetric matrix whose lower triangle is `a`, ascending (the strict upper
/// triangle is ignored and overwritten). `bandwidth` is the half-bandwidth `b` of the
/// intermediate band (clamped to `1..=min(n, MAX_CHASE_B)`). Progress: stage 1 reports into the
/// first 85% of `exec`'s bar, the chase into the rest.
///
/// Errors: `ERR_INVALID_INPUT` when `a` is not square; `ERR_NOT_FINITE` when an entry of the
/// lower triangle is NaN or infinite;
/// `ERR_ABORTED` when `exec` is cancelled; `ERR_NO_CONVERGENCE` when the tridiagonal QR
/// iteration fails (not seen on finite input).
/// Complexity: $\tfrac43 n^3 + O(n^2 b)$ flops, $n^2 + O(n b)$ values.
pub fn sym_eigenvalues(mut a: Mat<f64>, bandwidth: usize, exec: &Exec) -> Result<Vec<f64>> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::invalid_input(format!("sym_eigenvalues: the matrix is {}x{}, not square", n, a.ncols())));
    }
    let mut amax = 0.0f64;
    for j in 0..n {
        for i in j..n {
            let x = a[(i, j)];
            if !x.is_finite() {
                return Err(Error::not_finite(format!("sym_eigenvalues: entry ({i}, {j}) is {x}")));
            }
            amax = amax.max(x.abs());
        }
    }
    if n == 0 {
        return Ok(vec![]);
    }
    // Far from 1 in magnitude, scale by a power of two (exact) so that the products of stage 1
    // neither overflow nor underflow; the eigenvalues are scaled back at the end.
    let scale = if amax > 1e100 || (amax > 0.0 && amax < 1e-100) { (-amax.log2().round()).exp2() } else { 1.0 };
    if scale != 1.0 {
        for j in 0..n {
            for i in j..n {
                a[(i, j)] *= scale;
            }
        }
    }
    let b = bandwidth.clamp(1, n.min(MAX_CHASE_B));
    let band = exec.install(|| -> Result<Band> {
        dense_to_band(a.as_mut(), b, &exec.part(0.0, 0.85), exec.par())?;
        Ok(Band::from_dense(a.as_ref(), b))
    })?;
    drop(a);
    let (d, e) = band_to_tridiagonal(band, &exec.part(0.85, 1.0))?;
    let mut vals = tridiagonal_eigenvalues(&d, &e)?;
    if scale != 1.0 {
        for v in vals.iter_mut() {
            *v /= scale;
        }
    }
    Ok(vals)
}

/// Reduces the symmetric matrix whose lower triangle is `a` to a band of half-bandwidth `b` by
/// orthogonal similarity, in place: on return the lower triangle holds the band (entries more
/// than `b` below the diagonal are zero); the strict upper triangle is workspace. Matrix
/// products run with `par` (call inside `exec.install`).
///
/// Errors: `ERR_ABORTED` when `exec` is cancelled (checked once per panel).
pub fn dense_to_band(mut a: MatMut<'_, f64>, b: usize, exec: &Exec, par: Par) -> Result<()> {
    let n = a.nrows();
    let b = b.max(1);
    let mut j0 = 0;
    let total = n.saturating_sub(b + 1).max(1);
    let level = Level::detect();
    // Scratch, sized for the first (largest) panel and sliced below.
    let m0 = n.saturating_sub(b);
    let mut panel = vec![0.0; m0 * b];
    let mut tau = vec![0.0; b];
    let mut v = Mat::<f64>::zeros(m0, b);
    let mut t = Mat::<f64>::zeros(b, b);
    let mut y = Mat::<f64>::zeros(m0, b);
    let mut x = Mat::<f64>::zeros(m0, b);
    let mut lhs = Mat::<f64>::zeros(m0, 2 * b);
    let mut rhs = Mat::<f64>::zeros(m0, 2 * b);
    let mut s = Mat::<f64>::zeros(b, b);
    let mut msym = Mat::<f64>::zeros(b, b);
    while n > j0 + b + 1 {
        exec.check()?;
        let m = n - j0 - b;
        let k = b.min(m - 1);
        // Householder QR of the panel below the band, on a contiguous copy.
        let p = &mut panel[..m * b];
        for c in 0..b {
            for r in 0..m {
                p[r + m * c] = a[(j0 + b + r, j0 + c)];
            }
        }
        panel_qr(level, p, m, b, &mut tau[..k]);
        for c in 0..b {
            for r in 0..m {
                a[(j0 + b + r, j0 + c)] = if r <= c { p[r + m * c] } else { 0.0 };
            }
        }
        // V (unit lower trapezoidal) and T (upper triangular): Q = I - V T V^T.
        let mut v = v.as_mut().submatrix_mut(0, 0, m, k);
        for c in 0..k {
            for r in 0..m {
                v[(r, c)] = match r.cmp(&c) {
                    std::cmp::Ordering::Less => 0.0,
                    std::cmp::Ordering::Equal => 1.0,
                    std::cmp::Ordering::Greater => p[r + m * c],
                };
            }
        }
        let mut t = t.as_mut().submatrix_mut(0, 0, k, k);
        let par_small = if threads_for_work(m * k * k, par.degree()) > 1 { par } else { Par::Seq };
        form_t(v.rb(), &tau[..k], t.rb_mut(), msym.as_mut().submatrix_mut(0, 0, k, k), par_small);
        let mut a22 = a.rb_mut().submatrix_mut(j0 + b, j0 + b, m, m);
        // Y = A22 V with A22 symmetric, lower triangle stored.
        let mut y = y.as_mut().submatrix_mut(0, 0, m, k);
        sym_lower_mul(a22.rb(), v.rb(), y.rb_mut(), par);
        // X = Y T; M = T^T (V^T X); W = X - V M / 2: O(m k^2) each, threaded only when large
        // (crate::exec::MIN_WORK_PER_THREAD).
        let mut x = x.as_mut().submatrix_mut(0, 0, m, k);
        matmul(x.rb_mut(), Accum::Replace, y.rb(), t.rb(), 1.0, par_small);
        let mut s = s.as_mut().submatrix_mut(0, 0, k, k);
        matmul(s.rb_mut(), Accum::Replace, v.rb().transpose(), x.rb(), 1.0, par_small);
        let mut msym = msym.as_mut().submatrix_mut(0, 0, k, k);
        matmul(msym.rb_mut(), Accum::Replace, t.rb().transpose(), s.rb(), 1.0, Par::Seq);
        // A22 -= V W^T + W V^T = [V | W] [W | V]^T: one rank-2k product on the lower triangle.
        let mut lhs = lhs.as_mut().submatrix_mut(0, 0, m, 2 * k);
        let mut rhs = rhs.as_mut().submatrix_mut(0, 0, m, 2 * k);
        {
            let (mut lv, mut lw) = lhs.rb_mut().split_at_col_mut(k);
            lv.copy_from(v.rb());
            lw.copy_from(x.rb());
            matmul(lw.rb_mut(), Accum::Add, v.rb(), msym.rb(), -0.5, par_small);
            let (mut rw, mut rv) = rhs.rb_mut().split_at_col_mut(k);
            rw.copy_from(lw.rb());
            rv.copy_from(v.rb());
        }
        triangular::matmul(
            a22.rb_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            lhs.rb(),
            BlockStructure::Rectangular,
            rhs.rb().transpose(),
            BlockStructure::Rectangular,
            -1.0,
            par,
        );
        exec.progress.set_done((j0 + b).min(total), total);
        j0 += b;
    }
    Ok(())
}

/// Column-block width of [`sym_lower_mul`]: wide enough for matrix-product speed, narrow enough
/// that the diagonal blocks (done by triangular products) are a small share.
const SYMM_BLOCK: usize = 256;

/// `y = a v` for symmetric `a` of which only the lower triangle is read (BLAS `dsymm`), by
/// column blocks `J`: the diagonal block by two triangular products, the block below it, `A_IJ`,
/// by two plain products `y_I += A_IJ v_J` and `y_J += A_IJ^T v_I` (faer's triangular products
/// alone run at half the speed of its plain ones here).
fn sym_lower_mul(a: MatRef<'_, f64>, v: MatRef<'_, f64>, mut y: MatMut<'_, f64>, par: Par) {
    let m = a.nrows();
    let mut j = 0;
    while j < m {
        let nb = SYMM_BLOCK.min(m - j);
        let d = a.submatrix(j, j, nb, nb);
        let accum = if j == 0 { Accum::Replace } else { Accum::Add };
        triangular::matmul(
            y.rb_mut().subrows_mut(j, nb),
            BlockStructure::Rectangular,
            accum,
            d,
            BlockStructure::TriangularLower,
            v.subrows(j, nb),
            BlockStructure::Rectangular,
            1.0,
            par,
        );
        triangular::matmul(
            y.rb_mut().subrows_mut(j, nb),
            BlockStructure::Rectangular,
            Accum::Add,
            d.transpose(),
            BlockStructure::StrictTriangularUpper,
            v.subrows(j, nb),
            BlockStructure::Rectangular,
            1.0,
            par,
        );
        let rest = m - j - nb;
        if rest > 0 {
            let below = a.submatrix(j + nb, j, rest, nb);
            let (top, bottom) = y.rb_mut().split_at_row_mut(j + nb);
            let mut yj = top.subrows_mut(j, nb);
            let mut yi = bottom;
            // The rows below J are first written by this product when J is the first block.
            let acc_i = if j == 0 { Accum::Replace } else { Accum::Add };
            matmul(yi.rb_mut(), acc_i, below, v.subrows(j, nb), 1.0, par);
            matmul(yj.rb_mut(), Accum::Add, below.transpose(), v.subrows(j + nb, rest), 1.0, par);
        }
        j += nb;
    }
}

/// Householder reflector (LAPACK `dlarfg`) annihilating `x[1..]`: on return `x[0] = beta`,
/// `x[1..]` holds `v[1..]` (with `v[0] = 1`) and the result is `tau`, so that
/// `(I - tau v v^T) x_in = beta e_1`. `tau = 0` (identity) when `x[1..]` is already zero.
#[inline(always)]
fn householder(x: &mut [f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let alpha = x[0];
    let tail = &mut x[1..];
    let scale = tail.iter().fold(0.0f64, |m, &v| m.max(v.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    // Scaled norm: no overflow or underflow for entries of any magnitude.
    let inv = 1.0 / scale;
    let ss: f64 = tail.iter().map(|&v| (v * inv) * (v * inv)).sum();
    let xnorm = scale * ss.sqrt();
    let beta = -alpha.hypot(xnorm).copysign(alpha);
    let tau = (beta - alpha) / beta;
    let f = 1.0 / (alpha - beta);
    for v in tail.iter_mut() {
        *v *= f;
    }
    x[0] = beta;
    tau
}

#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ac, ar) = a.split_at(a.len() / 4 * 4);
    let (bc, br) = b[..a.len()].split_at(ac.len());
    for (x, y) in ac.chunks_exact(4).zip(bc.chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// `y += alpha x`.
#[inline(always)]
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// Householder QR of the `m x w` column-major panel `p` (leading dimension `m`), unblocked:
/// `R` in the upper triangle, the reflectors' tails below the diagonal, `tau.len()` reflectors.
fn panel_qr(level: Level, p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2(p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
        panel_qr_body(p, m, w, tau)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
        panel_qr_body(p, m, w, tau)
    }
    match level {
        Level::Baseline => panel_qr_body(p, m, w, tau),
        // SAFETY: the level was detected on this CPU (Level::detect).
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2(p, m, w, tau) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512(p, m, w, tau) },
    }
}

#[inline(always)]
fn panel_qr_body(p: &mut [f64], m: usize, w: usize, tau: &mut [f64]) {
    for c in 0..tau.len() {
        let (left, right) = p.split_at_mut(m * (c + 1));
        let col = &mut left[m * c + c..m * c + m];
        let t = householder(col);
        tau[c] = t;
        if t == 0.0 {
            continue;
        }
        let v0 = col[0];
        col[0] = 1.0;
        for j in 0..w - c - 1 {
            let dst = &mut right[m * j + c..m * j + m];
            let s = dot(col, dst);
            axpy(-t * s, col, dst);
        }
        col[0] = v0;
    }
}

/// Upper triangular `T` of the compact WY form `H_0 H_1 ... H_{k-1} = I - V T V^T` (LAPACK
/// `dlarft`, forward, columnwise): `T[..i, i] = -tau_i T[..i, ..i] (V^T V)[..i, i]`, with the
/// Gram matrix `V^T V` from one matrix product (`g` is `k x k` workspace).
fn form_t(v: MatRef<'_, f64>, tau: &[f64], mut t: MatMut<'_, f64>, mut g: MatMut<'_, f64>, par: Par) {
    let k = tau.len();
    matmul(g.rb_mut(), Accum::Replace, v.transpose(), v, 1.0, par);
    t.fill(0.0);
    for i in 0..k {
        t[(i, i)] = tau[i];
        if tau[i] == 0.0 {
            continue;
        }
        for r in 0..i {
            let mut acc = 0.0;
            for c in r..i {
                acc += t[(r, c)] * g[(c, i)];
            }
            t[(r, i)] = -tau[i] * acc;
        }
    }
}

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

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and sub-diagonal `e`,
/// ascending, by the root-free implicit QL iteration of Pal, Walker and Kahan (Parlett, *The
/// Symmetric Eigenvalue Problem*, 1998, section 8.15; LAPACK `dsterf`): the iteration carries the
/// squares of the off-diagonal entries, so a step costs no square root. The matrix is split where
/// an off-diagonal entry is negligible; each unreduced block is scaled into the safe range and,
/// when its last diagonal entry is smaller in magnitude than its first, reversed (so that QL
/// deflates from the small end, as `dsterf`'s choice of QR there). Wilkinson shifts.
///
/// Errors: `ERR_NO_CONVERGENCE` after `30 n` iterations in all (not seen on finite input).
/// Complexity: $O(n^2)$ flops, $O(n)$ memory.
pub fn tridiagonal_eigenvalues(d: &[f64], e: &[f64]) -> Result<Vec<f64>> {
    let n = d.len();
    let mut d = d.to_vec();
    let mut e: Vec<f64> = (0..n.saturating_sub(1)).map(|i| e[i]).collect();
    let eps = 0.5 * f64::EPSILON;
    let safmin = f64::MIN_POSITIVE;
    let ssfmax = (1.0 / safmin).sqrt() / 3.0;
    let ssfmin = safmin.sqrt() / (eps * eps);
    let max_iter = 30 * n.max(1);
    let mut iter = 0;
    let mut bd = Vec::with_capacity(n);
    let mut be = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n {
            if e[end].abs() <= (d[end].abs().sqrt() * d[end + 1].abs().sqrt()) * eps {
                e[end] = 0.0;
                break;
            }
            end += 1;
        }
        let (lo, hi) = (start, end);
        start = end + 1;
        if lo == hi {
            continue;
        }
        // Infinity norm of the block, for the scaling into [ssfmin, ssfmax].
        let mut anorm = 0.0f64;
        for i in lo..=hi {
            let left = if i > lo { e[i - 1].abs() } else { 0.0 };
            let right = if i < hi { e[i].abs() } else { 0.0 };
            anorm = anorm.max(d[i].abs() + left + right);
        }
        let scale = if anorm > ssfmax {
            ssfmax / anorm
        } else if anorm < ssfmin && anorm > 0.0 {
            ssfmin / anorm
        } else {
            1.0
        };
        let rev = d[hi].abs() < d[lo].abs();
        let len = hi - lo + 1;
        bd.clear();
        be.clear();
        for k in 0..len {
            bd.push(d[if rev { hi - k } else { lo + k }] * scale);
        }
        for k in 0..len - 1 {
            let x = e[if rev { hi - 1 - k } else { lo + k }] * scale;
            be.push(x * x);
        }
        be.push(0.0);
        root_free_ql(&mut bd, &mut be, eps, &mut iter, max_iter)?;
        for k in 0..len {
            d[lo + k] = bd[k] / scale;
        }
    }
    d.sort_by(|a, b| a.total_cmp(b));
    Ok(d)
}

/// Root-free QL on one block: `d` the diagonal, `e2[i]` the squared entry `(i + 1, i)`
/// (`e2.len() == d.len()`, last entry unused). On return `d` holds the eigenvalues (unsorted).
fn root_free_ql(d: &mut [f64], e2: &mut [f64], eps: f64, iter: &mut usize, max_iter: usize) -> Result<()> {
    let eps2 = eps * eps;
    let last = d.len() - 1;
    let mut l = 0;
    while l <= last {
        // The first negligible squared off-diagonal entry at or after l.
        let mut m = l;
        while m < last && e2[m].abs() > eps2 * (d[m] * d[m + 1]).abs() {
            m += 1;
        }
        if m < last {
            e2[m] = 0.0;
        }
        if m == l {
            l += 1;
            continue;
        }
        if m == l + 1 {
            let (rt1, rt2) = eig2(d[l], e2[l].sqrt(), d[l + 1]);
            d[l] = rt1;
            d[l + 1] = rt2;
            e2[l] = 0.0;
            l += 2;
            continue;
        }
        if *iter == max_iter {
            return Err(Error::no_convergence(format!("tridiagonal QL: no convergence after {max_iter} iterations")));
        }
        *iter += 1;
        // Wilkinson shift from the leading 2x2 block.
        let p = d[l];
        let rte = e2[l].sqrt();
        let t = (d[l + 1] - p) / (2.0 * rte);
        let r = t.hypot(1.0);
        let sigma = p - rte / (t + r.copysign(t));
        let mut c = 1.0;
        let mut s = 0.0;
        let mut gamma = d[m] - sigma;
        let mut pp = gamma * gamma;
        for i in (l..m).rev() {
            let bb = e2[i];
            let r = pp + bb;
            if i + 1 != m {
                e2[i + 1] = s * r;
            }
            let oldc = c;
            c = pp / r;
            s = bb / r;
            let oldgam = gamma;
            let alpha = d[i];
            gamma = c * (alpha - sigma) - s * oldgam;
            d[i + 1] = oldgam + (alpha - gamma);
            pp = if c != 0.0 { gamma * gamma / c } else { oldc * bb };
        }
        e2[l] = s * pp;
        d[l] = sigma + gamma;
    }
    Ok(())
}

/// Eigenvalues of `[[a, b], [b, c]]`, the larger in magnitude first (LAPACK `dlae2`'s
/// formulas: the smaller one from the determinant, without cancellation).
fn eig2(a: f64, b: f64, c: f64) -> (f64, f64) {
    let sm = a + c;
    let rt = (a - c).hypot(2.0 * b);
    let (acmx, acmn) = if a.abs() > c.abs() { (a, c) } else { (c, a) };
    if sm != 0.0 {
        let rt1 = 0.5 * (sm + rt.copysign(sm));
        let rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
        (rt1, rt2)
    } else {
        (0.5 * rt, -0.5 * rt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_sym(n: usize, seed: u64) -> Mat<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut a = Mat::<f64>::zeros(n, n);
        for j in 0..n {
            for i in j..n {
                let x: f64 = rng.random_range(-1.0..1.0);
                a[(i, j)] = x;
                a[(j, i)] = x;
            }
        }
        a
    }

    fn reference(a: &Mat<f64>) -> Vec<f64> {
        let mut v = a.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        v.sort_by(|x, y| x.total_cmp(y));
        v
    }

    fn norm(a: &Mat<f64>) -> f64 {
        a.norm_l2().max(f64::MIN_POSITIVE)
    }

    /// Two-stage eigenvalues against faer's dense solver, to 1e-10 ||A||_F.
    fn check(a: Mat<f64>, b: usize, threads: usize) {
        let want = reference(&a);
        let scale = norm(&a);
        let got = sym_eigenvalues(a, b, &Exec::with_threads(threads)).unwrap();
        assert_eq!(got.len(), want.len());
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-10 * scale, "b={b} k={k}: {g} vs {w} (||A|| {scale})");
        }
    }

    #[test]
    fn random_matrices_match_faer() {
        let b = 8;
        for (s, n) in [1usize, 2, 3, b - 1, b, b + 1, 2 * b + 3, 61, 300].into_iter().enumerate() {
            check(random_sym(n, s as u64), b, 1);
        }
        for n in [1usize, 2, 3, 31, 32, 33, 67, 700] {
            check(random_sym(n, 100 + n as u64), DEFAULT_BANDWIDTH, 2);
        }
    }

    #[test]
    fn bandwidths_from_one_to_n() {
        let a = random_sym(40, 7);
        for b in [1, 2, 3, 5, 16, 39, 40, 100] {
            check(a.clone(), b, 1);
        }
    }

    #[test]
    fn band_is_band_and_similar() {
        // Stage 1 alone: the result is banded and keeps the trace and the Frobenius norm.
        let n = 50;
        let b = 6;
        let a = random_sym(n, 3);
        let mut r = a.clone();
        dense_to_band(r.as_mut(), b, &Exec::sequential(), Par::Seq).unwrap();
        let mut fro_a = 0.0;
        let mut fro_r = 0.0;
        for j in 0..n {
            for i in j..n {
                let f = if i == j { 1.0 } else { 2.0 };
                fro_a += f * a[(i, j)] * a[(i, j)];
                fro_r += f * r[(i, j)] * r[(i, j)];
                if i > j + b {
                    assert_eq!(r[(i, j)], 0.0);
                }
            }
        }
        assert!((fro_a - fro_r).abs() < 1e-12 * fro_a);
        let tr_a: f64 = (0..n).map(|i| a[(i, i)]).sum();
        let tr_r: f64 = (0..n).map(|i| r[(i, i)]).sum();
        assert!((tr_a - tr_r).abs() < 1e-12 * n as f64);
    }

    #[test]
    fn repeated_zero_and_diagonal_spectra() {
        let n = 90;
        // Zero matrix.
        let got = sym_eigenvalues(Mat::zeros(n, n), 8, &Exec::sequential()).unwrap();
        assert!(got.iter().all(|&x| x == 0.0));
        // Diagonal: the eigenvalues are the diagonal, sorted.
        let mut a = Mat::<f64>::zeros(n, n);
        for i in 0..n {
            a[(i, i)] = ((i * 37) % n) as f64 - 20.0;
        }
        let got = sym_eigenvalues(a.clone(), 8, &Exec::sequential()).unwrap();
        let mut want: Vec<f64> = (0..n).map(|i| a[(i, i)]).collect();
        want.sort_by(|x, y| x.total_cmp(y));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-13 * 70.0);
        }
        // Identity + rank one u u^T: 1 (n-1 times) and 1 + |u|^2.
        let u: Vec<f64> = (0..n).map(|i| ((i % 7) as f64 - 3.0) / 5.0).collect();
        let mut a = Mat::<f64>::identity(n, n);
        for j in 0..n {
            for i in 0..n {
                a[(i, j)] += u[i] * u[j];
            }
        }
        let uu: f64 = u.iter().map(|x| x * x).sum();
        let got = sym_eigenvalues(a.clone(), 8, &Exec::sequential()).unwrap();
        for &g in &got[..n - 1] {
            assert!((g - 1.0).abs() < 1e-12 * (1.0 + uu));
        }
        assert!((got[n - 1] - 1.0 - uu).abs() < 1e-12 * (1.0 + uu));
        check(a, 8, 1);
        // Block diagonal with repeated blocks: every eigenvalue three times.
        let blk = random_sym(20, 11);
        let mut a = Mat::<f64>::zeros(60, 60);
        for k in 0..3 {
            for j in 0..20 {
                for i in 0..20 {
                    a[(20 * k + i, 20 * k + j)] = blk[(i, j)];
                }
            }
        }
        let single = reference(&blk);
        let got = sym_eigenvalues(a.clone(), 8, &Exec::sequential()).unwrap();
        for (k, g) in got.iter().enumerate() {
            assert!((g - single[k / 3]).abs() < 1e-10 * norm(&blk));
        }
        check(a, 8, 1);
    }

    #[test]
    fn only_the_lower_triangle_is_read() {
        let mut a = random_sym(45, 5);
        let want = reference(&a);
        for j in 1..45 {
            for i in 0..j {
                a[(i, j)] = f64::NAN;
            }
        }
        let got = sym_eigenvalues(a, 8, &Exec::sequential()).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-10 * 45.0);
        }
    }

    #[test]
    fn tridiagonal_ql_matches_faer() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for n in [1usize, 2, 3, 4, 10, 200] {
            for graded in [false, true] {
                let d: Vec<f64> =
                    (0..n).map(|i| rng.random_range(-1.0..1.0) * if graded { 10f64.powi(-(i as i32) / 8) } else { 1.0 }).collect();
                let mut e: Vec<f64> = (0..n.saturating_sub(1)).map(|_| rng.random_range(-1.0..1.0)).collect();
                if n > 5 {
                    e[3] = 0.0; // a split
                }
                let mut t = Mat::<f64>::zeros(n, n);
                for i in 0..n {
                    t[(i, i)] = d[i];
                    if i + 1 < n {
                        t[(i + 1, i)] = e[i];
                        t[(i, i + 1)] = e[i];
                    }
                }
                let want = reference(&t);
                let got = tridiagonal_eigenvalues(&d, &e).unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-12 * norm(&t).max(1.0), "n={n}: {g} vs {w}");
                }
            }
        }
        // Tiny and huge scales go through the scaling into the safe range.
        for s in [1e-300, 1e300] {
            let got = tridiagonal_eigenvalues(&[2.0 * s, 2.0 * s, 2.0 * s], &[s, s]).unwrap();
            let want = [2.0 - 2f64.sqrt(), 2.0, 2.0 + 2f64.sqrt()];
            for (g, w) in got.iter().zip(&want) {
                assert!((g / s - w).abs() < 1e-14, "{g} vs {w} s");
            }
        }
    }

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

    #[test]
    fn huge_and_tiny_scales() {
        let n = 70;
        let a = random_sym(n, 13);
        let want = reference(&a);
        for s in [1e300, 1e-300] {
            let mut big = a.clone();
            for j in 0..n {
                for i in 0..n {
                    big[(i, j)] *= s;
                }
            }
            let got = sym_eigenvalues(big, 8, &Exec::sequential()).unwrap();
            for (g, w) in got.iter().zip(&want) {
                assert!((g / s - w).abs() < 1e-10 * norm(&a), "{g} vs {w} * {s}");
            }
        }
    }

    #[test]
    fn progress_is_monotone_and_complete() {
        let (progress, log) = crate::exec::Progress::recording();
        let exec = Exec { progress, ..Exec::sequential() };
        sym_eigenvalues(random_sym(300, 8), 8, &exec).unwrap();
        let log = log.lock().unwrap();
        assert!(log.len() >= 20, "{log:?}");
        assert!(log.windows(2).all(|w| w[0] <= w[1]), "{log:?}");
        assert!((log.last().unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn typed_errors() {
        let mut a = random_sym(10, 1);
        a[(7, 2)] = f64::INFINITY;
        assert_eq!(sym_eigenvalues(a, 4, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::NotFinite);
        let a = Mat::<f64>::zeros(3, 4);
        assert_eq!(sym_eigenvalues(a, 4, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let exec = Exec::sequential();
        exec.cancel.cancel();
        assert_eq!(sym_eigenvalues(random_sym(40, 2), 4, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
        // Cancelled during the (parallel) chase: every thread stops, none waits forever.
        let band = Band::from_dense(random_sym(200, 3).as_ref(), 4);
        let exec = Exec::with_threads(3);
        exec.cancel.cancel();
        assert_eq!(band_to_tridiagonal(band, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
    }
}
