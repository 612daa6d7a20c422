//! Certified sparse (localized) real-space rule for large undirected graphs.
//!
//! The real-space test `K_ij >= (1 - tol) min(K_ii, K_jj)` is equivalent to
//! `K_ij >= (1 - tol) K_ii  or  K_ji >= (1 - tol) K_jj` (K symmetric), so every metagraph link
//! is found from the column of the endpoint with the smaller diagonal: column `i` only has to
//! reveal the nodes `j` with `K_ij >= (1 - tol) K_ii`. No adjacency assumption is needed: the
//! rule may join non-adjacent nodes and this path finds such pairs as well.
//!
//! Column `i` is computed on a growing support `S` (see [`super::local_kernel`]): with
//! `c = exp(-tau L_S) e_i`, Krylov error `e` and escaped mass `mu` (plus the Krylov error of
//! the mass, `sqrt|S| e`), every `K_ij` lies in `[c_j - e, c_j + e + mu]`. A pair is *certain*
//! to join when `c_j - e >= (1 - tol)(c_i + e + mu)`, certain not to when
//! `c_j + e + mu < (1 - tol)(c_i - e)`; nodes outside `S` are certainly out when
//! `mu < (1 - tol)(c_i - e)`. Otherwise the support grows: boundary nodes `v` are added in
//! decreasing order of the inflow `tau sum_{u in S} c_u w_uv` above a threshold that drops
//! a hundredfold each round; once the support exceeds a quarter of the component it jumps to the whole component. When `S` is the whole connected component, `mu = 0` and the test is
//! the plain one, as in the dense path. The partition is therefore the exact one up to the
//! Krylov tolerance (1e-13 by default), far below the tie tolerance (1e-9).
//!
//! Columns are independent: they run in parallel (rayon) in chunks with a cancellation check
//! per column. Only the combinatorial Laplacian is supported (the killed-walk bound needs
//! `exp(-tau L)` to be stochastic).

use super::contract::UnionFind;
use super::global_columns::GlobalColumns;
use super::local_kernel::{killed_column, Workspace};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Options of the localized real-space rule.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Relative tie tolerance of `rho' >= 1` (default [`super::real_space::DEFAULT_TIE_TOLERANCE`]).
    pub tie_tolerance: f64,
    /// Krylov tolerance (absolute, per kernel column). Default 1e-13.
    pub krylov_tolerance: f64,
    /// Maximum Lanczos steps per column. Default 160.
    pub max_krylov_steps: usize,
    /// First inflow threshold for growing supports. Default 1e-3.
    pub initial_threshold: f64,
    /// Columns whose support would exceed this many nodes (in a component larger than that)
    /// are computed on the whole graph instead, 16 at a time, by the Chebyshev expansion of
    /// [`super::global_columns`]. Default 4096.
    pub global_support: usize,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            tie_tolerance: super::real_space::DEFAULT_TIE_TOLERANCE,
            krylov_tolerance: 1e-13,
            max_krylov_steps: 160,
            initial_threshold: 1e-3,
            global_support: 4096,
        }
    }
}

/// Diagnostics of a localized run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalDiagnostics {
    /// Mean and largest support size over columns.
    pub mean_support: f64,
    pub max_support: usize,
    /// Columns whose support had to grow beyond the first neighbourhood.
    pub grown_columns: usize,
    /// Largest Lanczos step count and largest Krylov error estimate.
    pub max_krylov_steps: usize,
    pub max_krylov_error: f64,
    /// Metagraph links found (each pair once per column that certified it).
    pub links: usize,
    /// Columns computed on the whole graph ([`super::global_columns`]) and the Chebyshev
    /// degree used for them.
    pub global_columns: usize,
    pub chebyshev_degree: usize,
}

struct ColumnOutcome {
    /// The column needs the whole graph: left to the blocked global pass.
    deferred: bool,
    links: Vec<(u32, u32)>,
    support: usize,
    grown: bool,
    steps: usize,
    err: f64,
}

