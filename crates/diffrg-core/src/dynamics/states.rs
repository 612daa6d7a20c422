//! The `states` estimator: entropy production of a trajectory coarse-grained into discrete
//! states (Lynn, Cornblath, Papadopoulos, Bertolero & Bassett, PNAS 118, e2109889118 (2021)).
//!
//! The frames are clustered into `k` states by k-means (Lloyd iterations from a seeded
//! k-means++ start, on the z-scored variables). With `N_ij` the number of steps `t -> t + 1`
//! from state `i` to state `j` and `N = Σ N_ij`, `P_ij = N_ij / N`, the entropy production per
//! step of the state sequence is
//!
//! `σ_step = Σ_ij P_ij ln(P_ij / P_ji)` (nats per frame; `/dt` for nats per second),
//!
//! a lower bound on the entropy production of the underlying process (data processing). Pairs
//! of states seen in one direction only (`N_ij > 0 = N_ji`) would make it infinite; they are
//! left out of the sum (and counted in the result), so the estimate stays a lower bound of the
//! observed irreversibility.
//!
//! **Finite-sample bias.** The plug-in sum is biased upwards (a reversible chain gives about
//! `(number of independent cycles) / N > 0`). The bias is estimated by a parametric bootstrap
//! of the fitted chain: `R` chains of the same length are drawn (seeded ChaCha8) from the
//! fitted transition matrix `T_ij = N_ij / Σ_j N_ij`, the plug-in estimate of each is compared
//! with the exact value of the fitted chain (`Σ π_i T_ij ln(π_i T_ij / π_j T_ji)`, `π` its
//! stationary law, the same pairs left out); the mean difference is the bias, subtracted from
//! the estimate. A Markov surrogate keeps the chain's cycle structure, which an independent
//! (multinomial) first-order correction gets wrong by the ratio of cycles to edges.
//!
//! **Interval.** Block bootstrap over time: the steps are cut into `blocks` contiguous blocks
//! whose count matrices are resampled with replacement; percentile interval of the
//! bias-corrected replicates.

use super::pipeline::percentile_ci;
use super::{EpEstimate, TrajectoryRef};
use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Options of the `states` estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct StatesOptions {
    /// Number of states; `None` (default): [`default_states`] of the number of frames.
    pub k: Option<usize>,
    /// Largest number of Lloyd iterations (default 100).
    pub max_iter: usize,
    /// Block-bootstrap replicates of the interval (default 100; 0: `ci = [rate, rate]`).
    pub bootstrap: usize,
    /// Time blocks of the bootstrap (default 64).
    pub blocks: usize,
    /// Chains of the parametric bias estimate (default 20; 0: no bias correction).
    pub bias_replicates: usize,
    /// Confidence level (default 0.95).
    pub level: f64,
    /// Seed of k-means++, the surrogates and the bootstrap (default 0).
    pub seed: u64,
}

impl Default for StatesOptions {
    fn default() -> Self {
        StatesOptions { k: None, max_iter: 100, bootstrap: 100, blocks: 64, bias_replicates: 20, level: 0.95, seed: 0 }
    }
}

/// The default number of states for `frames` frames: `floor(sqrt(frames / 100))` clamped to
/// `[2, 8]`, so that the `k²` transition counts get about 100 steps each on average.
pub fn default_states(frames: usize) -> usize {
    ((frames as f64 / 100.0).sqrt().floor() as usize).clamp(2, 8)
}

