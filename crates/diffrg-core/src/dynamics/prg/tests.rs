use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Frame-major Bernoulli(p) activity of `n` independent units.
fn bernoulli(n: usize, frames: usize, p: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n * frames).map(|_| if rng.random::<f64>() < p { 1.0 } else { 0.0 }).collect()
}

fn run(data: &[f64], frames: usize, n: usize, a: Option<&[Vec<Option<usize>>]>, o: &PrgOptions) -> (PrgResult, Option<PrgResult>) {
    let t = TrajectoryRef::new(data, frames, n, 0.01).unwrap();
    phenomenological_rg(t, a, o, &Exec::with_threads(2)).unwrap()
}

fn within(e: &Exponent, x: f64) -> bool {
    e.ci[0] <= x && x <= e.ci[1]
}

#[test]
fn independent_units_scale_with_exponent_one() {
    let (n, frames, p) = (64, 40_000, 0.1);
    let data = bernoulli(n, frames, p, 1);
    // a fixed hierarchy (units grouped in index order, no selection): exponent 1 within the CI
    let fixed: Vec<Vec<Option<usize>>> = (1..5).map(|k| (0..n).map(|i| Some(i >> k)).collect()).collect();
    let (r, lrg) = run(&data, frames, n, Some(&fixed), &PrgOptions::default());
    let l = lrg.unwrap();
    for e in [l.variance.as_ref().unwrap(), l.silence.as_ref().unwrap()] {
        assert!(within(e, 1.0) && (e.value - 1.0).abs() < 0.01, "{e:?}");
    }
    // the PRG pairs the most correlated units, so finite-sample correlations (~ T^-1/2) are
    // selected and the exponents sit slightly above 1 (docs/prg.md, selection bias): within
    // 0.02 here, not within the cluster-bootstrap interval.
    // 64 units, at least 4 clusters: K = 1 .. 16
    assert_eq!(r.levels.iter().map(|l| l.clusters).collect::<Vec<_>>(), vec![64, 32, 16, 8, 4]);
    assert_eq!(r.levels.iter().map(|l| l.mean_size).collect::<Vec<_>>(), vec![1.0, 2.0, 4.0, 8.0, 16.0]);
    let v = r.variance.as_ref().unwrap();
    assert!(v.value > 1.0 && v.value - 1.0 < 0.02, "{v:?}");
    // circularly shifted units have the same selection bias
    let (rs, _) = run(&data, frames, n, None, &PrgOptions { shuffle: true, bootstrap: 0, ..Default::default() });
    let nv = rs.variance.as_ref().unwrap();
    assert_eq!(nv.value, v.value);
    assert!((nv.null.unwrap() - v.value).abs() < 0.01 && nv.null.unwrap() > 1.0, "{nv:?}");
    // -ln P0 = K (-ln(1 - p)) for independent Bernoulli units: exponent 1 (less the selection)
    let s = r.silence.as_ref().unwrap();
    assert!((s.value - 1.0).abs() < 0.02, "{s:?}");
    for l in &r.levels {
        let f = l.free_energy.unwrap();
        let exact = l.mean_size * -(1.0 - p).ln();
        assert!((f - exact).abs() < 0.05 * exact, "K = {}: {f} vs {exact}", l.mean_size);
    }
    // white in time: the autocorrelation drops at once; flat within-cluster spectrum
    assert!(r.levels.iter().all(|l| l.autocorrelation_time.unwrap() < 0.01));
    let mu = r.spectrum.as_ref().unwrap();
    assert!(mu.value.abs() < 0.1, "{mu:?}");
    assert_eq!(r.levels[4].spectrum.len(), 16);
}

