//! Phenomenological renormalisation group (PRG) of neural activity (Meshulam, Gauthier, Brody,
//! Tank & Bialek, PRL 123, 178103, 2019), and the same scaling statistics along any other
//! hierarchy of clusters (the Laplacian-RG supernodes), so that both coarse-grainings of one
//! recording can be compared.
//!
//! - [`pairing`]: correlations of the cluster variables and the greedy pairing (the PRG step).
//! - [`scaling`]: per-level statistics (variance, silence, within-cluster spectrum,
//!   autocorrelation time), power-law exponents with cluster-bootstrap intervals.
//!
//! Units: every unit's activity is divided by the mean of its non-zero values (the paper's
//! normalisation, so the mean non-zero activity is 1); a cluster's activity is the sum of its
//! members' normalised activity. See docs/prg.md for the equations and the departures.

pub mod pairing;
pub mod scaling;

use super::TrajectoryRef;
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use pairing::{correlations, greedy_pairs, prg_levels};
pub use scaling::{hierarchy_scaling, Exponent, PrgLevel, PrgResult};

/// Options of the phenomenological RG and its statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct PrgOptions {
    /// Highest PRG level (clusters of `2^max_level` units); `None`: as many as `min_clusters`
    /// allows. Default `None`.
    pub max_level: Option<usize>,
    /// A level is made only if it has at least this many clusters. Default 4.
    pub min_clusters: usize,
    /// Divide each unit by the mean of its non-zero values (the paper's convention). Default true.
    pub normalize: bool,
    /// Bootstrap replicates over clusters for the exponents' intervals (0: none). Default 200.
    pub bootstrap: usize,
    /// Confidence level of the intervals. Default 0.95.
    pub level: f64,
    /// Seed of the bootstrap (ChaCha8). Default 0.
    pub seed: u64,
    /// Largest lag (frames) of the autocorrelation functions. Default 1000.
    pub max_lag: usize,
    /// Smallest and largest cluster whose covariance spectrum is computed. Default 4 and 512.
    pub spectrum_min_size: usize,
    pub spectrum_max_size: usize,
    /// Also fit every exponent on the data with each unit circularly shifted in time by an
    /// independent random offset (seeded by `seed`): cross-correlations are destroyed, rates and
    /// autocorrelations kept, so the shifted exponents measure the pairing's selection bias
    /// (`Exponent::null`). Default false.
    pub shuffle: bool,
}

impl Default for PrgOptions {
    fn default() -> Self {
        PrgOptions {
            max_level: None,
            min_clusters: 4,
            normalize: true,
            bootstrap: 200,
            level: 0.95,
            seed: 0,
            max_lag: 1000,
            spectrum_min_size: 4,
            spectrum_max_size: 512,
            shuffle: false,
        }
    }
}

impl PrgOptions {
    fn check(&self) -> Result<()> {
        if self.min_clusters == 0 {
            return Err(Error::invalid_input("prg: min_clusters must be at least 1"));
        }
        if self.bootstrap == 1 {
            return Err(Error::invalid_input("prg: bootstrap must be 0 or at least 2"));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::invalid_input(format!("prg: level must be in (0, 1) (got {})", self.level)));
        }
        if self.max_lag == 0 {
            return Err(Error::invalid_input("prg: max_lag must be at least 1"));
        }
        if self.spectrum_min_size < 2 || self.spectrum_max_size < self.spectrum_min_size {
            return Err(Error::invalid_input(format!(
                "prg: spectrum sizes must satisfy 2 <= spectrum_min_size <= spectrum_max_size (got {} and {})",
                self.spectrum_min_size, self.spectrum_max_size
            )));
        }
        Ok(())
    }
}

/// Unit-major activity: `x[i * frames + t]` is unit `i` at frame `t`, divided by `scale[i]`.
#[derive(Debug, Clone)]
pub struct Units {
    pub x: Vec<f64>,
    pub n: usize,
    pub frames: usize,
    pub dt: f64,
    /// The divisor of every unit (the mean of its non-zero |values|, or 1 without normalising).
    pub scale: Vec<f64>,
}

impl Units {
    /// Transposes a frame-major trajectory into unit-major rows and normalises them.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for fewer than 2 frames, or a unit that is all zero or constant
    /// (naming the unit); `ERR_TOO_LARGE`.
    pub fn new(t: TrajectoryRef, normalize: bool) -> Result<Units> {
        let (n, frames) = (t.vars, t.frames);
        if frames < 2 {
            return Err(Error::invalid_input(format!("prg: {frames} frame(s); at least 2 are needed")));
        }
        ensure_fits(
            "the unit activity",
            (n as u128) * (frames as u128),
            super::trajectory::TRAJECTORY_LIMIT_BYTES,
            "use a wider bin or fewer units",
        )?;
        let mut x = vec![0.0; n * frames];
        for f in 0..frames {
            for (i, &v) in t.frame(f).iter().enumerate() {
                x[i * frames + f] = v;
            }
        }
        let mut scale = vec![1.0; n];
        for i in 0..n {
            let r = &mut x[i * frames..(i + 1) * frames];
            let (nz, sum) = r.iter().filter(|v| **v != 0.0).fold((0usize, 0.0), |(k, s), v| (k + 1, s + v.abs()));
            if nz == 0 {
                return Err(Error::invalid_input(format!("prg: unit {i} is zero in every frame")));
            }
            if r.iter().all(|v| *v == r[0]) {
                return Err(Error::invalid_input(format!("prg: unit {i} is constant ({}) in every frame", r[0])));
            }
            if normalize {
                scale[i] = sum / nz as f64;
                r.iter_mut().for_each(|v| *v /= scale[i]);
            }
        }
        Ok(Units { x, n, frames, dt: t.dt, scale })
    }
}