/// A k-means clustering of the frames.
#[derive(Debug, Clone)]
pub struct KMeans {
    /// State of every frame.
    pub labels: Vec<u32>,
    pub k: usize,
    /// Centres in the input's units, `k × vars` row-major.
    pub centers: Vec<f64>,
    /// Mean squared distance of a frame to its centre (z-scored units).
    pub inertia: f64,
    pub iterations: usize,
    /// Whether the labels stopped changing before `max_iter`.
    pub converged: bool,
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Nearest centre (`k × n` row-major) of `x`: (index, squared distance).
fn nearest(x: &[f64], centers: &[f64], n: usize) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, m) in centers.chunks_exact(n).enumerate() {
        let d = dist2(x, m);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// k-means of the frames of `t` into `k` states: z-scored variables (a constant variable is
/// left as is), seeded k-means++ start, Lloyd iterations until no label changes or `max_iter`;
/// an emptied cluster is re-seeded at the frame farthest from its centre.
///
/// # Errors
/// `ERR_INVALID_INPUT` for `k < 2` or fewer frames than `k`; `ERR_ABORTED`.
///
/// # Complexity
/// `O(frames · k · vars)` per iteration, parallel over frames.
pub fn kmeans(t: TrajectoryRef, k: usize, max_iter: usize, seed: u64, exec: &Exec) -> Result<KMeans> {
    let (n, frames) = (t.vars, t.frames);
    if k < 2 {
        return Err(Error::invalid_input(format!("states: the number of states must be at least 2 (got {k})")));
    }
    if frames < k {
        return Err(Error::invalid_input(format!("states: {frames} frames for {k} states")));
    }
    ensure_fits(
        "the z-scored frames of k-means",
        (frames as u128) * (n as u128),
        super::trajectory::TRAJECTORY_LIMIT_BYTES,
        "use fewer variables or frames",
    )?;
    let (mean, sd) = t.zscore();
    let z: Vec<f64> = t.data.iter().enumerate().map(|(i, x)| (x - mean[i % n]) / sd[i % n]).collect();
    let frame = |f: usize| &z[f * n..(f + 1) * n];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // k-means++: each next centre drawn with probability proportional to D(x)^2.
    let mut centers: Vec<f64> = frame(rng.random_range(0..frames)).to_vec();
    let mut d2: Vec<f64> = (0..frames).map(|f| dist2(frame(f), &centers)).collect();
    for _ in 1..k {
        exec.check()?;
        let total: f64 = d2.iter().sum();
        let pick = if total > 0.0 {
            let mut u = rng.random::<f64>() * total;
            d2.iter()
                .position(|&d| {
                    u -= d;
                    u <= 0.0
                })
                .unwrap_or(frames - 1)
        } else {
            rng.random_range(0..frames)
        };
        let c = frame(pick).to_vec();
        for (f, d) in d2.iter_mut().enumerate() {
            *d = d.min(dist2(frame(f), &c));
        }
        centers.extend_from_slice(&c);
    }
    let mut labels = vec![u32::MAX; frames];
    let chunk = 4096;
    let (mut iterations, mut converged, mut inertia) = (0, false, 0.0);
    while iterations < max_iter {
        exec.check()?;
        iterations += 1;
        // assignment + partial sums per chunk
        let parts: Vec<(usize, Vec<f64>, Vec<usize>, f64, (usize, f64))> = exec.install(|| {
            labels
                .par_chunks_mut(chunk)
                .enumerate()
                .map(|(c, lab)| {
                    let (mut changed, mut sums, mut counts, mut sse, mut far) = (0, vec![0.0; k * n], vec![0usize; k], 0.0, (0, -1.0));
                    for (j, l) in lab.iter_mut().enumerate() {
                        let f = c * chunk + j;
                        let x = frame(f);
                        let (b, d) = nearest(x, &centers, n);
                        if *l != b as u32 {
                            changed += 1;
                            *l = b as u32;
                        }
                        counts[b] += 1;
                        sse += d;
                        if d > far.1 {
                            far = (f, d);
                        }
                        for (s, v) in sums[b * n..(b + 1) * n].iter_mut().zip(x) {
                            *s += v;
                        }
                    }
                    (changed, sums, counts, sse, far)
                })
                .collect()
        });
        let mut changed = 0;
        let mut sums = vec![0.0; k * n];
        let mut counts = vec![0usize; k];
        let mut far = (0, -1.0);
        inertia = 0.0;
        for (ch, s, c, sse, fa) in parts {
            changed += ch;
            sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
            counts.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
            inertia += sse;
            if fa.1 > far.1 {
                far = fa;
            }
        }
        inertia /= frames as f64;
        if changed == 0 {
            converged = true;
            break;
        }
        let mut reseeded = false;
        for c in 0..k {
            if counts[c] > 0 {
                for (m, s) in centers[c * n..(c + 1) * n].iter_mut().zip(&sums[c * n..(c + 1) * n]) {
                    *m = s / counts[c] as f64;
                }
            } else if !reseeded {
                centers[c * n..(c + 1) * n].copy_from_slice(frame(far.0));
                reseeded = true;
            }
        }
    }
    let centers = centers.iter().enumerate().map(|(i, v)| v * sd[i % n] + mean[i % n]).collect();
    Ok(KMeans { labels, k, centers, inertia, iterations, converged })
}

/// The `states` estimate and what it rests on.
#[derive(Debug, Clone)]
pub struct StatesEstimate {
    /// `rate` (nats/s) and `per_step` (nats/frame), bias-corrected; `bias` in nats/s.
    pub estimate: EpEstimate,
    /// The plug-in sum per step before the bias correction.
    pub plug_in: f64,
    pub k: usize,
    /// States that occur in the sequence.
    pub occupied: usize,
    /// Transition counts `N_ij`, `k × k` row-major.
    pub counts: Vec<u64>,
    /// Pairs of states seen in one direction only (left out of the sum) and their share of steps.
    pub one_way_pairs: usize,
    pub one_way_fraction: f64,
    /// The clustering, when the estimate came from a trajectory.
    pub kmeans: Option<KMeans>,
    pub diagnostics: Vec<String>,
}

/// Plug-in `Σ_ij P_ij ln(P_ij/P_ji)` of a `k × k` joint table (any non-negative weights, they
/// are normalised), with the one-way pairs left out: (sum, one-way pairs, their weight share).
fn plug_in(w: &[f64], k: usize) -> (f64, usize, f64) {
    let total: f64 = w.iter().sum();
    if !(total > 0.0) {
        return (0.0, 0, 0.0);
    }
    let (mut s, mut pairs, mut lost) = (0.0, 0, 0.0);
    for i in 0..k {
        for j in i + 1..k {
            let (a, b) = (w[i * k + j], w[j * k + i]);
            if a > 0.0 && b > 0.0 {
                s += (a - b) / total * (a / b).ln();
            } else if a > 0.0 || b > 0.0 {
                pairs += 1;
                lost += (a + b) / total;
            }
        }
    }
    (s, pairs, lost)
}

/// Stationary law of a row-stochastic `k × k` matrix by power iteration from `start`.
fn stationary(t: &[f64], k: usize, start: &[f64]) -> Vec<f64> {
    let mut p = start.to_vec();
    for _ in 0..10_000 {
        let mut q = vec![0.0; k];
        for i in 0..k {
            for j in 0..k {
                q[j] += p[i] * t[i * k + j];
            }
        }
        let s: f64 = q.iter().sum();
        q.iter_mut().for_each(|x| *x /= s);
        let diff: f64 = q.iter().zip(&p).map(|(a, b)| (a - b).abs()).sum();
        p = q;
        if diff < 1e-14 {
            break;
        }
    }
    p
}

/// Parametric-bootstrap bias of the plug-in sum for chains of `steps` steps of the chain
/// fitted to `counts` (see the module docs).
fn surrogate_bias(counts: &[u64], k: usize, steps: usize, first: usize, o: &StatesOptions, exec: &Exec) -> Result<f64> {
    let row: Vec<f64> = (0..k).map(|i| counts[i * k..(i + 1) * k].iter().sum::<u64>() as f64).collect();
    let total: f64 = row.iter().sum();
    let visit: Vec<f64> = row.iter().map(|r| r / total).collect();
    // a state never left (only seen last) restarts from the visit law
    let t: Vec<f64> = (0..k * k).map(|x| if row[x / k] > 0.0 { counts[x] as f64 / row[x / k] } else { visit[x % k] }).collect();
    let pi = stationary(&t, k, &visit);
    let joint: Vec<f64> = (0..k * k).map(|x| pi[x / k] * t[x]).collect();
    let exact = plug_in(&joint, k).0;
    let cum: Vec<f64> = (0..k * k).map(|x| t[x - x % k..=x].iter().sum()).collect();
    let reps: Vec<f64> = exec.install(|| {
        (0..o.bias_replicates)
            .into_par_iter()
            .map(|r| -> Result<f64> {
                let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x5354_4154_4553);
                rng.set_stream(r as u64);
                let mut c = vec![0.0; k * k];
                let mut s = first;
                for step in 0..steps {
                    if step % 65_536 == 0 {
                        exec.check()?;
                    }
                    let u: f64 = rng.random();
                    let next = cum[s * k..(s + 1) * k].iter().position(|&x| u < x).unwrap_or(k - 1);
                    c[s * k + next] += 1.0;
                    s = next;
                }
                Ok(plug_in(&c, k).0)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(reps.iter().sum::<f64>() / reps.len().max(1) as f64 - exact)
}

/// The `states` estimate of a sequence of state labels (`0..k`) sampled every `dt` seconds.
///
/// # Errors
/// `ERR_INVALID_INPUT` for fewer than 2 labels, a label `>= k`, `k < 2`, `dt <= 0`, a
/// `level` outside (0, 1) or `bootstrap = 1`; `ERR_TOO_LARGE` for a huge `k`; `ERR_ABORTED`.
pub fn states_from_labels(labels: &[u32], k: usize, dt: f64, o: &StatesOptions, exec: &Exec) -> Result<StatesEstimate> {
    if k < 2 {
        return Err(Error::invalid_input(format!("states: the number of states must be at least 2 (got {k})")));
    }
    if labels.len() < 2 {
        return Err(Error::invalid_input(format!("states: {} frames are too few (at least 2 are needed)", labels.len())));
    }
    if let Some(p) = labels.iter().position(|&l| l as usize >= k) {
        return Err(Error::invalid_input(format!("states: label {} at frame {p} is not below k = {k}", labels[p])));
    }
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Error::invalid_input(format!("states: dt must be positive and finite (got {dt})")));
    }
    if !(o.level > 0.0 && o.level < 1.0) {
        return Err(Error::invalid_input(format!("states: level must be in (0, 1) (got {})", o.level)));
    }
    if o.bootstrap == 1 {
        return Err(Error::invalid_input("states: bootstrap must be 0 or at least 2 replicates"));
    }
    let steps = labels.len() - 1;
    let nb = o.blocks.clamp(1, steps);
    ensure_fits("the per-block transition counts", (nb * k * k) as u128, 1 << 30, "use fewer states or blocks")?;
    let mut blocks = vec![0u64; nb * k * k];
    for (s, w) in labels.windows(2).enumerate() {
        if s % 65_536 == 0 {
            exec.check()?;
        }
        let b = s * nb / steps;
        blocks[b * k * k + w[0] as usize * k + w[1] as usize] += 1;
    }
    let mut counts = vec![0u64; k * k];
    for b in blocks.chunks_exact(k * k) {
        counts.iter_mut().zip(b).for_each(|(a, x)| *a += x);
    }
    let as_f = |c: &[u64]| c.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    let (raw, one_way_pairs, one_way_fraction) = plug_in(&as_f(&counts), k);
    let mut seen = vec![false; k];
    labels.iter().for_each(|&l| seen[l as usize] = true);
    let occupied = seen.iter().filter(|&&x| x).count();
    let mut diagnostics = Vec::new();
    if occupied < k {
        diagnostics.push(format!("states: {} of {k} states never occur", k - occupied));
    }
    if one_way_pairs > 0 {
        diagnostics.push(format!(
            "states: {one_way_pairs} pair(s) of states seen in one direction only ({:.3}% of the steps) left out of the sum",
            100.0 * one_way_fraction
        ));
    }
    let bias = if o.bias_replicates > 0 { surrogate_bias(&counts, k, steps, labels[0] as usize, o, exec)? } else { 0.0 };
    let per_step = raw - bias;
    let ci = if o.bootstrap == 0 {
        [per_step, per_step]
    } else {
        let mut reps: Vec<f64> = exec.install(|| {
            (0..o.bootstrap)
                .into_par_iter()
                .map(|r| {
                    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
                    rng.set_stream(r as u64);
                    let mut c = vec![0.0; k * k];
                    for _ in 0..nb {
                        let b = rng.random_range(0..nb);
                        c.iter_mut().zip(&blocks[b * k * k..(b + 1) * k * k]).for_each(|(a, &x)| *a += x as f64);
                    }
                    plug_in(&c, k).0 - bias
                })
                .collect()
        });
        percentile_ci(&mut reps, o.level).unwrap_or([per_step, per_step])
    };
    let estimate = EpEstimate {
        rate: per_step / dt,
        ci: [ci[0] / dt, ci[1] / dt],
        per_step: Some(per_step),
        bias: (o.bias_replicates > 0).then_some(bias / dt),
    };
    Ok(StatesEstimate { estimate, plug_in: raw, k, occupied, counts, one_way_pairs, one_way_fraction, kmeans: None, diagnostics })
}

/// The `states` estimate of a trajectory: [`kmeans`] into `o.k` (or [`default_states`]) states,
/// then [`states_from_labels`].
///
/// # Errors
/// As [`kmeans`] and [`states_from_labels`].
pub fn states_rate(t: TrajectoryRef, o: &StatesOptions, exec: &Exec) -> Result<StatesEstimate> {
    let k = o.k.unwrap_or_else(|| default_states(t.frames));
    let km = kmeans(t, k, o.max_iter, o.seed, exec)?;
    let mut r = states_from_labels(&km.labels, k, t.dt, o, exec)?;
    if !km.converged {
        r.diagnostics.push(format!("states: k-means did not converge in {} iterations", km.iterations));
    }
    r.kmeans = Some(km);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    /// A `k`-state chain with row-stochastic `t`, `steps + 1` labels.
    fn chain(t: &[f64], k: usize, steps: usize, seed: u64) -> Vec<u32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut s = 0usize;
        let mut out = vec![0u32];
        for _ in 0..steps {
            let mut u: f64 = rng.random();
            let mut next = k - 1;
            for j in 0..k {
                u -= t[s * k + j];
                if u < 0.0 {
                    next = j;
                    break;
                }
            }
            s = next;
            out.push(s as u32);
        }
        out
    }

    fn ring(a: f64, b: f64) -> Vec<f64> {
        vec![1.0 - a - b, a, b, b, 1.0 - a - b, a, a, b, 1.0 - a - b]
    }

    #[test]
    fn markov_ring_gives_the_closed_form() {
        // forward a, backward b per step: σ = (a - b) ln(a/b) per step (uniform stationary law).
        let (a, b) = (0.3_f64, 0.1_f64);
        let exact = (a - b) * (a / b).ln();
        let labels = chain(&ring(a, b), 3, 200_000, 1);
        let o = StatesOptions { bootstrap: 50, ..Default::default() };
        let r = states_from_labels(&labels, 3, 0.5, &o, &Exec::with_threads(2)).unwrap();
        let e = &r.estimate;
        assert!((e.per_step.unwrap() - exact).abs() < 0.01, "{e:?} vs {exact}");
        assert!((e.rate - e.per_step.unwrap() / 0.5).abs() < 1e-12);
        assert!(e.ci[0] * 0.5 < exact && exact < e.ci[1] * 0.5, "{e:?} vs {exact}");
        assert_eq!((r.occupied, r.one_way_pairs), (3, 0));
        // the exact joint table gives the closed form to rounding
        let joint: Vec<f64> = ring(a, b).iter().map(|p| p / 3.0).collect();
        assert!((plug_in(&joint, 3).0 - exact).abs() < 1e-12);
    }

    #[test]
    fn reversible_chain_is_zero_within_its_bias_and_interval() {
        // symmetric ring (a = b) and a reversible 4-state chain (symmetric joint table)
        let four = [0.7, 0.2, 0.1, 0.0, 0.2, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 0.1, 0.0, 0.1, 0.1, 0.8];
        for (t, k) in [(ring(0.2, 0.2), 3), (four.to_vec(), 4)] {
            let labels = chain(&t, k, 50_000, 7);
            let r = states_from_labels(&labels, k, 1.0, &StatesOptions { bootstrap: 50, ..Default::default() }, &Exec::with_threads(2))
                .unwrap();
            let e = &r.estimate;
            let bias = e.bias.unwrap();
            assert!(bias > 0.0 && r.plug_in > 0.0, "{r:?}");
            assert!(e.rate.abs() <= 3.0 * bias.max(e.ci[1] - e.ci[0]), "{e:?}");
        }
    }

    #[test]
    fn kmeans_recovers_separated_clusters() {
        let (a, b) = (0.3, 0.1);
        let labels = chain(&ring(a, b), 3, 60_000, 3);
        let centers = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let data: Vec<f64> = labels
            .iter()
            .flat_map(|&l| {
                centers[l as usize].map(|c| {
                    let g: f64 = StandardNormal.sample(&mut rng);
                    c + 0.5 * g
                })
            })
            .collect();
        let t = TrajectoryRef::new(&data, labels.len(), 2, 0.1).unwrap();
        let o = StatesOptions { k: Some(3), bootstrap: 20, ..Default::default() };
        let r = states_rate(t, &o, &Exec::with_threads(2)).unwrap();
        let km = r.kmeans.as_ref().unwrap();
        assert!(km.converged);
        // same partition up to relabelling
        let mut map = [u32::MAX; 3];
        for (&l, &m) in labels.iter().zip(&km.labels) {
            if map[l as usize] == u32::MAX {
                map[l as usize] = m;
            }
            assert_eq!(map[l as usize], m);
        }
        let direct = states_from_labels(&labels, 3, 0.1, &o, &Exec::with_threads(2)).unwrap();
        // the same counts up to relabelling: the same plug-in sum (the surrogates differ)
        assert!((r.plug_in - direct.plug_in).abs() < 1e-12);
        assert!((r.estimate.per_step.unwrap() - (a - b) * 3f64.ln()).abs() < 0.02, "{:?}", r.estimate);
        for c in km.centers.chunks(2) {
            assert!(centers.iter().any(|w| dist2(c, w) < 0.1), "{c:?}");
        }
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let e = Exec::sequential();
        let o = StatesOptions::default();
        assert!(states_from_labels(&[0, 1], 2, 1.0, &StatesOptions { bootstrap: 1, ..o.clone() }, &e).is_err());
        assert!(states_from_labels(&[0], 2, 1.0, &o, &e).is_err());
        let err = states_from_labels(&[0, 1, 3], 3, 1.0, &o, &e).unwrap_err();
        assert!(err.message.contains("label 3 at frame 2"), "{}", err.message);
        assert!(states_from_labels(&[0, 1], 1, 1.0, &o, &e).is_err());
        assert!(states_from_labels(&[0, 1], 2, 0.0, &o, &e).is_err());
        let d = [0.0, 1.0];
        assert!(kmeans(TrajectoryRef::new(&d, 2, 1, 1.0).unwrap(), 3, 10, 0, &e).is_err());
        // one-way pairs are left out and reported
        let r = states_from_labels(&[0, 1, 2, 0, 1, 2, 0], 3, 1.0, &StatesOptions { bootstrap: 0, bias_replicates: 0, ..o }, &e).unwrap();
        assert_eq!((r.one_way_pairs, r.plug_in), (3, 0.0));
        assert!(r.diagnostics.iter().any(|d| d.contains("one direction")));
    }

    #[test]
    fn default_states_grow_with_the_data() {
        assert_eq!(default_states(10), 2);
        assert_eq!(default_states(2_500), 5);
        assert_eq!(default_states(1_000_000), 8);
    }
}
