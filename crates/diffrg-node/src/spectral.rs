//! Spectral scans of the network density matrix (exact, SLQ or auto).

use crate::graph::NativeGraph;
use crate::job::{CancelToken, Job};
use diffrg_core::laplacian::LaplacianKind;
use diffrg_core::spectral::scan::{self, Method, TauGrid};
use diffrg_core::spectral::shard::{merge_shards, Shard};
use diffrg_core::spectral::slq::{slq, ProbeQuadrature, ReorthPolicy, SlqMeasure, SlqOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default)]
pub struct ScanOptions {
    /// "combinatorial" | "normalized" | "random-walk". @default "combinatorial"
    pub laplacian: Option<String>,
    /// "auto" | "exact" | "slq". @default "auto" (exact for N <= 4000)
    pub method: Option<String>,
    /// Smallest tau of the log-spaced grid. @default 0.01 / lambda_max
    pub tau_min: Option<f64>,
    /// Largest tau of the grid. @default (10 + ln N) / lambda_2
    pub tau_max: Option<f64>,
    /// Number of tau values. @default 200
    pub tau_count: Option<u32>,
    /// SLQ probes. @default 30
    pub probes: Option<u32>,
    /// SLQ Lanczos steps per probe. @default 100
    pub steps: Option<u32>,
    /// SLQ seed. @default 42
    pub seed: Option<u32>,
    /// SLQ reorthogonalisation: "auto" | "full" | "none". @default "auto"
    pub reorth: Option<String>,
    /// Lowest eigenpairs to deflate in SLQ (0 = none). @default automatic
    pub deflate: Option<u32>,
    /// Transition prominence threshold (fraction of max C). @default 0.05
    pub prominence: Option<f64>,
    /// Plateau flatness tolerance (relative). @default 0.1
    pub plateau_tolerance: Option<f64>,
    /// Worker threads. @default DIFFRG_THREADS, SLURM_CPUS_PER_TASK or all cores
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct ScanTransition {
    pub tau: f64,
    pub specific_heat: f64,
    pub prominence: f64,
}

#[napi(object)]
pub struct ScanPlateau {
    pub level: f64,
    pub decades: f64,
    pub tau_start: f64,
    pub tau_end: f64,
}

#[napi(object)]
pub struct ScanResult {
    pub n: u32,
    pub edges: f64,
    pub method: String,
    pub tau: Vec<f64>,
    pub entropy: Vec<f64>,
    pub entropy_normalized: Vec<f64>,
    pub specific_heat: Vec<f64>,
    pub spectral_dimension: Vec<f64>,
    pub transitions: Vec<ScanTransition>,
    pub plateau: ScanPlateau,
    /// Jackknife standard errors (SLQ only).
    pub entropy_stderr: Option<Vec<f64>>,
    pub specific_heat_stderr: Option<Vec<f64>>,
    pub components: u32,
    pub lambda_max: f64,
    pub lambda_min_nonzero: Option<f64>,
    pub probes: u32,
    pub steps: u32,
    pub deflated: u32,
}

fn core_options(o: &ScanOptions) -> diffrg_core::Result<scan::ScanOptions> {
    let mut s = scan::ScanOptions::default();
    if let Some(k) = o.laplacian.as_deref() {
        s.laplacian = LaplacianKind::parse_field(k, "laplacian")?;
    }
    if let Some(m) = o.method.as_deref() {
        s.method = Method::parse_field(m, "method")?;
    }
    if let Some(c) = o.tau_count {
        s.tau_count = c as usize;
    }
    if let Some(t) = TauGrid::from_bounds(o.tau_min, o.tau_max, s.tau_count)? {
        s.tau = Some(t);
    }
    let mut slq = SlqOptions::default();
    if let Some(p) = o.probes {
        slq.probes = p as usize;
    }
    if let Some(st) = o.steps {
        slq.steps = st as usize;
    }
    if let Some(seed) = o.seed {
        slq.seed = seed as u64;
    }
    if let Some(r) = o.reorth.as_deref() {
        slq.reorth = ReorthPolicy::parse_field(r, "reorth")?;
    }
    slq.deflate = o.deflate.map(|d| d as usize);
    s.slq = slq;
    // range checks: the core's (spectral::scan::validate_options)
    crate::set(&mut s.prominence, o.prominence);
    crate::set(&mut s.plateau_tolerance, o.plateau_tolerance);
    Ok(s)
}

/// Spectral scan: entropy, specific heat and spectral dimension over a tau grid, with
/// transitions and the plateau.
#[napi(ts_return_type = "Promise<ScanResult>")]
pub fn spectral_scan(graph: &NativeGraph, options: Option<ScanOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<ScanResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let opts = core_options(&o)?;
        Ok(to_result(scan::spectral_scan(&g, &opts, exec)?))
    })
}