/// Supernode assignment (canonical labels) of the real-space rule at `tau`, computed from
/// localized kernel columns. Identical to the dense path's partition (see module docs).
///
/// Errors: `ERR_INVALID_INPUT` for directed graphs or a bad `tau`; `ERR_ABORTED`.
/// Complexity: sum over columns of (support edges) x (Lanczos steps); memory O(N + E) per thread.
pub fn partition_local(g: &Graph, tau: f64, opts: &LocalOptions, exec: &Exec) -> Result<(Vec<usize>, LocalDiagnostics)> {
    super::kernel::check_tau(tau)?;
    if g.is_directed() {
        return Err(Error::invalid_input("graph: the sparse real-space path needs an undirected graph (symmetrize it first)"));
    }
    if !(opts.tie_tolerance >= 0.0 && opts.tie_tolerance < 1.0) {
        return Err(Error::invalid_input(format!("tieTolerance must be in [0, 1) (got {})", opts.tie_tolerance)));
    }
    let n = g.n();
    let strengths = laplacian::strengths_without_loops(g);
    let comp = g.components();
    let mut comp_size = vec![0usize; comp.iter().max().map_or(0, |&m| m + 1)];
    for &c in &comp {
        comp_size[c] += 1;
    }
    const CHUNK: usize = 64;
    let chunks: Vec<usize> = (0..n.div_ceil(CHUNK)).collect();
    // Progress: columns done (local ones per chunk here, deferred ones per block below).
    let done = AtomicUsize::new(0);
    let outcomes: Vec<Result<Vec<ColumnOutcome>>> = exec.install(|| {
        chunks
            .par_iter()
            .map(|&c| {
                let mut ws = Workspace::new(n);
                let mut out = Vec::with_capacity(CHUNK);
                for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    exec.check()?;
                    out.push(column(g, &strengths, comp_size[comp[i]], i, tau, opts, &mut ws, exec)?);
                }
                let local = out.iter().filter(|o: &&ColumnOutcome| !o.deferred).count();
                exec.progress.set_done(done.fetch_add(local, Ordering::Relaxed) + local, n);
                Ok(out)
            })
            .collect()
    });
    let mut uf = UnionFind::new(n);
    let mut d = LocalDiagnostics::default();
    let mut total = 0usize;
    let mut deferred = Vec::new();
    for (c, chunk) in outcomes.into_iter().enumerate() {
        for (k, o) in chunk?.into_iter().enumerate() {
            if o.deferred {
                deferred.push(c * CHUNK + k);
                total += n;
                d.max_support = n;
                continue;
            }
            total += o.support;
            d.max_support = d.max_support.max(o.support);
            d.grown_columns += o.grown as usize;
            d.max_krylov_steps = d.max_krylov_steps.max(o.steps);
            d.max_krylov_error = d.max_krylov_error.max(o.err);
            d.links += o.links.len();
            for (a, b) in o.links {
                // kernel entries between components are exactly zero: a link there is round-off
                if comp[a as usize] == comp[b as usize] {
                    uf.union(a as usize, b as usize);
                }
            }
        }
    }
    if !deferred.is_empty() {
        // Whole-graph columns, 16 per block, blocks in parallel.
        const B: usize = 16;
        let gc = GlobalColumns::new(g, &strengths, tau, opts.krylov_tolerance)?;
        let f = 1.0 - opts.tie_tolerance;
        let blocks: Vec<&[usize]> = deferred.chunks(B).collect();
        let found: Vec<Result<Vec<Vec<u32>>>> = exec.install(|| {
            blocks
                .par_iter()
                .map(|nodes| {
                    let links = gc.links::<B>(nodes, f, exec);
                    exec.progress.set_done(done.fetch_add(nodes.len(), Ordering::Relaxed) + nodes.len(), n);
                    links
                })
                .collect()
        });
        for (nodes, links) in blocks.iter().zip(found) {
            for (&i, js) in nodes.iter().zip(links?) {
                d.links += js.len();
                for j in js {
                    if comp[i] == comp[j as usize] {
                        uf.union(i, j as usize);
                    }
                }
            }
        }
        d.global_columns = deferred.len();
        d.chebyshev_degree = gc.degree();
        d.max_krylov_error = d.max_krylov_error.max(gc.error);
    }
    d.mean_support = if n > 0 { total as f64 / n as f64 } else { 0.0 };
    Ok((uf.assignment(), d))
}

#[allow(clippy::too_many_arguments)]
/// All nodes of `i`'s connected component (BFS), `i` first.
fn whole_component(g: &Graph, i: usize, ws: &mut Workspace) -> Vec<u32> {
    let mut out = vec![i as u32];
    ws.pos[i] = 0;
    let mut head = 0;
    while head < out.len() {
        let u = out[head] as usize;
        head += 1;
        for &v in g.neighbors(u).0 {
            if ws.pos[v as usize] == u32::MAX {
                ws.pos[v as usize] = 0;
                out.push(v);
            }
        }
    }
    for &v in &out {
        ws.pos[v as usize] = u32::MAX;
    }
    out
}

