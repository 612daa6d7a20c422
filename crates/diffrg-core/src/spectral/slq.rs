//! Stochastic Lanczos quadrature (SLQ) of the Laplacian's spectral measure.
//!
//! Hutchinson's estimator with Rademacher probes `v` (`E[v v^T] = I`) and one Lanczos run per
//! probe gives the whole measure at once (Ubaru, Chen & Saad, SIAM J. Matrix Anal. Appl. 2017):
//!
//! `Tr f(L) ~= (1/P) sum_p ||v_p||^2 sum_k y_{1k,p}^2 f(theta_{k,p})`,
//!
//! so every `tau` of a scan (`f = exp(-tau lam)`, `lam exp(-tau lam)`, ...) comes from the same
//! runs through [`crate::spectral::thermo::thermodynamics`].
//!
//! Deflation (see [`crate::spectral::deflation`]): the exact null space (one vector per
//! connected component, so `Tr` gets exactly `#components` zero modes) and, for graphs up to
//! [`SlqOptions::deflate_max_n`] nodes, the lowest converged Ritz pairs are removed from the
//! probes (`v <- (I - Q Q^T) v`, operator `(I - Q Q^T) L`) and added back exactly with weight 1.
//! The estimate stays unbiased; the variance left is that of the bulk, where many modes average.
//!
//! Error estimate: delete-one jackknife over probes of every curve (S, C) at every tau, from
//! per-probe moment sums (`O(P m T)`).

use super::deflation::{lowest_modes, DeflationOptions};
use super::lanczos::{gauss_quadrature, lanczos, lanczos_block, project_out, Reorth, Tridiagonal};
use super::lockstep::{lockstep_lanczos, LockstepLaplacian, NodeOrder};
use super::shard::Shard;
use super::thermo::{log_grid, thermodynamics, Thermodynamics};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::{LaplacianKind, SymLaplacian};
use faer::MatRef;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Reorthogonalisation choice for the probe runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReorthPolicy {
    /// Full when `N <= 50_000` (cheap there, and removes ghost Ritz values), none above.
    #[default]
    Auto,
    Full,
    None,
}

named_enum!(ReorthPolicy, "policy" { Auto => "auto", Full => "full", None => "none" });

/// Options of [`slq`].
#[derive(Debug, Clone)]
pub struct SlqOptions {
    /// Rademacher probes (>= 2 for the error estimate). Default 30.
    pub probes: usize,
    /// Lanczos steps per probe. Default 100.
    pub steps: usize,
    /// Seed of the probes (probe p uses ChaCha8 stream p). Default 42.
    pub seed: u64,
    pub reorth: ReorthPolicy,
    /// Number of lowest non-null eigenpairs to deflate; `None` = automatic (see [`slq`]).
    /// Unconverged ones are left to the stochastic part.
    pub deflate: Option<usize>,
    /// Largest N for automatic deflation. Default 50_000.
    pub deflate_max_n: usize,
    /// Automatic deflation starts when the jackknife error of C exceeds this fraction of
    /// max C. Default 0.01 (two standard errors within the 2% accuracy target).
    pub deflate_trigger: f64,
    /// Run only one shard of the probes ([`Shard::probes`]); `None` = all. Probes are seeded by
    /// their global index, so the shards of one seed merged with [`super::shard::merge_shards`]
    /// are the unsharded run. A sharded run never deflates automatically (the trigger needs all
    /// probes): `deflate: None` means the null space only, as for `N > deflate_max_n`; a
    /// forced `deflate: Some(d)` is computed by every shard alike (seeded, same result).
    pub shard: Option<Shard>,
}

impl Default for SlqOptions {
    fn default() -> Self {
        SlqOptions {
            probes: 30,
            steps: 100,
            seed: 42,
            reorth: ReorthPolicy::Auto,
            deflate: None,
            deflate_max_n: 50_000,
            deflate_trigger: 0.01,
            shard: None,
        }
    }
}

