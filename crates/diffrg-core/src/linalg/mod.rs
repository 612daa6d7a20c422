//! Dense linear algebra that faer does not provide in the form diffrg needs.
//!
//! - [`sym_eig`]: eigenvalues of a dense symmetric matrix by two-stage tridiagonalization
//!   (dense to band with matrix products, band to tridiagonal by bulge chasing).

pub mod sym_eig;

pub use sym_eig::{sym_eigenvalues, DEFAULT_BANDWIDTH};
