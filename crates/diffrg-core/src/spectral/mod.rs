//! Spectra and thermodynamics of the network density matrix
//! `rho(tau) = exp(-tau L) / Z`.
//!
//! - [`thermo`]: entropy, specific heat and spectral dimension from a (weighted) spectrum.
//! - [`dense`]: exact eigenvalues of the dense Laplacian.
//! - [`lanczos`]: the Lanczos process and its Gauss quadrature.
//! - [`deflation`]: lowest eigenpairs by block Krylov Rayleigh-Ritz.
//! - [`lockstep`]: fused lockstep Lanczos of many probes on a relabelled Laplacian.
//! - [`slq`]: stochastic Lanczos quadrature of the spectral measure.
//! - [`shard`]: SLQ split by probes over processes, merged exactly.
//! - [`features`]: entropy transitions and plateaus of C(tau).
//! - [`scan`]: the spectral scan (exact / SLQ / auto) over a tau grid.

pub mod deflation;
pub mod dense;
pub mod features;
pub mod lanczos;
pub mod lockstep;
pub mod scan;
pub mod shard;
pub mod slq;
pub mod thermo;

pub use scan::{scan_measure, spectral_scan, Method, ScanOptions, ScanResult, TauGrid};
pub use thermo::{log_grid, thermodynamics, thermodynamics_par, Thermodynamics};
