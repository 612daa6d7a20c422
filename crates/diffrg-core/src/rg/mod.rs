//! Supernodes, metagraphs and Laplacian renormalization-group flows.

pub mod contract;
pub mod kernel;
pub mod real_space;
