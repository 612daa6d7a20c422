//! Tests of [`super`]: exact initialisation, sweeps, reproducibility, ordering.

use super::sweep::CHUNK;
use super::*;
use crate::mps::baselines::Independent;
use crate::mps::data::{latent_cluster_patterns, reorder_columns, split};
use crate::mps::sample::sample;
use crate::mps::tt::Kind;
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
    eprintln!(
        "fit {:.4} truth {true_val:.4} independent {ind:.4} init {:.4} sweeps {}",
        rep.nll_heldout,
        rep.init_nll_heldout,
        rep.history.len()
    );
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
    // nested parts meet up to rounding (the reported value is a running maximum)
    assert!(log.windows(2).all(|w| w[0] <= w[1] + 1e-12) && log[0] >= 0.0, "{log:?}");
    assert_eq!(log.first(), Some(&0.1), "{log:?}");
    assert!(log.iter().any(|&f| f > 0.1 && f < 1.0), "{log:?}");
    assert_eq!(exec.progress.get(), 1.0);
}

#[test]
fn ladder_reaches_the_empirical_optimum_on_a_small_system() {
    // N = 6 binary sites: chi 8 is full rank, so the maximum-likelihood Born machine is the
    // empirical distribution and the training NLL must reach the empirical entropy. Validation
    // on the training data itself selects by training likelihood.
    let n = 6;
    let (pats, _) = latent_cluster_patterns(2, 3, 3000, 0.3, 0.7, 0.1, 11);
    let dims = vec![2usize; n];
    let data = Distinct::new(&pats, n, "p").unwrap();
    let h_emp = -data.weights.iter().map(|w| w * w.log2()).sum::<f64>();
    let exec = Exec::with_threads(2);
    let opts = LearnOptions {
        max_bond: 8,
        smoothing_grid: vec![0.0],
        init_mix_grid: vec![1.0],
        max_half_sweeps: 40,
        patience: 6,
        steps_per_bond: 4,
        ..Default::default()
    };
    let (model, rep) = fit(&dims, &pats, &pats, &opts, &exec).unwrap();
    let got = nll(&model, &pats, &exec).unwrap();
    eprintln!(
        "train NLL {got:.5} empirical entropy {h_emp:.5}, max bond {}, rungs {:?}",
        model.max_bond(),
        rep.curve.iter().map(|h| h.chi).collect::<Vec<_>>()
    );
    assert!(got >= h_emp - 1e-9, "below the empirical entropy: {got} < {h_emp}");
    assert!(got < h_emp + 0.01, "{got} vs empirical entropy {h_emp}");
    // the ladder went past chi 2 and reported every rung's half-sweeps
    assert!(rep.curve.iter().any(|h| h.chi > 2) && model.max_bond() > 2);
    assert!(rep.curve.windows(2).all(|w| w[0].chi <= w[1].chi));
    assert!(rep.warning.is_none());
}

#[test]
fn ladder_smoothing_and_product_state_warning() {
    assert_eq!(ladder(1), vec![1]);
    assert_eq!(ladder(2), vec![2]);
    assert_eq!(ladder(5), vec![2, 4, 5]);
    assert_eq!(ladder(32), vec![2, 4, 8, 16, 32]);
    let (pats, _) = latent_cluster_patterns(2, 4, 500, 0.3, 0.7, 0.05, 2);
    let dims = vec![2usize; 8];
    let data = Distinct::new(&pats, 8, "p").unwrap();
    let s = smoothed(&data, &dims, 0.25, 0.5, 1);
    assert!((s.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // the training patterns keep weight 1 / (1 + alpha) plus what the pseudo-data add to them
    let pseudo: f64 =
        s.weights[data.len()..].iter().sum::<f64>() + (0..data.len()).map(|j| s.weights[j] - data.weights[j] / 1.25).sum::<f64>();
    assert!((pseudo - 0.2).abs() < 1e-12, "{pseudo}");
    assert_eq!(s, smoothed(&data, &dims, 0.25, 0.5, 1));
    assert_eq!(smoothed(&data, &dims, 0.0, 0.5, 1), data);
    // correlated clusters: a product state is flagged; independent sites are not
    assert!(product_state_warning(&data).is_some_and(|w| w.contains("correlated")));
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let indep: Vec<u8> = (0..8 * 2000).map(|_| rand::Rng::random_bool(&mut rng, 0.2) as u8).collect();
    assert!(product_state_warning(&Distinct::new(&indep, 8, "p").unwrap()).is_none());
    // a fit to independent data returns a product state without a warning
    let (train, val) = split(&indep, 8, 0.3, 1).unwrap();
    let (_, rep) = fit(&dims, &train, &val, &LearnOptions { max_bond: 4, ..Default::default() }, &Exec::sequential()).unwrap();
    assert!(rep.warning.is_none());
    // option checks
    let bad = LearnOptions { smoothing_grid: vec![-1.0], ..Default::default() };
    assert!(fit(&dims, &train, &val, &bad, &Exec::sequential()).is_err());
    let bad = LearnOptions { shrink: 1.0, ..Default::default() };
    assert!(fit(&dims, &train, &val, &bad, &Exec::sequential()).is_err());
}
