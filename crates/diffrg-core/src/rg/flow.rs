//! One coarse-graining step with any rule, and renormalization-group flows.
//!
//! A step maps a graph to supernodes (assignment fine -> supernode, canonical labels: node 0
//! is in supernode 0), the contracted graph (weights summed, self-loops dropped) and, for the
//! equilibrium rule, the renormalized Laplacian `L'`. All rules keep `tau` fixed between
//! steps (time rescaling factor 1, reported per step): this is the convention that reproduces
//! the pseudofractal sequence 123 -> 76 -> 61 -> 46 of Villegas et al. (2023) at tau = 0.2.
//!
//! A flow iterates steps. The graph passed to the next step is the contracted graph made
//! unweighted (supernodes linked when any of their members are linked; `FlowOptions::unweighted`,
//! default true, the paper's convention) or with summed weights. The equilibrium rule instead
//! carries `L'` and its null vectors. `tau` per step follows a [`TauPolicy`]. The flow stops
//! early when a step does not reduce the size (later steps would repeat it) or one node is
//! left.

use super::contract::{compose, contract, count};
use super::equilibrium;
use super::kernel::{self, SymmetricEigen};
use super::mode_count;
use super::real_space::{self, DEFAULT_TIE_TOLERANCE};
use super::real_space_local::{self, LocalDiagnostics, LocalOptions};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::{EdgeListOptions, Graph};
use crate::laplacian::{self, LaplacianKind};
use crate::spectral::{self, log_grid, thermodynamics, Thermodynamics};
use faer::Mat;

/// Supernode rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rule {
    #[default]
    RealSpace,
    ModeCount,
    Equilibrium,
}

