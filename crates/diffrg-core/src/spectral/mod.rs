//! Spectra and thermodynamics of the network density matrix
//! `rho(tau) = exp(-tau L) / Z`.
//!
//! - [`thermo`]: entropy, specific heat and spectral dimension from a (weighted) spectrum.
//! - [`dense`]: exact eigenvalues of the dense Laplacian.

pub mod dense;
pub mod thermo;

pub use thermo::{default_tau_range, log_grid, thermodynamics, thermodynamics_par, Thermodynamics};
