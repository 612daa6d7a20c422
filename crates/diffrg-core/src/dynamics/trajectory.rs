//! Trajectories from activity: binned spike counts or dense traces, optionally grouped by a
//! partition (sum or mean per group), optionally smoothed by a causal exponential filter, or
//! projected on linear coarse-grainings (supernode memberships, principal components).
//!
//! Spike trains are binned with the activity family's [`SparseRaster`] (its [`BinGrid`]
//! convention); dense input is used sample by sample (one frame per sample). The result is
//! frame-major (`data[t * vars + i]`), the layout of [`TrajectoryRef`].
//!
//! [`BinGrid`]: crate::activity::BinGrid

use super::linear::sym;
use super::stats::Moments;
use super::TrajectoryRef;
use crate::activity::{BinOptions, Reduce, SparseRaster, SpikeTrains};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use faer::{Mat, Side};

/// An owned frame-major trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub data: Vec<f64>,
    pub frames: usize,
    pub vars: usize,
    /// Seconds between frames.
    pub dt: f64,
}

impl Trajectory {
    pub fn view(&self) -> Result<TrajectoryRef<'_>> {
        TrajectoryRef::new(&self.data, self.frames, self.vars, self.dt)
    }
}

/// Largest trajectory built in memory (bytes).
pub const TRAJECTORY_LIMIT_BYTES: u128 = 8 << 30;

/// How the input's neurons become variables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrajectoryOptions {
    /// Group of every input row (`None`: the row is left out); `None` = every row is a variable.
    pub groups: Option<Vec<Option<usize>>>,
    /// Sum (default) or mean of a group's rows.
    pub reduce: Option<Reduce>,
    /// Time constant (s) of the causal exponential smoothing `y_t = a y_{t-1} + (1 - a) x_t`,
    /// `a = exp(-dt/τ)` (`y_0 = x_0`); `None` (default) = no smoothing.
    pub smoothing: Option<f64>,
}

/// Row -> variable map and weights of `o.groups`.
fn layout(rows: usize, o: &TrajectoryOptions) -> Result<(Vec<Option<usize>>, Vec<f64>, usize)> {
    match &o.groups {
        None => Ok(((0..rows).map(Some).collect(), vec![1.0; rows], rows)),
        Some(g) => {
            if g.len() != rows {
                return Err(Error::invalid_input(format!("dynamics: the partition has {} entries for {rows} neurons", g.len())));
            }
            let k = g.iter().flatten().max().map_or(0, |&m| m + 1);
            let mut size = vec![0usize; k];
            for &x in g.iter().flatten() {
                size[x] += 1;
            }
            if let Some(e) = size.iter().position(|&s| s == 0) {
                return Err(Error::invalid_input(format!("dynamics: group {e} of the partition has no neuron")));
            }
            if k == 0 {
                return Err(Error::invalid_input("dynamics: the partition assigns no neuron to a group"));
            }
            let mean = o.reduce == Some(Reduce::Mean);
            let w = g.iter().map(|x| x.map_or(0.0, |x| if mean { 1.0 / size[x] as f64 } else { 1.0 })).collect();
            Ok((g.clone(), w, k))
        }
    }
}

fn smooth(t: &mut Trajectory, o: &TrajectoryOptions) -> Result<()> {
    if let Some(tau) = o.smoothing {
        if !(tau.is_finite() && tau > 0.0) {
            return Err(Error::invalid_input(format!("dynamics: smoothing time constant must be positive (got {tau})")));
        }
        let a = (-t.dt / tau).exp();
        let n = t.vars;
        for f in 1..t.frames {
            let (prev, cur) = t.data.split_at_mut(f * n);
            let prev = &prev[(f - 1) * n..];
            for (y, p) in cur[..n].iter_mut().zip(prev) {
                *y = a * p + (1.0 - a) * *y;
            }
        }
    }
    Ok(())
}

