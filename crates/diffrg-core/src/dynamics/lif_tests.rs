//! Entropy production of LIF assemblies as feed-forward coupling between them is dialled in
//! (`NetworkOptions::feedforward`): the ground truth that irreversibility is visible at the
//! assembly scale.

use super::assemblies::assembly_rates;
use crate::exec::Exec;
use crate::sim::NetworkOptions;

/// 200 neurons, 4 assemblies of 40 E neurons, 30 s at 20 ms bins.
fn small(f: f64) -> NetworkOptions {
    NetworkOptions { n: 200, clusters: 4, k_exc: 40.0, k_inh: 10.0, p_ratio: Some(6.0), w_ratio: 2.5, feedforward: f, ..Default::default() }
}

#[test]
fn assembly_irreversibility_grows_with_feedforward() {
    let exec = Exec::with_threads(2);
    let r: Vec<(f64, f64, f64, f64)> = [0.0, 0.5, 1.0].iter().map(|&f| assembly_rates(small(f), 30.0, 0.02, 1, &exec).unwrap()).collect();
    // the firing regime stays the same (the in-degree is kept)
    for x in &r {
        assert!((x.2 - r[0].2).abs() < 0.2 * r[0].2, "{r:?}");
    }
    for w in r.windows(2) {
        assert!(w[1].0 > 1.5 * w[0].0, "var: {r:?}");
        assert!(w[1].1 > w[0].1 + 0.2, "states: {r:?}");
    }
}
