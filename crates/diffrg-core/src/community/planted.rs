//! Graphs with planted community structure, for tests, benchmarks and demos.

use crate::error::{Error, Result};
use crate::graph::{EdgeListOptions, Graph};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Ring of `cliques` complete graphs of `size` nodes; clique `c` holds nodes
/// `c*size..(c+1)*size` and its last node is joined to the first node of clique `c+1`
/// (cyclically). Returns the graph and the clique of every node.
///
/// # Errors
/// `ERR_TOO_LARGE` above [`MAX_RING_NODES`] nodes.
pub fn ring_of_cliques(cliques: usize, size: usize) -> Result<(Graph, Vec<usize>)> {
    if (cliques as u128) * (size as u128) > MAX_RING_NODES as u128 {
        return Err(Error::too_large(format!("ring of cliques with {cliques} x {size} nodes exceeds 2^24 nodes")));
    }
    let n = cliques * size;
    let mut edges = Vec::new();
    for c in 0..cliques {
        let base = c * size;
        for i in 0..size {
            for j in i + 1..size {
                edges.push((base + i, base + j, 1.0));
            }
        }
        if cliques > 1 && size > 0 {
            let next = ((c + 1) % cliques) * size;
            if !(cliques == 2 && c == 1) {
                edges.push((base + size - 1, next, 1.0));
            }
        }
    }
    let g = Graph::from_edges(n, &edges, &EdgeListOptions::default()).expect("valid ring of cliques");
    Ok((g, (0..n).map(|v| v / size).collect()))
}

/// Largest [`ring_of_cliques`] (2^24 nodes).
pub const MAX_RING_NODES: usize = 1 << 24;
/// Largest [`stochastic_block_model`]: its sampler visits all N^2 pairs.
pub const MAX_SBM_NODES: usize = 20_000;

/// Options of [`stochastic_block_model`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SbmOptions {
    /// Draw `i -> j` and `j -> i` independently. Default: undirected.
    pub directed: bool,
    /// Default 0.
    pub seed: u64,
}

/// Stochastic block model: blocks of the given sizes (nodes numbered block by block), edge
/// probability `p_in` inside a block and `p_out` between blocks, weight 1. A directed model
/// draws `i -> j` and `j -> i` independently. Returns the graph and the block of every node.
/// Complexity: O(N^2) (meant for N up to a few thousand).
///
/// # Errors
/// `ERR_INVALID_INPUT` naming `pIn` / `pOut` when it is not a probability in `[0, 1]`;
/// `ERR_TOO_LARGE` above [`MAX_SBM_NODES`] nodes.
pub fn stochastic_block_model(sizes: &[usize], p_in: f64, p_out: f64, opts: &SbmOptions) -> Result<(Graph, Vec<usize>)> {
    let SbmOptions { directed, seed } = *opts;
    for (name, p) in [("pIn", p_in), ("pOut", p_out)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid_input(format!("{name} must be a probability in [0, 1] (got {p})")));
        }
    }
    let total: u128 = sizes.iter().map(|&s| s as u128).sum();
    if total > MAX_SBM_NODES as u128 {
        return Err(Error::too_large(format!("the O(N^2) SBM sampler is limited to {MAX_SBM_NODES} nodes (got {total})")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let block: Vec<usize> = sizes.iter().enumerate().flat_map(|(b, &s)| std::iter::repeat_n(b, s)).collect();
    let n = block.len();
    let mut edges = Vec::new();
    for i in 0..n {
        let start = if directed { 0 } else { i + 1 };
        for j in start..n {
            if i == j {
                continue;
            }
            let p = if block[i] == block[j] { p_in } else { p_out };
            if rng.random::<f64>() < p {
                edges.push((i, j, 1.0));
            }
        }
    }
    let opts = EdgeListOptions { directed, ..Default::default() };
    Ok((Graph::from_edges(n, &edges, &opts).expect("valid SBM"), block))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn sizes_and_probabilities_are_checked() {
        let (g, truth) = ring_of_cliques(3, 4).unwrap();
        assert_eq!((g.n(), truth[5]), (12, 1));
        assert_eq!(ring_of_cliques(1 << 12, (1 << 12) + 1).unwrap_err().code, ErrorCode::TooLarge);
        assert_eq!(ring_of_cliques(usize::MAX, 2).unwrap_err().code, ErrorCode::TooLarge);
        let (g, block) = stochastic_block_model(&[3, 2], 1.0, 0.0, &SbmOptions { directed: false, seed: 1 }).unwrap();
        assert_eq!((g.n(), block), (5, vec![0, 0, 0, 1, 1]));
        for (p_in, p_out, field) in [(1.5, 0.1, "pIn"), (0.5, f64::NAN, "pOut"), (-0.1, 0.1, "pIn")] {
            let e = stochastic_block_model(&[3, 3], p_in, p_out, &SbmOptions { directed: false, seed: 1 }).unwrap_err();
            assert!(e.code == ErrorCode::InvalidInput && e.message.starts_with(field), "{e:?}");
        }
        let e = stochastic_block_model(&[MAX_SBM_NODES, 1], 0.5, 0.1, &SbmOptions { directed: false, seed: 1 }).unwrap_err();
        assert_eq!(e.code, ErrorCode::TooLarge);
        assert!(stochastic_block_model(&[], 0.5, 0.1, &SbmOptions { directed: true, seed: 1 }).unwrap().0.n() == 0);
    }
}
