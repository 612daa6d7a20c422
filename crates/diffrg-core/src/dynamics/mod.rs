//! Meso-scale effective dynamics of coarse-grained trajectories.
//!
//! A trajectory is a sequence of `frames` samples of `vars` real variables taken every `dt`
//! seconds (binned, possibly coarse-grained activity). The estimators in this family fit
//! effective stochastic dynamics to it and measure how far it is from equilibrium (its entropy
//! production rate). One estimator per file; the shared types live here.
//!
//! - [`stats`]: the streaming per-block second moments ([`LinearStats`], [`Moments`]).
//! - [`linear`]: the VAR(1) fit and its exact OU form, held-out prediction.
//! - [`ou`], [`var`], [`spectral`]: the linear entropy-production estimators.
//! - [`sfi`]: Stochastic Force Inference (polynomial drift, bias-corrected entropy production).
//! - [`states`]: the discrete-state estimator (k-means states, transition counts).
//! - [`trajectory`]: trajectories from activity (grouping, smoothing, projections, PCA).
//! - [`pipeline`]: every scale of a coarse-graining with block-bootstrap intervals.
//! - [`prg`]: the phenomenological RG (correlation pairing) and its scaling exponents, also
//!   along any other cluster hierarchy.

use crate::error::{Error, Result};

/// A borrowed trajectory: `data[t * vars + i]` is variable `i` at frame `t`, frames `dt`
/// seconds apart.
#[derive(Clone, Copy, Debug)]
pub struct TrajectoryRef<'a> {
    pub data: &'a [f64],
    pub frames: usize,
    pub vars: usize,
    /// Seconds between consecutive frames.
    pub dt: f64,
}

impl<'a> TrajectoryRef<'a> {
    /// Checks the shape, the frame interval and that every value is finite.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for a shape mismatch, no variables or a non-positive `dt`;
    /// `ERR_NOT_FINITE` naming the first non-finite value's frame and variable.
    pub fn new(data: &'a [f64], frames: usize, vars: usize, dt: f64) -> Result<Self> {
        if vars == 0 {
            return Err(Error::invalid_input("trajectory: no variables"));
        }
        if frames.checked_mul(vars) != Some(data.len()) {
            return Err(Error::invalid_input(format!("trajectory: {} values is not frames x vars = {frames} x {vars}", data.len())));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid_input(format!("trajectory: dt must be positive and finite (got {dt})")));
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::not_finite(format!("trajectory: value at frame {}, variable {} is {}", k / vars, k % vars, data[k])));
        }
        Ok(TrajectoryRef { data, frames, vars, dt })
    }

    /// Mean and standard deviation of every variable over the frames (a constant variable gets
    /// standard deviation 1, so that z-scoring leaves it at 0).
    pub fn zscore(&self) -> (Vec<f64>, Vec<f64>) {
        let n = self.vars;
        let mut mean = vec![0.0; n];
        let mut sd = vec![0.0; n];
        for f in 0..self.frames {
            mean.iter_mut().zip(self.frame(f)).for_each(|(m, x)| *m += x);
        }
        mean.iter_mut().for_each(|m| *m /= self.frames.max(1) as f64);
        for f in 0..self.frames {
            sd.iter_mut().zip(mean.iter().zip(self.frame(f))).for_each(|(s, (m, x))| *s += (x - m) * (x - m));
        }
        let sd = sd.iter().map(|s| (s / self.frames.max(1) as f64).sqrt()).map(|s| if s > 0.0 { s } else { 1.0 }).collect();
        (mean, sd)
    }

    /// Frame `t` as a slice of `vars` values.
    #[inline]
    pub fn frame(&self, t: usize) -> &'a [f64] {
        &self.data[t * self.vars..(t + 1) * self.vars]
    }
}

/// An entropy-production estimate.
///
/// `rate` is in nats per second; `ci` is a confidence interval for it (block bootstrap over
/// time unless the estimator's docs say otherwise; `[rate, rate]` when no interval was asked
/// for). `per_step` is the rate in nats per frame where the estimator is defined per step
/// (`states`); `bias` is the estimator's own finite-sample bias estimate in nats per second,
/// where it has one (already subtracted from `rate` when the estimator is bias-corrected).
#[derive(Clone, Debug, PartialEq)]
pub struct EpEstimate {
    pub rate: f64,
    pub ci: [f64; 2],
    pub per_step: Option<f64>,
    pub bias: Option<f64>,
}

pub mod assemblies;
#[cfg(test)]
mod lif_tests;
pub mod linear;
pub mod ou;
pub mod pipeline;
pub mod prg;
pub mod sfi;
pub mod spectral;
pub mod states;
pub mod stats;
pub mod trajectory;
pub mod var;

pub use linear::{fit_ou, fit_var, participation_ratio, prediction, OuFit, Prediction, VarFit};
pub use ou::{ou_rate, ou_rate_of};
pub use pipeline::{
    analyse, analyse_stream, effective_dynamics, projections, Coarsening, DynamicsOptions, EntropyProduction, Estimators, ScaleDynamics,
};
pub use prg::{phenomenological_rg, PrgOptions, PrgResult};
pub use sfi::{sfi, SfiFit, SfiOptions};
pub use spectral::{spectral_rate, SpectralOptions, SpectralRate};
pub use states::{default_states, kmeans, states_from_labels, states_rate, KMeans, StatesEstimate, StatesOptions};
pub use stats::{LinearStats, Moments};
pub use trajectory::{Trajectory, TrajectoryOptions};
pub use var::var_per_step;
