//! Directed-graph inference from neural activity: Latent Graph Diffusion and baselines.
