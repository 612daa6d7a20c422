//! Spectral scans of the network density matrix.

use crate::graph::NativeGraph;
use crate::job::{CancelToken, Job};
use diffrg_core::laplacian::LaplacianKind;
use diffrg_core::spectral::{self, dense};
use diffrg_core::Error;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default)]
pub struct ScanOptions {
    /// "combinatorial" | "normalized" | "random-walk". @default "combinatorial"
    pub laplacian: Option<String>,
    /// Smallest tau of the log-spaced grid. @default 0.1 / lambda_max
    pub tau_min: Option<f64>,
    /// Largest tau of the grid. @default 100 / lambda_2
    pub tau_max: Option<f64>,
    /// Number of tau values. @default 200
    pub tau_count: Option<u32>,
    /// Worker threads. @default DIFFRG_THREADS, SLURM_CPUS_PER_TASK or all cores
    pub threads: Option<u32>,
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
}

/// Exact scan: dense eigenvalues of the Laplacian, then every tau from the spectrum.
#[napi]
pub fn spectral_scan(graph: &NativeGraph, options: Option<ScanOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<ScanResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let kind = match o.laplacian.as_deref() {
            None => LaplacianKind::Combinatorial,
            Some(s) => LaplacianKind::parse(s).ok_or_else(|| {
                Error::invalid_input(format!("laplacian: unknown kind '{s}' (combinatorial, normalized, random-walk)"))
            })?,
        };
        let count = o.tau_count.unwrap_or(200) as usize;
        let vals = dense::laplacian_eigenvalues(&g, kind, exec, dense::DEFAULT_DENSE_LIMIT_BYTES)?;
        let (lo, hi) = spectral::default_tau_range(&vals);
        let (lo, hi) = (o.tau_min.unwrap_or(lo), o.tau_max.unwrap_or(hi));
        if !(lo > 0.0 && hi >= lo && lo.is_finite() && hi.is_finite()) {
            return Err(Error::invalid_input(format!("tau range must satisfy 0 < tauMin <= tauMax (got {lo}, {hi})")));
        }
        let t = spectral::thermodynamics_par(&vals, None, g.n(), &spectral::log_grid(lo, hi, count), exec)?;
        Ok(ScanResult {
            n: g.n() as u32,
            edges: g.num_edges() as f64,
            method: "exact".into(),
            tau: t.tau,
            entropy: t.entropy,
            entropy_normalized: t.entropy_normalized,
            specific_heat: t.specific_heat,
            spectral_dimension: t.spectral_dimension,
        })
    })
}
