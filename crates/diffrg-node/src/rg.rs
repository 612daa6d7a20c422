//! Supernodes and Laplacian RG flows: `coarseGrain`, `rgFlow`.

use crate::graph::NativeGraph;
use crate::job::{CancelToken, Job};
use crate::set;
use diffrg_core::graph::Graph;
use diffrg_core::laplacian::LaplacianKind;
use diffrg_core::rg::FlowOptions;
use diffrg_core::rg::{self as flow, GraphStats, KernelMethod, Rule, StepOptions, TauPolicy};
use diffrg_core::Result;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default, Clone)]
pub struct CoarseGrainOptions {
    /// Diffusion time. @default 1
    pub tau: Option<f64>,
    /// "real-space" | "mode-count" | "equilibrium". @default "real-space"
    pub rule: Option<String>,
    /// "combinatorial" | "normalized" | "random-walk". @default "combinatorial"
    pub laplacian: Option<String>,
    /// "auto" | "dense" | "local". @default "auto"
    pub method: Option<String>,
    /// Relative tie tolerance of rho' >= 1. @default 1e-9
    pub tie_tolerance: Option<f64>,
    /// Equilibrium rule: number of supernodes. @default #{Re lambda < 1/tau}
    pub target_size: Option<u32>,
    /// Worker threads.
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct CoarseGrainResult {
    pub n: u32,
    pub edges: f64,
    pub tau: f64,
    pub time_rescaling: f64,
    pub method: String,
    pub assignment: Vec<u32>,
    pub directed: bool,
    pub sources: Vec<u32>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
    /// Equilibrium rule: L' (row-major n x n) and C.
    pub laplacian: Option<Vec<f64>>,
    pub scale: Option<Vec<f64>>,
    /// Localized path: mean and largest support, columns grown.
    pub mean_support: Option<f64>,
    pub max_support: Option<u32>,
}

/// The step fields shared by [`CoarseGrainOptions`] and [`RgFlowOptions`] (napi objects are
/// flat, so both structs list them; this is the one place that reads them).
fn step_options(
    tau: Option<f64>,
    rule: Option<&str>,
    laplacian: Option<&str>,
    method: Option<&str>,
    tie_tolerance: Option<f64>,
    target_size: Option<u32>,
) -> Result<StepOptions> {
    let mut s = StepOptions::default();
    set(&mut s.tau, tau);
    set(&mut s.rule, rule.map(|r| Rule::parse_field(r, "rule")).transpose()?);
    set(&mut s.laplacian, laplacian.map(|l| LaplacianKind::parse_field(l, "laplacian")).transpose()?);
    set(&mut s.method, method.map(|m| KernelMethod::parse_field(m, "method")).transpose()?);
    set(&mut s.tie_tolerance, tie_tolerance);
    s.target_size = target_size.map(|t| t as usize);
    Ok(s)
}

fn edge_arrays(g: &Graph) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
    let e = g.edges();
    (e.iter().map(|x| x.0 as u32).collect(), e.iter().map(|x| x.1 as u32).collect(), e.iter().map(|x| x.2).collect())
}

/// One coarse-graining step.
#[napi(ts_return_type = "Promise<CoarseGrainResult>")]
pub fn coarse_grain(
    graph: &NativeGraph,
    options: Option<CoarseGrainOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<CoarseGrainResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let so = step_options(o.tau, o.rule.as_deref(), o.laplacian.as_deref(), o.method.as_deref(), o.tie_tolerance, o.target_size)?;
        let st = flow::coarse_grain(&g, &so, exec)?;
        let (sources, targets, weights) = edge_arrays(&st.graph);
        Ok(CoarseGrainResult {
            n: st.graph.n() as u32,
            edges: st.graph.num_edges() as f64,
            tau: st.tau,
            time_rescaling: st.time_rescaling,
            method: st.method.as_str().into(),
            assignment: st.assignment.iter().map(|&a| a as u32).collect(),
            directed: st.graph.is_directed(),
            sources,
            targets,
            weights,
            laplacian: st.laplacian.as_ref().map(|l| (0..l.nrows()).flat_map(|i| (0..l.ncols()).map(move |j| l[(i, j)])).collect()),
            scale: st.scale,
            mean_support: st.local.as_ref().map(|d| d.mean_support),
            max_support: st.local.as_ref().map(|d| d.max_support as u32),
        })
    })
}

