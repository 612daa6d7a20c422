//! Supernodes, metagraphs and Laplacian renormalization-group flows.
