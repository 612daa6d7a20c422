//! Fused lockstep Lanczos on a relabelled Laplacian: the large-graph engine of SLQ.
//!
//! `B` probes run the plain three-term recurrence (no reorthogonalisation) in lockstep on the
//! symmetric Laplacian with its null space `Z` projected out:
//!
//! `u = L q_j - beta_{j-1} q_{j-1}`, `alpha_j = q_j^T u` (Paige's stable ordering),
//! `h = Z^T u - alpha_j Z^T q_j`, `w = u - alpha_j q_j - Z h`, `beta_j = ||w||`,
//! `q_{j+1} = w / beta_j`.
//!
//! `h` is `Z^T w`, so `w` leaves each step exactly orthogonal to the null space (up to
//! round-off). Using only `Z^T u` would look equivalent (`Z^T q_j = 0` in exact arithmetic) but
//! feeds the rounding-level null component of `q_j` forward with the factor `-alpha_j / beta_j`
//! at every step: it grows exponentially and, after ~50 steps, produces Ritz values above
//! `lam_max` (tested below).
//!
//! Each step is two passes over the rows, with the vectors stored row-major (`N x B`, the `B`
//! probe values of a node contiguous, so a gathered neighbour is one or two cache lines):
//!
//! 1. the sparse product fused with the axpy, the dot products `alpha` and the null-space
//!    coefficients `Z^T u` (the product's result never goes to memory separately);
//! 2. `w = u - alpha q - Z h`, `||w||^2` and `Z^T w` (the next step's `Z^T q`, after scaling)
//!    in one streaming pass.
//!
//! Normalisation is deferred: `q_{j+1}` is kept as the stored `w` with a per-probe scale
//! `1 / beta_j` applied inside the next product, so no pass is spent on scaling. Only two
//! `N x B` arrays live (`q_j` and `q_{j-1}`, the latter overwritten by `u` then `w`).
//!
//! The null space of a Laplacian is one vector per connected component, supported on that
//! component (`z_i` on node i, see [`SymLaplacian::null_space`]). The nodes are relabelled once
//! so that components are contiguous (and, within a component, in the chosen [`NodeOrder`]),
//! so `h` is accumulated per row chunk over a short range of components. Relabelling is a
//! similarity transform `P L P^T` applied to the probes too (`v'_{pi(i)} = v_i`), so each
//! Lanczos run, hence the quadrature, is unchanged up to round-off.
//!
//! Unweighted combinatorial Laplacians (`L_ij = -1`, `L_ii = deg_i`) take a path without value
//! loads; the row streams only `u32` column indices. Neighbour rows are software-prefetched a
//! few entries ahead (the gathers are the memory-bound part on scale-free graphs).
//!
//! The row kernels are compiled three times (baseline x86-64, AVX2, AVX-512F) and picked at run
//! time ([`crate::simd`]); prebuilt binaries stay portable, and because every operation is per probe
//! and in the same order (no fused multiply-add), the levels give bit-identical runs.
//! `DIFFRG_NO_SIMD=1` forces the baseline kernels (for measurements).

use super::lanczos::Tridiagonal;
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::laplacian::{LaplacianKind, SymLaplacian};
use crate::simd::Level;
use rayon::prelude::*;

/// Node order applied before the runs (components are always contiguous).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOrder {
    /// Original order within each component.
    Natural,
    /// Decreasing degree within each component (hubs share cache lines).
    Degree,
    /// Reverse Cuthill-McKee within each component (BFS from a minimum-degree node,
    /// neighbours by increasing degree; Cuthill & McKee 1969, George & Liu 1981).
    ReverseCuthillMcKee,
}

/// Rows per parallel task.
const ROW_CHUNK: usize = 2048;
/// Entries ahead for the software prefetch of neighbour rows.
const PREFETCH_AHEAD: usize = 12;

