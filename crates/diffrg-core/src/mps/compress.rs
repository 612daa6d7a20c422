//! Compression of a tensor train to a maximum bond dimension and/or a relative cutoff.
//!
//! Sequential truncation, left to right, with exact right Gram environments
//! (`G_b = sum_{s_b..s_N} T_{>=b}(s) T_{>=b}(s)^T`, a 2-layer right environment):
//! with the cores already truncated to the left of site k left-orthonormal and the current
//! core `C` (`D' d x D`), the reduced density matrix of the left block is
//!
//! `rho_k = C G_{k+1} C^T`,
//!
//! whose eigenvalues are the squared Schmidt coefficients of the current tensor at bond k.
//! Keeping the top `chi` eigenvectors `U` (core k := U, carried core `U^T C A_{k+1}`) is the
//! orthogonal projection onto the kept left Schmidt vectors, so (Schollwoeck 2011, sec. 4.5.1;
//! Oseledets, SIAM J. Sci. Comput. 33, 2295 (2011) for the tensor-train SVD)
//!
//! `||T - T~||_F^2 = sum_k eps_k`, with `eps_k` the sum of the discarded eigenvalues at bond
//! k: the projections are nested (each kept subspace lies inside the previous one tensored
//! with the next site), so the successive errors are mutually orthogonal and the sum is
//! exact, not only a bound. The test suite checks this equality against the dense tensor.
//!
//! Using Gram matrices instead of a QR sweep plus SVDs replaces the `O(d D^3)` QR of every
//! site by GEMMs of the same order (faster in practice) at the price of resolving squared
//! singular values only down to ~1e-16 of the largest: cutoffs below ~1e-14 are meaningless.
//! This applies to both kinds: for a probability train the truncation is optimal in the 2-norm
//! of `T` (entries may become negative; see [`crate::mps::block`] for the negative-mass check).

use super::dense::{eigh_desc, matmul_rm, rescale, truncation, view, view_mut};
use super::tt::{Core, Kind, TensorTrain};
use crate::error::{Error, Result};
use crate::exec::{threads_for_work, Exec};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Truncation parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct CompressOptions {
    /// Maximum bond dimension; 0 means unlimited. Default 32.
    pub max_bond: usize,
    /// Relative cutoff: at every bond, drop the smallest Schmidt weights while their sum is at
    /// most `cutoff` times the bond's total weight. Default 0 (only `max_bond` truncates).
    pub cutoff: f64,
}

impl Default for CompressOptions {
    fn default() -> Self {
        CompressOptions { max_bond: 32, cutoff: 0.0 }
    }
}

/// Diagnostics of one compression.
#[derive(Debug, Clone, PartialEq)]
pub struct CompressReport {
    /// Discarded weight at bonds 1..N-1, relative to `||T||_F^2` before compression.
    pub discarded: Vec<f64>,
    /// `sum(discarded) = ||T - T~||^2 / ||T||^2`.
    pub total_discarded: f64,
    /// The compressed tensor is `exp(log_scale)` times the returned train.
    pub log_scale: f64,
    /// Bond dimensions after compression (N + 1 values).
    pub bond_dims: Vec<usize>,
    /// Normalised Schmidt weights (squared singular values over their sum) at bonds 1..N-1,
    /// before truncation at that bond (of the tensor already truncated to its left).
    pub spectra: Vec<Vec<f64>>,
}

/// A borrowed core: the layout of [`Core`] (`A[l, s, r]` at `(l * dim + s) * right + r`) over
/// a slice the caller owns, so that a model held in one flat buffer (e.g. a typed array passed
/// from JavaScript) is compressed without copying it first.
#[derive(Debug, Clone, Copy)]
pub struct CoreRef<'a> {
    pub left: usize,
    pub dim: usize,
    pub right: usize,
    pub data: &'a [f64],
}

