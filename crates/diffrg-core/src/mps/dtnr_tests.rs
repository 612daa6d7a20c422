//! Brute-force tests of the DTNR flow (N <= 12 sites, exact enumeration).

use super::*;
use crate::graph::EdgeListOptions;
use crate::mps::block::contract_blocks;
use crate::mps::coarse::{contract_model, log2_prob_nonneg, negative_mass};
use crate::mps::compress::compress;
use crate::mps::data::latent_cluster_patterns;

/// Exact pushforward of a dense distribution (site 0 most significant) under blocks and map.
fn pushforward(p: &[f64], dims: &[usize], blocks: &[(usize, usize)], map: BlockMap) -> Vec<f64> {
    crate::mps::block::tests::coarse_dense(p, dims, blocks, map)
}

/// Every pattern of the alphabets `dims`, row-major, in lexicographic order.
pub(crate) fn all_patterns(dims: &[usize]) -> Vec<u8> {
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(total * dims.len());
    for idx in 0..total {
        let mut row = vec![0u8; dims.len()];
        let mut rem = idx;
        for k in (0..dims.len()).rev() {
            row[k] = (rem % dims[k]) as u8;
            rem /= dims[k];
        }
        out.extend(row);
    }
    out
}

#[test]
fn kronecker_born_contraction_matches_doubled_train_and_enumeration() {
    let dims = [2usize, 2, 3, 2, 2, 2, 2, 2, 2, 2];
    let blocks = [(0, 3), (3, 4), (4, 8), (8, 10)];
    let t = TensorTrain::random(Kind::Born, &dims, 4, 11).unwrap();
    let p = t.dense_probabilities().unwrap();
    for map in [BlockMap::Any, BlockMap::Count { cap: 2 }] {
        let fast = contract_model(&t, &blocks, map, &Exec::with_threads(2)).unwrap();
        let slow = contract_blocks(&t.to_probability().unwrap(), &blocks, map, &Exec::sequential()).unwrap();
        // bonds in the symmetric subspace: D (D + 1) / 2 instead of D^2
        let half: Vec<usize> = t.bond_dims().iter().map(|&d| d * (d + 1) / 2).collect();
        let want_bonds: Vec<usize> = std::iter::once(0).chain(blocks.iter().map(|&(_, b)| b)).map(|k| half[k]).collect();
        assert_eq!(fast.bond_dims(), want_bonds);
        for (a, b) in fast.dense().unwrap().iter().zip(slow.dense().unwrap()) {
            assert!((a - b).abs() < 1e-12 * (1.0 + b.abs()), "{map:?}");
        }
        let want = pushforward(&p, &dims, &blocks, map);
        for (a, b) in fast.dense_probabilities().unwrap().iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{map:?}");
        }
    }
}

#[test]
fn step_without_truncation_is_exact_and_truncation_error_is_consistent() {
    let dims = vec![2usize; 12];
    let t = TensorTrain::random(Kind::Born, &dims, 3, 21).unwrap();
    let p = t.dense_probabilities().unwrap();
    let blocks: Vec<(usize, usize)> = (0..6).map(|i| (2 * i, 2 * i + 2)).collect();
    let map = BlockMap::Count { cap: 2 };
    // chi 81 >= every exact bond (at most 3 * 4 / 2 = 6 after the symmetric restriction): no truncation
    let (c, rep) =
        flow_step(&t, &blocks, map, &CompressOptions { max_bond: 81, cutoff: 0.0 }, 1 << 20, 1000, 1, &Exec::with_threads(2)).unwrap();
    assert!(rep.truncation_error < 1e-12, "{}", rep.truncation_error);
    assert!(rep.negative_mass.value < 1e-12 && !rep.negative_mass.estimated);
    let want = pushforward(&p, &dims, &blocks, map);
    for (a, b) in c.dense_probabilities().unwrap().iter().zip(&want) {
        assert!((a - b).abs() < 1e-10);
    }
    // truncated: reported error = relative Frobenius distance to the exact coarse train
    let exact = contract_model(&t, &blocks, map, &Exec::sequential()).unwrap();
    let (c, rep) =
        flow_step(&t, &blocks, map, &CompressOptions { max_bond: 3, cutoff: 0.0 }, 1 << 20, 1000, 1, &Exec::sequential()).unwrap();
    assert!(c.max_bond() <= 3 && rep.truncation_error > 0.0);
    let (x, y) = (exact.dense().unwrap(), c.dense().unwrap());
    let nx: f64 = x.iter().map(|v| v * v).sum();
    let dot: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
    let ny: f64 = y.iter().map(|v| v * v).sum();
    assert!(((nx - dot * dot / ny) / nx - rep.truncation_error).abs() < 1e-10);
    let z: f64 = y.iter().sum();
    let neg = y.iter().filter(|&&v| v < 0.0).map(|v| -v).sum::<f64>() / z;
    assert!((neg - rep.negative_mass.value).abs() < 1e-12);
}

