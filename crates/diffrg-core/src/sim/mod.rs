//! Network simulators providing ground truth (clustered leaky integrate-and-fire).
//!
//! - [`connectivity`]: clustered E/I random networks ([`NetworkOptions`], [`Connectivity`]).
//! - [`lif`]: the current-based LIF simulator ([`LifOptions`], [`simulate`]).
//! - [`subsample`]: which neurons an experiment observes ([`subsample`](subsample::subsample)).

pub mod connectivity;
pub mod lif;
pub mod subsample;

pub use connectivity::{Connectivity, NetworkOptions};
pub use lif::{simulate, LifOptions, LifResult};
pub use subsample::{observed_edges, observed_spikes, subsample, SubsampleMode};
