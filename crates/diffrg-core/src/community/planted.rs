//! Graphs with planted community structure, for tests, benchmarks and demos.

use crate::graph::{EdgeListOptions, Graph};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Ring of `cliques` complete graphs of `size` nodes; clique `c` holds nodes
/// `c*size..(c+1)*size` and its last node is joined to the first node of clique `c+1`
/// (cyclically). Returns the graph and the clique of every node.
pub fn ring_of_cliques(cliques: usize, size: usize) -> (Graph, Vec<usize>) {
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
    (g, (0..n).map(|v| v / size).collect())
}

/// Stochastic block model: blocks of the given sizes (nodes numbered block by block), edge
/// probability `p_in` inside a block and `p_out` between blocks, weight 1. A directed model
/// draws `i -> j` and `j -> i` independently. Returns the graph and the block of every node.
/// Complexity: O(N^2) (meant for N up to a few thousand).
pub fn stochastic_block_model(sizes: &[usize], p_in: f64, p_out: f64, directed: bool, seed: u64) -> (Graph, Vec<usize>) {
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
    (Graph::from_edges(n, &edges, &opts).expect("valid SBM"), block)
}
