//! Community detection (Leiden), community-based node orderings and partition metrics.
//!
//! - [`leiden`]: Leiden (Traag, Waltman & van Eck 2019) maximizing modularity with a
//!   resolution parameter; weighted, undirected (Newman) and directed (Leicht-Newman).
//! - [`ordering`]: spectral (Fiedler) ordering of communities and of nodes within them.
//! - [`fiedler`]: Fiedler vectors (dense or Lanczos) used by the ordering.
//! - [`metrics`]: modularity, adjusted Rand index, normalized mutual information.
//! - [`planted`]: ring-of-cliques and stochastic-block-model generators.
//! - [`profile`]: edge weights plus neighbourhood-profile similarity (noisy all-pairs graphs).

pub mod fiedler;
pub mod leiden;
pub mod metrics;
pub mod ordering;
pub mod planted;
pub mod profile;

pub use leiden::{leiden, LeidenOptions, LeidenResult};
pub use metrics::{adjusted_rand_index, modularity, normalized_mutual_information, separate_community};
pub use ordering::{community_ordering, Ordering, OrderingOptions};
pub use profile::profile_augment;
