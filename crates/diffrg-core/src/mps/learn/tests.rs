//! Tests of [`super`]: exact initialisation, sweeps, reproducibility, ordering.

use super::sweep::CHUNK;
use super::*;
use crate::mps::tt::Kind;
use crate::mps::baselines::Independent;
use crate::mps::data::{latent_cluster_patterns, reorder_columns, split};
use crate::mps::sample::sample;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn exact_init_reproduces_empirical_distribution() {
    let dims = vec![2usize, 3, 2, 2, 2, 2, 3, 2, 2, 2];
    let truth = TensorTrain::random(Kind::Born, &dims, 3, 4).unwrap();
    let s = sample(&truth, 400, 1, &Exec::sequential()).unwrap();
    let data = Distinct::new(&s.patterns, dims.len(), "patterns").unwrap();
    let (t, disc) = exact_init(&dims, &data, data.len(), 0.0, &Exec::with_threads(2)).unwrap();
    assert!(disc < 1e-12);
    assert!(t.max_bond() <= data.len());
    let p = t.dense_probabilities().unwrap();
    let mut emp = vec![0.0; p.len()];
    for j in 0..data.len() {
        let idx = data.row(j).iter().zip(&dims).fold(0usize, |acc, (&v, &d)| acc * d + v as usize);
        emp[idx] += data.weights[j];
    }
    for (a, b) in p.iter().zip(&emp) {
        assert!((a - b).abs() < 1e-12);
    }
    // truncated: the discarded weight is reported and the fit is no longer exact
    let (t2, disc2) = exact_init(&dims, &data, 2, 0.0, &Exec::sequential()).unwrap();
    assert!(disc2 > 1e-6 && t2.max_bond() <= 2);
    // N = 1
    let one = Distinct::new(&[0, 1, 1, 2], 1, "p").unwrap();
    let (t1, _) = exact_init(&[3], &one, 4, 0.0, &Exec::sequential()).unwrap();
    let p1 = t1.dense_probabilities().unwrap();
    assert!((p1[0] - 0.25).abs() < 1e-14 && (p1[1] - 0.5).abs() < 1e-14);
}

#[test]
fn sweeps_learn_a_low_rank_distribution() {
    let dims = vec![2usize; 12];
    let truth = TensorTrain::random(Kind::Born, &dims, 3, 17).unwrap();
    let exec = Exec::with_threads(2);
    let s = sample(&truth, 8000, 5, &exec).unwrap();
    let (train, val) = split(&s.patterns, 12, 0.25, 3).unwrap();
    let opts = LearnOptions { max_bond: 4, ..Default::default() };
    let (model, rep) = fit(&dims, &train, &val, &opts, &exec).unwrap();
    assert!(!rep.history.is_empty());
    assert!(model.max_bond() <= 4);
    let true_val = -crate::mps::eval::log2_prob(&truth, &val, &exec).unwrap().iter().sum::<f64>() / (val.len() / 12) as f64;
    let ind = Independent::fit(&dims, &train, 0.5).unwrap().nll_bits(&val).unwrap();
    // best model is reported consistently and is normalised
    let got = nll(&model, &val, &exec).unwrap();
    assert!((got - rep.nll_heldout).abs() < 1e-9);
    assert!(rep.nll_heldout <= rep.init_nll_heldout);
    eprintln!("fit {:.4} truth {true_val:.4} independent {ind:.4} init {:.4} sweeps {}", rep.nll_heldout, rep.init_nll_heldout, rep.history.len());
    assert!(rep.nll_heldout < true_val + 0.1, "{} vs truth {true_val}", rep.nll_heldout);
    assert!(rep.nll_heldout < ind - 0.1, "{} vs independent {ind}", rep.nll_heldout);
}

#[test]
fn fit_is_bit_reproducible_across_runs_and_thread_counts() {
    // several gradient chunks (CHUNK patterns each), so a parallel reduction could reorder sums
    let (pats, _) = latent_cluster_patterns(3, 4, 5 * CHUNK, 0.3, 0.6, 0.05, 4);
    let (train, val) = split(&pats, 12, 0.25, 1).unwrap();
    let opts = LearnOptions { max_bond: 4, ..Default::default() };
    let run = |threads| fit(&[2; 12], &train, &val, &opts, &Exec::with_threads(threads)).unwrap();
    let bits = |t: &TensorTrain| t.cores().iter().flat_map(|c| c.data.iter().map(|v| v.to_bits())).collect::<Vec<u64>>();
    let (a, ra) = run(2);
    for threads in [2, 2, 1] {
        let (b, rb) = run(threads);
        assert_eq!(bits(&a), bits(&b), "threads {threads}");
        assert_eq!(ra.nll_heldout.to_bits(), rb.nll_heldout.to_bits());
    }
}

#[test]
fn contiguous_cluster_order_beats_interleaved_and_random() {
    // 4 latent clusters x 4 sites; identity order interleaves the clusters.
    let (pats, cluster) = latent_cluster_patterns(4, 4, 6000, 0.3, 0.6, 0.05, 11);
    let n = cluster.len();
    let mut community: Vec<usize> = (0..n).collect();
    community.sort_by_key(|&i| (cluster[i], i));
    let mut random: Vec<usize> = (0..n).collect();
    random.shuffle(&mut ChaCha8Rng::seed_from_u64(2));
    let identity: Vec<usize> = (0..n).collect();
    let exec = Exec::with_threads(2);
    let opts = LearnOptions { max_bond: 2, ..Default::default() };
    let mut res = Vec::new();
    for order in [&community, &identity, &random] {
        let p = reorder_columns(&pats, order);
        let (train, val) = split(&p, n, 0.3, 1).unwrap();
        let (_, rep) = fit(&vec![2; n], &train, &val, &opts, &exec).unwrap();
        res.push(rep.nll_heldout);
    }
    eprintln!("held-out NLL (bits): community {:.4} identity {:.4} random {:.4}", res[0], res[1], res[2]);
    assert!(res[0] < res[1] - 0.1 && res[0] < res[2] - 0.1, "community {} identity {} random {}", res[0], res[1], res[2]);
}

/// Progress of a fit with start selection: non-decreasing, past the 10% screening mark after
/// the first half-sweep, ending at 1 (also when early stopping ends a refinement).
#[test]
fn fit_progress_is_monotone_and_reaches_one() {
    let (pats, _) = latent_cluster_patterns(3, 4, 400, 0.3, 0.6, 0.05, 4);
    let (train, val) = split(&pats, 12, 0.25, 1).unwrap();
    let opts = LearnOptions { max_bond: 4, max_half_sweeps: 6, ..Default::default() };
    let (progress, log) = crate::exec::Progress::recording();
    let exec = Exec { progress, ..Exec::sequential() };
    fit(&[2; 12], &train, &val, &opts, &exec).unwrap();
    let log = log.lock().unwrap();
    assert!(log.windows(2).all(|w| w[0] <= w[1]) && log[0] >= 0.0, "{log:?}");
    assert_eq!(log.first(), Some(&0.1), "{log:?}");
    assert!(log.iter().any(|&f| f > 0.1 && f < 1.0), "{log:?}");
    assert_eq!(exec.progress.get(), 1.0);
}