/// Builds a trajectory from dense activity, `data[i * samples + t]` = row `i` at sample `t`,
/// samples `dt` seconds apart.
///
/// # Errors
/// `ERR_INVALID_INPUT` for a shape mismatch, `dt <= 0` or a bad partition; `ERR_NOT_FINITE`
/// naming the row and sample of a non-finite value; `ERR_TOO_LARGE`.
pub fn from_dense(data: &[f64], rows: usize, samples: usize, dt: f64, o: &TrajectoryOptions, exec: &Exec) -> Result<Trajectory> {
    if rows.checked_mul(samples) != Some(data.len()) {
        return Err(Error::invalid_input(format!("dynamics: {} values is not rows x samples = {rows} x {samples}", data.len())));
    }
    if let Some(k) = data.iter().position(|v| !v.is_finite()) {
        return Err(Error::not_finite(format!(
            "dynamics: activity of row {} at sample {} is {}",
            k / samples.max(1),
            k % samples.max(1),
            data[k]
        )));
    }
    let (map, w, vars) = layout(rows, o)?;
    ensure_fits("the trajectory", (vars as u128) * (samples as u128), TRAJECTORY_LIMIT_BYTES, "use fewer variables or stream the data")?;
    let mut out = vec![0.0; vars * samples];
    for r in 0..rows {
        exec.check()?;
        if let Some(v) = map[r] {
            for (t, &x) in data[r * samples..(r + 1) * samples].iter().enumerate() {
                out[t * vars + v] += w[r] * x;
            }
        }
    }
    let mut t = Trajectory { data: out, frames: samples, vars, dt };
    TrajectoryRef::new(&t.data, t.frames, t.vars, dt)?;
    smooth(&mut t, o)?;
    Ok(t)
}

/// Builds a trajectory of spike counts binned on the grid of `bin` (see the module docs).
pub fn from_spikes(trains: &SpikeTrains, bin: &BinOptions, o: &TrajectoryOptions, exec: &Exec) -> Result<Trajectory> {
    let raster = SparseRaster::from_spikes(trains, bin, exec)?;
    let rows = raster.n();
    let frames = raster.n_bins();
    let (map, w, vars) = layout(rows, o)?;
    ensure_fits("the trajectory", (vars as u128) * (frames as u128), TRAJECTORY_LIMIT_BYTES, "use a wider bin or fewer variables")?;
    let mut out = vec![0.0; vars * frames];
    for r in 0..rows {
        exec.check()?;
        if let Some(v) = map[r] {
            let (bins, counts) = raster.row(r);
            for (&b, &c) in bins.iter().zip(counts) {
                out[b as usize * vars + v] += w[r] * c as f64;
            }
        }
    }
    let mut t = Trajectory { data: out, frames, vars, dt: raster.grid().bin_width };
    smooth(&mut t, o)?;
    Ok(t)
}

/// `y_t = P x_t` for every frame (`P` is `m × vars`).
pub fn project(t: TrajectoryRef, p: &Mat<f64>) -> Result<Trajectory> {
    if p.ncols() != t.vars {
        return Err(Error::invalid_input(format!("dynamics: projection has {} columns for {} variables", p.ncols(), t.vars)));
    }
    let m = p.nrows();
    let x = faer::MatRef::from_column_major_slice(t.data, t.vars, t.frames);
    let y = p * x; // m × frames, column-major = frame-major
    let mut data = Vec::with_capacity(m * t.frames);
    for f in 0..t.frames {
        data.extend((0..m).map(|g| y[(g, f)]));
    }
    Ok(Trajectory { data, frames: t.frames, vars: m, dt: t.dt })
}

/// The membership (coarse-graining) matrix of an assignment: row `g` sums (or averages) the
/// variables assigned to group `g`; unassigned (`None`) variables are left out.
///
/// # Errors
/// `ERR_INVALID_INPUT` for an empty group or no assigned variable.
pub fn membership(assignment: &[Option<usize>], reduce: Reduce) -> Result<Mat<f64>> {
    let o = TrajectoryOptions { groups: Some(assignment.to_vec()), reduce: Some(reduce), smoothing: None };
    let (map, w, k) = layout(assignment.len(), &o)?;
    let mut p = Mat::zeros(k, assignment.len());
    for (i, g) in map.iter().enumerate() {
        if let Some(g) = *g {
            p[(g, i)] = w[i];
        }
    }
    Ok(p)
}