#[test]
fn negative_mass_estimate_and_bound_bracket_the_exact_value() {
    // a truncated probability train with negative entries, small enough to enumerate
    let t = TensorTrain::random(Kind::Born, &[2; 10], 6, 3).unwrap().to_probability().unwrap();
    let (c, _) = compress(&t, &CompressOptions { max_bond: 2, cutoff: 0.0 }, &Exec::sequential()).unwrap();
    let exact = negative_mass(&c, 1 << 20, 0, 0, &Exec::sequential()).unwrap();
    assert!(exact.value > 1e-4, "the test train should have negative mass ({})", exact.value);
    let est = negative_mass(&c, 0, 40_000, 5, &Exec::with_threads(2)).unwrap();
    assert!(est.estimated);
    assert!(est.lower_bound <= exact.value + 1e-12);
    assert!((est.value - exact.value).abs() < 4.0 * est.std_error + 1e-9, "{} +- {} vs {}", est.value, est.std_error, exact.value);
    // Q_eps is a normalised distribution that equals P where P > 0 along every prefix
    let pats = all_patterns(&c.dims());
    let (lp, floored) = log2_prob_nonneg(&c, &pats, &Exec::with_threads(2)).unwrap();
    let total: f64 = lp.iter().map(|v| v.exp2()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    assert!(floored > 0);
    let pos = TensorTrain::random(Kind::Probability, &[2, 3, 2, 2], 3, 4).unwrap();
    let pats = all_patterns(&pos.dims());
    let (lp, floored) = log2_prob_nonneg(&pos, &pats, &Exec::sequential()).unwrap();
    assert_eq!(floored, 0);
    for (a, b) in lp.iter().zip(pos.dense_probabilities().unwrap()) {
        assert!((a.exp2() - b).abs() < 1e-12);
    }
}

#[test]
fn entropy_and_multi_information_match_enumeration() {
    for kind in [Kind::Born, Kind::Probability] {
        let dims = [2usize, 3, 2, 2, 2, 2, 2, 2, 2];
        let t = TensorTrain::random(kind, &dims, 4, 9).unwrap();
        let p = t.dense_probabilities().unwrap();
        let h = -p.iter().filter(|&&x| x > 0.0).map(|x| x * x.log2()).sum::<f64>();
        let mut site = 0.0;
        for k in 0..dims.len() {
            let mut m = vec![0.0; dims[k]];
            for (idx, &q) in p.iter().enumerate() {
                let stride: usize = dims[k + 1..].iter().product();
                m[(idx / stride) % dims[k]] += q;
            }
            site -= m.iter().filter(|&&x| x > 0.0).map(|x| x * x.log2()).sum::<f64>();
        }
        let (e, s) = model_entropy(&t, 1 << 20, 0, 0, &Exec::sequential()).unwrap();
        assert!(e.exact && (e.bits - h).abs() < 1e-10);
        assert!((s.iter().sum::<f64>() - site).abs() < 1e-10);
        // sampled path: within 4 standard errors, marginals still exact
        let (e, s) = model_entropy(&t, 0, 20_000, 2, &Exec::with_threads(2)).unwrap();
        assert!(!e.exact && (e.bits - h).abs() < 4.0 * e.std_error, "{kind:?}: {} +- {} vs {h}", e.bits, e.std_error);
        assert!((s.iter().sum::<f64>() - site).abs() < 1e-10);
    }
}

/// 3 clusters of 4 (interleaved: site i in cluster i % 3), a graph linking cluster members,
/// a ring between clusters, and the nested assignments pairs -> clusters -> one.
fn clustered() -> (Graph, Vec<u8>, Vec<Vec<usize>>) {
    let (pats, cluster) = latent_cluster_patterns(3, 4, 3000, 0.3, 0.6, 0.05, 7);
    let n = 12;
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if cluster[i] == cluster[j] {
                edges.push((i, j, 1.0));
            }
        }
    }
    edges.extend([(0, 1, 0.1), (1, 2, 0.1), (2, 0, 0.1)]);
    let g = Graph::from_edges(n, &edges, &EdgeListOptions::default()).unwrap();
    // members of cluster c in index order: c, c + 3, c + 6, c + 9; pairs (c, c+3), (c+6, c+9)
    let a1: Vec<usize> = (0..n).map(|i| 2 * cluster[i] + (i >= 6) as usize).collect();
    let a2 = cluster.clone();
    (g, pats, vec![a1, a2, vec![0; n]])
}