/// The phenomenological RG of a trajectory (its variables are the units), and optionally the
/// same statistics along a second hierarchy given by `assignments` (the group of every unit at
/// each coarser level, `None`: left out; e.g. the Laplacian-RG supernodes of each flow step).
///
/// Returns the PRG result and, with `assignments`, the other hierarchy's.
///
/// # Errors
/// See [`Units::new`]; `ERR_INVALID_INPUT` for bad options or an assignment of the wrong
/// length or with an empty group; `ERR_ABORTED`.
///
/// Complexity: `O(N² T)` for the first pairing (one GEMM), `O(N K T)` per level for the
/// within-cluster spectra, `O(N T L)` for the autocorrelations up to lag `L`.
pub fn phenomenological_rg(
    t: TrajectoryRef,
    assignments: Option<&[Vec<Option<usize>>]>,
    o: &PrgOptions,
    exec: &Exec,
) -> Result<(PrgResult, Option<PrgResult>)> {
    o.check()?;
    let u = Units::new(t, o.normalize)?;
    let other = match assignments {
        None => None,
        Some(a) => Some(assignment_levels(a, u.n)?),
    };
    let null = o.shuffle.then(|| shifted(&u, o.seed));
    let stages = (1 + other.is_some() as usize) * (1 + o.shuffle as usize);
    let stage = |k: usize| exec.part(k as f64 / stages as f64, (k + 1) as f64 / stages as f64);
    let quiet = PrgOptions { bootstrap: 0, ..o.clone() };
    let prg_run = |u: &Units, o: &PrgOptions, e: &Exec| -> Result<PrgResult> {
        let levels = prg_levels(u, o.min_clusters, o.max_level, &e.part(0.0, 0.5))?;
        hierarchy_scaling(u, levels, o, &e.part(0.5, 1.0))
    };
    let mut prg = prg_run(&u, o, &stage(0))?;
    if let Some(n) = &null {
        attach_null(&mut prg, &prg_run(n, &quiet, &stage(1))?);
    }
    let lrg = match other {
        None => None,
        Some(mut levels) => {
            // as for the PRG, a level needs `min_clusters` clusters (a flow's last steps often
            // leave one or two supernodes, which a bootstrap over clusters cannot resample)
            let keep: Vec<usize> = (0..levels.len()).filter(|&k| k == 0 || levels[k].len() >= o.min_clusters).collect();
            let few: Vec<usize> = (1..levels.len()).filter(|k| !keep.contains(k)).collect();
            let mut k = 0;
            levels.retain(|l| {
                k += 1;
                k == 1 || l.len() >= o.min_clusters
            });
            let next = 1 + o.shuffle as usize;
            let mut r = scaling::hierarchy_scaling_of(&u, levels.clone(), keep.clone(), o, &stage(next))?;
            if let Some(n) = &null {
                attach_null(&mut r, &scaling::hierarchy_scaling_of(n, levels, keep, &quiet, &stage(next + 1))?);
            }
            if !few.is_empty() {
                r.diagnostics.push(format!("assignment level(s) {few:?} left out: fewer than {} clusters (min_clusters)", o.min_clusters));
            }
            Some(r)
        }
    };
    Ok((prg, lrg))
}

/// `u` with every unit circularly shifted in time by an independent offset in `0..frames`
/// (ChaCha8 of `seed`, a stream of its own).
fn shifted(u: &Units, seed: u64) -> Units {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::MAX);
    let t = u.frames;
    let mut x = vec![0.0; u.x.len()];
    for (d, r) in x.chunks_mut(t).zip(u.x.chunks(t)) {
        let s = rng.random_range(0..t);
        d[..t - s].copy_from_slice(&r[s..]);
        d[t - s..].copy_from_slice(&r[..s]);
    }
    Units { x, n: u.n, frames: t, dt: u.dt, scale: u.scale.clone() }
}

/// Copies the exponents of the shifted data into `r`'s `null` fields.
fn attach_null(r: &mut PrgResult, n: &PrgResult) {
    for (e, ne) in [
        (&mut r.variance, &n.variance),
        (&mut r.silence, &n.silence),
        (&mut r.spectrum, &n.spectrum),
        (&mut r.autocorrelation, &n.autocorrelation),
    ] {
        if let Some(e) = e {
            e.null = ne.as_ref().map(|x| x.value);
        }
    }
}

/// The cluster levels of a hierarchy given as assignments: level 0 is every unit alone, then
/// one level per assignment.
fn assignment_levels(a: &[Vec<Option<usize>>], n: usize) -> Result<Vec<Vec<Vec<usize>>>> {
    let mut levels: Vec<Vec<Vec<usize>>> = vec![(0..n).map(|i| vec![i]).collect()];
    for (k, a) in a.iter().enumerate() {
        if a.len() != n {
            return Err(Error::invalid_input(format!("prg: assignment {k} has {} entries for {n} units", a.len())));
        }
        let groups = a.iter().flatten().max().map_or(0, |&g| g + 1);
        let mut clusters = vec![Vec::new(); groups];
        for (i, g) in a.iter().enumerate() {
            if let Some(g) = g {
                clusters[*g].push(i);
            }
        }
        if let Some(g) = clusters.iter().position(|c| c.is_empty()) {
            return Err(Error::invalid_input(format!("prg: group {g} of assignment {k} has no unit")));
        }
        if clusters.is_empty() {
            return Err(Error::invalid_input(format!("prg: assignment {k} assigns no unit")));
        }
        levels.push(clusters);
    }
    Ok(levels)
}

#[cfg(test)]
mod tests;