fn column(
    g: &Graph,
    strengths: &[f64],
    comp_size: usize,
    i: usize,
    tau: f64,
    opts: &LocalOptions,
    ws: &mut Workspace,
    exec: &Exec,
) -> Result<ColumnOutcome> {
    let f = 1.0 - opts.tie_tolerance;
    let mut support: Vec<u32> = vec![i as u32];
    support.extend(g.neighbors(i).0.iter().copied().filter(|&v| v as usize != i));
    let mut threshold = opts.initial_threshold;
    let mut grown = false;
    loop {
        let col = killed_column(g, strengths, support, tau, opts.krylov_tolerance, opts.max_krylov_steps, ws)?;
        let s = col.support.len();
        let whole = s >= comp_size;
        let e = col.krylov_error;
        let mass: f64 = col.values.iter().sum();
        let mu = if whole { 0.0 } else { (1.0 - mass).max(0.0) + (s as f64).sqrt() * e };
        let a = col.values[0];
        let mut links = Vec::new();
        let mut ambiguous = !whole && mu >= f * (a - e);
        for (&v, &c) in col.support.iter().zip(&col.values).skip(1) {
            if whole {
                // Plain test, as in the dense path (Krylov error ~1e-13 << tie tolerance).
                if c >= f * a {
                    links.push((i as u32, v));
                }
            } else if c - e >= f * (a + e + mu) {
                links.push((i as u32, v));
            } else if c + e + mu >= f * (a - e) {
                ambiguous = true;
            }
        }
        if !ambiguous {
            return Ok(ColumnOutcome { deferred: false, links, support: s, grown, steps: col.steps, err: e });
        }
        exec.check()?;
        // Grow the support by the boundary nodes with the largest inflow.
        grown = true;
        for (k, &v) in col.support.iter().enumerate() {
            ws.pos[v as usize] = k as u32;
        }
        let mut inflow: Vec<(u32, f64)> = Vec::new();
        for (&u, &c) in col.support.iter().zip(&col.values) {
            let (nb, w) = g.neighbors(u as usize);
            for (&v, &wv) in nb.iter().zip(w) {
                if ws.pos[v as usize] == u32::MAX {
                    inflow.push((v, tau * c.max(0.0) * wv));
                }
            }
        }
        for &v in &col.support {
            ws.pos[v as usize] = u32::MAX;
        }
        inflow.sort_unstable_by_key(|&(v, _)| v);
        let mut merged: Vec<(u32, f64)> = Vec::with_capacity(inflow.len());
        for (v, p) in inflow {
            match merged.last_mut() {
                Some(last) if last.0 == v => last.1 += p,
                _ => merged.push((v, p)),
            }
        }
        if merged.is_empty() {
            return Err(Error::internal("localized real-space: ambiguous decision but no boundary to grow into"));
        }
        let max_in = merged.iter().map(|x| x.1).fold(0.0, f64::max);
        // Zero inflow (tau = 0 or underflow): cut = 0 takes the whole boundary.
        let cut = threshold.min(0.1 * max_in);
        support = col.support;
        support.extend(merged.into_iter().filter(|&(_, p)| p >= cut).map(|(v, _)| v));
        threshold *= 0.01;
        if comp_size > opts.global_support && (support.len() > opts.global_support || 4 * support.len() > comp_size) {
            // Cheaper as one of 16 whole-graph columns of the blocked Chebyshev pass.
            return Ok(ColumnOutcome { deferred: true, links: Vec::new(), support: 0, grown, steps: 0, err: 0.0 });
        }
        if 4 * support.len() > comp_size {
            // Large supports cost as much as the whole component, which needs no further rounds.
            support = whole_component(g, i, ws);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, erdos_renyi, pseudofractal, random_tree, torus};
    use crate::laplacian::LaplacianKind;
    use crate::rg::kernel::SymmetricEigen;
    use crate::rg::real_space::partition_from_kernel;

    /// Progress counts columns: local ones (per chunk of 64) then whole-graph ones (per block),
    /// non-decreasing on one thread, ending at 1.
    #[test]
    fn progress_counts_columns() {
        let g = erdos_renyi(400, 1.5, 3);
        for gs in [usize::MAX, 0] {
            let (progress, log) = crate::exec::Progress::recording();
            let ex = Exec { progress, ..Exec::sequential() };
            partition_local(&g, 0.5, &LocalOptions { global_support: gs, ..Default::default() }, &ex).unwrap();
            let log = log.lock().unwrap();
            assert!(log.len() >= 400 / 64, "{log:?}");
            assert!(log.windows(2).all(|w| w[0] <= w[1]), "{log:?}");
            assert_eq!(*log.last().unwrap(), 1.0);
        }
    }

    fn check_identical(g: &Graph, taus: &[f64]) {
        let ex = Exec::with_threads(2);
        let eig = SymmetricEigen::new(&laplacian::dense(g, LaplacianKind::Combinatorial), &ex).unwrap();
        for &tau in taus {
            let dense = partition_from_kernel(&eig.kernel(tau, &ex).unwrap(), 1e-9, None);
            let (local, d) = partition_local(g, tau, &LocalOptions::default(), &ex).unwrap();
            assert_eq!(local, dense, "n {} tau {tau}: diagnostics {d:?}", g.n());
            // Every grown column through the blocked whole-graph pass.
            let (global, d) = partition_local(g, tau, &LocalOptions { global_support: 0, ..Default::default() }, &ex).unwrap();
            assert_eq!(global, dense, "global pass, n {} tau {tau}: diagnostics {d:?}", g.n());
        }
    }

    #[test]
    fn identical_to_dense_ba() {
        check_identical(&barabasi_albert(600, 2, 11), &[0.05, 0.3]);
        // Large tau: macroscopic supernodes, supports reach whole components.
        check_identical(&barabasi_albert(150, 2, 13), &[1.0, 3.0]);
    }

    #[test]
    fn identical_to_dense_er() {
        check_identical(&erdos_renyi(600, 4.0, 12), &[0.1, 0.5]);
        check_identical(&erdos_renyi(150, 3.0, 14), &[1.0, 3.0]);
    }

    #[test]
    fn identical_to_dense_torus_and_tree() {
        check_identical(&torus(25, 2), &[0.2, 1.0]);
        check_identical(&random_tree(600, 13), &[0.2, 1.0, 3.0]);
    }

    #[test]
    fn identical_to_dense_pseudofractal() {
        check_identical(&pseudofractal(5), &[0.2, 0.6]);
    }

    #[test]
    fn disconnected_isolated_and_empty() {
        let g = Graph::from_edges(6, &[(0, 1, 1.0), (2, 3, 2.0), (3, 4, 1.0)], &Default::default()).unwrap();
        check_identical(&g, &[0.0, 0.1, 1.0, 100.0]);
        let (a, _) =
            partition_local(&Graph::from_edges(0, &[], &Default::default()).unwrap(), 1.0, &LocalOptions::default(), &Exec::sequential())
                .unwrap();
        assert!(a.is_empty());
    }

    #[test]
    fn bad_input_and_abort_are_typed() {
        let d = Graph::from_edges(2, &[(0, 1, 1.0)], &crate::graph::EdgeListOptions { directed: true, ..Default::default() }).unwrap();
        let ex = Exec::sequential();
        assert_eq!(partition_local(&d, 1.0, &LocalOptions::default(), &ex).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let g = torus(10, 2);
        assert_eq!(partition_local(&g, -1.0, &LocalOptions::default(), &ex).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let bad = LocalOptions { tie_tolerance: 1.5, ..Default::default() };
        assert_eq!(partition_local(&g, 1.0, &bad, &ex).unwrap_err().code, crate::ErrorCode::InvalidInput);
        ex.cancel.cancel();
        assert_eq!(partition_local(&g, 1.0, &LocalOptions::default(), &ex).unwrap_err().code, crate::ErrorCode::Aborted);
    }

    /// N = 3000 families (slow in the dev profile): `cargo test --release -- --ignored`.
    #[test]
    #[ignore]
    fn identical_to_dense_n3000() {
        check_identical(&barabasi_albert(3000, 3, 21), &[0.1, 0.5]);
        check_identical(&erdos_renyi(3000, 5.0, 22), &[0.2, 1.0]);
        check_identical(&torus(55, 2), &[0.5]);
    }
}
