//! Deterministic (seeded) graph generators for tests, benchmarks and demos.

use super::{EdgeListOptions, Graph};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn undirected(n: usize, edges: &[(usize, usize, f64)]) -> Graph {
    Graph::from_edges(n, edges, &EdgeListOptions::default()).expect("generator produces valid edges")
}

/// Cycle graph C_n.
pub fn ring(n: usize) -> Graph {
    let edges: Vec<_> = if n < 2 { vec![] } else { (0..n).map(|i| (i, (i + 1) % n, 1.0)).collect() };
    undirected(n, &edges)
}

/// Periodic d-dimensional lattice with side `side` (d = 1, 2, 3, ...).
pub fn torus(side: usize, dims: usize) -> Graph {
    let n = side.pow(dims as u32);
    let mut edges = Vec::with_capacity(n * dims);
    for v in 0..n {
        let mut stride = 1;
        for _ in 0..dims {
            let coord = (v / stride) % side;
            let u = v - coord * stride + ((coord + 1) % side) * stride;
            if u != v {
                edges.push((v, u, 1.0));
            }
            stride *= side;
        }
    }
    undirected(n, &edges)
}

/// Erdos-Renyi G(n, p) with `p = mean_degree / (n - 1)`, sampled by geometric skipping (O(n + E)).
pub fn erdos_renyi(n: usize, mean_degree: f64, seed: u64) -> Graph {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let p = if n > 1 { (mean_degree / (n - 1) as f64).clamp(0.0, 1.0) } else { 0.0 };
    let mut edges = Vec::new();
    if p > 0.0 {
        let lq = (1.0 - p).ln();
        // Enumerate pairs (i, j), j < i, in row-major order, jumping by geometric gaps.
        let (mut i, mut j): (usize, i64) = (1, -1);
        while i < n {
            let r: f64 = rng.random::<f64>();
            let skip = if p >= 1.0 { 0 } else { ((1.0 - r).ln() / lq).floor() as i64 };
            j += 1 + skip;
            while i < n && j >= i as i64 {
                j -= i as i64;
                i += 1;
            }
            if i < n {
                edges.push((i, j as usize, 1.0));
            }
        }
    }
    undirected(n, &edges)
}

/// Barabasi-Albert preferential attachment: start from a clique of `m + 1` nodes, each new node
/// attaches to `m` distinct existing nodes with probability proportional to degree.
pub fn barabasi_albert(n: usize, m: usize, seed: u64) -> Graph {
    let m = m.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut edges = Vec::with_capacity(n * m);
    let mut targets: Vec<usize> = Vec::with_capacity(2 * n * m);
    let core = (m + 1).min(n);
    for i in 0..core {
        for j in 0..i {
            edges.push((i, j, 1.0));
            targets.push(i);
            targets.push(j);
        }
    }
    let mut chosen = Vec::with_capacity(m);
    for v in core..n {
        chosen.clear();
        while chosen.len() < m {
            let u = targets[rng.random_range(0..targets.len())];
            if !chosen.contains(&u) {
                chosen.push(u);
            }
        }
        for &u in &chosen {
            edges.push((v, u, 1.0));
            targets.push(v);
            targets.push(u);
        }
    }
    undirected(n, &edges)
}

/// Uniform random recursive tree: node `i` attaches to a uniformly chosen earlier node.
pub fn random_tree(n: usize, seed: u64) -> Graph {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let edges: Vec<_> = (1..n).map(|i| (i, rng.random_range(0..i), 1.0)).collect();
    undirected(n, &edges)
}

/// Pseudofractal scale-free graph: a triangle; at each step every existing edge gets a new node
/// joined to both its ends. After `steps` steps N = 3 (3^steps + 1) / 2.
pub fn pseudofractal(steps: usize) -> Graph {
    let mut edges: Vec<(usize, usize)> = vec![(0, 1), (1, 2), (0, 2)];
    let mut n = 3;
    for _ in 0..steps {
        let current = edges.clone();
        for (a, b) in current {
            edges.push((a, n));
            edges.push((b, n));
            n += 1;
        }
    }
    let edges: Vec<_> = edges.into_iter().map(|(a, b)| (a, b, 1.0)).collect();
    undirected(n, &edges)
}

/// Uniform random labelled tree on `n` nodes (every one of the n^(n-2) trees equally likely),
/// decoded from a uniform Pruefer sequence (O(n log n)). Large uniform trees have spectral
/// dimension 4/3 (so the density-matrix specific heat plateaus at 2/3).
pub fn uniform_tree(n: usize, seed: u64) -> Graph {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    if n < 2 {
        return undirected(n, &[]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let seq: Vec<usize> = (0..n - 2).map(|_| rng.random_range(0..n)).collect();
    let mut degree = vec![1usize; n];
    for &s in &seq {
        degree[s] += 1;
    }
    let mut leaves: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| degree[i] == 1).map(Reverse).collect();
    let mut edges = Vec::with_capacity(n - 1);
    for &s in &seq {
        let Reverse(leaf) = leaves.pop().expect("a Pruefer sequence always leaves a leaf");
        edges.push((leaf, s, 1.0));
        degree[s] -= 1;
        if degree[s] == 1 {
            leaves.push(Reverse(s));
        }
    }
    let Reverse(a) = leaves.pop().expect("two leaves remain");
    let Reverse(b) = leaves.pop().expect("two leaves remain");
    edges.push((a, b, 1.0));
    undirected(n, &edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(ring(10).num_edges(), 10);
        assert_eq!(torus(5, 2).num_edges(), 50);
        assert_eq!(torus(4, 3).n(), 64);
        assert_eq!(torus(4, 3).num_edges(), 192);
        assert_eq!(pseudofractal(4).n(), 123);
        assert_eq!(random_tree(50, 1).num_edges(), 49);
        let t = uniform_tree(500, 2);
        assert_eq!((t.num_edges(), t.components().iter().max().copied()), (499, Some(0)));
        assert_eq!(uniform_tree(1, 0).n(), 1);
        let ba = barabasi_albert(1000, 3, 7);
        assert_eq!(ba.num_edges(), 6 + 996 * 3);
        assert_eq!(ba.components().iter().max(), Some(&0));
    }

    #[test]
    fn er_mean_degree_close() {
        let g = erdos_renyi(20000, 4.0, 3);
        let k = 2.0 * g.num_edges() as f64 / 20000.0;
        assert!((k - 4.0).abs() < 0.1, "mean degree {k}");
    }

    #[test]
    fn seeded_is_deterministic() {
        assert_eq!(barabasi_albert(300, 2, 9), barabasi_albert(300, 2, 9));
        assert_ne!(barabasi_albert(300, 2, 9), barabasi_albert(300, 2, 10));
    }
}