/// Quadrature of one probe: nodes and weights (weights sum to `N - k`, k = deflated count).
#[derive(Debug, Clone, Default)]
pub struct ProbeQuadrature {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl ProbeQuadrature {
    /// Probes given flat (how a shard crosses from JavaScript): probe `p` has `lengths[p]`
    /// nodes and weights, one after another in `nodes` / `weights`.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` naming the shard's arrays when they do not hold `sum(lengths)` values.
    pub fn from_flat(lengths: &[u32], nodes: &[f64], weights: &[f64]) -> Result<Vec<ProbeQuadrature>> {
        let total: usize = lengths.iter().map(|&l| l as usize).sum();
        if nodes.len() != total || weights.len() != total {
            return Err(Error::invalid_input(format!(
                "shard: nodes ({}) and weights ({}) must hold sum(lengths) = {total} values",
                nodes.len(),
                weights.len()
            )));
        }
        let mut at = 0;
        Ok(lengths
            .iter()
            .map(|&l| {
                let r = at..at + l as usize;
                at = r.end;
                ProbeQuadrature { nodes: nodes[r.clone()].to_vec(), weights: weights[r].to_vec() }
            })
            .collect())
    }
}

/// The estimated spectral measure: exact (deflated) eigenvalues with weight 1 each plus the
/// average of the probe quadratures.
#[derive(Debug, Clone, Default)]
pub struct SlqMeasure {
    pub n: usize,
    /// Exactly known eigenvalues: `components` zeros, then the deflated Ritz values.
    pub exact: Vec<f64>,
    pub probes: Vec<ProbeQuadrature>,
    pub components: usize,
    /// Lanczos steps actually taken (max over probes).
    pub steps: usize,
    pub reorth: bool,
    /// Krylov dimension spent on deflation.
    pub deflation_dim: usize,
    /// Global index of `probes[0]` (0 unless sharded) and the probe count of the whole run.
    pub first_probe: usize,
    pub total_probes: usize,
}

impl SlqMeasure {
    /// All nodes and weights of the averaged measure (total weight about N).
    pub fn combined(&self) -> (Vec<f64>, Vec<f64>) {
        let p = self.probes.len().max(1) as f64;
        let mut nodes = self.exact.clone();
        let mut weights = vec![1.0; self.exact.len()];
        for q in &self.probes {
            nodes.extend_from_slice(&q.nodes);
            weights.extend(q.weights.iter().map(|w| w / p));
        }
        (nodes, weights)
    }

    /// Smallest and largest eigenvalue estimates (`lam_2`: smallest node above
    /// `1e-9 lam_max`; `None` if there is none).
    pub fn extremes(&self) -> (Option<f64>, f64) {
        let (nodes, _) = self.combined();
        let lam_max = nodes.iter().cloned().fold(0.0, f64::max);
        let lam_2 = nodes.iter().cloned().filter(|&l| l > 1e-9 * lam_max).fold(f64::INFINITY, f64::min);
        (lam_2.is_finite().then_some(lam_2), lam_max)
    }

    /// Thermodynamic curves of the averaged measure.
    pub fn thermodynamics(&self, taus: &[f64]) -> Thermodynamics {
        let (nodes, weights) = self.combined();
        thermodynamics(&nodes, Some(&weights), self.n, taus)
    }

