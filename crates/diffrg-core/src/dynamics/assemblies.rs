//! Entropy production at the assembly scale of a clustered LIF network: the ground truth that
//! irreversibility is visible at the assembly scale (`NetworkOptions::feedforward` dials in
//! feed-forward coupling between assemblies). Shared by the test in `lif_tests.rs` and the
//! `feedforward` report (crates/diffrg-core/examples/reports/dynamics.rs).

use super::pipeline::{effective_dynamics, DynamicsOptions, Estimators};
use super::states::StatesOptions;
use super::trajectory::{from_spikes, TrajectoryOptions};
use crate::activity::BinOptions;
use crate::error::Result;
use crate::exec::Exec;
use crate::sim::{simulate, LifOptions, NetworkOptions};

/// Simulates `net` for `duration` s, bins the excitatory assemblies' rates at `bin` s and returns
/// (VAR entropy rate, state-space entropy rate, E rate, I rate); NaN for an estimator that did not run.
#[doc(hidden)]
pub fn assembly_rates(net: NetworkOptions, duration: f64, bin: f64, seed: u64, exec: &Exec) -> Result<(f64, f64, f64, f64)> {
    let r = simulate(&LifOptions { network: net, duration, seed, ..Default::default() }, exec, None)?;
    let k = r.connectivity.clusters();
    let groups = r.connectivity.labels().iter().map(|&l| ((l as usize) < k).then_some(l as usize)).collect();
    let t = from_spikes(
        &r.spikes,
        &BinOptions { bin_width: bin, ..Default::default() },
        &TrajectoryOptions { groups: Some(groups), ..Default::default() },
        exec,
    )?;
    let e = Estimators { ou: false, var: true, spectral: false, sfi: false, states: true };
    let d = DynamicsOptions {
        estimators: e,
        bootstrap: 0,
        states: StatesOptions { bias_replicates: 10, ..Default::default() },
        ..Default::default()
    };
    let s = &effective_dynamics(t.view()?, &[], &d, exec)?[0];
    Ok((
        s.entropy.var.as_ref().map_or(f64::NAN, |e| e.rate),
        s.entropy.states.as_ref().map_or(f64::NAN, |e| e.rate),
        r.rate_exc,
        r.rate_inh,
    ))
}
