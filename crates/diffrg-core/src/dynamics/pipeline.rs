//! Effective linear dynamics and entropy production at every scale of a coarse-graining, with
//! block-bootstrap confidence intervals.
//!
//! One streaming pass over the finest variables gives per-block moments ([`LinearStats`]);
//! every coarser scale is a linear projection `y = P x` (supernode memberships, principal
//! axes), whose moments follow exactly from the fine ones, so the data are read once. At every
//! scale: the VAR(1)/OU fit, participation ratio, held-out prediction and the requested
//! estimators; `spectral` (the exact irreversibility of the projection of the finest OU fit)
//! at every scale but the finest. Intervals: `B` replicates each draw the blocks with
//! replacement, refit every scale and re-evaluate every estimator; the interval is the
//! percentile interval of the replicates and `bias` the replicate mean minus the estimate.
//!
//! The nonlinear estimators (`sfi`, `states`) need the frames themselves, not their moments:
//! [`effective_dynamics`] holds the trajectory, projects it on every scale
//! ([`trajectory::project`](super::trajectory::project), memory `frames × m` per scale, one
//! scale at a time, checked against [`TRAJECTORY_LIMIT_BYTES`]) and runs them there, each with
//! its own interval (see their modules). [`analyse`] alone (the streaming path) cannot.
//!
//! A scale whose fit fails (too few frames, a constant variable, an undefined or unstable
//! drift, singular diffusion) is not an error of the call: its fields are empty and
//! `diagnostics` says why.

use super::linear::{fit_ou, fit_var, participation_ratio, prediction, OuFit, Prediction, VarFit};
use super::ou::ou_rate_of;
use super::sfi::{sfi, SfiFit, SfiOptions};
use super::spectral::{spectral_rate, SpectralOptions};
use super::states::{states_rate, StatesEstimate, StatesOptions};
use super::stats::{LinearStats, Moments};
use super::trajectory::{membership, pca, project, TRAJECTORY_LIMIT_BYTES};
use super::var::var_per_step;
use super::{EpEstimate, TrajectoryRef};
use crate::activity::Reduce;
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Which entropy-production estimators to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimators {
    pub ou: bool,
    pub var: bool,
    pub spectral: bool,
    /// Nonlinear: Stochastic Force Inference ([`super::sfi`]).
    pub sfi: bool,
    /// Nonlinear: discrete states ([`super::states`]).
    pub states: bool,
}

/// One estimator's name (the `estimators` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    Ou,
    Var,
    Spectral,
    Sfi,
    States,
}

named_enum!(Estimator, "estimator" { Ou => "ou", Var => "var", Spectral => "spectral", Sfi => "sfi", States => "states" });

impl Estimators {
    /// The set named by `names`. Errors: `ERR_INVALID_INPUT` naming the `estimators` option.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Estimators> {
        let mut e = Estimators { ou: false, var: false, spectral: false, sfi: false, states: false };
        for s in names {
            match Estimator::parse_field(s.as_ref(), "estimators")? {
                Estimator::Ou => e.ou = true,
                Estimator::Var => e.var = true,
                Estimator::Spectral => e.spectral = true,
                Estimator::Sfi => e.sfi = true,
                Estimator::States => e.states = true,
            }
        }
        Ok(e)
    }
}

impl Default for Estimators {
    /// The three linear estimators (the nonlinear ones hold the trajectory: asked for by name).
    fn default() -> Self {
        Estimators { ou: true, var: true, spectral: true, sfi: false, states: false }
    }
}

/// Options of [`analyse`] / [`effective_dynamics`].
#[derive(Debug, Clone)]
pub struct DynamicsOptions {
    pub estimators: Estimators,
    /// Bootstrap replicates (default 100; 0 = no intervals: `ci = [rate, rate]`).
    pub bootstrap: usize,
    /// Target number of time blocks (default 64; the pass keeps between this and twice as many).
    pub blocks: usize,
    /// Frames ahead of the held-out prediction (default 1).
    pub horizon: usize,
    /// Fraction of the blocks, at the end of the recording, held out for the prediction (default 0.2).
    pub test_fraction: f64,
    /// Confidence level of the intervals (default 0.95).
    pub level: f64,
    /// Seed of the bootstrap draws (default 0).
    pub seed: u64,
    pub spectral: SpectralOptions,
    /// Options of `sfi`; its `bootstrap`, `blocks`, `level`, `seed` and `test_fraction` are
    /// replaced by the ones above.
    pub sfi: SfiOptions,
    /// Options of `states` (`k`: the number of states); its `bootstrap`, `blocks`, `level` and
    /// `seed` are replaced by the ones above.
    pub states: StatesOptions,
}