#[napi(object)]
#[derive(Default)]
pub struct RgFlowOptions {
    /// Diffusion time (fixed policy; equilibrium rule with the fraction policy). @default 1
    pub tau: Option<f64>,
    pub rule: Option<String>,
    pub laplacian: Option<String>,
    pub method: Option<String>,
    pub tie_tolerance: Option<f64>,
    pub target_size: Option<u32>,
    /// "fixed" | "strongest-transition" | "fraction". @default "fixed"
    pub policy: Option<String>,
    /// Fraction of nodes kept per step (policy "fraction"), in (0, 1).
    pub fraction: Option<f64>,
    /// Number of steps. @default 3
    pub steps: Option<u32>,
    /// Next step sees the contracted graph unweighted. @default true
    pub unweighted: Option<bool>,
    /// Points of each recorded C(tau) curve (0: none). @default 100
    pub curve_points: Option<u32>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct Curve {
    pub tau: Vec<f64>,
    pub entropy: Vec<f64>,
    pub specific_heat: Vec<f64>,
}

#[napi(object)]
pub struct FlowStats {
    pub n: u32,
    pub edges: f64,
    pub degree_histogram: Vec<u32>,
    pub mean_degree: f64,
    pub curve: Option<Curve>,
}

#[napi(object)]
pub struct RgFlowStep {
    pub n: u32,
    pub edges: f64,
    pub tau: f64,
    pub time_rescaling: f64,
    pub method: String,
    pub assignment: Vec<u32>,
    pub step_assignment: Vec<u32>,
    pub degree_histogram: Vec<u32>,
    pub mean_degree: f64,
    pub curve: Option<Curve>,
}

#[napi(object)]
pub struct RgFlowResult {
    pub initial: FlowStats,
    pub steps: Vec<RgFlowStep>,
    pub stopped: Option<String>,
}

fn curve(s: &GraphStats) -> Option<Curve> {
    s.curve.as_ref().map(|c| Curve { tau: c.tau.clone(), entropy: c.entropy.clone(), specific_heat: c.specific_heat.clone() })
}

fn u32s(v: &[usize]) -> Vec<u32> {
    v.iter().map(|&x| x as u32).collect()
}

/// An RG flow: repeated coarse-graining steps with a tau policy.
#[napi(ts_return_type = "Promise<RgFlowResult>")]
pub fn rg_flow(graph: &NativeGraph, options: Option<RgFlowOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<RgFlowResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let step = step_options(o.tau, o.rule.as_deref(), o.laplacian.as_deref(), o.method.as_deref(), o.tie_tolerance, o.target_size)?;
        let mut fo = FlowOptions { step, ..Default::default() };
        if let Some(p) = o.policy.as_deref() {
            fo.policy = TauPolicy::from_name(p, o.fraction)?;
        }
        set(&mut fo.steps, o.steps.map(|x| x as usize));
        set(&mut fo.unweighted, o.unweighted);
        set(&mut fo.curve_points, o.curve_points.map(|x| x as usize));
        let r = flow::rg_flow(&g, &fo, exec)?;
        let initial = FlowStats {
            n: r.initial.n as u32,
            edges: r.initial.edges as f64,
            degree_histogram: u32s(&r.initial.degree_histogram),
            mean_degree: r.initial.mean_degree,
            curve: curve(&r.initial),
        };
        let steps = r
            .steps
            .iter()
            .map(|s| RgFlowStep {
                n: s.stats.n as u32,
                edges: s.stats.edges as f64,
                tau: s.tau,
                time_rescaling: s.time_rescaling,
                method: s.method.as_str().into(),
                assignment: u32s(&s.assignment),
                step_assignment: u32s(&s.step_assignment),
                degree_histogram: u32s(&s.stats.degree_histogram),
                mean_degree: s.stats.mean_degree,
                curve: curve(&s.stats),
            })
            .collect();
        Ok(RgFlowResult { initial, steps, stopped: r.stopped })
    })
}
