//! Estimators of an assembly's rate from its observed neurons (docs/control.md, "Why the final
//! error misses"): open-loop runs of the control network (every channel at `EST_U0` Hz until the
//! step time, then the target assembly's channel at `EST_HI` and the others at `EST_LO`), and for
//! each assembly the error (true - estimate, Hz) of the post-stratified mean and of a log-normal
//! model of each stratum's rates, over the baseline window (settle to step time) and the driven
//! window (step time + 0.5 s to the end). Knobs: `CL_SEEDS` (1-8), `EST_DUR` (4 s), `EST_U0`
//! (100), `EST_HI` (350), `EST_LO` (30). Prints one line per assembly, then the RMS errors.
use crate::{env, env_list};
use diffrg_core::control::{simulate_custom, ClosedLoopOptions};
use diffrg_core::exec::Exec;
use diffrg_core::sim::stim::Controller;

/// Every channel at `u0` before `step`, then the target's at `hi` and the others at `lo`.
struct Schedule {
    channels: usize,
    target: usize,
    step: f64,
    u0: f64,
    hi: f64,
    lo: f64,
}

impl Controller for Schedule {
    fn control(&mut self, t: f64, _counts: &[u32]) -> diffrg_core::Result<Vec<f64>> {
        Ok((0..self.channels)
            .map(|c| {
                if t < self.step - 1e-9 {
                    self.u0
                } else if c == self.target {
                    self.hi
                } else {
                    self.lo
                }
            })
            .collect())
    }
}

/// Post-stratified estimate `f · est(reached) + (1 - f) · est(others)`; `est` is the sample mean,
/// or with `lognormal` the mean `exp(mu + s^2/2) - 1` of a log-normal fit to `rate + 1`.
fn stratified(sample: &[(f64, bool)], f: f64, lognormal: bool) -> f64 {
    let est = |v: Vec<f64>| -> f64 {
        let n = v.len() as f64;
        if !lognormal {
            return v.iter().sum::<f64>() / n;
        }
        let l: Vec<f64> = v.iter().map(|x| (x + 1.0).ln()).collect();
        let mu = l.iter().sum::<f64>() / n;
        let s2 = l.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0);
        (mu + s2 / 2.0).exp() - 1.0
    };
    let rates = |reached: bool| -> Vec<f64> { sample.iter().filter(|x| x.1 == reached).map(|x| x.0).collect() };
    let (r, o) = (rates(true), rates(false));
    if r.is_empty() || o.is_empty() {
        return est(sample.iter().map(|x| x.0).collect());
    }
    f * est(r) + (1.0 - f) * est(o)
}

pub fn run() {
    let exec = Exec::with_threads(1);
    let seeds: Vec<u64> = env_list("CL_SEEDS", "1,2,3,4,5,6,7,8");
    let (u0, hi, lo) = (env("EST_U0", 100.0), env("EST_HI", 350.0), env("EST_LO", 30.0));
    // squared errors: [baseline, driven] x [stratified mean, log-normal]
    let mut se = [[0.0f64; 2]; 2];
    let mut cases = 0usize;
    for &seed in &seeds {
        let o = ClosedLoopOptions { seed, duration: env("EST_DUR", 4.0), ..Default::default() };
        for target in 0..o.assemblies {
            let mut ctl = Schedule { channels: o.assemblies, target, step: o.step_time, u0, hi, lo };
            let run = simulate_custom(&o, &mut ctl, &exec).unwrap();
            let (rec, a) = (&run.record, o.assemblies);
            let mut reached = vec![false; run.labels.len()];
            run.channels.iter().flatten().for_each(|&i| reached[i as usize] = true);
            let at = |t: f64| ((t / o.period).round() as usize).min(rec.periods);
            let windows = [(at(o.settle), at(o.step_time)), (at(o.step_time + 0.5), rec.periods)];
            let mut line = format!("seed {seed} assembly {target}");
            for (w, &(w0, w1)) in windows.iter().enumerate() {
                let dur = (w1 - w0) as f64 * o.period;
                let truth = (w0..w1).map(|p| run.rates[p * a + target]).sum::<f64>() / (w1 - w0) as f64;
                let sample: Vec<(f64, bool)> = (0..rec.observed)
                    .filter(|&i| run.labels[run.observed[i] as usize] as usize == target)
                    .map(|i| {
                        ((w0..w1).map(|p| rec.counts[p * rec.observed + i] as f64).sum::<f64>() / dur, reached[run.observed[i] as usize])
                    })
                    .collect();
                let (s, l) = (truth - stratified(&sample, o.drive_fraction, false), truth - stratified(&sample, o.drive_fraction, true));
                se[w][0] += s * s;
                se[w][1] += l * l;
                line +=
                    &format!(" | {} true {truth:.2} n {} stratified {s:+.2} log-normal {l:+.2}", ["baseline", "driven"][w], sample.len());
            }
            println!("{line}");
            cases += 1;
        }
    }
    let rms = |x: f64| (x / cases.max(1) as f64).sqrt();
    println!(
        "RMS error over {cases} assemblies (Hz): baseline stratified {:.2} log-normal {:.2}; driven stratified {:.2} log-normal {:.2}",
        rms(se[0][0]),
        rms(se[0][1]),
        rms(se[1][0]),
        rms(se[1][1])
    );
}