impl Default for DynamicsOptions {
    fn default() -> Self {
        DynamicsOptions {
            estimators: Estimators::default(),
            bootstrap: 100,
            blocks: 64,
            horizon: 1,
            test_fraction: 0.2,
            level: 0.95,
            seed: 0,
            spectral: SpectralOptions::default(),
            sfi: SfiOptions::default(),
            states: StatesOptions::default(),
        }
    }
}

impl DynamicsOptions {
    fn check(&self) -> Result<()> {
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(Error::invalid_input(format!("dynamics: testFraction must be in (0, 1) (got {})", self.test_fraction)));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::invalid_input(format!("dynamics: level must be in (0, 1) (got {})", self.level)));
        }
        if self.bootstrap == 1 {
            return Err(Error::invalid_input("dynamics: bootstrap must be 0 or at least 2 replicates"));
        }
        Ok(())
    }
}

/// The estimators of one scale (`None`: not requested, not defined, or failed; see the
/// scale's diagnostics).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntropyProduction {
    pub ou: Option<EpEstimate>,
    pub var: Option<EpEstimate>,
    pub spectral: Option<EpEstimate>,
    /// Hooks for the nonlinear estimators (filled by their own modules).
    pub sfi: Option<EpEstimate>,
    pub states: Option<EpEstimate>,
}

/// Everything recorded at one scale.
#[derive(Debug, Clone)]
pub struct ScaleDynamics {
    pub variables: usize,
    pub frames: usize,
    pub bin_seconds: f64,
    pub var: Option<VarFit>,
    pub ou: Option<OuFit>,
    pub participation_ratio: Option<f64>,
    pub prediction: Option<Prediction>,
    pub entropy: EntropyProduction,
    /// The `sfi` fit behind `entropy.sfi`.
    pub sfi: Option<SfiFit>,
    /// The `states` estimate behind `entropy.states` (its k-means labels dropped).
    pub states: Option<StatesEstimate>,
    pub diagnostics: Vec<String>,
}

/// Point values of the estimators of every scale for one set of moments.
fn evaluate(
    fine: &Moments,
    projections: &[Mat<f64>],
    o: &DynamicsOptions,
    exec: &Exec,
    diag: Option<&mut Vec<Vec<String>>>,
) -> (Vec<[Option<f64>; 3]>, Vec<(Option<VarFit>, Option<OuFit>)>) {
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); projections.len() + 1];
    let mut vals = Vec::with_capacity(projections.len() + 1);
    let mut fits = Vec::with_capacity(projections.len() + 1);
    let mut fine_ou: Option<OuFit> = None;
    for s in 0..=projections.len() {
        let projected;
        let m = if s == 0 {
            fine
        } else {
            projected = fine.project(projections[s - 1].as_ref());
            &projected
        };
        let note = &mut notes[s];
        let mut v = [None; 3];
        let var = fit_var(m).map_err(|e| note.push(e.message)).ok();
        let ou = var.as_ref().and_then(|f| fit_ou(f, m.dt, exec).map_err(|e| note.push(e.message)).ok());
        if let Some(ou) = &ou {
            if !ou.diffusion_positive {
                note.push("the fitted diffusion D is not positive definite (singular diffusion)".into());
            }
        }
        if o.estimators.var && var.is_some() {
            v[1] = var_per_step(m).map_err(|e| note.push(e.message)).ok().map(|x| x / m.dt);
        }
        if o.estimators.ou {
            if let Some(ou) = &ou {
                v[0] = ou_rate_of(ou).ok();
            }
        }
        if s == 0 {
            fine_ou = ou.clone();
        } else if o.estimators.spectral {
            match &fine_ou {
                Some(f) if f.diffusion_positive => {
                    match spectral_rate(f.drift.as_ref(), f.diffusion.as_ref(), projections[s - 1].as_ref(), &o.spectral, exec) {
                        Ok(r) => {
                            if !r.converged {
                                note.push(format!("spectral: quadrature did not reach its tolerance (error estimate {:.2e})", r.error));
                            }
                            v[2] = Some(r.rate);
                        }
                        Err(e) => note.push(e.message),
                    }
                }
                _ => note.push("spectral: undefined because the finest scale has no OU fit with positive-definite diffusion".into()),
            }
        }
        vals.push(v);
        fits.push((var, ou));
    }
    if let Some(d) = diag {
        *d = notes;
    }
    (vals, fits)
}

