//! Tensor trains (matrix product states) over discrete spike patterns.
//!
//! - [`tt`]: the types ([`TensorTrain`], [`Core`], [`Kind`]: Born machine or probability train).
//! - [`canonical`]: left/right/mixed canonical forms and normalisation.
//! - [`compress`]: truncation to a bond dimension and/or cutoff, reporting the discarded weight.
//! - [`env`]: transfer-matrix environments shared by the contraction kernels.
//! - [`eval`]: batched log-probabilities, parallel over patterns.
//! - [`marginals`]: single-site and pairwise marginals, conditioning.
//! - [`sample`]: exact sequential sampling.
//! - [`entropy`]: bond entropies, exact Renyi-2, Shannon entropy by sampling.
//! - [`learn`]: exact initialisation from data and two-site DMRG likelihood sweeps.
//! - [`select`]: regularisation: the initial state chosen on a validation split.
//! - [`ptt`]: non-negative (probability) trains learned by EM with smoothed counts.
//! - [`latent`]: latent-class models (mixtures of independent-site models) as trains.
//! - [`mixture`]: mixtures of trains as one train, mixture weights by EM, bagged ensembles.
//! - [`baselines`]: independent-site and pairwise (Ising/Potts) pseudo-likelihood models;
//!   [`lbfgs`] their solver, `ais` their partition function beyond exact enumeration.
//! - [`pipeline`]: the `mpsFit` pipeline (three-way split, fit, baselines, test-split scores).
//! - [`kpairwise`]: the K-pairwise model and exact maximum-likelihood refinement (small N).
//! - [`block`]: contraction of contiguous site blocks by a block map (coarse-graining).
//! - [`hierarchy`], [`coarse`], [`dtnr`]: the RG flow of the joint distribution along nested
//!   supernodes (docs/dtnr.md).
//!
//! See docs/mps.md for the equations and references.

mod ais;
pub mod baselines;
pub mod block;
pub mod canonical;
pub mod coarse;
pub mod compress;
pub mod data;
pub mod dense;
pub mod dtnr;
pub mod entropy;
pub mod env;
pub mod eval;
pub mod hierarchy;
pub mod kpairwise;
pub mod latent;
pub mod lbfgs;
pub mod learn;
pub mod marginals;
pub mod mixture;
pub mod pipeline;
pub mod ptt;
pub mod sample;
pub mod select;
pub mod tt;

pub use tt::{Core, Kind, TensorTrain};