fn to_result(r: scan::ScanResult) -> ScanResult {
    let t = r.thermodynamics;
    ScanResult {
        n: r.n as u32,
        edges: r.edges as f64,
        method: r.method.as_str().into(),
        tau: t.tau,
        entropy: t.entropy,
        entropy_normalized: t.entropy_normalized,
        specific_heat: t.specific_heat,
        spectral_dimension: t.spectral_dimension,
        transitions: r
            .transitions
            .iter()
            .map(|x| ScanTransition { tau: x.tau, specific_heat: x.specific_heat, prominence: x.prominence })
            .collect(),
        plateau: ScanPlateau {
            level: r.plateau.level,
            decades: r.plateau.decades,
            tau_start: r.plateau.tau_start,
            tau_end: r.plateau.tau_end,
        },
        entropy_stderr: r.entropy_stderr,
        specific_heat_stderr: r.specific_heat_stderr,
        components: r.components as u32,
        lambda_max: r.lambda_max,
        lambda_min_nonzero: r.lambda_min_nonzero,
        probes: r.probes as u32,
        steps: r.steps as u32,
        deflated: r.deflated as u32,
    }
}

/// The per-probe quadratures of one SLQ shard (or of a whole run), the unit that
/// `mergeSlqShards` merges. Nodes and weights of all probes are concatenated (`lengths[p]`
/// values for probe `firstProbe + p`).
#[napi(object)]
pub struct SlqShard {
    pub n: u32,
    pub edges: f64,
    pub components: u32,
    /// Global index of the first probe here, and the probe count of the whole run.
    pub first_probe: u32,
    pub total_probes: u32,
    pub steps: u32,
    pub reorth: bool,
    pub deflation_dim: u32,
    /// Exactly known eigenvalues (zero modes, deflated Ritz values).
    pub exact: Vec<f64>,
    pub lengths: Vec<u32>,
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

/// Shard `index` of `count` of an SLQ scan (`options.method` is ignored: always SLQ; probes
/// `[index P / count, (index + 1) P / count)`).
#[napi(ts_return_type = "Promise<SlqShard>")]
pub fn slq_shard(
    graph: &NativeGraph,
    options: Option<ScanOptions>,
    index: u32,
    count: u32,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<SlqShard>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let opts = core_options(&o)?;
        let sopts = SlqOptions { shard: Some(Shard { index: index as usize, count: count as usize }), ..opts.slq };
        let m = slq(&g, opts.laplacian, &sopts, exec)?;
        let mut out = SlqShard {
            n: m.n as u32,
            edges: g.num_edges() as f64,
            components: m.components as u32,
            first_probe: m.first_probe as u32,
            total_probes: m.total_probes as u32,
            steps: m.steps as u32,
            reorth: m.reorth,
            deflation_dim: m.deflation_dim as u32,
            exact: m.exact,
            lengths: Vec::with_capacity(m.probes.len()),
            nodes: vec![],
            weights: vec![],
        };
        for q in m.probes {
            out.lengths.push(q.nodes.len() as u32);
            out.nodes.extend(q.nodes);
            out.weights.extend(q.weights);
        }
        Ok(out)
    })
}

fn to_measure(s: SlqShard) -> diffrg_core::Result<(SlqMeasure, usize)> {
    let probes = ProbeQuadrature::from_flat(&s.lengths, &s.nodes, &s.weights)?;
    let m = SlqMeasure {
        n: s.n as usize,
        exact: s.exact,
        probes,
        components: s.components as usize,
        steps: s.steps as usize,
        reorth: s.reorth,
        deflation_dim: s.deflation_dim as usize,
        first_probe: s.first_probe as usize,
        total_probes: s.total_probes as usize,
    };
    Ok((m, s.edges as usize))
}

/// Merges the shards of one SLQ scan (any order) and scans the merged measure with the grid,
/// transition and plateau settings of `options`: the same result as the unsharded scan.
#[napi(ts_return_type = "Promise<ScanResult>")]
pub fn merge_slq_shards(shards: Vec<SlqShard>, options: Option<ScanOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<ScanResult>> {
    let o = options.unwrap_or_default();
    Job::new(o.threads, token, move |exec| {
        let opts = core_options(&o)?;
        let mut edges = 0;
        let mut parts = Vec::with_capacity(shards.len());
        for s in shards {
            let (m, e) = to_measure(s)?;
            edges = e;
            parts.push(m);
        }
        let m = merge_shards(parts)?;
        Ok(to_result(scan::scan_measure(&m, edges, &opts, exec)?))
    })
}