/// The relabelled operator and its null space.
pub struct LockstepLaplacian {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    /// `None`: unit off-diagonal weights (`L_ij = -1`) with `L_ii` = row length.
    values: Option<Vec<f64>>,
    diag: Vec<f64>,
    /// New label of each original node, and the original node of each new label.
    new_of: Vec<u32>,
    old_of: Vec<u32>,
    /// Null-space value of each (new) row and its component (non-decreasing along rows).
    z: Vec<f64>,
    comp: Vec<u32>,
    ncomp: usize,
}

impl LockstepLaplacian {
    /// Relabels `op` (components `comp`, null-space values `z` in original labels).
    ///
    /// Complexity: `O(N log N + nnz log d_max)` time, one copy of the CSR.
    pub fn new(op: &SymLaplacian, comp: &[usize], z: &[f64], order: NodeOrder) -> LockstepLaplacian {
        let n = op.n();
        let (indptr, indices, values, diag) = op.csr();
        let ncomp = comp.iter().max().map_or(0, |&m| m + 1);
        let deg = |i: usize| indptr[i + 1] - indptr[i];
        // Old nodes in new order.
        let mut old_of: Vec<u32> = (0..n as u32).collect();
        match order {
            NodeOrder::Natural => old_of.sort_by_key(|&i| comp[i as usize]),
            NodeOrder::Degree => old_of.sort_by_key(|&i| (comp[i as usize], std::cmp::Reverse(deg(i as usize)))),
            NodeOrder::ReverseCuthillMcKee => {
                let mut start = vec![u32::MAX; ncomp];
                for i in 0..n {
                    let s = &mut start[comp[i]];
                    if *s == u32::MAX || deg(i) < deg(*s as usize) {
                        *s = i as u32;
                    }
                }
                let mut seen = vec![false; n];
                old_of.clear();
                let mut nb: Vec<u32> = Vec::new();
                for &s in &start {
                    let first = old_of.len();
                    seen[s as usize] = true;
                    old_of.push(s);
                    let mut head = first;
                    while head < old_of.len() {
                        let i = old_of[head] as usize;
                        head += 1;
                        nb.clear();
                        nb.extend(indices[indptr[i]..indptr[i + 1]].iter().copied().filter(|&j| !seen[j as usize]));
                        nb.sort_unstable_by_key(|&j| deg(j as usize));
                        for &j in &nb {
                            if !seen[j as usize] {
                                seen[j as usize] = true;
                                old_of.push(j);
                            }
                        }
                    }
                    old_of[first..].reverse();
                }
            }
        }
        let mut new_of = vec![0u32; n];
        for (r, &i) in old_of.iter().enumerate() {
            new_of[i as usize] = r as u32;
        }
        let unit =
            op.kind() == LaplacianKind::Combinatorial && values.iter().all(|&v| v == -1.0) && (0..n).all(|i| diag[i] == deg(i) as f64);
        // Rows in the new order, assembled in parallel: row r is old row old_of[r] with its
        // columns relabelled and sorted.
        let mut nptr = Vec::with_capacity(n + 1);
        nptr.push(0usize);
        for &i in &old_of {
            nptr.push(nptr.last().unwrap() + deg(i as usize));
        }
        let mut nidx = vec![0u32; indices.len()];
        let mut nval = if unit { Vec::new() } else { vec![0.0f64; indices.len()] };
        {
            // Split the index (and value) arrays at row-chunk boundaries.
            let mut parts = Vec::with_capacity(n.div_ceil(ROW_CHUNK));
            let (mut irest, mut vrest) = (&mut nidx[..], &mut nval[..]);
            for r0 in (0..n).step_by(ROW_CHUNK) {
                let r1 = (r0 + ROW_CHUNK).min(n);
                let len = nptr[r1] - nptr[r0];
                let (ia, ib) = std::mem::take(&mut irest).split_at_mut(len);
                irest = ib;
                let (va, vb) = if unit { (&mut [][..], std::mem::take(&mut vrest)) } else { std::mem::take(&mut vrest).split_at_mut(len) };
                vrest = vb;
                parts.push((r0, r1, ia, va));
            }
            parts.into_par_iter().for_each(|(r0, r1, ia, va)| {
                let mut row: Vec<(u32, f64)> = Vec::new();
                let base = nptr[r0];
                for r in r0..r1 {
                    let i = old_of[r] as usize;
                    row.clear();
                    row.extend((indptr[i]..indptr[i + 1]).map(|k| (new_of[indices[k] as usize], values[k])));
                    row.sort_unstable_by_key(|e| e.0);
                    let off = nptr[r] - base;
                    for (k, e) in row.iter().enumerate() {
                        ia[off + k] = e.0;
                        if !unit {
                            va[off + k] = e.1;
                        }
                    }
                }
            });
        }
        let ndiag: Vec<f64> = old_of.iter().map(|&i| diag[i as usize]).collect();
        let nz: Vec<f64> = old_of.iter().map(|&i| z[i as usize]).collect();
        let ncmp: Vec<u32> = old_of.iter().map(|&i| comp[i as usize] as u32).collect();
        LockstepLaplacian {
            n,
            indptr: nptr,
            indices: nidx,
            values: (!unit).then_some(nval),
            diag: ndiag,
            new_of,
            old_of,
            z: nz,
            comp: ncmp,
            ncomp,
        }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// True when the unweighted path (no value loads) is used.
    pub fn is_unit(&self) -> bool {
        self.values.is_none()
    }

    /// New label of original node `i`.
    pub fn label(&self, i: usize) -> usize {
        self.new_of[i] as usize
    }

    /// Original node of new label `r`.
    pub fn original(&self, r: usize) -> usize {
        self.old_of[r] as usize
    }

    /// `acc = (L X)_i` (row i of the product with the stored block `x`).
    #[inline(always)]
    pub fn row_product<const B: usize>(&self, i: usize, x: &[f64], acc: &mut [f64; B]) {
        let (a, e) = (self.indptr[i], self.indptr[i + 1]);
        let xi = &x[i * B..i * B + B];
        let mut s = [0.0f64; B];
        match &self.values {
            None => {
                for k in a..e {
                    prefetch_row::<B>(x, &self.indices, k + PREFETCH_AHEAD);
                    let j = self.indices[k] as usize;
                    let xj = &x[j * B..j * B + B];
                    for c in 0..B {
                        s[c] += xj[c];
                    }
                }
                let d = self.diag[i];
                for c in 0..B {
                    acc[c] = d * xi[c] - s[c];
                }
            }
            Some(v) => {
                for k in a..e {
                    prefetch_row::<B>(x, &self.indices, k + PREFETCH_AHEAD);
                    let j = self.indices[k] as usize;
                    let w = v[k];
                    let xj = &x[j * B..j * B + B];
                    for c in 0..B {
                        s[c] += w * xj[c];
                    }
                }
                let d = self.diag[i];
                for c in 0..B {
                    acc[c] = d * xi[c] + s[c];
                }
            }
        }
    }
}

#[inline(always)]
fn prefetch_row<const B: usize>(x: &[f64], indices: &[u32], k: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(&j) = indices.get(k) {
        let base = j as usize * B;
        let mut off = 0;
        while off < B {
            // SAFETY: prefetch is a hint; the address is inside `x` (j < N, off < B).
            unsafe {
                core::arch::x86_64::_mm_prefetch(x.as_ptr().add(base + off) as *const i8, core::arch::x86_64::_MM_HINT_T0);
            }
            off += 8;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (x, indices, k);
}

/// Per-chunk results of a pass: a partial sum over the rows (`alpha` in pass 1, `||w||^2` in
/// pass 2), the first component of the chunk and per component from it the partial `Z^T u`
/// (pass 1) or `Z^T w` (pass 2).
type Partial<const B: usize> = ([f64; B], usize, Vec<[f64; B]>);

crate::simd::dispatch! {
    /// Pass 1 of a row chunk at the given instruction-set level ([`pass1_chunk`]).
    fn pass1<const B: usize>(op: &LockstepLaplacian, q: &[f64], pc: &mut [f64], r0: usize, sq: &[f64; B], bp: &[f64; B]) -> Partial<B> = pass1_chunk;
}

crate::simd::dispatch! {
    /// Pass 2 of a row chunk at the given instruction-set level ([`pass2_chunk`]).
    fn pass2<const B: usize>(op: &LockstepLaplacian, q: &[f64], hw: &[[f64; B]], pc: &mut [f64], r0: usize, asq: &[f64; B]) -> Partial<B> = pass2_chunk;
}

/// End of the run of rows of one component that starts at row `k` of the chunk of `rows` rows
/// from `r0` (rows are sorted by component).
#[inline(always)]
fn run_end(op: &LockstepLaplacian, r0: usize, rows: usize, k: usize) -> usize {
    let comp = op.comp[r0 + k];
    let mut end = k + 1;
    while end < rows && op.comp[r0 + end] == comp {
        end += 1;
    }
    end
}

/// Pass 1 over the rows `r0..` of the chunk `pc` (`P` rows, overwritten by `u`): the product
/// fused with `u = s_q (L Q)_i - bp P_i`, `alpha += (s_q Q_i) u` and per component `Z^T u`.
/// Each run of one component accumulates in locals (registers) and is stored once.
#[inline(always)]
fn pass1_chunk<const B: usize>(op: &LockstepLaplacian, q: &[f64], pc: &mut [f64], r0: usize, sq: &[f64; B], bp: &[f64; B]) -> Partial<B> {
    let rows = pc.len() / B;
    let c_lo = op.comp[r0] as usize;
    let mut hl = vec![[0.0f64; B]; op.comp[r0 + rows - 1] as usize - c_lo + 1];
    let mut al = [0.0f64; B];
    let mut acc = [0.0f64; B];
    let mut k = 0;
    while k < rows {
        let (end, comp) = (run_end(op, r0, rows, k), op.comp[r0 + k] as usize);
        let mut hu = [0.0f64; B];
        for (kk, pr) in pc[k * B..end * B].chunks_exact_mut(B).enumerate() {
            let i = r0 + k + kk;
            op.row_product::<B>(i, q, &mut acc);
            let qi = &q[i * B..i * B + B];
            let zi = op.z[i];
            for c in 0..B {
                let u = sq[c] * acc[c] - bp[c] * pr[c];
                pr[c] = u;
                al[c] += (sq[c] * qi[c]) * u;
                hu[c] += zi * u;
            }
        }
        hl[comp - c_lo] = hu;
        k = end;
    }
    (al, c_lo, hl)
}

/// Pass 2 over a chunk: `w = u - alpha s_q Q - Z h` (into `P`), the partial `||w||^2` and per
/// component `Z^T w` (the next step's `Z^T q`, up to the scale).
#[inline(always)]
fn pass2_chunk<const B: usize>(
    op: &LockstepLaplacian,
    q: &[f64],
    hw: &[[f64; B]],
    pc: &mut [f64],
    r0: usize,
    asq: &[f64; B],
) -> Partial<B> {
    let rows = pc.len() / B;
    let c_lo = op.comp[r0] as usize;
    let mut hl = vec![[0.0f64; B]; op.comp[r0 + rows - 1] as usize - c_lo + 1];
    let mut nl = [0.0f64; B];
    let mut k = 0;
    while k < rows {
        let (end, comp) = (run_end(op, r0, rows, k), op.comp[r0 + k] as usize);
        let hc = &hw[comp];
        let mut hz = [0.0f64; B];
        for (kk, pr) in pc[k * B..end * B].chunks_exact_mut(B).enumerate() {
            let i = r0 + k + kk;
            let qi = &q[i * B..i * B + B];
            let zi = op.z[i];
            for c in 0..B {
                let w = pr[c] - asq[c] * qi[c] - zi * hc[c];
                pr[c] = w;
                nl[c] += w * w;
                hz[c] += zi * w;
            }
        }
        hl[comp - c_lo] = hz;
        k = end;
    }
    (nl, c_lo, hl)
}

/// Runs `B`-wide lockstep Lanczos from the probes `v` (original labels, `v[c]` of length N,
/// at most `B` of them; missing columns stay empty) for at most `steps` steps. Column c
/// stops at its own invariant subspace (`beta <= 1e-10 ||T||`), as in
/// [`super::lanczos::lanczos_block`]. Rows run in parallel on the current rayon pool.
///
/// Complexity per step: one pass over the CSR with `B`-wide gathers plus one streaming pass;
/// memory `2 N B` doubles.
pub fn lockstep_lanczos<const B: usize>(op: &LockstepLaplacian, v: &[Vec<f64>], steps: usize, exec: &Exec) -> Result<Vec<Tridiagonal>> {
    lockstep_run::<B>(op, v, steps, exec, Level::detect())
}

fn lockstep_run<const B: usize>(
    op: &LockstepLaplacian,
    v: &[Vec<f64>],
    steps: usize,
    exec: &Exec,
    simd: Level,
) -> Result<Vec<Tridiagonal>> {
    let n = op.n;
    let b = v.len().min(B);
    let mut out = vec![Tridiagonal::default(); b];
    if n == 0 || steps == 0 || b == 0 {
        return Ok(out);
    }
    let steps = steps.min(n);
    let mut q = vec![0.0f64; n * B];
    let mut p = vec![0.0f64; n * B];
    let mut norm = [0.0f64; B];
    // Scatter to the new labels (row-parallel gather from the original order).
    let v = &v[..b];
    q.par_chunks_mut(ROW_CHUNK * B).enumerate().for_each(|(ch, qc)| {
        for (k, row) in qc.chunks_exact_mut(B).enumerate() {
            let i = op.old_of[ch * ROW_CHUNK + k] as usize;
            for (c, vc) in v.iter().enumerate() {
                row[c] = vc[i];
            }
        }
    });
    for (c, vc) in v.iter().enumerate() {
        norm[c] = vc.iter().map(|x| x * x).sum();
    }
    let mut active = [false; B];
    let mut sq = [0.0f64; B];
    for c in 0..b {
        if !norm[c].is_finite() {
            return Err(Error::not_finite("Lanczos start vector has a non-finite norm"));
        }
        active[c] = norm[c] > 0.0;
        sq[c] = if active[c] { 1.0 / norm[c].sqrt() } else { 0.0 };
    }
    let mut bp = [0.0f64; B];
    let mut beta_prev = [0.0f64; B];
    let mut tnorm = [0.0f64; B];
    // Per component: Z^T q_j (from the previous pass 2; for q_0 from the probes).
    let mut zq = vec![[0.0f64; B]; op.ncomp];
    for (i, row) in q.chunks_exact(B).enumerate() {
        let zc = &mut zq[op.comp[i] as usize];
        for c in 0..B {
            zc[c] += op.z[i] * (sq[c] * row[c]);
        }
    }
    // Sums the per-chunk partials of a pass: the row total and the per-component vectors.
    let reduce = |parts: &[Partial<B>], per: &mut [[f64; B]]| -> [f64; B] {
        per.iter_mut().for_each(|x| *x = [0.0; B]);
        let mut tot = [0.0f64; B];
        for (t, c_lo, hl) in parts {
            for c in 0..B {
                tot[c] += t[c];
            }
            for (k, hk) in hl.iter().enumerate() {
                for c in 0..B {
                    per[c_lo + k][c] += hk[c];
                }
            }
        }
        tot
    };
    let mut hw = vec![[0.0f64; B]; op.ncomp];
    for j in 0..steps {
        exec.check()?;
        exec.progress.set_done(j, steps);
        if !active.iter().any(|&a| a) {
            break;
        }
        // Pass 1: u = s_q L Q - bp P (into P), alpha = q^T u, Z^T u (into hw).
        let parts: Vec<Partial<B>> = {
            let qr = &q;
            p.par_chunks_mut(ROW_CHUNK * B).enumerate().map(|(ch, pc)| pass1::<B>(simd, op, qr, pc, ch * ROW_CHUNK, &sq, &bp)).collect()
        };
        let alpha = reduce(&parts, &mut hw);
        // Z^T w = Z^T u - alpha Z^T q_j: projecting only Z^T u would feed the rounding-level
        // null component of q_j back with the factor -alpha / beta at every step (it grows
        // exponentially and breaks the recurrence).
        for (hc, zc) in hw.iter_mut().zip(&zq) {
            for c in 0..B {
                hc[c] -= alpha[c] * zc[c];
            }
        }
        // Pass 2: w = u - alpha s_q Q - Z Z^T w (into P), ||w||^2 and Z^T w (into zq).
        let asq: [f64; B] = std::array::from_fn(|c| alpha[c] * sq[c]);
        let parts: Vec<Partial<B>> = {
            let (qr, hr) = (&q, &hw);
            p.par_chunks_mut(ROW_CHUNK * B).enumerate().map(|(ch, pc)| pass2::<B>(simd, op, qr, hr, pc, ch * ROW_CHUNK, &asq)).collect()
        };
        let mut beta = reduce(&parts, &mut zq);
        for c in 0..b {
            if !active[c] {
                continue;
            }
            if !alpha[c].is_finite() || !beta[c].is_finite() {
                return Err(Error::not_finite(format!("Lanczos step {j}: operator produced non-finite values")));
            }
            beta[c] = beta[c].sqrt();
            active[c] = out[c].record(alpha[c], beta[c], beta_prev[c], &mut tnorm[c], j + 1 == steps);
        }
        // q_{j+1} = w / beta is the stored P with scale 1/beta; q_j becomes the previous vector.
        std::mem::swap(&mut q, &mut p);
        for c in 0..B {
            let (s_new, bp_new) = if c < b && active[c] { (1.0 / beta[c], beta[c] * sq[c]) } else { (0.0, 0.0) };
            bp[c] = bp_new;
            sq[c] = s_new;
            beta_prev[c] = if c < b && active[c] { beta[c] } else { 0.0 };
        }
        // Z^T q_{j+1} = Z^T w / beta.
        for zc in zq.iter_mut() {
            for c in 0..B {
                zc[c] *= sq[c];
            }
        }
    }
    exec.progress.set(1.0);
    Ok(out)
}

/// Deterministic ±1 test probes (`count` vectors of length `n`); `centred` subtracts each
/// vector's mean (the null space of a connected combinatorial Laplacian). Tests and the
/// timing report (examples/reports/lockstep_speed.rs).
#[doc(hidden)]
pub fn sign_probes(n: usize, count: usize, centred: bool) -> Vec<Vec<f64>> {
    (0..count)
        .map(|c| {
            let v: Vec<f64> = (0..n).map(|i| if (i * 2654435761 + c * 97) % 11 < 5 { 1.0 } else { -1.0 }).collect();
            let m = if centred { v.iter().sum::<f64>() / n as f64 } else { 0.0 };
            v.iter().map(|x| x - m).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, erdos_renyi};
    use crate::graph::Graph;
    use crate::spectral::lanczos::{lanczos, project_out, Reorth};
    use faer::MatRef;

    /// Each lockstep column matches a single plain Lanczos run on the projected operator, for
    /// every node order, weighted and unweighted, connected and not.
    #[test]
    fn matches_single_runs_in_every_order() {
        let weighted = {
            let base = erdos_renyi(300, 3.0, 4);
            let mut edges = Vec::new();
            for i in 0..base.n() {
                for &j in base.neighbors(i).0 {
                    if (j as usize) > i {
                        edges.push((i, j as usize, 0.5 + ((i * 7 + j as usize) % 5) as f64));
                    }
                }
            }
            Graph::from_edges(300, &edges, &Default::default()).unwrap()
        };
        let cases = [
            (barabasi_albert(400, 2, 3), LaplacianKind::Combinatorial),
            (barabasi_albert(9000, 3, 3), LaplacianKind::Combinatorial),
            (erdos_renyi(500, 1.5, 9), LaplacianKind::Combinatorial),
            (weighted.clone(), LaplacianKind::Combinatorial),
            (weighted, LaplacianKind::Normalized),
        ];
        // Without reorthogonalisation two runs agree to round-off only until orthogonality is
        // lost (about 20 steps at N = 400), then both drift; compare before that.
        const STEPS: usize = 16;
        let exec = Exec::with_threads(2);
        for (g, kind) in cases {
            let n = g.n();
            let op = SymLaplacian::new(&g, kind);
            let comp = g.components();
            let (null, k) = op.null_space(&comp);
            let z: Vec<f64> = (0..n).map(|i| null[comp[i] * n + i]).collect();
            let qm = MatRef::from_column_major_slice(&null, n, k);
            let mut hh = vec![0.0; k];
            let mut probes = sign_probes(n, 3, false);
            for v in probes.iter_mut() {
                project_out(qm, v, &mut hh);
            }
            for order in [NodeOrder::Natural, NodeOrder::Degree, NodeOrder::ReverseCuthillMcKee] {
                let lop = LockstepLaplacian::new(&op, &comp, &z, order);
                assert_eq!(lop.is_unit(), kind == LaplacianKind::Combinatorial && g.n() != 300);
                let mut labels: Vec<usize> = (0..n).map(|i| lop.label(i)).collect();
                labels.sort_unstable();
                assert!(labels.iter().enumerate().all(|(a, &b)| a == b), "not a permutation");
                let runs = lockstep_lanczos::<4>(&lop, &probes, STEPS, &exec).unwrap();
                assert_eq!(runs.len(), 3);
                for (c, v) in probes.iter().enumerate() {
                    let t = lanczos(
                        |x, y| {
                            op.apply(x, y);
                            project_out(qm, y, &mut hh);
                        },
                        v,
                        STEPS,
                        Reorth::None,
                        &Exec::sequential(),
                    )
                    .unwrap();
                    assert_eq!(t.alpha.len(), runs[c].alpha.len(), "{order:?}");
                    for (a, bb) in t.alpha.iter().zip(&runs[c].alpha).chain(t.beta.iter().zip(&runs[c].beta)) {
                        assert!((a - bb).abs() < 1e-9 * a.abs().max(1.0), "{order:?} {kind:?} n={n} c={c}: {a} vs {bb}");
                    }
                }
            }
        }
    }

    /// 100 steps without reorthogonalisation: loss of orthogonality only duplicates Ritz
    /// values (Paige 1980), all stay inside [0, lam_max] and the extreme ones converge.
    #[test]
    fn long_runs_stay_inside_the_spectrum() {
        let g = barabasi_albert(1000, 3, 1);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let exact =
            crate::spectral::dense::laplacian_eigenvalues(&g, LaplacianKind::Combinatorial, &Exec::with_threads(2), u128::MAX).unwrap();
        let lam_max = *exact.last().unwrap();
        let comp = g.components();
        let z = op.null_values(&comp);
        let probes = sign_probes(1000, 4, true);
        let lop = LockstepLaplacian::new(&op, &comp, &z, NodeOrder::Degree);
        for t in lockstep_lanczos::<8>(&lop, &probes, 100, &Exec::with_threads(2)).unwrap() {
            assert_eq!(t.alpha.len(), 100);
            let (nodes, _) = crate::spectral::lanczos::gauss_quadrature(&t).unwrap();
            assert!(nodes[0] > -1e-8 && (nodes[99] - lam_max).abs() < 1e-8 * lam_max, "{} {} vs {lam_max}", nodes[0], nodes[99]);
        }
    }

    /// The block width only changes how many probes share a pass: a column of a 32-wide block
    /// follows the same arithmetic as in a 16-wide one (100 steps, past loss of orthogonality).
    #[test]
    fn block_width_does_not_change_a_run() {
        let g = barabasi_albert(3000, 3, 2);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let comp = g.components();
        let z = op.null_values(&comp);
        let probes = sign_probes(3000, 20, true);
        let lop = LockstepLaplacian::new(&op, &comp, &z, NodeOrder::Degree);
        let exec = Exec::with_threads(2);
        let wide = lockstep_lanczos::<32>(&lop, &probes, 100, &exec).unwrap();
        let mut narrow = lockstep_lanczos::<16>(&lop, &probes[..16], 100, &exec).unwrap();
        narrow.extend(lockstep_lanczos::<16>(&lop, &probes[16..], 100, &exec).unwrap());
        assert_eq!(wide.len(), 20);
        for (a, b) in wide.iter().zip(&narrow) {
            assert_eq!(a.alpha.len(), b.alpha.len());
            for (x, y) in a.alpha.iter().zip(&b.alpha).chain(a.beta.iter().zip(&b.beta)) {
                assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
            }
        }
    }

    /// The wide-vector kernels are the same arithmetic: bit-identical runs at every level this
    /// CPU has, weighted and unweighted, with several components.
    #[test]
    fn simd_levels_are_bit_identical() {
        let levels = Level::available();
        for (g, kind) in
            [(barabasi_albert(2000, 3, 5), LaplacianKind::Combinatorial), (erdos_renyi(1500, 1.8, 3), LaplacianKind::Normalized)]
        {
            let n = g.n();
            let op = SymLaplacian::new(&g, kind);
            let comp = g.components();
            let z = op.null_values(&comp);
            let probes = sign_probes(n, 5, false);
            let lop = LockstepLaplacian::new(&op, &comp, &z, NodeOrder::Degree);
            let exec = Exec::with_threads(2);
            let base = exec.install(|| lockstep_run::<8>(&lop, &probes, 60, &exec, Level::Baseline)).unwrap();
            for &level in &levels[1..] {
                let r = exec.install(|| lockstep_run::<8>(&lop, &probes, 60, &exec, level)).unwrap();
                for (a, b) in base.iter().zip(&r) {
                    assert!(
                        a.alpha.iter().zip(&b.alpha).chain(a.beta.iter().zip(&b.beta)).all(|(x, y)| x.to_bits() == y.to_bits()),
                        "{level:?}"
                    );
                    assert_eq!((a.alpha.len(), a.beta.len()), (b.alpha.len(), b.beta.len()));
                }
            }
        }
    }

    #[test]
    fn zero_and_tiny_cases() {
        let g = barabasi_albert(6, 2, 1);
        let op = SymLaplacian::new(&g, LaplacianKind::Combinatorial);
        let comp = g.components();
        let z = vec![1.0 / 6f64.sqrt(); 6];
        let lop = LockstepLaplacian::new(&op, &comp, &z, NodeOrder::Degree);
        let exec = Exec::sequential();
        // A zero probe gives an empty run; the null vector itself (projected to 0) too; a
        // generic probe stops at the invariant subspace (at most N - 1 steps).
        let probes = vec![vec![0.0; 6], vec![1.0; 6], vec![1.0, -1.0, 1.0, 1.0, -1.0, -1.0]];
        let r = lockstep_lanczos::<8>(&lop, &probes, 50, &exec).unwrap();
        assert!(r[0].alpha.is_empty());
        assert!(r[1].alpha.len() <= 1 && r[1].alpha.iter().all(|a| a.abs() < 1e-12));
        assert!(!r[2].alpha.is_empty() && r[2].alpha.len() <= 5);
        exec.cancel.cancel();
        assert_eq!(lockstep_lanczos::<8>(&lop, &probes, 5, &exec).unwrap_err().code, crate::ErrorCode::Aborted);
    }
}