    /// Delete-one jackknife standard errors of `(S(tau), C(tau))` over probes.
    pub fn stderr(&self, taus: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let p = self.probes.len();
        if p < 2 {
            return (vec![0.0; taus.len()], vec![0.0; taus.len()]);
        }
        let lam_min =
            self.exact.iter().chain(self.probes.iter().flat_map(|q| q.nodes.iter())).map(|l| l.max(0.0)).fold(f64::INFINITY, f64::min);
        let moments = |nodes: &[f64], weights: Option<&[f64]>, tau: f64| -> [f64; 3] {
            let mut m = [0.0; 3];
            for (k, &l) in nodes.iter().enumerate() {
                let l = l.max(0.0);
                let w = weights.map_or(1.0, |w| w[k]) * (-tau * (l - lam_min)).exp();
                m[0] += w;
                m[1] += w * l;
                m[2] += w * l * l;
            }
            m
        };
        let mut se_s = Vec::with_capacity(taus.len());
        let mut se_c = Vec::with_capacity(taus.len());
        for &tau in taus {
            let d = moments(&self.exact, None, tau);
            let per: Vec<[f64; 3]> = self.probes.iter().map(|q| moments(&q.nodes, Some(&q.weights), tau)).collect();
            let mut tot = [0.0; 3];
            for m in &per {
                for k in 0..3 {
                    tot[k] += m[k];
                }
            }
            let (mut s_vals, mut c_vals) = (Vec::with_capacity(p), Vec::with_capacity(p));
            for m in &per {
                let z = d[0] + (tot[0] - m[0]) / (p - 1) as f64;
                let m1 = d[1] + (tot[1] - m[1]) / (p - 1) as f64;
                let m2 = d[2] + (tot[2] - m[2]) / (p - 1) as f64;
                if z > 0.0 {
                    let mean = m1 / z;
                    s_vals.push(z.ln() - tau * lam_min + tau * mean);
                    c_vals.push((tau * tau * (m2 / z - mean * mean)).max(0.0));
                }
            }
            se_s.push(jackknife(&s_vals));
            se_c.push(jackknife(&c_vals));
        }
        (se_s, se_c)
    }
}

fn jackknife(vals: &[f64]) -> f64 {
    let p = vals.len();
    if p < 2 {
        return 0.0;
    }
    let mean = vals.iter().sum::<f64>() / p as f64;
    ((p - 1) as f64 / p as f64 * vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>()).sqrt()
}

/// Runs SLQ on the symmetric Laplacian of `g` (directed graphs are symmetrized; random-walk
/// uses the similar normalized Laplacian).
///
/// With `deflate = None` (automatic) the probes first run with only the null space deflated;
/// if the jackknife error of C on the default grid (100 points, see [`super::scan::default_range`])
/// exceeds `deflate_trigger * max C` and `N <= deflate_max_n`, the lowest 200 eigenpairs are
/// computed, deflated and the probes rerun (same seeds).
///
/// Errors: `ERR_INVALID_INPUT` for `probes < 2` or `steps == 0`; `ERR_ABORTED`.
/// Complexity: `P m` sparse products (parallel over probes and rows), plus `O(P N m^2)` with
/// full reorthogonalisation and the deflation cost (`O(N dim^2 + dim^3)`, dim = 6 * 200).
pub fn slq(g: &Graph, kind: LaplacianKind, opts: &SlqOptions, exec: &Exec) -> Result<SlqMeasure> {
    if opts.probes < 2 {
        return Err(Error::invalid_input(format!("probes must be >= 2 (got {}); the error estimate needs two", opts.probes)));
    }
    if opts.steps == 0 {
        return Err(Error::invalid_input("steps must be >= 1"));
    }
    let n = g.n();
    let op = SymLaplacian::new(g, kind);
    let comp = if g.is_directed() { g.symmetrized().components() } else { g.components() };
    let c = comp.iter().max().map_or(0, |&m| m + 1);
    let null = NullSpace { z: op.null_values(&comp), comp };
    let reorth = match opts.reorth {
        ReorthPolicy::Full => Reorth::Full,
        ReorthPolicy::None => Reorth::None,
        ReorthPolicy::Auto => {
            if n <= 50_000 {
                Reorth::Full
            } else {
                Reorth::None
            }
        }
    };
    let range = match opts.shard {
        Some(s) => s.probes(opts.probes)?,
        None => 0..opts.probes,
    };
    check_memory(n, c, opts, reorth, exec)?;
    let mut out = SlqMeasure {
        n,
        components: c,
        exact: vec![0.0; c],
        reorth: reorth == Reorth::Full,
        first_probe: range.start,
        total_probes: opts.probes,
        ..Default::default()
    };
    if n == 0 {
        return Ok(out);
    }
    exec.check()?;
    let forced = opts.deflate.unwrap_or(0);
    // Dense deflation basis (null space, then Ritz vectors); empty = null space only, which
    // the lockstep path handles in compact form.
    let mut q = Vec::new();
    if forced > 0 {
        q = op.null_space(&null.comp).0;
        deflate(&op, &mut q, &mut out, forced, opts.seed, exec)?;
    }
    // Progress: the probe runs; when automatic deflation may follow (small graphs only), the
    // first run covers 90% and the deflated rerun the rest.
    let may_deflate = opts.deflate.is_none() && opts.shard.is_none() && n <= opts.deflate_max_n && n > c;
    let (probes, steps) = run_probes(&op, &null, &q, opts, range.clone(), reorth, &exec.part(0.0, if may_deflate { 0.9 } else { 1.0 }))?;
    out.probes = probes;
    out.steps = steps;
    if may_deflate {
        let (lam2, lam_max) = out.extremes();
        if let Some(l2) = lam2 {
            let (lo, hi) = super::scan::default_range(n, Some(l2), lam_max);
            let taus = log_grid(lo, hi, 100);
            let cmax = out.thermodynamics(&taus).specific_heat.iter().cloned().fold(0.0, f64::max);
            let se = out.stderr(&taus).1.iter().cloned().fold(0.0, f64::max);
            if se > opts.deflate_trigger * cmax {
                if q.is_empty() {
                    q = op.null_space(&null.comp).0;
                }
                deflate(&op, &mut q, &mut out, 200, opts.seed, exec)?;
                let (probes, steps) = run_probes(&op, &null, &q, opts, range, reorth, &exec.part(0.9, 1.0))?;
                out.probes = probes;
                out.steps = steps;
            }
        }
    }
    exec.progress.set(1.0); // also when the deflated rerun was not needed
    Ok(out)
}

/// Checks the working memory before allocating (`ERR_TOO_LARGE`, never an out-of-memory
/// abort): the dense null-space / deflation basis (`N (c + 6 d)` doubles for `d` deflated
/// modes), and one Krylov basis of `steps + 3` vectors per concurrently running probe with
/// full reorthogonalisation, or three `N x 32` blocks (probes, `q_j`, `q_{j-1}`) without.
fn check_memory(n: usize, c: usize, opts: &SlqOptions, reorth: Reorth, exec: &Exec) -> Result<()> {
    let (n, c) = (n as u128, c as u128);
    let auto = if opts.deflate.is_none() && opts.shard.is_none() && n <= opts.deflate_max_n as u128 { 200 } else { 0 };
    let d = opts.deflate.unwrap_or(0).max(auto) as u128;
    let basis = if d > 0 || reorth == Reorth::Full { n * (c + 6 * d) } else { 0 };
    let runs = if reorth == Reorth::Full {
        let concurrent = (exec.threads.max(1) as u128).min(opts.probes as u128);
        concurrent * n * ((opts.steps as u128).min(n) + 3)
    } else {
        3 * n * 32
    };
    crate::error::ensure_fits(
        "the SLQ vectors",
        basis + runs,
        super::dense::DEFAULT_DENSE_LIMIT_BYTES,
        "use fewer steps or probes (or fewer deflated modes)",
    )
}

/// Appends the lowest `want` converged eigenpairs to the deflation basis `q` and their values
/// to `out.exact`.
fn deflate(op: &SymLaplacian, q: &mut Vec<f64>, out: &mut SlqMeasure, want: usize, seed: u64, exec: &Exec) -> Result<()> {
    let dopts = DeflationOptions { want, max_dim: (6 * want).max(96), seed: seed ^ 0x9e37_79b9, ..Default::default() };
    let modes = lowest_modes(op, q, &dopts, exec)?;
    out.deflation_dim = modes.dim;
    out.exact.extend_from_slice(&modes.values);
    q.extend_from_slice(&modes.vectors);
    Ok(())
}

/// The null space of `L` in compact form (see [`SymLaplacian::null_values`]).
struct NullSpace {
    comp: Vec<usize>,
    z: Vec<f64>,
}

/// Probe p: Rademacher entries from ChaCha8 stream p of `seed`.
fn rademacher(seed: u64, p: usize, n: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(p as u64);
    (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect()
}

/// Lockstep runs without reorthogonalisation on the null-space-projected operator
/// ([`super::lockstep`]): blocks of up to 32 probes one after the other, rows in parallel, on
/// the graph relabelled by decreasing degree within components.
///
/// Measured on BA m = 3, N = 10^6, 30 probes x 100 steps, 2 threads (docs/benchmarks.md): 16
/// probes per block beat 8 and 4 (the matrix and index stream is shared by more probes, the
/// gathered rows are two full cache lines); 32 probes per block (more than 16 probes) measured
/// 13.3-13.7 s vs 16.2 s for two blocks of 16 on an idle machine (one pass over the graph per
/// step for all 30 probes; memory 2 x N x 32 doubles = 512 MB at N = 10^6);
/// degree order beat the natural order and reverse Cuthill-McKee; blocks side by side on the
/// two threads (each with its own rows) were slower than one block with rows split, whose
/// gathered working set is shared.
fn run_lockstep(op: &SymLaplacian, null: &NullSpace, opts: &SlqOptions, range: Range<usize>, exec: &Exec) -> Result<Vec<Tridiagonal>> {
    let n = op.n();
    let count = range.len();
    let bw = match count {
        0..=4 => 4,
        5..=8 => 8,
        9..=16 => 16,
        _ => 32,
    };
    let lop = LockstepLaplacian::new(op, &null.comp, &null.z, NodeOrder::Degree);
    let ncomp = null.comp.iter().max().map_or(0, |&m| m + 1);
    let probe = |p: usize| -> Vec<f64> {
        // v <- v - Z Z^T v, Z one vector per component with disjoint supports.
        let mut v = rademacher(opts.seed, p, n);
        let mut h = vec![0.0; ncomp];
        for i in 0..n {
            h[null.comp[i]] += null.z[i] * v[i];
        }
        for i in 0..n {
            v[i] -= null.z[i] * h[null.comp[i]];
        }
        v
    };
    let mut all = Vec::with_capacity(count);
    for s in range.clone().step_by(bw) {
        let e = (s + bw).min(range.end);
        let v: Vec<Vec<f64>> = exec.install(|| (s..e).into_par_iter().map(probe).collect());
        // each block reports its Lanczos steps in its share of the probes
        let (lo, hi) = ((s - range.start) as f64 / count as f64, (e - range.start) as f64 / count as f64);
        let exec = &exec.part(lo, hi);
        let runs = exec.install(|| match bw {
            4 => lockstep_lanczos::<4>(&lop, &v, opts.steps, exec),
            8 => lockstep_lanczos::<8>(&lop, &v, opts.steps, exec),
            16 => lockstep_lanczos::<16>(&lop, &v, opts.steps, exec),
            _ => lockstep_lanczos::<32>(&lop, &v, opts.steps, exec),
        })?;
        all.extend(runs);
    }
    Ok(all)
}

/// One Lanczos quadrature per probe, in parallel, on `(I - Q Q^T) L` with probes
/// `(I - Q Q^T) v` (`q` empty: `Q` is the null space).
fn run_probes(
    op: &SymLaplacian,
    null: &NullSpace,
    q: &[f64],
    opts: &SlqOptions,
    range: Range<usize>,
    reorth: Reorth,
    exec: &Exec,
) -> Result<(Vec<ProbeQuadrature>, usize)> {
    let n = op.n();
    let count = range.len();
    let dense_null;
    let q = if q.is_empty() && reorth == Reorth::None {
        let k = null.comp.iter().max().map_or(0, |&m| m + 1);
        if k >= n {
            return Ok((vec![], 0));
        }
        let norm2 = (n - k) as f64;
        let mut probes = Vec::with_capacity(count);
        let mut steps = 0;
        for t in run_lockstep(op, null, opts, range, exec)? {
            let (nodes, w) = gauss_quadrature(&t)?;
            steps = steps.max(t.alpha.len());
            probes.push(ProbeQuadrature { nodes, weights: w.iter().map(|x| x * norm2).collect() });
        }
        return Ok((probes, steps));
    } else if q.is_empty() {
        dense_null = op.null_space(&null.comp).0;
        &dense_null[..]
    } else {
        q
    };
    let k = q.len() / n;
    if k >= n {
        return Ok((vec![], 0));
    }
    let qm = MatRef::from_column_major_slice(q, n, k);
    let rademacher = |p: usize| rademacher(opts.seed, p, n);
    // Ratio form: scale to the exact total weight E||P v||^2 = N - k, so that S(0) = ln N holds
    // exactly (Ubaru et al. use N for ||v||^2 = N).
    let norm2 = (n - k) as f64;
    if reorth == Reorth::None {
        // Dense deflation basis (forced deflation without reorthogonalisation): probes in
        // lockstep blocks of 8, one sparse pass per step serves a whole block.
        const B: usize = 8;
        let blocks: Vec<(usize, usize)> = range.clone().step_by(B).map(|s| (s, (s + B).min(range.end))).collect();
        let done = AtomicUsize::new(0);
        let runs: Vec<Result<Vec<Tridiagonal>>> = exec.install(|| {
            blocks
                .par_iter()
                .map(|&(s, e)| {
                    let b = e - s;
                    let mut v = vec![0.0; n * b];
                    let mut h = vec![0.0; k];
                    for (c, p) in (s..e).enumerate() {
                        let mut vp = rademacher(p);
                        project_out(qm, &mut vp, &mut h);
                        for i in 0..n {
                            v[i * b + c] = vp[i];
                        }
                    }
                    let t = lanczos_block(
                        |x, y| {
                            op.apply_block(x, y, b);
                            project_out_block(qm, y, b);
                        },
                        &v,
                        b,
                        opts.steps,
                        exec,
                    );
                    exec.progress.set_done(done.fetch_add(b, Ordering::Relaxed) + b, count);
                    t
                })
                .collect()
        });
        let mut probes = Vec::with_capacity(count);
        let mut steps = 0;
        for r in runs {
            for t in r? {
                let (nodes, w) = gauss_quadrature(&t)?;
                steps = steps.max(t.alpha.len());
                probes.push(ProbeQuadrature { nodes, weights: w.iter().map(|x| x * norm2).collect() });
            }
        }
        return Ok((probes, steps));
    }
    let done = AtomicUsize::new(0);
    let runs: Vec<Result<(ProbeQuadrature, usize)>> = exec.install(|| {
        range
            .into_par_iter()
            .map(|p| {
                let mut v = rademacher(p);
                let mut h = vec![0.0; k];
                project_out(qm, &mut v, &mut h);
                let t = lanczos(
                    |x, y| {
                        op.apply_par(x, y);
                        project_out(qm, y, &mut h);
                    },
                    &v,
                    opts.steps,
                    reorth,
                    exec,
                )?;
                exec.progress.set_done(done.fetch_add(1, Ordering::Relaxed) + 1, count);
                let (nodes, w) = gauss_quadrature(&t)?;
                let weights = w.iter().map(|x| x * norm2).collect();
                Ok((ProbeQuadrature { nodes, weights }, t.alpha.len()))
            })
            .collect()
    });
    let mut probes = Vec::with_capacity(count);
    let mut steps = 0;
    for r in runs {
        let (pq, s) = r?;
        steps = steps.max(s);
        probes.push(pq);
    }
    Ok((probes, steps))
}

/// `Y -= Q (Q^T Y)` for `b` vectors stored row-major (`Y[i * b + c]`), `Q` column-major.
fn project_out_block(q: MatRef<'_, f64>, y: &mut [f64], b: usize) {
    let n = q.nrows();
    for kk in 0..q.ncols() {
        let col = q.col(kk);
        let mut h = vec![0.0; b];
        for i in 0..n {
            let qi = col[i];
            for c in 0..b {
                h[c] += qi * y[i * b + c];
            }
        }
        for i in 0..n {
            let qi = col[i];
            for c in 0..b {
                y[i * b + c] -= qi * h[c];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, erdos_renyi, torus};
    use crate::spectral::dense::{laplacian_eigenvalues, DEFAULT_DENSE_LIMIT_BYTES};

    /// Progress of both probe paths: every report in [0, 1], non-decreasing (one thread: reports
    /// in call order), ending at 1; the lockstep path reports once per Lanczos step and block.
    #[test]
    fn progress_is_monotone_and_reaches_one() {
        let g = barabasi_albert(3000, 3, 5);
        for (reorth, probes, min_reports) in [(ReorthPolicy::None, 40, 2 * 30), (ReorthPolicy::Full, 6, 6)] {
            let (progress, log) = crate::exec::Progress::recording();
            let exec = Exec { progress, ..Exec::sequential() };
            let opts = SlqOptions { probes, steps: 30, reorth, deflate: Some(0), ..Default::default() };
            slq(&g, LaplacianKind::Combinatorial, &opts, &exec).unwrap();
            let log = log.lock().unwrap();
            assert!(log.len() >= min_reports, "{reorth:?}: {} reports", log.len());
            assert!(log.windows(2).all(|w| w[0] <= w[1]) && log[0] >= 0.0, "{reorth:?}: {log:?}");
            assert_eq!(*log.last().unwrap(), 1.0, "{reorth:?}");
            assert_eq!(exec.progress.get(), 1.0);
            if reorth == ReorthPolicy::None {
                // two blocks (32 + 8 probes): the first ends at 32/40 of the work
                assert!(log.contains(&0.8), "{log:?}");
                assert!(log.iter().any(|&f| f > 0.0 && f < 0.8));
            } else {
                // one report per probe, then the final 1 of slq itself
                let want: Vec<f64> = (1..=6).map(|k| k as f64 / 6.0).chain([1.0]).collect();
                assert_eq!(*log, want);
            }
        }
    }

    fn max_heat_error(g: &Graph, kind: LaplacianKind, opts: &SlqOptions, taus: &[f64]) -> (f64, f64, f64) {
        let exec = Exec::with_threads(2);
        let exact = laplacian_eigenvalues(g, kind, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        let te = thermodynamics(&exact, None, g.n(), taus);
        let m = slq(g, kind, opts, &exec).unwrap();
        let ts = m.thermodynamics(taus);
        let cmax = te.specific_heat.iter().cloned().fold(0.0, f64::max);
        let err = te.specific_heat.iter().zip(&ts.specific_heat).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let serr = te.entropy.iter().zip(&ts.entropy).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        (err, cmax, serr)
    }

    #[test]
    fn slq_matches_exact_heat_within_two_percent() {
        // Smaller versions of the acceptance graphs (the N = 5000 checks run in the vitest spec
        // and the benchmark); the torus needs (and triggers) deflation.
        let taus = log_grid(1e-3, 1e3, 120);
        let opts = SlqOptions::default();
        for (name, g) in [("BA m=2", barabasi_albert(2000, 2, 11)), ("ER <k>=4", erdos_renyi(2000, 4.0, 5)), ("torus 30x30", torus(30, 2))]
        {
            let (err, cmax, serr) = max_heat_error(&g, LaplacianKind::Combinatorial, &opts, &taus);
            assert!(err <= 0.02 * cmax, "{name}: max |dC| = {err:.4}, 2% of max C = {:.4}", 0.02 * cmax);
            assert!(serr <= 0.005 * (g.n() as f64).ln(), "{name}: max |dS| = {serr}");
        }
    }

    /// Absurd step counts or deflation requests are refused before allocating.
    #[test]
    fn memory_is_checked_before_allocating() {
        let g = erdos_renyi(50_000, 4.0, 1);
        let exec = Exec::with_threads(2);
        // 2 concurrent Krylov bases of 50,000 vectors of length 50,000: 40 GB.
        let huge = SlqOptions { steps: 1_000_000, reorth: ReorthPolicy::Full, ..Default::default() };
        assert_eq!(slq(&g, LaplacianKind::Combinatorial, &huge, &exec).unwrap_err().code, crate::ErrorCode::TooLarge);
        let deflate = SlqOptions { deflate: Some(20_000_000), ..Default::default() };
        assert_eq!(slq(&g, LaplacianKind::Combinatorial, &deflate, &exec).unwrap_err().code, crate::ErrorCode::TooLarge);
    }

    #[test]
    fn disconnected_graph_gets_exact_zero_modes() {
        // ER <k>=1.5 has many components; S -> ln(#components) exactly at large tau.
        let g = erdos_renyi(600, 1.5, 2);
        let ncomp = g.components().iter().max().unwrap() + 1;
        let m = slq(&g, LaplacianKind::Normalized, &SlqOptions { deflate: Some(0), ..Default::default() }, &Exec::with_threads(2)).unwrap();
        assert_eq!(m.components, ncomp);
        let t = m.thermodynamics(&[0.0, 1e7]);
        assert!((t.entropy[0] - 600f64.ln()).abs() < 1e-9);
        assert!((t.entropy[1] - (ncomp as f64).ln()).abs() < 1e-6);
    }

    #[test]
    fn stderr_is_small_and_covers_the_error() {
        let g = barabasi_albert(1500, 2, 3);
        let taus = log_grid(1e-2, 1e2, 40);
        let exec = Exec::with_threads(2);
        let exact = laplacian_eigenvalues(&g, LaplacianKind::Combinatorial, &exec, DEFAULT_DENSE_LIMIT_BYTES).unwrap();
        let te = thermodynamics(&exact, None, g.n(), &taus);
        // No reorthogonalisation: exercises the lockstep block path used for large graphs.
        let opts = SlqOptions { deflate: Some(0), reorth: ReorthPolicy::None, ..Default::default() };
        let m = slq(&g, LaplacianKind::Combinatorial, &opts, &exec).unwrap();
        assert_eq!(m.probes.len(), 30);
        let ts = m.thermodynamics(&taus);
        let (se_s, se_c) = m.stderr(&taus);
        // The error should be within a few standard errors everywhere (4 sigma, 40 points).
        for i in 0..taus.len() {
            assert!(se_c[i] >= 0.0 && se_s[i] >= 0.0);
            assert!((ts.specific_heat[i] - te.specific_heat[i]).abs() <= 4.0 * se_c[i] + 1e-3, "tau {}", taus[i]);
            assert!((ts.entropy[i] - te.entropy[i]).abs() <= 4.0 * se_s[i] + 1e-3, "tau {}", taus[i]);
        }
    }

    #[test]
    fn rejects_bad_options() {
        let g = torus(4, 2);
        let e = slq(&g, LaplacianKind::Combinatorial, &SlqOptions { probes: 1, ..Default::default() }, &Exec::sequential()).unwrap_err();
        assert!(e.message.contains("probes"));
    }
}