impl Rule {
    pub fn parse(s: &str) -> Result<Rule> {
        match s {
            "real-space" => Ok(Rule::RealSpace),
            "mode-count" => Ok(Rule::ModeCount),
            "equilibrium" => Ok(Rule::Equilibrium),
            _ => Err(Error::invalid_input(format!("rule must be real-space, mode-count or equilibrium (got '{s}')"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::RealSpace => "real-space",
            Rule::ModeCount => "mode-count",
            Rule::Equilibrium => "equilibrium",
        }
    }
}

/// How kernel entries are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KernelMethod {
    /// Dense up to `StepOptions::auto_dense_max_n` nodes, localized beyond (real-space rule,
    /// undirected graphs, combinatorial Laplacian).
    #[default]
    Auto,
    Dense,
    Local,
}

impl KernelMethod {
    pub fn parse(s: &str) -> Result<KernelMethod> {
        match s {
            "auto" => Ok(KernelMethod::Auto),
            "dense" => Ok(KernelMethod::Dense),
            "local" | "sparse" => Ok(KernelMethod::Local),
            _ => Err(Error::invalid_input(format!("method must be auto, dense or local (got '{s}')"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            KernelMethod::Auto => "auto",
            KernelMethod::Dense => "dense",
            KernelMethod::Local => "local",
        }
    }
}

/// Options of one step.
#[derive(Debug, Clone)]
pub struct StepOptions {
    /// Default real-space.
    pub rule: Rule,
    /// Diffusion time (default 1).
    pub tau: f64,
    /// Default combinatorial.
    pub laplacian: LaplacianKind,
    /// Relative tie tolerance of `rho' >= 1` (default 1e-9).
    pub tie_tolerance: f64,
    /// Default auto.
    pub method: KernelMethod,
    /// Equilibrium rule: number of supernodes (default `#{Re lam < 1/tau}`).
    pub target_size: Option<usize>,
    /// Dense memory limit (default [`spectral::dense::DEFAULT_DENSE_LIMIT_BYTES`]).
    pub dense_limit_bytes: u128,
    /// Auto uses the dense path up to this many nodes (default 3000).
    pub auto_dense_max_n: usize,
    /// Localized-path options.
    pub local: LocalOptions,
}

impl Default for StepOptions {
    fn default() -> Self {
        StepOptions {
            rule: Rule::RealSpace,
            tau: 1.0,
            laplacian: LaplacianKind::Combinatorial,
            tie_tolerance: DEFAULT_TIE_TOLERANCE,
            method: KernelMethod::Auto,
            target_size: None,
            dense_limit_bytes: spectral::dense::DEFAULT_DENSE_LIMIT_BYTES,
            auto_dense_max_n: 3000,
            local: LocalOptions::default(),
        }
    }
}

/// Result of one step.
#[derive(Debug, Clone)]
pub struct CoarseStep {
    /// Supernode of every node of the input.
    pub assignment: Vec<usize>,
    /// Contracted graph (weights summed, self-loops dropped).
    pub graph: Graph,
    /// Equilibrium rule: `L'` and `C` (its left and right null vector).
    pub laplacian: Option<Mat<f64>>,
    pub scale: Option<Vec<f64>>,
    pub tau: f64,
    /// Factor applied to `tau` for the next step (1: tau is kept fixed).
    pub time_rescaling: f64,
    /// Method actually used (dense or local).
    pub method: KernelMethod,
    pub local: Option<LocalDiagnostics>,
}

fn resolve_method(g: &Graph, opts: &StepOptions) -> Result<KernelMethod> {
    let local_ok = opts.rule == Rule::RealSpace && !g.is_directed() && opts.laplacian == LaplacianKind::Combinatorial;
    match opts.method {
        KernelMethod::Dense => Ok(KernelMethod::Dense),
        KernelMethod::Local if local_ok => Ok(KernelMethod::Local),
        KernelMethod::Local => Err(Error::invalid_input(
            "method: the local path supports the real-space rule on undirected graphs with the combinatorial Laplacian",
        )),
        KernelMethod::Auto => Ok(if local_ok && g.n() > opts.auto_dense_max_n { KernelMethod::Local } else { KernelMethod::Dense }),
    }
}

/// Dense kernel factory for the symmetric case (eigendecomposition reused across `tau`).
enum Dense {
    Sym(SymmetricEigen),
    General(Mat<f64>),
}

impl Dense {
    fn new(g: &Graph, kind: LaplacianKind, limit: u128, exec: &Exec) -> Result<Dense> {
        let n = g.n() as u128;
        let sym = kernel::is_symmetric(g, kind);
        ensure_fits(
            "the dense heat kernel",
            if sym { 4 } else { 10 } * n * n,
            limit,
            "use the real-space rule with method 'local' for large sparse graphs",
        )?;
        exec.check()?;
        let l = laplacian::dense(g, kind);
        Ok(if sym { Dense::Sym(SymmetricEigen::new(&l, exec)?) } else { Dense::General(l) })
    }
    fn kernel(&self, tau: f64, exec: &Exec) -> Result<Mat<f64>> {
        match self {
            Dense::Sym(e) => e.kernel(tau, exec),
            Dense::General(l) => kernel::general_expm(l, -tau, exec),
        }
    }
}

/// Symmetric-spectrum eigenvalues used by mode counting (symmetrized graph; the random-walk
/// Laplacian shares the normalized one's spectrum).
fn sym_eigenvalues(g: &Graph, kind: LaplacianKind, dense: &Dense, opts: &StepOptions, exec: &Exec) -> Result<Vec<f64>> {
    match dense {
        Dense::Sym(e) => Ok(e.lam.clone()),
        Dense::General(_) => spectral::dense::laplacian_eigenvalues(g, kind, exec, opts.dense_limit_bytes),
    }
}

fn partition_with(
    g: &Graph,
    dense: Option<&Dense>,
    tau: f64,
    opts: &StepOptions,
    exec: &Exec,
) -> Result<(Vec<usize>, Option<LocalDiagnostics>)> {
    match (opts.rule, dense) {
        (Rule::RealSpace, Some(d)) => {
            Ok((real_space::partition_from_kernel(&d.kernel(tau, exec)?, opts.tie_tolerance, Some(&g.components())), None))
        }
        (Rule::RealSpace, None) => {
            let lo = LocalOptions { tie_tolerance: opts.tie_tolerance, ..opts.local.clone() };
            let (a, d) = real_space_local::partition_local(g, tau, &lo, exec)?;
            Ok((a, Some(d)))
        }
        (Rule::ModeCount, Some(d)) => {
            let lam = sym_eigenvalues(g, opts.laplacian, d, opts, exec)?;
            Ok((mode_count::partition(&d.kernel(tau, exec)?, &lam, tau, Some(&g.components()), exec)?, None))
        }
        _ => Err(Error::internal("partition_with: unsupported rule/method combination")),
    }
}

fn check_options(opts: &StepOptions) -> Result<()> {
    kernel::check_tau(opts.tau)?;
    if !(opts.tie_tolerance >= 0.0 && opts.tie_tolerance < 1.0) {
        return Err(Error::invalid_input(format!("tieTolerance must be in [0, 1) (got {})", opts.tie_tolerance)));
    }
    if opts.target_size == Some(0) {
        return Err(Error::invalid_input("targetSize must be >= 1"));
    }
    Ok(())
}

/// One coarse-graining step of `g` with `opts`.
///
/// Errors: `ERR_INVALID_INPUT` (bad tau, tolerance, method/rule combination, equilibrium rule
/// without a unique stationary state), `ERR_TOO_LARGE` (dense path), `ERR_ABORTED`.
pub fn coarse_grain(g: &Graph, opts: &StepOptions, exec: &Exec) -> Result<CoarseStep> {
    check_options(opts)?;
    let method = resolve_method(g, opts)?;
    if opts.rule == Rule::Equilibrium {
        let n = g.n() as u128;
        ensure_fits(
            "the equilibrium rule's dense matrices",
            12 * n * n,
            opts.dense_limit_bytes,
            "use the real-space rule with method 'local' for large sparse graphs",
        )?;
        let l = laplacian::dense(g, opts.laplacian);
        let (left, right) = equilibrium::null_vectors(&l, exec)?;
        let st = equilibrium::step(&l, &left, &right, opts.tau, opts.target_size, exec)?;
        let graph = contract(g, &st.assignment, false)?;
        return Ok(CoarseStep {
            assignment: st.assignment,
            graph,
            laplacian: Some(st.laplacian),
            scale: Some(st.scale),
            tau: opts.tau,
            time_rescaling: 1.0,
            method: KernelMethod::Dense,
            local: None,
        });
    }
    let dense = if method == KernelMethod::Dense { Some(Dense::new(g, opts.laplacian, opts.dense_limit_bytes, exec)?) } else { None };
    let (assignment, local) = partition_with(g, dense.as_ref(), opts.tau, opts, exec)?;
    let graph = contract(g, &assignment, false)?;
    Ok(CoarseStep { assignment, graph, laplacian: None, scale: None, tau: opts.tau, time_rescaling: 1.0, method, local })
}

/// How `tau` is chosen at each step of a flow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TauPolicy {
    /// `StepOptions::tau` at every step.
    Fixed,
    /// The `tau` of the highest local maximum of `C(tau)` of the current graph (exact
    /// spectrum, log grid refined by a parabola in `ln tau`).
    StrongestTransition,
    /// The smallest `tau` (bisection in `ln tau`) at which the step leaves at most
    /// `round(f N)` supernodes, `0 < f < 1`. For the equilibrium rule the target size is set
    /// to `round(f N)` and `tau` is `StepOptions::tau`.
    TargetFraction(f64),
}

/// Options of a flow.
#[derive(Debug, Clone)]
pub struct FlowOptions {
    pub step: StepOptions,
    /// Default fixed.
    pub policy: TauPolicy,
    /// Number of steps (default 3).
    pub steps: usize,
    /// Next step sees the contracted graph unweighted (default true; see module docs).
    pub unweighted: bool,
    /// Points of the recorded `C(tau)` curves (default 100; 0 disables curves). Curves need
    /// the dense spectrum and are skipped (None) when it does not fit in memory.
    pub curve_points: usize,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions { step: StepOptions::default(), policy: TauPolicy::Fixed, steps: 3, unweighted: true, curve_points: 100 }
    }
}

/// Per-graph statistics recorded along a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphStats {
    pub n: usize,
    pub edges: usize,
    /// `degree_histogram[k]` = nodes with `k` distinct neighbours (self-loops excluded).
    pub degree_histogram: Vec<usize>,
    /// Mean number of distinct neighbours.
    pub mean_degree: f64,
    /// Thermodynamic curves of the graph's Laplacian (None when disabled or too large).
    pub curve: Option<Thermodynamics>,
}

/// One step of a flow.
#[derive(Debug, Clone)]
pub struct FlowStep {
    pub tau: f64,
    pub time_rescaling: f64,
    pub method: KernelMethod,
    /// Supernode of every *original* node after this step.
    pub assignment: Vec<usize>,
    /// Supernode of every node of this step's input.
    pub step_assignment: Vec<usize>,
    /// Statistics of the graph after this step.
    pub stats: GraphStats,
    pub local: Option<LocalDiagnostics>,
}

#[derive(Debug, Clone)]
pub struct FlowResult {
    pub initial: GraphStats,
    pub steps: Vec<FlowStep>,
    /// Why the flow ended before `steps` steps (None when it ran them all).
    pub stopped: Option<String>,
}

fn degree_stats(g: &Graph) -> (Vec<usize>, f64) {
    let sym = g.symmetrized();
    let degs: Vec<usize> = (0..sym.n()).map(|i| sym.neighbors(i).0.iter().filter(|&&j| j as usize != i).count()).collect();
    let mut hist = vec![0usize; degs.iter().max().map_or(0, |&m| m + 1)];
    for &d in &degs {
        hist[d] += 1;
    }
    let mean = if degs.is_empty() { 0.0 } else { degs.iter().sum::<usize>() as f64 / degs.len() as f64 };
    (hist, mean)
}

/// Default tau grid of a spectrum: `0.1 / lam_max` to `10 / lam_2` (log-spaced, inclusive).
fn tau_grid(lam: &[f64], points: usize) -> Vec<f64> {
    let max = lam.iter().cloned().fold(0.0, f64::max);
    let min_pos = lam.iter().cloned().filter(|&l| l > 1e-10 * max.max(1e-300)).fold(f64::INFINITY, f64::min);
    if !(max > 0.0) || !min_pos.is_finite() {
        return log_grid(1e-2, 1e2, points);
    }
    log_grid(0.1 / max, 10.0 / min_pos, points)
}

fn spectrum(g: &Graph, kind: LaplacianKind, limit: u128, exec: &Exec) -> Result<Option<Vec<f64>>> {
    match spectral::dense::laplacian_eigenvalues(g, kind, exec, limit) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == crate::ErrorCode::TooLarge => Ok(None),
        Err(e) => Err(e),
    }
}

fn stats(g: &Graph, lam: Option<&[f64]>, points: usize) -> GraphStats {
    let (degree_histogram, mean_degree) = degree_stats(g);
    let curve = match lam {
        Some(l) if points > 0 => Some(thermodynamics(l, None, g.n(), &tau_grid(l, points))),
        _ => None,
    };
    GraphStats { n: g.n(), edges: g.num_edges(), degree_histogram, mean_degree, curve }
}

/// `tau` of the highest interior local maximum of `C` (global maximum if none), refined by a
/// parabola through the three grid points in `ln tau`.
pub fn strongest_transition(lam: &[f64], n: usize) -> Result<f64> {
    if n < 2 {
        return Err(Error::invalid_input("graph: a transition needs at least 2 nodes"));
    }
    let grid = tau_grid(lam, 400);
    let t = thermodynamics(lam, None, n, &grid);
    let c = &t.specific_heat;
    let k = (1..c.len() - 1)
        .filter(|&k| c[k] >= c[k - 1] && c[k] >= c[k + 1])
        .max_by(|&a, &b| c[a].total_cmp(&c[b]))
        .unwrap_or_else(|| (0..c.len()).max_by(|&a, &b| c[a].total_cmp(&c[b])).unwrap_or(0));
    if k == 0 || k + 1 >= c.len() {
        return Ok(grid[k]);
    }
    let (y0, y1, y2) = (c[k - 1], c[k], c[k + 1]);
    let h = grid[k + 1].ln() - grid[k].ln();
    let den = y0 - 2.0 * y1 + y2;
    let off = if den < 0.0 { 0.5 * h * (y0 - y2) / den } else { 0.0 };
    Ok((grid[k].ln() + off.clamp(-h, h)).exp())
}

/// Smallest `tau` (bisection in `ln tau`, 40 halvings) with `count(tau) <= target`.
fn tau_for_target(target: usize, scale: f64, exec: &Exec, mut count: impl FnMut(f64) -> Result<usize>) -> Result<f64> {
    let mut hi = 1.0 / scale.max(1e-300);
    let mut tries = 0;
    while count(hi)? > target {
        hi *= 4.0;
        tries += 1;
        if tries > 60 {
            return Err(Error::no_convergence(format!("no tau reaches the target of {target} supernodes")));
        }
    }
    let mut lo = hi * 1e-6;
    if count(lo)? <= target {
        return Ok(lo);
    }
    for _ in 0..40 {
        exec.check()?;
        let mid = (lo * hi).sqrt();
        if count(mid)? <= target {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi / lo < 1.0 + 1e-6 {
            break;
        }
    }
    Ok(hi)
}

/// Runs an RG flow from `g` (see module docs).
///
/// Errors: as [`coarse_grain`]; `ERR_INVALID_INPUT` for a fraction outside (0, 1).
pub fn rg_flow(g: &Graph, opts: &FlowOptions, exec: &Exec) -> Result<FlowResult> {
    check_options(&opts.step)?;
    if let TauPolicy::TargetFraction(f) = opts.policy {
        if !(f > 0.0 && f < 1.0) {
            return Err(Error::invalid_input(format!("fraction must be in (0, 1) (got {f})")));
        }
    }
    let kind = opts.step.laplacian;
    let limit = opts.step.dense_limit_bytes;
    let lam0 = if opts.curve_points > 0 || opts.policy == TauPolicy::StrongestTransition { spectrum(g, kind, limit, exec)? } else { None };
    let initial = stats(g, lam0.as_deref(), opts.curve_points);
    let mut steps: Vec<FlowStep> = Vec::new();
    let mut composed: Vec<usize> = (0..g.n()).collect();
    let mut current = g.clone();
    let mut lam = lam0;
    // Equilibrium rule state: L', left and right null vectors.
    let mut eq_state: Option<(Mat<f64>, Vec<f64>, Vec<f64>)> = None;
    let mut stopped = None;
    for step in 0..opts.steps {
        exec.check()?;
        // Progress: step `step` covers [step, step + 1] / steps (its final partition reports
        // inside that range; the bisection's trial partitions report nothing).
        let exec = &exec.part(step as f64 / opts.steps as f64, (step + 1) as f64 / opts.steps as f64);
        let trial = &exec.part(0.0, 0.0);
        let n = current.n();
        if n <= 1 {
            stopped = Some("one supernode left".to_string());
            break;
        }
        let mut step_opts = opts.step.clone();
        if opts.policy == TauPolicy::StrongestTransition {
            let l = match (&eq_state, &lam) {
                (Some((lm, _, _)), _) => laplacian_spectrum(lm, exec)?,
                (None, Some(l)) => l.clone(),
                (None, None) => {
                    return Err(Error::too_large(
                        "the strongest-transition policy needs the dense spectrum, which does not fit in memory; use a fixed tau",
                    ))
                }
            };
            step_opts.tau = strongest_transition(&l, n)?;
        }
        let (assignment, tau, method, local, next_graph, next_eq) = if opts.step.rule == Rule::Equilibrium {
            let (l, left, right) = match eq_state.take() {
                Some(s) => s,
                None => {
                    let n2 = n as u128;
                    ensure_fits("the equilibrium rule's dense matrices", 12 * n2 * n2, limit, "use the real-space rule for large graphs")?;
                    let l = laplacian::dense(&current, kind);
                    let (a, b) = equilibrium::null_vectors(&l, exec)?;
                    (l, a, b)
                }
            };
            if let TauPolicy::TargetFraction(f) = opts.policy {
                step_opts.target_size = Some(((f * n as f64).round() as usize).max(1));
            }
            let st = equilibrium::step(&l, &left, &right, step_opts.tau, step_opts.target_size, exec)?;
            let m = st.scale.len();
            let mut edges = Vec::new();
            for v in 0..m {
                for e in 0..m {
                    let w = -st.generator[(v, e)];
                    if v != e && w > 0.0 {
                        edges.push((v, e, w));
                    }
                }
            }
            let gnext = Graph::from_edges(m, &edges, &EdgeListOptions { directed: true, ..Default::default() })?;
            let scale = st.scale.clone();
            (st.assignment, step_opts.tau, KernelMethod::Dense, None, gnext, Some((st.laplacian, scale.clone(), scale)))
        } else {
            let method = resolve_method(&current, &step_opts)?;
            let dense = if method == KernelMethod::Dense { Some(Dense::new(&current, kind, limit, exec)?) } else { None };
            if let TauPolicy::TargetFraction(f) = opts.policy {
                let target = ((f * n as f64).round() as usize).max(1);
                let lmax = laplacian::strengths_without_loops(&current).iter().cloned().fold(0.0, f64::max) * 2.0;
                let cur = &current;
                let so = &step_opts;
                step_opts.tau = tau_for_target(target, lmax, exec, |t| Ok(count(&partition_with(cur, dense.as_ref(), t, so, trial)?.0)))?;
            }
            let (a, local) = partition_with(&current, dense.as_ref(), step_opts.tau, &step_opts, exec)?;
            let gnext = contract(&current, &a, opts.unweighted)?;
            (a, step_opts.tau, method, local, gnext, None)
        };
        composed = compose(&composed, &assignment)?;
        let reduced = next_graph.n() < n;
        lam = match &next_eq {
            Some((lm, _, _)) if opts.curve_points > 0 => Some(laplacian_spectrum(lm, exec)?),
            Some(_) => None,
            None if opts.curve_points > 0 || opts.policy == TauPolicy::StrongestTransition => spectrum(&next_graph, kind, limit, exec)?,
            None => None,
        };
        let st = stats(&next_graph, lam.as_deref(), opts.curve_points);
        steps.push(FlowStep {
            tau,
            time_rescaling: 1.0,
            method,
            assignment: composed.clone(),
            step_assignment: assignment,
            stats: st,
            local,
        });
        exec.progress.set(1.0);
        current = next_graph;
        eq_state = next_eq;
        if !reduced {
            stopped = Some("a step did not reduce the number of nodes".to_string());
            break;
        }
    }
    exec.progress.set(1.0); // a flow that stopped early is done too
    Ok(FlowResult { initial, steps, stopped })
}

/// Real parts of the eigenvalues of a dense (possibly non-symmetric) Laplacian, ascending,
/// clipped at 0.
fn laplacian_spectrum(l: &Mat<f64>, exec: &Exec) -> Result<Vec<f64>> {
    let n = l.nrows();
    let symmetric = (0..n).all(|i| (0..i).all(|j| l[(i, j)] == l[(j, i)]));
    let mut v: Vec<f64> = if symmetric {
        SymmetricEigen::new(l, exec)?.lam
    } else {
        exec.install(|| l.eigenvalues())
            .map_err(|e| Error::no_convergence(format!("eigenvalues failed: {e:?}")))?
            .iter()
            .map(|z| z.re.max(0.0))
            .collect()
    };
    v.sort_by(|a, b| a.total_cmp(b));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, ring};

    #[test]
    fn empty_and_single_node_graphs() {
        let ex = Exec::sequential();
        for n in [0usize, 1] {
            let g = Graph::from_edges(n, &[], &Default::default()).unwrap();
            let st = coarse_grain(&g, &StepOptions::default(), &ex).unwrap();
            assert_eq!(st.assignment.len(), n);
            let r = rg_flow(&g, &FlowOptions::default(), &ex).unwrap();
            assert!(r.steps.is_empty());
            assert_eq!(r.initial.n, n);
        }
    }

    #[test]
    fn strongest_transition_is_the_peak_of_c() {
        // Ring spectrum: C has a single interior maximum; compare with a fine brute-force scan.
        let lam = spectral::dense::laplacian_eigenvalues(&ring(30), LaplacianKind::Combinatorial, &Exec::sequential(), 1 << 30).unwrap();
        let t = strongest_transition(&lam, 30).unwrap();
        let grid = log_grid(1e-2, 1e3, 20000);
        let c = thermodynamics(&lam, None, 30, &grid).specific_heat;
        let k = (0..c.len()).max_by(|&a, &b| c[a].total_cmp(&c[b])).unwrap();
        assert!((t.ln() - grid[k].ln()).abs() < 0.02, "{t} vs {}", grid[k]);
    }

    #[test]
    fn fraction_policy_and_equilibrium_flow() {
        let ex = Exec::with_threads(2);
        let g = barabasi_albert(200, 2, 4);
        let opts = FlowOptions { policy: TauPolicy::TargetFraction(0.5), steps: 2, curve_points: 0, ..Default::default() };
        let r = rg_flow(&g, &opts, &ex).unwrap();
        assert!(r.steps[0].stats.n <= 100);
        // Bisection finds the smallest such tau: slightly smaller tau leaves more supernodes.
        let so = StepOptions { tau: r.steps[0].tau * 0.999, ..Default::default() };
        assert!(coarse_grain(&g, &so, &ex).unwrap().graph.n() > 100);
        let opts = FlowOptions {
            step: StepOptions { rule: Rule::Equilibrium, tau: 1.0, ..Default::default() },
            policy: TauPolicy::TargetFraction(0.5),
            steps: 3,
            curve_points: 10,
            ..Default::default()
        };
        let r = rg_flow(&g, &opts, &ex).unwrap();
        assert_eq!(r.steps.iter().map(|s| s.stats.n).collect::<Vec<_>>(), vec![100, 50, 25]);
        assert!(r.steps.iter().all(|s| s.stats.curve.is_some()));
        let bad = FlowOptions { policy: TauPolicy::TargetFraction(1.0), ..Default::default() };
        assert_eq!(rg_flow(&g, &bad, &ex).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn parse_and_method_resolution() {
        assert_eq!(Rule::parse("mode-count").unwrap(), Rule::ModeCount);
        assert_eq!(Rule::parse("x").unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!(KernelMethod::parse("sparse").unwrap(), KernelMethod::Local);
        let g = ring(10);
        let so = StepOptions { rule: Rule::ModeCount, method: KernelMethod::Local, ..Default::default() };
        assert_eq!(coarse_grain(&g, &so, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let so = StepOptions { auto_dense_max_n: 5, ..Default::default() };
        assert_eq!(coarse_grain(&g, &so, &Exec::sequential()).unwrap().method, KernelMethod::Local);
        let so = StepOptions { target_size: Some(0), ..Default::default() };
        assert_eq!(coarse_grain(&g, &so, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }
}
