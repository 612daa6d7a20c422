//! Community detection (Leiden), community-based node orderings and partition metrics.