/// Percentile interval at `level` of finite values (None when fewer than 2).
pub(crate) fn percentile_ci(vals: &mut [f64], level: f64) -> Option<[f64; 2]> {
    if vals.len() < 2 {
        return None;
    }
    vals.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let x = p * (vals.len() - 1) as f64;
        let (i, f) = (x.floor() as usize, x - x.floor());
        vals[i] + f * (vals[(i + 1).min(vals.len() - 1)] - vals[i])
    };
    let a = 0.5 * (1.0 - level);
    Some([q(a), q(1.0 - a)])
}

/// Analyses every scale: the finest variables of `stats` and each projection (`m × n`).
///
/// # Errors
/// `ERR_INVALID_INPUT` for bad options or a projection with the wrong number of columns;
/// `ERR_ABORTED`. Per-scale failures are diagnostics (see the module docs).
pub fn analyse(stats: &LinearStats, projections: &[Mat<f64>], o: &DynamicsOptions, exec: &Exec) -> Result<Vec<ScaleDynamics>> {
    o.check()?;
    for (k, p) in projections.iter().enumerate() {
        if p.ncols() != stats.n || p.nrows() == 0 {
            return Err(Error::invalid_input(format!("dynamics: projection {k} is {}x{} for {} variables", p.nrows(), p.ncols(), stats.n)));
        }
    }
    let fine = stats.moments()?;
    let mut notes = Vec::new();
    let (point, fits) = evaluate(&fine, projections, o, exec, Some(&mut notes));
    exec.progress.set(0.05);
    // held-out prediction: the last blocks are the test set
    let nb = stats.blocks.len();
    let ntest = ((nb as f64 * o.test_fraction).round() as usize).clamp(1, nb.saturating_sub(1).max(1));
    let split = if nb >= 2 { Some((stats.moments_range(0..nb - ntest), stats.moments_range(nb - ntest..nb))) } else { None };
    // bootstrap
    let reps = o.bootstrap;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let boot: Vec<Vec<[Option<f64>; 3]>> = exec.install(|| {
        (0..reps)
            .into_par_iter()
            .map(|r| -> Result<Vec<[Option<f64>; 3]>> {
                exec.check()?;
                let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
                rng.set_stream(r as u64);
                let picks: Vec<usize> = (0..nb).map(|_| rng.random_range(0..nb)).collect();
                let m = stats.moments_of(&picks)?;
                let (v, _) = evaluate(&m, projections, o, &Exec { threads: 1, ..exec.clone() }, None);
                let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                exec.progress.set(0.05 + 0.95 * d as f64 / reps as f64);
                Ok(v)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut out = Vec::with_capacity(point.len());
    for (s, ((vals, (var, ou)), mut note)) in point.into_iter().zip(fits).zip(notes).enumerate() {
        let p = if s == 0 { None } else { Some(&projections[s - 1]) };
        let variables = p.map_or(stats.n, |p| p.nrows());
        let mut ep = [None, None, None];
        for (e, v) in vals.iter().enumerate() {
            let Some(rate) = *v else { continue };
            let mut reps: Vec<f64> = boot.iter().filter_map(|b| b[s][e]).filter(|x| x.is_finite()).collect();
            let failed = boot.len() - reps.len();
            let mean = if reps.is_empty() { rate } else { reps.iter().sum::<f64>() / reps.len() as f64 };
            let ci = if o.bootstrap == 0 {
                [rate, rate]
            } else {
                percentile_ci(&mut reps, o.level).unwrap_or_else(|| {
                    note.push(format!("{}: fewer than 2 bootstrap replicates succeeded; no interval", ["ou", "var", "spectral"][e]));
                    [rate, rate]
                })
            };
            if failed > 0 && o.bootstrap > 0 {
                note.push(format!(
                    "{}: {failed} of {} bootstrap replicates failed and were left out",
                    ["ou", "var", "spectral"][e],
                    boot.len()
                ));
            }
            ep[e] = Some(EpEstimate { rate, ci, per_step: None, bias: (o.bootstrap > 0).then_some(mean - rate) });
        }
        let prediction = match &split {
            Some((Ok(tr), Ok(te))) => {
                let (tr, te) = match p {
                    None => (tr.clone(), te.clone()),
                    Some(p) => (tr.project(p.as_ref()), te.project(p.as_ref())),
                };
                prediction(&tr, &te, o.horizon).map_err(|e| note.push(format!("prediction: {}", e.message))).ok()
            }
            _ => {
                note.push("prediction: too few blocks for a train/test split".into());
                None
            }
        };
        out.push(ScaleDynamics {
            variables,
            frames: stats.frames,
            bin_seconds: stats.dt,
            participation_ratio: var.as_ref().map(|v| participation_ratio(v.s.as_ref())),
            var,
            ou,
            prediction,
            entropy: EntropyProduction { ou: ep[0].take(), var: ep[1].take(), spectral: ep[2].take(), sfi: None, states: None },
            sfi: None,
            states: None,
            diagnostics: note,
        });
    }
    Ok(out)
}

/// A coarser scale of the finest variables.
#[derive(Debug, Clone)]
pub enum Coarsening {
    /// `y = P x` (`m × n`).
    Projection(Mat<f64>),
    /// Group of every variable (`None`: left out), summed or averaged (see [`membership`]).
    Assignment(Vec<Option<usize>>, Reduce),
    /// The top-`K` principal components of the whole recording (see [`pca`]).
    Pca(usize),
}

/// Fits every scale of a streamed recording ([`LinearStats`] pushed chunk by chunk): the
/// streamed variables, then each of `coarse`. The nonlinear estimators need the whole
/// trajectory, so on a stream they are diagnostics, not estimates.
///
/// # Errors
/// `ERR_INVALID_INPUT` when `o.horizon` differs from the stream's, as [`analyse`] otherwise.
pub fn analyse_stream(stats: &LinearStats, coarse: &[Coarsening], o: &DynamicsOptions, exec: &Exec) -> Result<Vec<ScaleDynamics>> {
    let horizon = stats.lags.last().copied().unwrap_or(1);
    if o.horizon != horizon {
        return Err(Error::invalid_input(format!("horizon must be the stream's ({horizon})")));
    }
    let p = projections(stats, coarse)?;
    let mut scales = analyse(stats, &p, o, exec)?;
    for (name, on) in [("sfi", o.estimators.sfi), ("states", o.estimators.states)] {
        if on {
            scales[0]
                .diagnostics
                .push(format!("{name}: needs the whole trajectory in memory; not computed on a stream (use entropyProduction)"));
        }
    }
    Ok(scales)
}

/// The projection matrices of `coarse` for the finest variables of `stats`.
pub fn projections(stats: &LinearStats, coarse: &[Coarsening]) -> Result<Vec<Mat<f64>>> {
    coarse
        .iter()
        .enumerate()
        .map(|(k, c)| match c {
            Coarsening::Projection(p) => Ok(p.clone()),
            Coarsening::Assignment(a, r) => {
                if a.len() != stats.n {
                    return Err(Error::invalid_input(format!(
                        "dynamics: assignment {k} has {} entries for {} variables",
                        a.len(),
                        stats.n
                    )));
                }
                membership(a, *r)
            }
            Coarsening::Pca(kk) => pca(&stats.moments()?, *kk),
        })
        .collect()
}

/// Streams `traj` through a [`LinearStats`] accumulator and [`analyse`]s its finest variables
/// and every coarsening.
pub fn effective_dynamics(traj: TrajectoryRef, coarse: &[Coarsening], o: &DynamicsOptions, exec: &Exec) -> Result<Vec<ScaleDynamics>> {
    let mut stats = LinearStats::new(traj.vars, traj.dt, o.horizon, o.blocks)?;
    let chunk = 1usize << 16;
    let pass = exec.part(0.0, 0.3);
    for (k, c) in traj.data.chunks(chunk * traj.vars).enumerate() {
        stats.push(c, exec)?;
        pass.progress.set_done((k + 1) * chunk, traj.frames);
    }
    let p = projections(&stats, coarse)?;
    let nonlinear = o.estimators.sfi || o.estimators.states;
    let mut scales = analyse(&stats, &p, o, &exec.part(0.3, if nonlinear { 0.6 } else { 1.0 }))?;
    if nonlinear {
        add_nonlinear(traj, &p, &mut scales, o, &exec.part(0.6, 1.0))?;
    }
    Ok(scales)
}

/// Runs the requested nonlinear estimators on the trajectory of every scale (the finest, then
/// `projections`), filling `entropy.sfi` / `entropy.states`; a failure is a diagnostic.
///
/// # Errors
/// `ERR_TOO_LARGE` when a projected trajectory would not fit; `ERR_ABORTED`.
pub fn add_nonlinear(
    traj: TrajectoryRef,
    projections: &[Mat<f64>],
    scales: &mut [ScaleDynamics],
    o: &DynamicsOptions,
    exec: &Exec,
) -> Result<()> {
    let so = SfiOptions {
        bootstrap: o.bootstrap,
        blocks: o.blocks,
        level: o.level,
        seed: o.seed,
        test_fraction: o.test_fraction,
        ..o.sfi.clone()
    };
    let st = StatesOptions { bootstrap: o.bootstrap, blocks: o.blocks, level: o.level, seed: o.seed, ..o.states.clone() };
    let total = scales.len();
    for (s, scale) in scales.iter_mut().enumerate() {
        exec.check()?;
        let projected;
        let t = if s == 0 {
            traj
        } else {
            let p = &projections[s - 1];
            ensure_fits(
                &format!("the trajectory of scale {s}"),
                (p.nrows() as u128) * (traj.frames as u128),
                TRAJECTORY_LIMIT_BYTES,
                "use fewer scales or variables",
            )?;
            projected = project(traj, p)?;
            projected.view()?
        };
        let part = exec.part(s as f64 / total as f64, (s + 1) as f64 / total as f64);
        let fail = |name: &str, e: Error, note: &mut Vec<String>| -> Result<()> {
            if e.code == crate::ErrorCode::Aborted {
                return Err(e);
            }
            note.push(format!("{name}: {}", e.message.trim_start_matches(&format!("{name}: "))));
            Ok(())
        };
        if o.estimators.sfi {
            match sfi(t, &so, &part.part(0.0, 0.5)) {
                Ok(f) => {
                    scale.diagnostics.extend(f.diagnostics.iter().cloned());
                    scale.entropy.sfi = Some(f.estimate.clone());
                    scale.sfi = Some(f);
                }
                Err(e) => fail("sfi", e, &mut scale.diagnostics)?,
            }
        }
        if o.estimators.states {
            match states_rate(t, &st, &part.part(0.5, 1.0)) {
                Ok(mut r) => {
                    scale.diagnostics.extend(r.diagnostics.iter().cloned());
                    if let Some(km) = r.kmeans.as_mut() {
                        km.labels = Vec::new();
                    }
                    scale.entropy.states = Some(r.estimate.clone());
                    scale.states = Some(r);
                }
                Err(e) => fail("states", e, &mut scale.diagnostics)?,
            }
        }
        part.progress.set(1.0);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::linear::tests::mat;
    use super::super::ou::{expm, lyapunov};
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    /// Exact OU simulation: `x_{t+1} = A x_t + L ξ`, `A = exp(-B dt)`, `L L^T = S - A S A^T`.
    pub fn simulate(b: &Mat<f64>, d: &Mat<f64>, dt: f64, frames: usize, seed: u64) -> Vec<f64> {
        let n = b.nrows();
        let s = lyapunov(b.as_ref(), d.as_ref()).unwrap();
        let a = expm(&Mat::from_fn(n, n, |i, j| -b[(i, j)] * dt));
        let q = &s - &a * &s * a.transpose();
        let l = q.llt(faer::Side::Lower).unwrap().L().to_owned();
        let sl = s.llt(faer::Side::Lower).unwrap().L().to_owned();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut z = || -> Vec<f64> { (0..n).map(|_| StandardNormal.sample(&mut rng)).collect() };
        let mul = |m: &Mat<f64>, v: &[f64]| -> Vec<f64> { (0..n).map(|i| (0..n).map(|j| m[(i, j)] * v[j]).sum()).collect() };
        let mut x = mul(&sl, &z());
        let mut out = Vec::with_capacity(n * frames);
        for _ in 0..frames {
            out.extend_from_slice(&x);
            let ax = mul(&a, &x);
            let e = mul(&l, &z());
            x = ax.iter().zip(&e).map(|(p, q)| p + q).collect();
        }
        out
    }

    /// The rotating trap `B = [[1, -0.3], [0.3, 1]]`, `D = 0.5 I` (σ = 0.18), 3.2e5 frames at
    /// dt = 0.01 (seed 3); the reversible control `B = [[1, 0.4], [0.4, 2]]` (seed 11, 2e5 frames).
    pub fn trap_data(reversible: bool) -> (Vec<f64>, usize, f64) {
        let b = if reversible { mat(&[&[1.0, 0.4], &[0.4, 2.0]]) } else { mat(&[&[1.0, -0.3], &[0.3, 1.0]]) };
        let d = mat(&[&[0.5, 0.0], &[0.0, 0.5]]);
        let (frames, seed) = if reversible { (200_000, 11) } else { (320_000, 3) };
        (simulate(&b, &d, 0.01, frames, seed), frames, 0.01)
    }

    #[test]
    fn simulated_trap_recovers_sigma_and_diffusion() {
        let (data, frames, dt) = trap_data(false);
        let t = TrajectoryRef::new(&data, frames, 2, dt).unwrap();
        let o = DynamicsOptions { bootstrap: 50, ..Default::default() };
        let r = effective_dynamics(t, &[], &o, &Exec::with_threads(2)).unwrap();
        let s = &r[0];
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let ou = s.entropy.ou.as_ref().unwrap();
        assert!((ou.rate - 0.18).abs() < 0.03, "{ou:?}");
        assert!(ou.ci[0] <= ou.rate && ou.rate <= ou.ci[1]);
        assert!(ou.ci[0] < 0.18 + 0.03 && ou.ci[1] > 0.18 - 0.03);
        let var = s.entropy.var.as_ref().unwrap();
        assert!((var.rate - 0.18).abs() < 0.03, "{var:?}");
        let f = s.ou.as_ref().unwrap();
        for i in 0..2 {
            assert!((f.diffusion[(i, i)] - 0.5).abs() < 0.025, "{:?}", f.diffusion);
        }
        assert!(f.diffusion[(0, 1)].abs() < 0.025);
        assert!(s.entropy.spectral.is_none());
        // coupling predicts better than independent AR(1)s (rotation couples the coordinates)
        let p = s.prediction.unwrap();
        assert!(p.r2 > p.r2_diagonal, "{p:?}");
    }

    #[test]
    fn reversible_control_is_within_its_error() {
        let (data, frames, dt) = trap_data(true);
        let t = TrajectoryRef::new(&data, frames, 2, dt).unwrap();
        let r = effective_dynamics(t, &[], &DynamicsOptions { bootstrap: 50, ..Default::default() }, &Exec::with_threads(2)).unwrap();
        for e in [r[0].entropy.ou.as_ref().unwrap(), r[0].entropy.var.as_ref().unwrap()] {
            let width = e.ci[1] - e.ci[0];
            let bias = e.bias.unwrap().abs();
            assert!(e.rate.abs() <= 3.0 * width.max(bias), "{e:?}");
            assert!(e.ci[0] <= 0.0 + width, "{e:?}");
        }
    }

    #[test]
    fn coarse_scales_get_spectral_below_the_fine_rate() {
        // 4 variables: two rotating traps coupled; coarse = sum of pairs (0,2), (1,3).
        let b = mat(&[&[1.0, -0.5, 0.2, 0.0], &[0.5, 1.0, 0.0, 0.1], &[0.0, 0.0, 1.5, -0.4], &[0.0, 0.3, 0.4, 1.2]]);
        let d = Mat::<f64>::identity(4, 4) * faer::Scale(0.5);
        let (dt, frames) = (0.02, 100_000);
        let data = simulate(&b, &d, dt, frames, 5);
        let t = TrajectoryRef::new(&data, frames, 4, dt).unwrap();
        let p = super::super::trajectory::membership(&[Some(0), Some(1), Some(0), Some(1)], crate::activity::Reduce::Sum).unwrap();
        let r = effective_dynamics(
            t,
            &[Coarsening::Projection(p)],
            &DynamicsOptions { bootstrap: 20, ..Default::default() },
            &Exec::with_threads(2),
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].variables, 2);
        let fine = r[0].entropy.ou.as_ref().unwrap().rate;
        let sp = r[1].entropy.spectral.as_ref().unwrap();
        assert!(sp.rate <= fine && sp.rate > 0.0, "{sp:?} vs {fine}");
        assert!(r[1].entropy.ou.is_some() && r[1].entropy.var.is_some());
        assert!(r[1].participation_ratio.unwrap() >= 1.0);
    }

    #[test]
    fn nonlinear_estimators_run_at_every_scale() {
        let (data, _, dt) = trap_data(false);
        let t = TrajectoryRef::new(&data[..2 * 100_000], 100_000, 2, dt).unwrap();
        let e = Estimators { sfi: true, states: true, ..Default::default() };
        let o = DynamicsOptions {
            estimators: e,
            bootstrap: 10,
            states: StatesOptions { k: Some(6), ..Default::default() },
            ..Default::default()
        };
        // scale 1: the first coordinate alone (one variable: states defined, sfi of a 1-D process is reversible)
        let p = Mat::from_fn(1, 2, |_, j| if j == 0 { 1.0 } else { 0.0 });
        let r = effective_dynamics(t, &[Coarsening::Projection(p)], &o, &Exec::with_threads(2)).unwrap();
        let fine = &r[0];
        let sfi = fine.entropy.sfi.as_ref().unwrap();
        assert!((sfi.rate - 0.18).abs() < 0.06, "{sfi:?}");
        assert_eq!(fine.sfi.as_ref().unwrap().degree, fine.sfi.as_ref().unwrap().degree.clamp(1, 3));
        // states: a lower bound (data processing), small here as the frames are 10 ms apart
        let st = fine.entropy.states.as_ref().unwrap();
        assert!(st.ci[1] < 0.18 && (st.rate - st.per_step.unwrap() / dt).abs() < 1e-12, "{st:?}");
        assert_eq!(fine.states.as_ref().unwrap().k, 6);
        let coarse = &r[1];
        let s1 = coarse.entropy.sfi.as_ref().unwrap();
        assert!(s1.rate.abs() < 0.03, "{s1:?}");
        assert!(coarse.entropy.states.is_some());
    }

    #[test]
    fn bad_scales_are_diagnostics_not_failures() {
        // a constant variable and too few frames
        let data: Vec<f64> = (0..40).map(|k| if k % 2 == 0 { (k as f64 * 0.7).sin() } else { 1.0 }).collect();
        let t = TrajectoryRef::new(&data, 20, 2, 0.1).unwrap();
        let r =
            effective_dynamics(t, &[], &DynamicsOptions { bootstrap: 0, blocks: 4, ..Default::default() }, &Exec::sequential()).unwrap();
        assert!(r[0].ou.is_none() && r[0].entropy.var.is_none());
        assert!(r[0].diagnostics.iter().any(|d| d.contains("variable 1 is constant")), "{:?}", r[0].diagnostics);
        let two = [0.1, 0.5, 0.3, 0.2];
        let t = TrajectoryRef::new(&two, 2, 2, 0.1).unwrap();
        let r = effective_dynamics(t, &[], &DynamicsOptions { bootstrap: 0, ..Default::default() }, &Exec::sequential()).unwrap();
        assert!(r[0].diagnostics.iter().any(|d| d.contains("frames")), "{:?}", r[0].diagnostics);
        assert!(
            effective_dynamics(t, &[Coarsening::Projection(Mat::zeros(1, 3))], &DynamicsOptions::default(), &Exec::sequential()).is_err()
        );
    }
}
