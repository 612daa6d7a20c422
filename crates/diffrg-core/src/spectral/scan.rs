//! Spectral scan: the density-matrix thermodynamics of a graph over a tau grid, by the exact
//! dense spectrum or by stochastic Lanczos quadrature, with entropy transitions and the
//! scale-invariance plateau.
//!
//! Default tau grid (when [`ScanOptions::tau`] is `None`): `tau_count` log-spaced values from
//! `0.01 / lam_max` (where `S ~= ln N`, `C ~= 0`) to `(10 + ln N) / lam_2` (`lam_2` the smallest
//! non-zero eigenvalue). The last transition, where the modes near `lam_2` freeze out, sits at
//! `tau ~ ln(N_low) / lam_2 <= ln N / lam_2` (`N_low` of them; on gapped graphs such as BA this is
//! a finite fraction of N); ten more e-folds leave `C ~ (ln N + 10)^2 e^-10 < 0.05`. A graph
//! without non-zero eigenvalues (no edges) gets `[1e-4, 1e4]`.
//!
//! `Method::Auto` uses the exact path for `N <= 4000` (when the dense matrix fits the memory
//! limit) and SLQ above.

use super::dense::{laplacian_eigenvalues, DEFAULT_DENSE_LIMIT_BYTES};
use super::features::{plateau, transitions, Plateau, Transition};
use super::slq::{slq, SlqMeasure, SlqOptions};
use super::thermo::{log_grid, thermodynamics_par, Thermodynamics};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::LaplacianKind;

/// How the spectrum is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    #[default]
    Auto,
    Exact,
    Slq,
}

named_enum!(Method, "method" { Auto => "auto", Exact => "exact", Slq => "slq" });

/// A log-spaced tau grid, both ends included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TauGrid {
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

impl TauGrid {
    /// The grid of the `tauMin` / `tauMax` options: none when neither is given (the scan picks
    /// its own range). Errors: `ERR_INVALID_INPUT` when only one of them is given.
    pub fn from_bounds(min: Option<f64>, max: Option<f64>, count: usize) -> Result<Option<TauGrid>> {
        match (min, max) {
            (None, None) => Ok(None),
            (Some(min), Some(max)) => Ok(Some(TauGrid { min, max, count })),
            _ => Err(Error::invalid_input("tauMin and tauMax must be given together")),
        }
    }
}

/// Options of [`spectral_scan`].
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Default combinatorial.
    pub laplacian: LaplacianKind,
    /// Default auto.
    pub method: Method,
    /// Explicit grid; `None` derives one from the spectrum (see module docs).
    pub tau: Option<TauGrid>,
    /// Grid size of the derived grid. Default 200.
    pub tau_count: usize,
    /// SLQ settings (probes 30, steps 100, seed 42).
    pub slq: SlqOptions,
    /// Largest N for which `Auto` picks the exact method. Default 4000.
    pub exact_max_n: usize,
    /// Memory limit of the dense path, bytes. Default 8 GiB.
    pub dense_limit_bytes: u128,
    /// Transition prominence threshold, fraction of max C. Default 0.05.
    pub prominence: f64,
    /// Plateau flatness tolerance, relative to its level. Default 0.1.
    pub plateau_tolerance: f64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            laplacian: LaplacianKind::Combinatorial,
            method: Method::Auto,
            tau: None,
            tau_count: 200,
            slq: SlqOptions::default(),
            exact_max_n: 4000,
            dense_limit_bytes: DEFAULT_DENSE_LIMIT_BYTES,
            prominence: 0.05,
            plateau_tolerance: 0.1,
        }
    }
}

/// Result of a scan. `thermodynamics` field names mirror the JSON contract.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub n: usize,
    pub edges: usize,
    /// The method actually used (never `Auto`).
    pub method: Method,
    pub thermodynamics: Thermodynamics,
    /// Jackknife standard errors (SLQ only).
    pub entropy_stderr: Option<Vec<f64>>,
    pub specific_heat_stderr: Option<Vec<f64>>,
    pub transitions: Vec<Transition>,
    pub plateau: Plateau,
    /// Connected components (= number of zero eigenvalues).
    pub components: usize,
    /// Smallest non-zero and largest eigenvalue (estimates for SLQ).
    pub lambda_min_nonzero: Option<f64>,
    pub lambda_max: f64,
    /// SLQ diagnostics: probes, Lanczos steps taken, exactly deflated eigenvalues.
    pub probes: usize,
    pub steps: usize,
    pub deflated: usize,
}

