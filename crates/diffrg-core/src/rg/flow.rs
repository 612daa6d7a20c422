//! Renormalization-group flows: steps of [`super::step`] iterated.
//!
//! The graph passed to the next step is the contracted graph made unweighted (supernodes
//! linked when any of their members are linked; `FlowOptions::unweighted`, default true, the
//! paper's convention) or with summed weights. The equilibrium rule instead carries `L'` and
//! its null vectors. `tau` per step follows a [`TauPolicy`]. The flow stops early when a step
//! does not reduce the size (later steps would repeat it) or one node is left.

use super::contract::{compose, contract, count};
use super::equilibrium;
use super::kernel::SymmetricEigen;
use super::real_space_local::LocalDiagnostics;
use super::step::{check_options, partition_with, resolve_method, Dense, KernelMethod, Rule, StepOptions};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::{EdgeListOptions, Graph};
use crate::laplacian::{self, LaplacianKind};
use crate::spectral::{self, log_grid, thermodynamics, Thermodynamics};
use faer::Mat;

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

/// The names of the [`TauPolicy`] variants (the `policy` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TauPolicyName {
    Fixed,
    StrongestTransition,
    Fraction,
}

named_enum!(TauPolicyName, "policy" { Fixed => "fixed", StrongestTransition => "strongest-transition", Fraction => "fraction" });

impl TauPolicy {
    /// The name of the variant (the `policy` option; the fraction is not part of it).
    pub fn name(&self) -> TauPolicyName {
        match self {
            TauPolicy::Fixed => TauPolicyName::Fixed,
            TauPolicy::StrongestTransition => TauPolicyName::StrongestTransition,
            TauPolicy::TargetFraction(_) => TauPolicyName::Fraction,
        }
    }

    /// The policy named `name` (`"fraction"` needs `fraction`). Errors: `ERR_INVALID_INPUT`
    /// naming the `policy` / `fraction` option.
    pub fn from_name(name: &str, fraction: Option<f64>) -> Result<TauPolicy> {
        Ok(match TauPolicyName::parse_field(name, "policy")? {
            TauPolicyName::Fixed => TauPolicy::Fixed,
            TauPolicyName::StrongestTransition => TauPolicy::StrongestTransition,
            TauPolicyName::Fraction => {
                TauPolicy::TargetFraction(fraction.ok_or_else(|| Error::invalid_input("fraction is required with policy 'fraction'"))?)
            }
        })
    }
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
    use crate::rg::step::coarse_grain;

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
        assert_eq!("mode-count".parse::<Rule>().unwrap(), Rule::ModeCount);
        assert_eq!("x".parse::<Rule>().unwrap_err().code, crate::ErrorCode::InvalidInput);
        assert_eq!("sparse".parse::<KernelMethod>().unwrap(), KernelMethod::Local);
        let g = ring(10);
        let so = StepOptions { rule: Rule::ModeCount, method: KernelMethod::Local, ..Default::default() };
        assert_eq!(coarse_grain(&g, &so, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let so = StepOptions { auto_dense_max_n: 5, ..Default::default() };
        assert_eq!(coarse_grain(&g, &so, &Exec::sequential()).unwrap().method, KernelMethod::Local);
        let so = StepOptions { target_size: Some(0), ..Default::default() };
        assert_eq!(coarse_grain(&g, &so, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }
}
