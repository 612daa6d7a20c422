//! Rank and gain of LGD's latent part over recording lengths and observed fractions (the table
//! of docs/lgd.md, `infer::synthetic::hidden_assemblies`): VAR(1) data of a clustered graph of
//! `HIDDEN_N` neurons (120) with two slow common-input hubs per cluster that are never observed;
//! `HIDDEN_STEPS` (5000,20000), `HIDDEN_FRACTIONS` (0.2,0.5), `HIDDEN_SEED` (31).
use crate::{env, env_list};
use diffrg_core::infer::synthetic::hidden_assemblies;

pub fn run() {
    let (n, seed): (usize, u64) = (env("HIDDEN_N", 120), env("HIDDEN_SEED", 31));
    eprintln!("| steps | observed | rank | AUROC | without latent | AUPR | without latent |");
    for steps in env_list::<usize>("HIDDEN_STEPS", "5000,20000") {
        for frac in env_list::<f64>("HIDDEN_FRACTIONS", "0.2,0.5") {
            let (rank, roc, roc0, pr, pr0) = hidden_assemblies(n, 2, steps, frac, seed).unwrap();
            eprintln!("| {steps} | {:.0}% | {rank} | {roc:.3} | {roc0:.3} | {pr:.3} | {pr0:.3} |", frac * 100.0);
        }
    }
}
