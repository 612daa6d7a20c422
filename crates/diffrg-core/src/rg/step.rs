//! One coarse-graining step with any rule: a graph to supernodes (assignment fine ->
//! supernode, canonical labels: node 0 is in supernode 0), the contracted graph (weights summed,
//! self-loops dropped) and, for the equilibrium rule, the renormalized Laplacian `L'`. Every
//! rule keeps `tau` fixed between steps (time rescaling factor 1, reported per step): this is
//! the convention that reproduces the pseudofractal sequence 123 -> 76 -> 61 -> 46 of Villegas
//! et al. (2023) at tau = 0.2. Flows of steps are in [`super::flow`].

use super::contract::contract;
use super::equilibrium;
use super::kernel::{self, SymmetricEigen};
use super::mode_count;
use super::real_space::{self, DEFAULT_TIE_TOLERANCE};
use super::real_space_local::{self, LocalDiagnostics, LocalOptions};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::{self, LaplacianKind};
use crate::spectral;
use faer::Mat;

/// Supernode rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rule {
    #[default]
    RealSpace,
    ModeCount,
    Equilibrium,
}

named_enum!(Rule, "rule" { RealSpace => "real-space", ModeCount => "mode-count", Equilibrium => "equilibrium" });

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

named_enum!(KernelMethod, "method" { Auto => "auto", Dense => "dense", Local => "local" | "sparse" });

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

pub(super) fn resolve_method(g: &Graph, opts: &StepOptions) -> Result<KernelMethod> {
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
pub(super) enum Dense {
    Sym(SymmetricEigen),
    General(Mat<f64>),
}

impl Dense {
    pub(super) fn new(g: &Graph, kind: LaplacianKind, limit: u128, exec: &Exec) -> Result<Dense> {
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

pub(super) fn partition_with(
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

pub(super) fn check_options(opts: &StepOptions) -> Result<()> {
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
