use super::*;
use crate::community::metrics::{adjusted_rand_index, modularity};
use crate::community::planted::{ring_of_cliques, stochastic_block_model, SbmOptions};
use crate::graph::{generators, EdgeListOptions};

fn run(g: &Graph, resolution: f64, seed: u64) -> LeidenResult {
    leiden(g, &LeidenOptions { resolution, seed, ..Default::default() }, &Exec::sequential()).unwrap()
}

/// Every community induces a (weakly) connected subgraph.
fn communities_connected(g: &Graph, labels: &[usize]) -> bool {
    let k = labels.iter().max().map_or(0, |&m| m + 1);
    (0..k).all(|c| {
        let nodes: Vec<usize> = (0..g.n()).filter(|&v| labels[v] == c).collect();
        let sub = g.induced(&nodes);
        sub.components().iter().all(|&x| x == 0)
    })
}

/// All set partitions of `0..n` as restricted growth strings.
fn all_partitions(n: usize) -> Vec<Vec<usize>> {
    fn rec(cur: &mut Vec<usize>, max: usize, n: usize, out: &mut Vec<Vec<usize>>) {
        if cur.len() == n {
            out.push(cur.clone());
            return;
        }
        for l in 0..=max + 1 {
            if cur.is_empty() && l > 0 {
                break;
            }
            cur.push(l);
            rec(cur, if cur.len() == 1 { 0 } else { max.max(l) }, n, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    if n > 0 {
        rec(&mut Vec::new(), 0, n, &mut out);
    }
    out
}

#[test]
fn partition_enumeration_counts_bell_numbers() {
    assert_eq!(all_partitions(4).len(), 15);
    assert_eq!(all_partitions(7).len(), 877);
}

#[test]
fn finds_planted_sbm_partition() {
    for (directed, seed) in [(false, 1), (false, 2), (true, 3)] {
        let (g, truth) = stochastic_block_model(&[40, 50, 60, 50], 0.3, 0.02, &SbmOptions { directed, seed }).unwrap();
        let r = run(&g, 1.0, 7);
        let ari = adjusted_rand_index(&r.labels, &truth).unwrap();
        assert!(ari > 0.98, "directed={directed}: ARI {ari}");
        assert!(communities_connected(&g, &r.labels));
        let q_truth = modularity(&g, &truth, 1.0).unwrap();
        assert!(r.modularity >= q_truth - 1e-12, "{} < {}", r.modularity, q_truth);
        assert!((r.modularity - modularity(&g, &r.labels, 1.0).unwrap()).abs() < 1e-12);
        assert!(r.converged);
    }
}

#[test]
fn finds_ring_of_cliques_exactly() {
    let (g, truth) = ring_of_cliques(8, 6).unwrap();
    for seed in 0..4 {
        let r = run(&g, 1.0, seed);
        assert_eq!(adjusted_rand_index(&r.labels, &truth).unwrap(), 1.0);
        assert_eq!(r.communities, 8);
    }
}

/// Q after moving node `v` to community `c` (a label not in use means a new community).
fn q_after_move(g: &Graph, labels: &[usize], v: usize, c: usize, gamma: f64) -> f64 {
    let mut l = labels.to_vec();
    l[v] = c;
    modularity(g, &l, gamma).unwrap()
}

#[test]
fn small_graphs_local_optimality_and_brute_force_optimum() {
    let parts = all_partitions(8);
    for seed in 0..6u64 {
        let directed = seed % 2 == 1;
        let g0 = generators::erdos_renyi(8, 3.0, seed);
        let g = if directed {
            // orient edges deterministically and give them distinct weights
            let edges: Vec<_> = g0
                .edges()
                .iter()
                .enumerate()
                .map(|(k, &(i, j, _))| if (k as u64 + seed) % 3 == 0 { (j, i, 1.0 + k as f64 * 0.1) } else { (i, j, 1.0 + k as f64 * 0.1) })
                .collect();
            Graph::from_edges(8, &edges, &EdgeListOptions { directed: true, ..Default::default() }).unwrap()
        } else {
            g0
        };
        for gamma in [0.5, 1.0, 1.5] {
            let best = parts.iter().map(|p| modularity(&g, p, gamma).unwrap()).fold(f64::NEG_INFINITY, f64::max);
            let mut best_found = f64::NEG_INFINITY;
            for s in 0..8 {
                let r = run(&g, gamma, s);
                assert!(r.modularity <= best + 1e-12);
                best_found = best_found.max(r.modularity);
                assert!(communities_connected(&g, &r.labels));
                // no single-node move and no merge of two communities improves Q
                for v in 0..8 {
                    for c in 0..=r.communities {
                        assert!(q_after_move(&g, &r.labels, v, c, gamma) <= r.modularity + 1e-12, "move {v} -> {c}");
                    }
                }
                for a in 0..r.communities {
                    for b in a + 1..r.communities {
                        let merged: Vec<usize> = r.labels.iter().map(|&l| if l == b { a } else { l }).collect();
                        assert!(modularity(&g, &merged, gamma).unwrap() <= r.modularity + 1e-12);
                    }
                }
            }
            // Leiden is a heuristic; across seeds it reaches the optimum of these small graphs
            assert!(best_found >= best - 1e-12, "seed {seed} gamma {gamma} directed {directed}: {best_found} < {best}");
        }
    }
}

#[test]
fn communities_are_connected_on_random_graphs() {
    for seed in 0..5 {
        let g = generators::erdos_renyi(400, 4.0, seed);
        let r = run(&g, 1.0, seed);
        assert!(communities_connected(&g, &r.labels), "seed {seed}");
        assert!(r.modularity > 0.5);
        let h = generators::barabasi_albert(300, 2, seed);
        let r = run(&h, 1.3, seed);
        assert!(communities_connected(&h, &r.labels), "BA seed {seed}");
    }
}

#[test]
fn resolution_behaviour() {
    let (g, truth) = ring_of_cliques(8, 6).unwrap();
    // gamma = 0: Q = e_C / M is maximal for whole components.
    let r0 = run(&g, 0.0, 1);
    assert_eq!(r0.communities, 1);
    assert!((r0.modularity - 1.0).abs() < 1e-12);
    // small gamma merges neighbouring cliques; large gamma splits down to singletons
    // (joining two clique nodes gains 2 - 2 gamma k_i k_j / M < 0 once gamma > M / k^2).
    let small = run(&g, 0.2, 1);
    assert!(small.communities < 8 && small.communities > 1, "{}", small.communities);
    for &l in &small.labels {
        // merged communities are unions of whole cliques
        let members: Vec<usize> = (0..g.n()).filter(|&v| small.labels[v] == l).collect();
        assert!(members.iter().all(|&v| members.iter().filter(|&&u| truth[u] == truth[v]).count() == 6));
    }
    let huge = run(&g, 1e4, 1);
    assert_eq!(huge.communities, g.n());
    // more resolution, never fewer communities on the SBM
    let (s, _) = stochastic_block_model(&[30; 6], 0.4, 0.05, &SbmOptions { directed: false, seed: 9 }).unwrap();
    let counts: Vec<usize> = [0.0, 0.3, 1.0, 3.0, 10.0].iter().map(|&gm| run(&s, gm, 2).communities).collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert_eq!(counts[0], 1);
}

#[test]
fn weighted_edges_change_the_answer() {
    // A 6-cycle: unit weights give a symmetric problem; heavy edges (0,1),(2,3),(4,5) make pairs.
    let heavy = [(0, 1, 10.0), (1, 2, 1.0), (2, 3, 10.0), (3, 4, 1.0), (4, 5, 10.0), (5, 0, 1.0)];
    let g = Graph::from_edges(6, &heavy, &EdgeListOptions::default()).unwrap();
    let r = run(&g, 1.0, 0);
    assert_eq!(adjusted_rand_index(&r.labels, &[0, 0, 1, 1, 2, 2]).unwrap(), 1.0);
    let shifted = [(0, 1, 1.0), (1, 2, 10.0), (2, 3, 1.0), (3, 4, 10.0), (4, 5, 1.0), (5, 0, 10.0)];
    let g = Graph::from_edges(6, &shifted, &EdgeListOptions::default()).unwrap();
    let r = run(&g, 1.0, 0);
    assert_eq!(adjusted_rand_index(&r.labels, &[0, 1, 1, 2, 2, 0]).unwrap(), 1.0);
}

#[test]
fn directed_modularity_uses_orientation() {
    // Two directed 3-cycles joined by the one-way edge 2 -> 3.
    let edges = [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0), (3, 4, 1.0), (4, 5, 1.0), (5, 3, 1.0), (2, 3, 1.0)];
    let g = Graph::from_edges(6, &edges, &EdgeListOptions { directed: true, ..Default::default() }).unwrap();
    let r = run(&g, 1.0, 3);
    assert_eq!(adjusted_rand_index(&r.labels, &[0, 0, 0, 1, 1, 1]).unwrap(), 1.0);
    // M = 7, kout = (1,1,2,1,1,1), kin = (1,1,1,2,1,1): Q = 6/7 - (4*3 + 3*4) / 49 = 18/49,
    // while the undirected modularity of A + A^T for the same split is 12/14 - 2 * 7^2 / 14^2.
    assert!((r.modularity - 18.0 / 49.0).abs() < 1e-12);
    let und = modularity(&g.symmetrized(), &r.labels, 1.0).unwrap();
    assert!((und - (12.0 / 14.0 - 2.0 * 49.0 / 196.0)).abs() < 1e-12);
}

#[test]
fn deterministic_per_seed_and_edge_cases() {
    let (g, _) = stochastic_block_model(&[30, 30, 30], 0.2, 0.05, &SbmOptions { directed: false, seed: 4 }).unwrap();
    assert_eq!(run(&g, 1.0, 5), run(&g, 1.0, 5));
    for n in 0..3 {
        let e = Graph::from_edges(n, &[], &EdgeListOptions::default()).unwrap();
        let r = run(&e, 1.0, 0);
        assert_eq!(r.labels, (0..n).collect::<Vec<_>>());
        assert_eq!(r.modularity, 0.0);
    }
    // isolated nodes stay alone, labels ordered by size
    let g = Graph::from_edges(5, &[(1, 2, 1.0), (2, 3, 1.0), (1, 3, 1.0)], &EdgeListOptions::default()).unwrap();
    let r = run(&g, 1.0, 0);
    assert_eq!(r.labels, vec![1, 0, 0, 0, 2]);
}

#[test]
fn rejects_bad_options_and_aborts() {
    let g = generators::ring(10);
    let e = Exec::sequential();
    let bad = |o: LeidenOptions| leiden(&g, &o, &e).unwrap_err().code;
    assert_eq!(bad(LeidenOptions { resolution: -1.0, ..Default::default() }), crate::ErrorCode::InvalidInput);
    assert_eq!(bad(LeidenOptions { resolution: f64::INFINITY, ..Default::default() }), crate::ErrorCode::NotFinite);
    assert_eq!(bad(LeidenOptions { theta: 0.0, ..Default::default() }), crate::ErrorCode::InvalidInput);
    let cancelled = Exec::sequential();
    cancelled.cancel.cancel();
    assert_eq!(leiden(&g, &LeidenOptions::default(), &cancelled).unwrap_err().code, crate::ErrorCode::Aborted);
}
