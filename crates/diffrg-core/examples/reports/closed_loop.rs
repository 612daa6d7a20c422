//! The coarse-to-fine control demonstration (docs/control.md) over seeds and target assemblies,
//! one line per run: reach, identification, and the closed-loop, open-loop and random-partition
//! errors. Knobs: `CL_SEEDS` (1), `CL_TARGETS` (0), and overrides of [`ClosedLoopOptions`]:
//! `CL_ID`, `CL_DUR`, `CL_U0`, `CL_RATE`, `CL_Q`, `CL_QI`, `CL_R`, `CL_KE`, `CL_KI`, `CL_IN`,
//! `CL_W`, `CL_EXC`, `CL_EPN`, `CL_DWELL`, `CL_OBS`; flags (set to anything): `CL_AW`
//! (anti-windup), `CL_NOSTRAT` (no post-stratification), `CL_MPC` (MPC policy), `CL_LGD` (LGD
//! inference). Moved out of src/ (was an `#[ignore]` test in control/closed_loop.rs).
//! `miss` splits the target's final miss (true final - observed final, Hz) into the level error
//! (true - observed baseline) and the response error (true change - observed change), the
//! decomposition of docs/control.md.
use crate::{env, env_list};
use diffrg_core::control::closed_loop::{closed_loop, ClosedLoopOptions};
use diffrg_core::control::tracking::Policy;
use diffrg_core::exec::Exec;
use diffrg_core::infer::api::Method;

pub fn run() {
    let seeds: Vec<u64> = env_list("CL_SEEDS", "1");
    let targets: Vec<usize> = env_list("CL_TARGETS", "0");
    let flag = |k: &str| std::env::var(k).is_ok();
    let exec = Exec::with_threads(1);
    for &seed in &seeds {
        for &ta in &targets {
            let mut o = ClosedLoopOptions { seed, target_assembly: ta, ..Default::default() };
            o.id_duration = env("CL_ID", o.id_duration);
            o.duration = env("CL_DUR", o.duration);
            o.operating_drive = env("CL_U0", o.operating_drive);
            o.target_rate = env("CL_RATE", o.target_rate);
            o.tracking.q = env("CL_Q", o.tracking.q);
            o.tracking.qi = env("CL_QI", o.tracking.qi);
            o.tracking.r = env("CL_R", o.tracking.r);
            o.k_exc = env("CL_KE", o.k_exc);
            o.k_inh = env("CL_KI", o.k_inh);
            o.in_fraction = env("CL_IN", o.in_fraction);
            o.w_ratio = env("CL_W", o.w_ratio);
            o.excitation = env("CL_EXC", o.excitation);
            o.edges_per_node = env("CL_EPN", o.edges_per_node);
            o.dwell = env("CL_DWELL", o.dwell);
            o.observe = env("CL_OBS", o.observe);
            o.tracking.anti_windup = flag("CL_AW");
            o.stratify = !flag("CL_NOSTRAT");
            if flag("CL_MPC") {
                o.tracking.policy = Policy::Mpc;
            }
            if flag("CL_LGD") {
                o.infer_method = Method::Lgd;
            }
            let t0 = std::time::Instant::now();
            let r = closed_loop(&o, &exec).unwrap();
            let (c, op, rp) = (&r.closed_loop, &r.open_loop, &r.random_partition);
            let round = |v: &[f64]| v.iter().map(|x| (x * 10.0).round() / 10.0).collect::<Vec<_>>();
            let (tb, tf) = (c.baseline_hz[ta], c.final_hz[ta]);
            let (ob, of) = (c.observed_baseline_hz, c.observed_final_hz);
            eprintln!(
                "seed {seed} target {ta}: reach {} sat {:.2} obsfin {:.3} {:.1}s R2 {:.3} k {} ari {:.3} rho {:.3} step {:.1} | closed fin {:.3} off {:.2} rms {:.2} | open fin {:.3} off {:.2} rms {:.2} | rand fin {:.3} off {:.2} rms {:.2} | miss {:+.2} = level {:+.2} + response {:+.2} | base {:?} fin {:?} qp {}",
                r.reachable,
                c.saturated_fraction,
                c.observed_final_error_fraction,
                t0.elapsed().as_secs_f64(),
                r.identification.prediction_r2,
                r.identification.communities,
                r.identification.ari,
                r.identification.spectral_radius,
                r.step_hz,
                c.final_error_fraction,
                c.off_target_max_hz,
                c.rms_error_hz,
                op.final_error_fraction,
                op.off_target_max_hz,
                op.rms_error_hz,
                rp.final_error_fraction,
                rp.off_target_max_hz,
                rp.rms_error_hz,
                tf - of,
                tb - ob,
                (tf - tb) - (of - ob),
                round(&c.baseline_hz),
                round(&c.final_hz),
                c.qp_iterations,
            );
        }
    }
}