/// The top-`k` principal axes of the moments' covariance as the rows of a `k × n` projection
/// (largest variance first; each axis' sign makes its largest component positive).
///
/// # Errors
/// `ERR_INVALID_INPUT` for `k = 0` or `k > n`; `ERR_NO_CONVERGENCE` from the eigen-solver.
pub fn pca(m: &Moments, k: usize) -> Result<Mat<f64>> {
    let n = m.n;
    if k == 0 || k > n {
        return Err(Error::invalid_input(format!("dynamics: pca needs 1 <= K <= {n} components (got {k})")));
    }
    let s = sym(&m.c0);
    let eig =
        s.self_adjoint_eigen(Side::Lower).map_err(|e| Error::no_convergence(format!("dynamics: pca eigendecomposition failed ({e:?})")))?;
    let u = eig.U();
    // eigenvalues ascending: take the last k columns, largest first
    Ok(Mat::from_fn(k, n, |r, i| {
        let c = n - 1 - r;
        let big = (0..n).max_by(|&a, &b| u[(a, c)].abs().total_cmp(&u[(b, c)].abs())).unwrap_or(0);
        u[(i, c)] * u[(big, c)].signum()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_grouping_and_smoothing() {
        // 3 rows x 4 samples, rows 0 and 2 in group 0, row 1 in group 1.
        let data = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0, 5.0, 6.0, 7.0, 8.0];
        let e = Exec::sequential();
        let raw = from_dense(&data, 3, 4, 0.5, &TrajectoryOptions::default(), &e).unwrap();
        assert_eq!(raw.vars, 3);
        assert_eq!(&raw.data[3..6], &[2.0, 20.0, 6.0]);
        let o = TrajectoryOptions { groups: Some(vec![Some(0), Some(1), Some(0)]), reduce: Some(Reduce::Mean), smoothing: None };
        let g = from_dense(&data, 3, 4, 0.5, &o, &e).unwrap();
        assert_eq!(g.data, vec![3.0, 10.0, 4.0, 20.0, 5.0, 30.0, 6.0, 40.0]);
        let o = TrajectoryOptions { smoothing: Some(0.5), ..o };
        let s = from_dense(&data, 3, 4, 0.5, &o, &e).unwrap();
        let a = (-1.0f64).exp();
        assert!((s.data[2] - (a * 3.0 + (1.0 - a) * 4.0)).abs() < 1e-12);
        // projection with the membership matrix matches grouping
        let p = membership(&[Some(0), Some(1), Some(0)], Reduce::Mean).unwrap();
        assert_eq!(project(raw.view().unwrap(), &p).unwrap().data, g.data);
        // bad input
        assert!(from_dense(
            &data,
            3,
            4,
            0.5,
            &TrajectoryOptions { groups: Some(vec![Some(0), Some(2), Some(0)]), ..Default::default() },
            &e
        )
        .is_err());
        let mut bad = data;
        bad[5] = f64::NAN;
        let err = from_dense(&bad, 3, 4, 0.5, &TrajectoryOptions::default(), &e).unwrap_err();
        assert!(err.message.contains("row 1 at sample 1"), "{}", err.message);
    }

    #[test]
    fn spikes_are_binned_on_the_activity_grid() {
        let trains = SpikeTrains::from_trains(vec![vec![0.001, 0.004, 0.012], vec![0.006]], None).unwrap();
        let t = from_spikes(
            &trains,
            &BinOptions { bin_width: 0.005, ..Default::default() },
            &TrajectoryOptions::default(),
            &Exec::sequential(),
        )
        .unwrap();
        assert_eq!((t.frames, t.vars), (3, 2));
        assert_eq!(t.data, vec![2.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    }
}
