//! Directed-graph inference from neural activity: Latent Graph Diffusion and baselines.
//!
//! - [`covariance`]: lagged covariances `C(0..p)` in one streaming pass over sparse spikes.
//! - [`yule_walker`]: VAR(p) design, ridge Yule-Walker solve, continuous-time generator.
//! - [`lowrank`]: sparse + low-rank decomposition of the coupling (accelerated proximal gradient).
//! - [`surrogates`]: circular time-shift surrogates, Student-t p-values, Benjamini-Hochberg.
//! - [`lgd`]: the Latent Graph Diffusion pipeline; [`baselines`]: correlation, partial
//!   correlation, VAR/Granger; [`metrics`]: AUROC and AUPR.
//! - [`synthetic`]: seeded ground-truth generators (VAR(1), Hawkes-like spiking) for tests
//!   and benchmarks.

pub mod api;
pub mod baselines;
pub mod covariance;
pub mod covariance_dense;
pub mod covariance_stream;
pub mod lgd;
pub mod lowrank;
pub mod metrics;
pub mod penalty;
pub mod raster;
pub mod shard;
pub mod surrogates;
pub mod synthetic;
pub mod yule_walker;

pub use api::{
    covariance_plan, infer_dense, infer_dense_neuron_major, infer_from_covariances, infer_raster, Edge, HiddenModes, InferOptions,
    InferredGraph, Method,
};
pub use covariance::{CountRaster, OwnedRaster};
