//! Graphs in compressed sparse row (CSR) form, with generators for tests and demos.

mod csr;
pub mod generators;

pub use csr::{EdgeListOptions, Graph};
pub(crate) use csr::csr_from_sorted;