/// Scans `g`. Errors: `ERR_INVALID_INPUT` for a bad grid, `ERR_TOO_LARGE` when `Exact` is
/// requested but the dense matrix does not fit, `ERR_ABORTED`.
pub fn spectral_scan(g: &Graph, opts: &ScanOptions, exec: &Exec) -> Result<ScanResult> {
    validate_options(opts)?;
    let n = g.n();
    let comp = if g.is_directed() { g.symmetrized().components() } else { g.components() };
    let components = comp.iter().max().map_or(0, |&m| m + 1);
    let dense_bytes = 3 * (n as u128) * (n as u128) * 8;
    let method = match opts.method {
        Method::Auto => {
            if n <= opts.exact_max_n && dense_bytes <= opts.dense_limit_bytes {
                Method::Exact
            } else {
                Method::Slq
            }
        }
        m => m,
    };
    let mut res = ScanResult {
        n,
        edges: g.num_edges(),
        method,
        thermodynamics: Thermodynamics::default(),
        entropy_stderr: None,
        specific_heat_stderr: None,
        transitions: vec![],
        plateau: Plateau::default(),
        components,
        lambda_min_nonzero: None,
        lambda_max: 0.0,
        probes: 0,
        steps: 0,
        deflated: 0,
    };
    match method {
        Method::Exact | Method::Auto => {
            let vals = laplacian_eigenvalues(g, opts.laplacian, exec, opts.dense_limit_bytes)?;
            exec.check()?;
            res.lambda_max = vals.last().copied().unwrap_or(0.0).max(0.0);
            // Zero modes are known exactly: the `components` smallest values.
            let lam2 = vals.get(components).copied().filter(|&l| l > 1e-9 * res.lambda_max);
            res.lambda_min_nonzero = lam2;
            let taus = grid(opts, n, lam2, res.lambda_max);
            res.thermodynamics = thermodynamics_par(&vals, None, n, &taus, exec)?;
        }
        Method::Slq => {
            let m = slq(g, opts.laplacian, &opts.slq, exec)?;
            exec.check()?;
            return scan_measure(&m, g.num_edges(), opts, exec);
        }
    }
    let t = &res.thermodynamics;
    res.transitions = transitions(&t.tau, &t.specific_heat, opts.prominence);
    res.plateau = plateau(&t.tau, &t.specific_heat, opts.plateau_tolerance);
    Ok(res)
}

/// The scan of an SLQ measure (the SLQ half of [`spectral_scan`]), e.g. of shards merged by
/// [`super::shard::merge_shards`]; `edges` is only reported. Uses the grid, transition and
/// plateau settings of `opts` (not its SLQ settings).
///
/// Errors: `ERR_INVALID_INPUT` for a bad grid, `ERR_ABORTED`.
pub fn scan_measure(m: &SlqMeasure, edges: usize, opts: &ScanOptions, exec: &Exec) -> Result<ScanResult> {
    validate_options(opts)?;
    let n = m.n;
    let (lam2, lam_max) = m.extremes();
    let taus = grid(opts, n, lam2, lam_max);
    let (nodes, weights) = m.combined();
    let thermodynamics = thermodynamics_par(&nodes, Some(&weights), n, &taus, exec)?;
    exec.check()?;
    let (se_s, se_c) = m.stderr(&taus);
    let t = &thermodynamics;
    Ok(ScanResult {
        n,
        edges,
        method: Method::Slq,
        transitions: transitions(&t.tau, &t.specific_heat, opts.prominence),
        plateau: plateau(&t.tau, &t.specific_heat, opts.plateau_tolerance),
        thermodynamics,
        entropy_stderr: Some(se_s),
        specific_heat_stderr: Some(se_c),
        components: m.components,
        lambda_min_nonzero: lam2,
        lambda_max: lam_max,
        probes: m.probes.len(),
        steps: m.steps,
        deflated: m.exact.len(),
    })
}

