//! Graphs in compressed sparse row (CSR) form, with generators for tests and demos.

mod csr;
pub mod generators;

pub(crate) use csr::csr_from_sorted;
pub use csr::{EdgeListOptions, Graph};
