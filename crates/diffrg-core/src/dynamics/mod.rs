//! Meso-scale effective dynamics of coarse-grained trajectories.
