//! diffrg-core: the numerical core of diffrg (diffusion-guided renormalization of neural
//! systems). Pure Rust, no Node dependency; the `diffrg-node` crate is a thin binding over it.
//!
//! Families, one folder each:
//! - [`graph`]: CSR graphs and generators.
//! - [`laplacian`]: graph Laplacians (combinatorial, normalized, random-walk) and their action.
//! - [`spectral`]: spectra and thermodynamics of the network density matrix (exact, SLQ).
//! - [`rg`]: supernodes, metagraphs and Laplacian RG flows.
//! - [`activity`]: spike trains, rasters and binning.
//! - [`sim`]: the clustered leaky integrate-and-fire simulator.
//! - [`infer`]: directed-graph inference from activity (Latent Graph Diffusion, baselines).
//! - [`community`]: Leiden communities, orderings and partition metrics.
//! - [`mps`]: tensor trains over spike patterns and their renormalization.
//! - [`dynamics`]: meso-scale effective dynamics.
//!
//! [`platform`]: probes of the machine (memory bandwidth) for the scaling benchmark.

pub mod error;
pub mod exec;
#[macro_use]
mod names;

pub mod activity;
pub mod community;
pub mod control;
pub mod dynamics;
pub mod graph;
pub mod infer;
pub mod laplacian;
pub mod linalg;
pub mod mps;
pub mod platform;
pub mod rg;
pub mod sim;
pub mod simd;
pub mod spectral;

pub use error::{Error, ErrorCode, Result};
pub use exec::{Cancel, Exec};