#[test]
fn identical_copies_scale_with_exponent_two() {
    // 8 independent base units, each copied 8 times: the pairing groups copies (correlation 1)
    // up to K = 8, where the cluster activity is K times one unit's.
    let (base, copies, frames) = (8, 8, 5000);
    let b = bernoulli(base, frames, 0.3, 2);
    let n = base * copies;
    let mut data = vec![0.0; n * frames];
    for f in 0..frames {
        for i in 0..n {
            data[f * n + i] = b[f * base + i / copies] * (1 + i / copies) as f64;
        }
    }
    let o = PrgOptions { max_level: Some(3), ..Default::default() };
    let assignment: Vec<Option<usize>> = (0..n).map(|i| Some(i / copies)).collect();
    let (r, lrg) = run(&data, frames, n, Some(&[assignment]), &o);
    assert_eq!(r.levels.len(), 4);
    for c in &r.clusters[3] {
        assert!(c.iter().all(|&i| i / copies == c[0] / copies), "{c:?}");
    }
    let v = r.variance.as_ref().unwrap();
    assert!((v.value - 2.0).abs() < 1e-9 && within(v, 2.0), "{v:?}");
    // shifted copies are independent units: the null exponent is 1, along both hierarchies
    let (rs, ls) = run(
        &data,
        frames,
        n,
        Some(&[(0..n).map(|i| Some(i / copies)).collect()]),
        &PrgOptions { shuffle: true, bootstrap: 0, ..o.clone() },
    );
    assert!((rs.variance.as_ref().unwrap().null.unwrap() - 1.0).abs() < 0.05, "{:?}", rs.variance);
    assert!((ls.unwrap().variance.as_ref().unwrap().null.unwrap() - 1.0).abs() < 0.05);
    // silence does not depend on K for copies: beta = 0
    assert!(r.silence.as_ref().unwrap().value.abs() < 1e-9);
    // the same along a given hierarchy (the copies as one level)
    let l = lrg.unwrap();
    assert_eq!(l.levels.len(), 2);
    // a level with fewer than min_clusters clusters is left out, and said so
    let one: Vec<Option<usize>> = vec![Some(0); n];
    let (_, l2) =
        run(&data, frames, n, Some(&[(0..n).map(|i| Some(i / copies)).collect(), one]), &PrgOptions { bootstrap: 0, ..o.clone() });
    let l2 = l2.unwrap();
    assert_eq!(l2.levels.iter().map(|l| l.source).collect::<Vec<_>>(), vec![0, 1]);
    assert!(l2.diagnostics.iter().any(|d| d.contains("level(s) [2] left out")), "{:?}", l2.diagnostics);
    assert!((l.variance.as_ref().unwrap().value - 2.0).abs() < 1e-9);
}

#[test]
fn autocorrelation_time_of_markov_units() {
    // independent symmetric two-state chains flipping with probability q per frame:
    // C(l) = (1 - 2q)^l at every K, so tau = -1 / ln(1 - 2q) frames and z = 0.
    let (n, frames, q) = (32, 40_000, 0.05);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut state: Vec<bool> = (0..n).map(|_| rng.random()).collect();
    let mut data = Vec::with_capacity(n * frames);
    for _ in 0..frames {
        for s in state.iter_mut() {
            if rng.random::<f64>() < q {
                *s = !*s;
            }
            data.push(if *s { 1.0 } else { 0.0 });
        }
    }
    let (r, _) = run(&data, frames, n, None, &PrgOptions::default());
    let tau = -1.0 / (1.0 - 2.0 * q).ln() * 0.01;
    for l in &r.levels {
        let t = l.autocorrelation_time.unwrap();
        assert!((t - tau).abs() < 0.1 * tau, "K = {}: {t} vs {tau}", l.mean_size);
    }
    let z = r.autocorrelation.as_ref().unwrap();
    assert!(z.value.abs() < 0.05 && z.ci[0] < z.value && z.value < z.ci[1], "{z:?}");
}

#[test]
fn bad_input_is_a_typed_error() {
    let mut data = bernoulli(4, 100, 0.5, 4);
    let e = Exec::sequential();
    let o = PrgOptions::default();
    for f in 0..100 {
        data[f * 4 + 2] = 0.0;
    }
    let t = TrajectoryRef::new(&data, 100, 4, 0.01).unwrap();
    let err = phenomenological_rg(t, None, &o, &e).unwrap_err();
    assert!(err.message.contains("unit 2 is zero"), "{}", err.message);
    for f in 0..100 {
        data[f * 4 + 2] = 3.0;
    }
    let t = TrajectoryRef::new(&data, 100, 4, 0.01).unwrap();
    assert!(phenomenological_rg(t, None, &o, &e).unwrap_err().message.contains("unit 2 is constant"));
    let t = TrajectoryRef::new(&data[..4], 1, 4, 0.01).unwrap();
    assert!(phenomenological_rg(t, None, &o, &e).is_err());
    let ok = bernoulli(4, 100, 0.5, 5);
    let t = TrajectoryRef::new(&ok, 100, 4, 0.01).unwrap();
    let a = [vec![Some(0), Some(2), Some(0), None]];
    assert!(phenomenological_rg(t, Some(&a), &o, &e).unwrap_err().message.contains("group 1"));
    assert!(phenomenological_rg(t, Some(&[vec![Some(0)]]), &o, &e).is_err());
    assert!(phenomenological_rg(t, None, &PrgOptions { bootstrap: 1, ..o.clone() }, &e).is_err());
    // too few units for a second level: statistics of level 0 only, exponents explained
    let (r, _) = phenomenological_rg(t, None, &o, &e).unwrap();
    assert_eq!(r.levels.len(), 1);
    assert!(r.variance.is_none() && r.diagnostics.iter().any(|d| d.starts_with("variance exponent")));
}
