//! Supernodes, metagraphs and Laplacian renormalization-group flows.
//!
//! - [`kernel`]: dense heat kernels `exp(-tau L)` (symmetric eigen / Pade) and `rho`.
//! - [`global_columns`]: whole-graph kernel columns in blocks (Chebyshev), for hard columns.
//! - [`local_kernel`]: localized killed-walk kernel columns (Lanczos) with rigorous bounds.
//! - [`real_space`]: the real-space rule of Villegas et al. (2023), dense.
//! - [`real_space_local`]: the same rule, certified, for large sparse graphs.
//! - [`mode_count`]: the mode-counting (momentum-space) rule.
//! - [`equilibrium`]: the equilibrium-preserving rule of Yi et al. (2025), directed graphs.
//! - [`contract`]: union-find, assignments and metagraph contraction.
//! - [`step`]: one coarse-graining step with any rule.
//! - [`flow`]: RG flows of steps, with tau policies.

pub mod contract;
pub mod equilibrium;
pub mod flow;
pub mod global_columns;
pub mod kernel;
pub mod local_kernel;
pub mod mode_count;
pub mod real_space;
pub mod real_space_local;
pub mod step;

pub use flow::{rg_flow, FlowOptions, FlowResult, FlowStep, GraphStats, TauPolicy};
pub use step::{coarse_grain, CoarseStep, KernelMethod, Rule, StepOptions};
