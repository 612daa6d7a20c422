//! Spectral scans of the network density matrix (exact, SLQ or auto).

use crate::graph::NativeGraph;
use crate::job::{CancelToken, Job};
use diffrg_core::laplacian::LaplacianKind;
use diffrg_core::spectral::scan::{self, Method, TauGrid};
use diffrg_core::spectral::slq::{ReorthPolicy, SlqOptions};
use diffrg_core::Error;
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
        s.laplacian = LaplacianKind::parse(k)
            .ok_or_else(|| Error::invalid_input(format!("laplacian: unknown kind '{k}' (combinatorial, normalized, random-walk)")))?;
    }
    if let Some(m) = o.method.as_deref() {
        s.method = Method::parse(m).ok_or_else(|| Error::invalid_input(format!("method: unknown method '{m}' (auto, exact, slq)")))?;
    }
    if let Some(c) = o.tau_count {
        s.tau_count = c as usize;
    }
    match (o.tau_min, o.tau_max) {
        (None, None) => {}
        (Some(min), Some(max)) => s.tau = Some(TauGrid { min, max, count: s.tau_count }),
        _ => return Err(Error::invalid_input("tauMin and tauMax must be given together")),
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
        slq.reorth = match r {
            "auto" => ReorthPolicy::Auto,
            "full" => ReorthPolicy::Full,
            "none" => ReorthPolicy::None,
            _ => return Err(Error::invalid_input(format!("reorth: unknown policy '{r}' (auto, full, none)"))),
        };
    }
    slq.deflate = o.deflate.map(|d| d as usize);
    s.slq = slq;
    if let Some(p) = o.prominence {
        if !(p.is_finite() && p >= 0.0) {
            return Err(Error::invalid_input(format!("prominence must be a finite number >= 0 (got {p})")));
        }
        s.prominence = p;
    }
    if let Some(t) = o.plateau_tolerance {
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::invalid_input(format!("plateauTolerance must be a finite number > 0 (got {t})")));
        }
        s.plateau_tolerance = t;
    }
    Ok(s)
}

/// Spectral scan: entropy, specific heat and spectral dimension over a tau grid, with
/// transitions and the plateau.
#[napi]
pub fn spectral_scan(graph: &NativeGraph, options: Option<ScanOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<ScanResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let opts = core_options(&o)?;
        let r = scan::spectral_scan(&g, &opts, exec)?;
        let t = r.thermodynamics;
        Ok(ScanResult {
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
        })
    })
}