/// The grid, transition and plateau settings of `opts` (`ERR_INVALID_INPUT` / `ERR_NOT_FINITE`).
fn validate_options(opts: &ScanOptions) -> Result<()> {
    if let Some(grid) = opts.tau {
        validate_grid(&grid)?;
    } else if opts.tau_count == 0 {
        return Err(Error::invalid_input("tauCount must be >= 1"));
    }
    let p = opts.prominence;
    if !(p.is_finite() && p >= 0.0) {
        return Err(Error::invalid_input(format!("prominence must be a finite number >= 0 (got {p})")));
    }
    let t = opts.plateau_tolerance;
    if !(t.is_finite() && t > 0.0) {
        return Err(Error::invalid_input(format!("plateauTolerance must be a finite number > 0 (got {t})")));
    }
    Ok(())
}

fn validate_grid(g: &TauGrid) -> Result<()> {
    if !(g.min.is_finite() && g.max.is_finite()) {
        return Err(Error::not_finite(format!("tauMin/tauMax must be finite (got {} and {})", g.min, g.max)));
    }
    if !(g.min > 0.0 && g.max >= g.min) {
        return Err(Error::invalid_input(format!("tau grid needs 0 < tauMin <= tauMax (got {} and {})", g.min, g.max)));
    }
    if g.count == 0 {
        return Err(Error::invalid_input("tauCount must be >= 1"));
    }
    Ok(())
}

fn grid(opts: &ScanOptions, n: usize, lam2: Option<f64>, lam_max: f64) -> Vec<f64> {
    if let Some(g) = opts.tau {
        return log_grid(g.min, g.max, g.count);
    }
    let (lo, hi) = default_range(n, lam2, lam_max);
    log_grid(lo, hi, opts.tau_count)
}

