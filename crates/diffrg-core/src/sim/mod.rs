//! Network simulators providing ground truth (clustered leaky integrate-and-fire).
//!
//! - [`connectivity`]: clustered E/I random networks ([`NetworkOptions`], [`Connectivity`]).
//! - [`lif`]: the current-based LIF simulator ([`LifOptions`], [`simulate`]).
//! - [`stim`]: external drive over time (channels, schedules, excitation, closed-loop hook).
//! - [`subsample`]: which neurons an experiment observes ([`subsample`](subsample::subsample)).

pub mod connectivity;
pub mod lif;
pub mod stim;
pub mod subsample;

pub use connectivity::{connection_probabilities, ConnectionProbabilities, Connectivity, NetworkOptions};
pub use lif::{simulate, simulate_stimulated, LifOptions, LifResult, StimRecord};
pub use stim::{Controller, DriveMode, Schedule, Stimulation, Telegraph};
pub use subsample::{observed_edges, observed_spikes, subsample, Observe, SubsampleMode};