#[test]
fn flow_without_truncation_equals_the_pushforward_of_the_fitted_model() {
    let (g, pats, assignments) = clustered();
    // Born machines, and probability trains learned by EM (non-negative: no negative mass)
    let prob = Some(crate::mps::ptt::PttOptions { pseudocount_grid: vec![1.0], ..Default::default() });
    for (map, probability) in [(BlockMap::Any, None), (BlockMap::Count { cap: 3 }, None), (BlockMap::Any, prob)] {
        let born = probability.is_none();
        let opts = DtnrOptions { max_bond: 4096, map, samples: 2000, probability, ..Default::default() };
        let r = dtnr(&g, &pats, &assignments, &opts, &Exec::with_threads(2)).unwrap();
        assert_eq!(r.models[0].kind() == Kind::Born, born);
        assert_eq!(r.scales.iter().map(|s| s.variables).collect::<Vec<_>>(), vec![12, 6, 3, 1]);
        let p0 = r.models[0].dense_probabilities().unwrap();
        let dims0 = r.models[0].dims();
        let mut prev_h = f64::INFINITY;
        for t in 1..r.scales.len() {
            // compose the blocks down to scale 0
            let mut bl: Vec<(usize, usize)> = r.hierarchy.blocks[t - 1].clone();
            for s in (0..t - 1).rev() {
                bl = bl.iter().map(|&(a, b)| (r.hierarchy.blocks[s][a].0, r.hierarchy.blocks[s][b - 1].1)).collect();
            }
            let want = pushforward(&p0, &dims0, &bl, map);
            let got = r.models[t].dense_probabilities().unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-9, "scale {t} {map:?}: {a} vs {b}");
            }
            let sc = &r.scales[t];
            assert!(sc.truncation_error < 1e-12 && sc.negative_mass.value < 1e-12);
            assert!(sc.entropy.exact);
            let h = -want.iter().filter(|&&x| x > 0.0).map(|x| x * x.log2()).sum::<f64>();
            assert!((sc.entropy.bits - h).abs() < 1e-9);
            // a deterministic map cannot increase entropy
            assert!(sc.entropy.bits <= r.scales[t - 1].entropy.bits + 1e-9);
            assert!(sc.multi_information >= -1e-9);
            assert!((sc.entropy_per_variable - h / sc.variables as f64).abs() < 1e-9);
            prev_h = prev_h.min(h);
        }
        // one variable: no multi-information
        assert!(r.scales.last().unwrap().multi_information.abs() < 1e-9);
        assert!(prev_h.is_finite());
    }
}

#[test]
fn flowed_model_matches_a_direct_fit_on_coarse_data() {
    let (g, pats, assignments) = clustered();
    let opts = DtnrOptions { max_bond: 8, samples: 2000, ..Default::default() };
    let r = dtnr(&g, &pats, &assignments, &opts, &Exec::with_threads(2)).unwrap();
    assert_eq!(r.n_train + r.n_validation + r.n_heldout, 3000);
    for s in &r.scales[1..] {
        assert!(s.nll_heldout.is_finite() && s.nll_direct_heldout.is_finite());
        // consistency: within 3% (+0.02 bits) of the direct fit, and no worse than independent
        assert!(
            (s.nll_heldout - s.nll_direct_heldout).abs() < 0.03 * s.nll_direct_heldout + 0.02,
            "scale {}: flowed {} vs direct {}",
            s.scale,
            s.nll_heldout,
            s.nll_direct_heldout
        );
        assert!(s.nll_heldout <= s.nll_independent + 0.02);
        assert_eq!(s.bond_entropies.len(), s.variables.saturating_sub(1));
        assert!(s.parameters > 0 && s.state_space_log2 == s.variables as f64);
    }
    let mi: Vec<f64> = r.scales.iter().map(|s| s.multi_information).collect();
    // pairs of one cluster share its latent state; the clusters themselves are independent
    assert!(mi[1] > 0.1 && mi[2].abs() < 0.05 && mi[0] > mi[1], "{mi:?}");
}

#[test]
fn mixture_flow_keeps_the_fitted_bonds_and_equals_the_pushforward() {
    // at chi 2 the mixture's bonds (sum of its components') exceed chi: the flow recompresses
    // to the fitted model's largest bond, so it stays the exact, non-negative pushforward
    let (g, pats, assignments) = clustered();
    let mut opts =
        DtnrOptions { max_bond: 2, samples: 2000, direct: false, ..Default::default() }.with_family(crate::mps::pipeline::Family::Mixture);
    let m = opts.mixture.as_mut().unwrap();
    m.components = 2;
    m.ptt.pseudocount_grid = vec![1.0];
    let r = dtnr(&g, &pats, &assignments, &opts, &Exec::with_threads(2)).unwrap();
    assert_eq!(r.models[0].kind(), Kind::Probability);
    assert!(r.models[0].max_bond() > 2, "bonds {:?}", r.models[0].bond_dims());
    let p0 = r.models[0].dense_probabilities().unwrap();
    let dims0 = r.models[0].dims();
    for t in 1..r.scales.len() {
        let mut bl: Vec<(usize, usize)> = r.hierarchy.blocks[t - 1].clone();
        for s in (0..t - 1).rev() {
            bl = bl.iter().map(|&(a, b)| (r.hierarchy.blocks[s][a].0, r.hierarchy.blocks[s][b - 1].1)).collect();
        }
        let want = pushforward(&p0, &dims0, &bl, BlockMap::Any);
        let got = r.models[t].dense_probabilities().unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-9, "scale {t}: {a} vs {b}");
        }
        assert!(r.scales[t].truncation_error < 1e-12 && r.scales[t].negative_mass.value.abs() < 1e-12);
    }
}