/// The default tau range `[0.01 / lam_max, (10 + ln N) / lam_2]` (see the module docs).
pub fn default_range(n: usize, lam2: Option<f64>, lam_max: f64) -> (f64, f64) {
    match lam2 {
        Some(l2) if lam_max > 0.0 => (0.01 / lam_max, (10.0 + (n.max(1) as f64).ln()) / l2),
        _ => (1e-4, 1e4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, random_tree, ring, torus, uniform_tree};
    use crate::graph::EdgeListOptions;

    fn exact_scan(g: &Graph) -> ScanResult {
        spectral_scan(g, &ScanOptions { method: Method::Exact, ..Default::default() }, &Exec::with_threads(2)).unwrap()
    }

    #[test]
    fn bad_transition_and_plateau_settings_are_typed() {
        let g = ring(8);
        let ex = Exec::sequential();
        for o in [
            ScanOptions { prominence: -0.1, ..Default::default() },
            ScanOptions { prominence: f64::NAN, ..Default::default() },
            ScanOptions { plateau_tolerance: 0.0, ..Default::default() },
            ScanOptions { plateau_tolerance: f64::INFINITY, ..Default::default() },
        ] {
            assert_eq!(spectral_scan(&g, &o, &ex).unwrap_err().code, crate::ErrorCode::InvalidInput);
        }
    }

    #[test]
    fn invariants_entropy_limits_and_positive_heat() {
        // Three components: a BA graph, a ring and an isolated node.
        let ba = barabasi_albert(80, 2, 1);
        let mut edges = ba.edges();
        edges.extend((0..10).map(|i| (80 + i, 80 + (i + 1) % 10, 1.0)));
        let g = Graph::from_edges(91, &edges, &EdgeListOptions::default()).unwrap();
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized, LaplacianKind::RandomWalk] {
            let opts = ScanOptions {
                laplacian: kind,
                method: Method::Exact,
                tau: Some(TauGrid { min: 1e-9, max: 1e9, count: 50 }),
                ..Default::default()
            };
            let r = spectral_scan(&g, &opts, &Exec::with_threads(2)).unwrap();
            let t = &r.thermodynamics;
            assert_eq!(r.components, 3);
            assert!((t.entropy[0] - 91f64.ln()).abs() < 1e-6);
            assert!((t.entropy_normalized[0] - 1.0).abs() < 1e-6);
            assert!((t.entropy[49] - 3f64.ln()).abs() < 1e-9);
            assert!(t.specific_heat.iter().chain(&t.entropy).all(|x| x.is_finite()));
            assert!(t.specific_heat.iter().all(|&c| c >= 0.0));
            // Entropy decreases with tau.
            assert!(t.entropy.windows(2).all(|w| w[1] <= w[0] + 1e-12));
        }
    }

    #[test]
    fn ring_plateau_is_one_half() {
        let r = exact_scan(&ring(800));
        assert!((r.plateau.level - 0.5).abs() < 0.03, "{:?}", r.plateau);
        assert!(r.plateau.decades > 2.0, "{:?}", r.plateau);
        // Default grid: from 0.01 / lam_max to (10 + ln N) / lam_2.
        let lam2 = 2.0 - 2.0 * (2.0 * std::f64::consts::PI / 800.0).cos();
        let hi = (10.0 + 800f64.ln()) / lam2;
        assert!((r.thermodynamics.tau[199] - hi).abs() < 1e-6 * hi);
        assert!((r.thermodynamics.tau[0] - 0.01 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn torus_plateaus_2d_and_3d() {
        let r2 = exact_scan(&torus(40, 2));
        assert!((r2.plateau.level - 1.0).abs() < 0.07, "2D {:?}", r2.plateau);
        // The 3D plateau needs a large torus: SLQ on 22^3 = 10648 nodes.
        let opts = ScanOptions {
            method: Method::Slq,
            slq: SlqOptions { probes: 8, steps: 60, deflate: Some(0), ..Default::default() },
            ..Default::default()
        };
        let r3 = spectral_scan(&torus(22, 3), &opts, &Exec::with_threads(2)).unwrap();
        assert_eq!(r3.method, Method::Slq);
        assert!((r3.plateau.level - 1.5).abs() < 0.12, "3D {:?}", r3.plateau);
    }

    #[test]
    fn uniform_random_tree_plateau_is_two_thirds() {
        let r = exact_scan(&uniform_tree(3000, 7));
        assert!((r.plateau.level - 2.0 / 3.0).abs() < 0.07, "{:?}", r.plateau);
        // A random recursive tree is not critical: its heat curve differs (no 2/3 plateau claim).
        let _ = random_tree(10, 1);
    }

    #[test]
    fn transitions_of_a_two_scale_graph() {
        // Ten 20-cliques joined in a ring by single edges: a fast (intra-clique, tau ~ 1/20)
        // and a slow (inter-clique) transition, separated by decades.
        let mut edges = Vec::new();
        for c in 0..10 {
            for i in 0..20 {
                for j in 0..i {
                    edges.push((20 * c + i, 20 * c + j, 1.0));
                }
            }
            edges.push((20 * c, 20 * ((c + 1) % 10) + 1, 1.0));
        }
        let g = Graph::from_edges(200, &edges, &EdgeListOptions::default()).unwrap();
        let r = exact_scan(&g);
        assert_eq!(r.transitions.len(), 2, "{:?}", r.transitions);
        let (a, b) = (r.transitions[0], r.transitions[1]);
        assert!(a.tau > 0.01 && a.tau < 0.5 && b.tau / a.tau > 100.0, "{:?}", r.transitions);
        let cmax = r.thermodynamics.specific_heat.iter().cloned().fold(0.0, f64::max);
        assert!(r.transitions.iter().any(|t| (t.specific_heat - cmax).abs() < 1e-12));
    }

    #[test]
    fn auto_picks_by_size_and_bad_grids_are_typed() {
        let small = ring(50);
        assert_eq!(spectral_scan(&small, &ScanOptions::default(), &Exec::sequential()).unwrap().method, Method::Exact);
        let opts = ScanOptions { exact_max_n: 10, slq: SlqOptions { probes: 4, steps: 20, ..Default::default() }, ..Default::default() };
        assert_eq!(spectral_scan(&small, &opts, &Exec::sequential()).unwrap().method, Method::Slq);
        let bad = ScanOptions { tau: Some(TauGrid { min: 0.0, max: 1.0, count: 10 }), ..Default::default() };
        assert_eq!(spectral_scan(&small, &bad, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::InvalidInput);
        let huge = ScanOptions { method: Method::Exact, dense_limit_bytes: 1000, ..Default::default() };
        assert_eq!(spectral_scan(&small, &huge, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::TooLarge);
        // Empty graph and edgeless graph.
        let empty = Graph::from_edges(0, &[], &EdgeListOptions::default()).unwrap();
        let r = spectral_scan(&empty, &ScanOptions::default(), &Exec::sequential()).unwrap();
        assert!(r.thermodynamics.entropy.iter().all(|&s| s == 0.0));
        let edgeless = Graph::from_edges(5, &[], &EdgeListOptions::default()).unwrap();
        let r = spectral_scan(&edgeless, &ScanOptions::default(), &Exec::sequential()).unwrap();
        assert!(r.thermodynamics.entropy.iter().all(|&s| (s - 5f64.ln()).abs() < 1e-12));
    }
}