impl<'a> From<&'a Core> for CoreRef<'a> {
    fn from(c: &'a Core) -> Self {
        CoreRef { left: c.left, dim: c.dim, right: c.right, data: &c.data }
    }
}

impl<'a> CoreRef<'a> {
    /// Splits a flat buffer into cores of shapes `(bonds[k], dims[k], bonds[k + 1])`.
    /// Errors (`ERR_INVALID_INPUT`) name `field` when the lengths do not match.
    pub fn split(dims: &[usize], bonds: &[usize], data: &'a [f64], field: &str) -> Result<Vec<CoreRef<'a>>> {
        let n = dims.len();
        if bonds.len() != n + 1 {
            return Err(Error::invalid_input(format!("{field}: bondDims must have {} values (sites + 1), got {}", n + 1, bonds.len())));
        }
        let mut out = Vec::with_capacity(n);
        let mut off = 0usize;
        for k in 0..n {
            let len = bonds[k].saturating_mul(dims[k]).saturating_mul(bonds[k + 1]);
            if len > data.len() - off {
                return Err(Error::invalid_input(format!("{field}: data has {} values, too few for the shapes (core {k})", data.len())));
            }
            out.push(CoreRef { left: bonds[k], dim: dims[k], right: bonds[k + 1], data: &data[off..off + len] });
            off += len;
        }
        if off != data.len() {
            return Err(Error::invalid_input(format!("{field}: data has {} values but the shapes need {off}", data.len())));
        }
        Ok(out)
    }
}

/// A tensor train from flat arrays: per-site `dims`, the N + 1 `bonds`, and the cores
/// row-major and concatenated in `data` (copied once). Errors (`ERR_INVALID_INPUT`) name
/// `field`.
pub fn train_from_flat(kind: Kind, dims: &[usize], bonds: &[usize], data: &[f64], field: &str) -> Result<TensorTrain> {
    let cores = CoreRef::split(dims, bonds, data, field)?
        .into_iter()
        .enumerate()
        .map(|(k, c)| {
            Core::new(c.left, c.dim, c.right, c.data.to_vec())
                .map_err(|e| Error::invalid_input(format!("{field}: core {k}: {}", e.message)))
        })
        .collect::<Result<Vec<Core>>>()?;
    TensorTrain::new(kind, cores)
}

/// The shape checks of [`TensorTrain::new`] on borrowed cores (finiteness is checked per core
/// inside the kernel, while the core is in cache).
fn check_shapes(cores: &[CoreRef<'_>]) -> Result<()> {
    let n = cores.len();
    if n == 0 {
        return Err(Error::invalid_input("cores must contain at least one site"));
    }
    if cores[0].left != 1 {
        return Err(Error::invalid_input(format!("cores[0] must have left bond 1, got {}", cores[0].left)));
    }
    if cores[n - 1].right != 1 {
        return Err(Error::invalid_input(format!("cores[{}] must have right bond 1, got {}", n - 1, cores[n - 1].right)));
    }
    for (k, c) in cores.iter().enumerate() {
        if c.left == 0 || c.dim == 0 || c.right == 0 || c.data.len() != c.left * c.dim * c.right {
            return Err(Error::invalid_input(format!(
                "cores[{k}] has an inconsistent shape ({}, {}, {}) for {} values",
                c.left,
                c.dim,
                c.right,
                c.data.len()
            )));
        }
        if c.dim > 256 {
            return Err(Error::invalid_input(format!("cores[{k}]: alphabet sizes above 256 are not supported (patterns are u8)")));
        }
        if k + 1 < n && c.right != cores[k + 1].left {
            return Err(Error::invalid_input(format!(
                "bond mismatch: cores[{k}] right bond {} != cores[{}] left bond {}",
                c.right,
                k + 1,
                cores[k + 1].left
            )));
        }
    }
    Ok(())
}

/// `ERR_NOT_FINITE` naming `cores[k]` when a value is NaN or infinite (vectorised fast path:
/// `x * 0` is 0 for every finite `x` and NaN otherwise).
fn check_finite(k: usize, data: &[f64]) -> Result<()> {
    let mut acc = [0.0f64; 8];
    let chunks = data.chunks_exact(8);
    let tail = chunks.remainder();
    for ch in chunks {
        for (a, v) in acc.iter_mut().zip(ch) {
            *a += v * 0.0;
        }
    }
    let s: f64 = acc.iter().sum::<f64>() + tail.iter().map(|v| v * 0.0).sum::<f64>();
    if s == 0.0 {
        return Ok(());
    }
    crate::error::ensure_finite(&format!("cores[{k}]"), data)
}

/// Right Gram environment of bond b as a factor: `G_b = exp(log) F F^T`, `F` (`dim x dim`,
/// row-major) lower-triangular (Cholesky) when `tri`, else a general square root.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct GramFactor {
    pub f: Vec<f64>,
    dim: usize,
    tri: bool,
    log: f64,
}

/// `out (m x n) = a (m x k) * b (k x n)`, row-major, split into contiguous row blocks over the
/// current rayon pool (each task writes its own contiguous slice of `out`). `b_lower`: only
/// the lower triangle of `b` is read (it is lower-triangular).
#[doc(hidden)]
pub fn rows_matmul(out: &mut [f64], a: &[f64], m: usize, k: usize, b: MatRef<'_, f64>, b_lower: bool) {
    let n = b.ncols();
    debug_assert_eq!(out.len(), m * n);
    let product = |dst: &mut [f64], lhs: &[f64], rows: usize| {
        if rows == 0 {
            return;
        }
        let rs = if b_lower { BlockStructure::TriangularLower } else { BlockStructure::Rectangular };
        triangular::matmul(
            view_mut(dst, rows, n),
            BlockStructure::Rectangular,
            Accum::Replace,
            view(lhs, rows, k),
            BlockStructure::Rectangular,
            b,
            rs,
            1.0,
            Par::Seq,
        );
    };
    let threads = threads_for_work(m * n * k, rayon::current_num_threads()).min(m);
    if threads <= 1 {
        product(out, a, m);
        return;
    }
    let chunk = m.div_ceil(threads);
    out.par_chunks_mut(chunk * n).zip(a.par_chunks(chunk * k)).for_each(|(dst, lhs)| product(dst, lhs, dst.len() / n));
}

/// Column-major `n x n` view (the Gram matrices and their factors are stored column-major,
/// faer's native layout for its factorizations).
#[inline]
#[doc(hidden)]
pub fn cview(data: &[f64], n: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(&data[..n * n], n, n)
}

/// Lower triangle of `x x^T` for `x` (`m x k`, row-major), stored column-major: the columns
/// of `x` are split over the current rayon pool, each part accumulated in its own buffer, then
/// summed. The strict upper triangle of the result is zero.
#[doc(hidden)]
pub fn lower_gram(x: &[f64], m: usize, k: usize) -> Vec<f64> {
    let part = |c0: usize, c1: usize| -> Vec<f64> {
        let mut out = vec![0.0; m * m];
        let xs = view(x, m, k).subcols(c0, c1 - c0);
        triangular::matmul(
            MatMut::from_column_major_slice_mut(&mut out, m, m),
            BlockStructure::TriangularLower,
            Accum::Replace,
            xs,
            BlockStructure::Rectangular,
            xs.transpose(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        out
    };
    // the lower triangle: m (m + 1) / 2 x k multiply-adds
    let parts = threads_for_work(m * (m + 1) / 2 * k, rayon::current_num_threads()).min(k);
    if parts <= 1 {
        return part(0, k);
    }
    let step = k.div_ceil(parts);
    let bufs: Vec<Vec<f64>> = (0..parts).into_par_iter().map(|p| part((p * step).min(k), ((p + 1) * step).min(k))).collect();
    let mut out = bufs[0].clone();
    for b in &bufs[1..] {
        for (o, v) in out.iter_mut().zip(b) {
            *o += v;
        }
    }
    out
}

/// Factor (column-major) of the symmetric positive semi-definite `g` (`n x n`, column-major,
/// lower triangle read), in place: sequential Cholesky when it succeeds (the strict upper
/// triangle zeroed), else `V sqrt(max(lambda, 0))` from the eigen-decomposition of the matrix
/// `original()` returns (the Cholesky attempt overwrote `g`).
#[doc(hidden)]
pub fn psd_factor(mut g: Vec<f64>, n: usize, original: impl FnOnce() -> Vec<f64>) -> Result<(Vec<f64>, bool)> {
    use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch, LltRegularization};
    let mut buf = faer::dyn_stack::MemBuffer::new(cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default()));
    let ok = cholesky_in_place(
        MatMut::from_column_major_slice_mut(&mut g[..n * n], n, n),
        LltRegularization::default(),
        Par::Seq,
        faer::dyn_stack::MemStack::new(&mut buf),
        Default::default(),
    )
    .is_ok();
    if ok {
        for j in 1..n {
            g[j * n..j * n + j].fill(0.0);
        }
        return Ok((g, true));
    }
    let g0 = original();
    let (vals, vecs) = eigh_desc(cview(&g0, n))?;
    for i in 0..n {
        for (j, v) in vals.iter().enumerate() {
            g[j * n + i] = vecs[i * n + j] * v.max(0.0).sqrt();
        }
    }
    Ok((g, false))
}

/// Right Gram factors `G_b` for bonds b = 1..=N (index b; entry 0 unused):
/// `G_N = 1`, `G_b = sum_s A_b[s] G_{b+1} A_b[s]^T = B B^T` with `B = A_b x_right F_{b+1}`
/// (the left unfolding of `A_b` times `F`, one GEMM whose result, read as the right unfolding,
/// is `[A[0] F, A[1] F, ...]`), then `F_b` by Cholesky of `G_b`. Per site `2 d D^3` flops for
/// `B` (`d D^3` with the triangular `F`), `d D^3` for the lower triangle of `B B^T` and `D^3/3`
/// for the Cholesky, against `4 d D^3` for the plain `A G A^T`. With `check`, every core is
/// checked for finiteness just before its product (cores 1..N-1; core 0 is left to the caller).
#[doc(hidden)]
pub fn gram_factors(cores: &[CoreRef<'_>], check: bool, exec: &Exec) -> Result<Vec<GramFactor>> {
    let n = cores.len();
    let mut out = vec![GramFactor { f: vec![1.0], dim: 1, tri: true, log: 0.0 }; n + 1];
    // one product buffer for all sites (overwritten by every product)
    let mut buf = vec![0.0; cores.iter().skip(1).map(|c| c.data.len()).max().unwrap_or(0)];
    for b in (1..n).rev() {
        exec.check()?;
        let a = cores[b];
        if check {
            check_finite(b, a.data)?;
        }
        let (l, d, r) = (a.left, a.dim, a.right);
        let next = &out[b + 1];
        let bm = &mut buf[..l * d * r];
        rows_matmul(bm, a.data, l * d, r, cview(&next.f, r), next.tri);
        let mut g = lower_gram(bm, l, d * r);
        let scale = rescale(&mut g);
        let (f, tri) = psd_factor(g, l, || {
            let mut g0 = lower_gram(bm, l, d * r);
            rescale(&mut g0);
            g0
        })?;
        out[b] = GramFactor { f, dim: l, tri, log: next.log + scale };
    }
    Ok(out)
}

/// Reusable eigen-solver of the small symmetric `rho` (`m x m`, lower triangle read):
/// faer's tridiagonal reduction + implicit QR (divide and conquer from 32 up), sequential,
/// with the workspace allocated once for the largest size. Returns the eigenvalues in
/// non-increasing order and the matching eigenvectors as the columns of a row-major buffer.
#[doc(hidden)]
pub struct Eigh {
    buf: faer::dyn_stack::MemBuffer,
    cap: usize,
    params: faer::Spec<faer::linalg::evd::SelfAdjointEvdParams, f64>,
}

impl Default for Eigh {
    fn default() -> Eigh {
        Eigh::new()
    }
}

impl Eigh {
    pub fn new() -> Eigh {
        let mut params: faer::Spec<faer::linalg::evd::SelfAdjointEvdParams, f64> = Default::default();
        params.recursion_threshold = 32;
        Eigh { buf: faer::dyn_stack::MemBuffer::new(faer::dyn_stack::StackReq::empty()), cap: 0, params }
    }

    pub fn solve(&mut self, rho: &[f64], m: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
        if m > self.cap {
            self.buf = faer::dyn_stack::MemBuffer::new(self_adjoint_evd_scratch::<f64>(m, ComputeEigenvectors::Yes, Par::Seq, self.params));
            self.cap = m;
        }
        let mut s = faer::diag::Diag::<f64>::zeros(m);
        let mut u = faer::Mat::<f64>::zeros(m, m);
        self_adjoint_evd(cview(rho, m), s.as_mut(), Some(u.as_mut()), Par::Seq, faer::dyn_stack::MemStack::new(&mut self.buf), self.params)
            .map_err(|e| Error::no_convergence(format!("symmetric eigen-solver did not converge: {e:?}")))?;
        let vals: Vec<f64> = (0..m).rev().map(|i| s[i]).collect();
        let mut vecs = vec![0.0; m * m];
        for j in 0..m {
            let col = u.col(m - 1 - j);
            for i in 0..m {
                vecs[i * m + j] = col[i];
            }
        }
        Ok((vals, vecs))
    }
}

/// Compresses `tt` (either kind, in the Frobenius norm of its entries).
///
/// Errors: `ERR_INVALID_INPUT` for a negative or non-finite cutoff or an all-zero train;
/// `ERR_ABORTED` on cancellation. Cost `O(N d D^3)`; the Gram environments are carried as
/// Cholesky factors (`rho_k = (C F)(C F)^T`), products are split over the current rayon pool.
pub fn compress(tt: &TensorTrain, opts: &CompressOptions, exec: &Exec) -> Result<(TensorTrain, CompressReport)> {
    let cores: Vec<CoreRef<'_>> = tt.cores().iter().map(CoreRef::from).collect();
    compress_cores(tt.kind(), &cores, opts, false, exec)
}

/// [`compress`] on borrowed cores (no copy of the input): the shapes are validated as in
/// [`TensorTrain::new`], and every core is checked for finite values (`ERR_NOT_FINITE`) before
/// it is first read.
pub fn compress_borrowed(kind: Kind, cores: &[CoreRef<'_>], opts: &CompressOptions, exec: &Exec) -> Result<(TensorTrain, CompressReport)> {
    check_shapes(cores)?;
    compress_cores(kind, cores, opts, true, exec)
}

/// [`compress_borrowed`] with the result rescaled to the input's norm: every core multiplied by
/// `exp(log_scale / N)`, so that the returned train itself approximates the input (the report
/// keeps `log_scale`).
pub fn compress_borrowed_rescaled(
    kind: Kind,
    cores: &[CoreRef<'_>],
    opts: &CompressOptions,
    exec: &Exec,
) -> Result<(TensorTrain, CompressReport)> {
    let (mut c, rep) = compress_borrowed(kind, cores, opts, exec)?;
    let f = (rep.log_scale / c.n_sites() as f64).exp();
    if f != 1.0 {
        for core in c.cores_mut() {
            core.data.iter_mut().for_each(|x| *x *= f);
        }
    }
    Ok((c, rep))
}

fn compress_cores(
    kind: Kind,
    cores: &[CoreRef<'_>],
    opts: &CompressOptions,
    check: bool,
    exec: &Exec,
) -> Result<(TensorTrain, CompressReport)> {
    if !(opts.cutoff >= 0.0 && opts.cutoff < 1.0) {
        return Err(Error::invalid_input(format!("cutoff must be in [0, 1), got {}", opts.cutoff)));
    }
    let n = cores.len();
    exec.check()?;
    let g = gram_factors(cores, check, exec)?;
    if check {
        check_finite(0, cores[0].data)?;
    }
    let mut out: Vec<Core> = Vec::with_capacity(n);
    let mut discarded = Vec::with_capacity(n.saturating_sub(1));
    let mut spectra = Vec::with_capacity(n.saturating_sub(1));
    let c0 = cores[0];
    let mut c = Core { left: c0.left, dim: c0.dim, right: c0.right, data: c0.data.to_vec() };
    let mut carry_log = 0.0f64;
    let mut ln_norm0 = f64::NAN;
    let mut eigh = Eigh::new();
    for k in 0..n - 1 {
        exec.check()?;
        let (l, d, r) = (c.left, c.dim, c.right);
        let m = l * d;
        let gk = &g[k + 1];
        debug_assert_eq!(gk.dim, r);
        // rho = C G C^T = (C F)(C F)^T  (m x m, lower triangle)
        let mut x = vec![0.0; m * r];
        rows_matmul(&mut x, &c.data, m, r, cview(&gk.f, r), gk.tri);
        let rho = lower_gram(&x, m, r);
        let (vals, vecs) = eigh.solve(&rho, m)?;
        let total: f64 = vals.iter().map(|v| v.max(0.0)).sum();
        let ln_unit = gk.log + 2.0 * carry_log;
        if k == 0 {
            if total <= 0.0 {
                return Err(Error::invalid_input("cannot compress an all-zero tensor train"));
            }
            ln_norm0 = total.ln() + ln_unit;
        }
        // the rank is at most min(m, r): never grow a bond
        let rank = m.min(r);
        let (keep, disc) = truncation(&vals[..rank], opts.max_bond, opts.cutoff);
        let disc = disc + vals[rank..].iter().map(|v| v.max(0.0)).sum::<f64>();
        spectra.push(vals[..rank].iter().map(|v| v.max(0.0) / total).collect());
        discarded.push(if disc > 0.0 { (disc.ln() + ln_unit - ln_norm0).exp() } else { 0.0 });
        // core k = U[:, :keep]
        let mut u = vec![0.0; m * keep];
        for i in 0..m {
            u[i * keep..(i + 1) * keep].copy_from_slice(&vecs[i * m..i * m + keep]);
        }
        // carried: U^T C (keep x r), then times A_{k+1}
        let utc = matmul_rm(view(&u, m, keep).transpose(), c.left_unfolding());
        let next = cores[k + 1];
        let mut data = vec![0.0; keep * next.dim * next.right];
        rows_matmul(&mut data, &utc, keep, r, view(next.data, next.left, next.dim * next.right), false);
        carry_log += rescale(&mut data);
        out.push(Core { left: l, dim: d, right: keep, data: u });
        c = Core { left: keep, dim: next.dim, right: next.right, data };
    }
    out.push(c);
    let total_discarded = discarded.iter().sum();
    let out = TensorTrain::from_parts(kind, out);
    let bond_dims = out.bond_dims();
    Ok((out, CompressReport { discarded, total_discarded, log_scale: carry_log, bond_dims, spectra }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mps::tt::Kind;

    fn frob_err(a: &TensorTrain, b: &TensorTrain, log_scale: f64) -> (f64, f64) {
        let (x, y) = (a.dense().unwrap(), b.dense().unwrap());
        let s = log_scale.exp();
        let err: f64 = x.iter().zip(&y).map(|(p, q)| (p - s * q).powi(2)).sum();
        let nrm: f64 = x.iter().map(|p| p * p).sum();
        (err, nrm)
    }

    #[test]
    fn error_equals_discarded_weight() {
        for (kind, seed) in [(Kind::Born, 1u64), (Kind::Probability, 2), (Kind::Born, 3)] {
            let t = TensorTrain::random(kind, &[2, 2, 3, 2, 2, 2, 3, 2, 2, 2], 12, seed).unwrap();
            for chi in [1usize, 2, 3, 5, 8] {
                let (c, rep) = compress(&t, &CompressOptions { max_bond: chi, cutoff: 0.0 }, &Exec::sequential()).unwrap();
                assert!(c.max_bond() <= chi);
                let (err, nrm) = frob_err(&t, &c, rep.log_scale);
                assert!((err / nrm - rep.total_discarded).abs() < 1e-10, "chi={chi}: {} vs {}", err / nrm, rep.total_discarded);
            }
        }
    }

    #[test]
    fn rescaled_result_approximates_the_input_itself() {
        let t = TensorTrain::random(Kind::Born, &[2, 3, 2, 2, 2, 2], 6, 5).unwrap();
        let refs: Vec<CoreRef<'_>> = t.cores().iter().map(CoreRef::from).collect();
        let opts = CompressOptions { max_bond: 3, cutoff: 0.0 };
        let (c, rep) = compress_borrowed(Kind::Born, &refs, &opts, &Exec::sequential()).unwrap();
        let (r, rep2) = compress_borrowed_rescaled(Kind::Born, &refs, &opts, &Exec::sequential()).unwrap();
        assert!(rep.log_scale.abs() > 1e-3 && rep2.log_scale == rep.log_scale);
        let f = (rep.log_scale / 6.0).exp();
        for (a, b) in c.cores().iter().zip(r.cores()) {
            assert!(a.data.iter().zip(&b.data).all(|(x, y)| x * f == *y));
        }
        let (err, nrm) = frob_err(&t, &r, 0.0);
        assert!((err / nrm - rep.total_discarded).abs() < 1e-10, "{} vs {}", err / nrm, rep.total_discarded);
    }

    #[test]
    fn lossless_when_bond_is_large_and_cutoff_truncates() {
        let t = TensorTrain::random(Kind::Born, &[2; 8], 4, 9).unwrap();
        let (c, rep) = compress(&t, &CompressOptions { max_bond: 0, cutoff: 0.0 }, &Exec::sequential()).unwrap();
        let (err, nrm) = frob_err(&t, &c, rep.log_scale);
        assert!(err / nrm < 1e-20 + 1e-12);
        assert!(rep.total_discarded < 1e-12);
        let (c, rep) = compress(&t, &CompressOptions { max_bond: 0, cutoff: 0.05 }, &Exec::sequential()).unwrap();
        let (err, nrm) = frob_err(&t, &c, rep.log_scale);
        assert!((err / nrm - rep.total_discarded).abs() < 1e-10);
        for &w in &rep.discarded {
            assert!(w <= 0.05 + 1e-12);
        }
        assert!(compress(&t, &CompressOptions { max_bond: 2, cutoff: -1.0 }, &Exec::sequential()).is_err());
    }

    /// Bonds padded with zeros make the Gram environments singular (Cholesky fails, the
    /// eigen square root is used); the threaded path must agree with the sequential one.
    #[test]
    fn singular_environments_and_threads() {
        let t = TensorTrain::random(Kind::Born, &[2; 9], 3, 4).unwrap();
        let pad = 7;
        let cores: Vec<Core> = t
            .cores()
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let (l2, r2) = (if k == 0 { 1 } else { pad }, if k + 1 == t.n_sites() { 1 } else { pad });
                let mut data = vec![0.0; l2 * c.dim * r2];
                for a in 0..c.left {
                    for s in 0..c.dim {
                        for b in 0..c.right {
                            data[(a * c.dim + s) * r2 + b] = c.data[(a * c.dim + s) * c.right + b];
                        }
                    }
                }
                Core::new(l2, c.dim, r2, data).unwrap()
            })
            .collect();
        let padded = TensorTrain::new(Kind::Born, cores).unwrap();
        let refs: Vec<CoreRef<'_>> = padded.cores().iter().map(CoreRef::from).collect();
        let g = gram_factors(&refs, false, &Exec::sequential()).unwrap();
        assert!(g[4].dim == pad && !g[4].tri, "a padded environment is singular");
        for chi in [2usize, 3, 0] {
            let opts = CompressOptions { max_bond: chi, cutoff: 0.0 };
            let (c, rep) = compress(&padded, &opts, &Exec::sequential()).unwrap();
            let (err, nrm) = frob_err(&padded, &c, rep.log_scale);
            assert!((err / nrm - rep.total_discarded).abs() < 1e-10, "chi={chi}");
            assert!(chi == 0 || c.max_bond() <= chi);
        }
        let big = TensorTrain::random(Kind::Born, &[2; 12], 48, 5).unwrap();
        let opts = CompressOptions { max_bond: 10, cutoff: 0.0 };
        let (a, ra) = compress(&big, &opts, &Exec::sequential()).unwrap();
        let ex = Exec::with_threads(2);
        let (b, rb) = ex.install(|| compress(&big, &opts, &ex)).unwrap();
        assert!((ra.total_discarded - rb.total_discarded).abs() < 1e-12);
        let (err, nrm) = frob_err(&a, &b, rb.log_scale - ra.log_scale);
        assert!(err / nrm < 1e-20, "threaded result differs: {}", err / nrm);
    }

    /// The borrowed entry point on one flat buffer gives the same train as [`compress`], and
    /// rejects inconsistent shapes and non-finite values with errors naming the core.
    #[test]
    fn borrowed_flat_buffer() {
        let t = TensorTrain::random(Kind::Probability, &[2, 3, 2, 2, 2, 3], 5, 7).unwrap();
        let flat: Vec<f64> = t.cores().iter().flat_map(|c| c.data.iter().copied()).collect();
        let dims = t.dims();
        let bonds = t.bond_dims();
        let refs = CoreRef::split(&dims, &bonds, &flat, "model").unwrap();
        let opts = CompressOptions { max_bond: 3, cutoff: 0.0 };
        let (a, ra) = compress(&t, &opts, &Exec::sequential()).unwrap();
        let (b, rb) = compress_borrowed(Kind::Probability, &refs, &opts, &Exec::sequential()).unwrap();
        assert_eq!(a, b);
        assert_eq!(ra, rb);
        assert!(CoreRef::split(&dims, &bonds, &flat[1..], "model").unwrap_err().message.contains("model: data has"));
        assert!(CoreRef::split(&dims, &bonds[1..], &flat, "model").unwrap_err().message.contains("bondDims"));
        let six = [0.5; 6];
        let refs = CoreRef::split(&[2, 2], &[2, 1, 1], &six, "model").unwrap();
        assert!(compress_borrowed(Kind::Born, &refs, &opts, &Exec::sequential())
            .unwrap_err()
            .message
            .contains("cores[0] must have left bond 1"));
        for k in [0usize, 3, 5] {
            let mut bad = flat.clone();
            let off: usize = t.cores()[..k].iter().map(|c| c.data.len()).sum();
            bad[off + 1] = if k == 3 { f64::INFINITY } else { f64::NAN };
            let refs = CoreRef::split(&dims, &bonds, &bad, "model").unwrap();
            let e = compress_borrowed(Kind::Probability, &refs, &opts, &Exec::sequential()).unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::NotFinite, "core {k}");
            assert!(e.message.contains(&format!("cores[{k}][1]")), "{}", e.message);
        }
    }

    #[test]
    fn single_site_is_unchanged() {
        let t = TensorTrain::random(Kind::Born, &[3], 4, 9).unwrap();
        let (c, rep) = compress(&t, &CompressOptions::default(), &Exec::sequential()).unwrap();
        assert_eq!(c, t);
        assert!(rep.discarded.is_empty());
    }
}
