//! Seeded ground-truth generators for testing and benchmarking graph inference.
//!
//! - [`clustered_network`]: a sparse random directed graph with `K` clusters (connection
//!   probability `p_in` inside a cluster, `p_out` across), excitatory and inhibitory sources.
//! - [`simulate_var1`]: a linear-Gaussian VAR(1) `x_{t+1} = A x_t + ε_t` on that graph
//!   (the exact discretisation of a multivariate Ornstein-Uhlenbeck process).
//! - [`simulate_lnp`]: a discrete-time linear-nonlinear Bernoulli spiking network
//!   `P(spike_i(t)) = clip(b_i + Σ_j W_ij Σ_k h_k s_j(t-k), 0, 0.9)` (a Hawkes-like process
//!   with inhibition, O(N) per bin).
//! - [`simulate_hawkes`]: a purely excitatory discrete-time linear Hawkes process by its
//!   cluster (branching) representation (Hawkes & Oakes 1974): background spikes by
//!   geometric skipping and, for every spike of `j`, an offspring in `i` with probability
//!   `W_ij` at a delay drawn from the kernel. Cost `O(spikes · out-degree)`, so one hour of
//!   1000+ neurons at 1 ms bins takes seconds (used by the benchmark).
//! - [`observe`] and [`edge_labels`]: the observed subset and the true directed edges among
//!   observed neurons (`source * n_obs + target`, diagonal excluded).

use crate::error::{Error, Result};
use faer::Mat;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A directed weighted ground-truth network.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    pub n: usize,
    /// `(source, target, weight)`, signed (inhibitory sources negative).
    pub edges: Vec<(usize, usize, f64)>,
    pub clusters: Vec<usize>,
    pub inhibitory: Vec<bool>,
}

/// Options for [`clustered_network`].
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    pub n: usize,
    pub clusters: usize,
    /// Expected out-degree inside the own cluster and towards other clusters.
    pub degree_in: f64,
    pub degree_out: f64,
    /// Fraction of inhibitory neurons (their out-weights are negative).
    pub inhibitory_fraction: f64,
    /// Weight magnitudes for excitatory and inhibitory sources.
    pub w_exc: f64,
    pub w_inh: f64,
    /// Common-input hubs per cluster: the first `hubs` neurons of every cluster project to
    /// all other neurons of their cluster with weight `w_hub` (shared, low-rank drive).
    pub hubs: usize,
    pub w_hub: f64,
    /// Self-coupling of hubs (a self-loop edge; makes the shared drive slow). Default 0.
    pub hub_self: f64,
    pub seed: u64,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            n: 100,
            clusters: 4,
            degree_in: 4.0,
            degree_out: 1.0,
            inhibitory_fraction: 0.2,
            w_exc: 1.0,
            w_inh: 1.0,
            hubs: 0,
            w_hub: 0.0,
            hub_self: 0.0,
            seed: 0,
        }
    }
}

/// Clustered sparse random directed network (no self-loops).
pub fn clustered_network(o: &NetworkOptions) -> Result<GroundTruth> {
    if o.n == 0 || o.clusters == 0 || o.clusters > o.n {
        return Err(Error::invalid_input(format!("network: need 1 <= clusters <= n (got n = {}, clusters = {})", o.n, o.clusters)));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let clusters: Vec<usize> = (0..o.n).map(|i| i * o.clusters / o.n).collect();
    let size = o.n as f64 / o.clusters as f64;
    let p_in = (o.degree_in / (size - 1.0).max(1.0)).min(1.0);
    let p_out = (o.degree_out / (o.n as f64 - size).max(1.0)).min(1.0);
    let mut inhibitory = vec![false; o.n];
    for (i, inh) in inhibitory.iter_mut().enumerate() {
        // Spread inhibitory neurons evenly over the clusters (every k-th neuron).
        *inh = o.inhibitory_fraction > 0.0
            && ((i as f64 + 0.5) * o.inhibitory_fraction).floor() != ((i as f64 - 0.5) * o.inhibitory_fraction).floor();
    }
    // Hubs: the first `hubs` excitatory neurons of every cluster.
    let mut hub = vec![false; o.n];
    let mut taken = vec![0usize; o.clusters];
    for i in 0..o.n {
        if !inhibitory[i] && taken[clusters[i]] < o.hubs {
            hub[i] = true;
            taken[clusters[i]] += 1;
        }
    }
    let mut edges = vec![];
    for s in 0..o.n {
        if hub[s] && o.hub_self != 0.0 {
            edges.push((s, s, o.hub_self));
        }
        for t in 0..o.n {
            if s == t {
                continue;
            }
            let p = if clusters[s] == clusters[t] { p_in } else { p_out };
            if clusters[s] == clusters[t] && hub[s] {
                edges.push((s, t, o.w_hub * (0.5 + rng.random::<f64>())));
            } else if rng.random::<f64>() < p {
                let w = if inhibitory[s] { -o.w_inh } else { o.w_exc } * (0.5 + rng.random::<f64>());
                edges.push((s, t, w));
            }
        }
    }
    Ok(GroundTruth { n: o.n, edges, clusters, inhibitory })
}

/// Dense coupling matrix `W[target][source]`.
pub fn coupling_matrix(g: &GroundTruth) -> Mat<f64> {
    let mut w = Mat::<f64>::zeros(g.n, g.n);
    for &(s, t, v) in &g.edges {
        w[(t, s)] += v;
    }
    w
}

/// Simulates `x_{t+1} = A x_t + ε_t`, `A = a I + c W` with `c` chosen so that the spectral
/// radius of `A` is `radius` (< 1), `ε ~ N(0, I)`, after a burn-in. Returns `T × N`.
pub fn simulate_var1(g: &GroundTruth, self_coupling: f64, radius: f64, t: usize, seed: u64) -> Result<(Mat<f64>, Mat<f64>)> {
    if !(radius > 0.0 && radius < 1.0) {
        return Err(Error::invalid_input(format!("radius must be in (0, 1) (got {radius})")));
    }
    let w = coupling_matrix(g);
    let rho = |c: f64| -> f64 {
        let a = Mat::from_fn(g.n, g.n, |i, j| if i == j { self_coupling } else { 0.0 } + c * w[(i, j)]);
        a.eigenvalues().map(|v| v.iter().map(|z| z.norm()).fold(0.0, f64::max)).unwrap_or(f64::INFINITY)
    };
    // Bisection on the coupling scale c (ρ grows with c for these networks).
    let (mut lo, mut hi) = (0.0, 1.0);
    while rho(hi) < radius && hi < 1e6 {
        hi *= 2.0;
    }
    if rho(lo) >= radius {
        return Err(Error::invalid_input("self_coupling alone exceeds the requested spectral radius"));
    }
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if rho(mid) < radius {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = Mat::from_fn(g.n, g.n, |i, j| if i == j { self_coupling } else { 0.0 } + lo * w[(i, j)]);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let burn = 500;
    let mut x = vec![0.0; g.n];
    let mut out = Mat::<f64>::zeros(t, g.n);
    // Sparse rows of A for the update.
    let rows: Vec<Vec<(usize, f64)>> = (0..g.n).map(|i| (0..g.n).filter(|&j| a[(i, j)] != 0.0).map(|j| (j, a[(i, j)])).collect()).collect();
    for step in 0..t + burn {
        let new: Vec<f64> = rows
            .iter()
            .map(|r| {
                r.iter().map(|&(j, v)| v * x[j]).sum::<f64>() + {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    e
                }
            })
            .collect();
        x = new;
        if step >= burn {
            for (i, &v) in x.iter().enumerate() {
                out[(step - burn, i)] = v;
            }
        }
    }
    Ok((out, a))
}

/// Bernoulli linear-nonlinear spiking network (module docs). `kernel[k-1]` multiplies the
/// source's spike `k` bins back. Returns per-neuron spike bins.
pub fn simulate_lnp(g: &GroundTruth, base: f64, kernel: &[f64], t: usize, seed: u64) -> Result<Vec<Vec<u32>>> {
    if !(0.0..1.0).contains(&base) {
        return Err(Error::invalid_input(format!("base probability must be in [0, 1) (got {base})")));
    }
    let n = g.n;
    let mut out_edges: Vec<Vec<(usize, f64)>> = vec![vec![]; n];
    for &(s, tg, w) in &g.edges {
        out_edges[s].push((tg, w));
    }
    let kl = kernel.len();
    let ring = kl + 1;
    let mut drive = vec![0.0f64; ring * n];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut trains = vec![vec![]; n];
    for b in 0..t {
        let slot = b % ring;
        for i in 0..n {
            let pr = (base + drive[slot * n + i]).clamp(0.0, 0.9);
            drive[slot * n + i] = 0.0;
            if rng.random::<f64>() < pr {
                trains[i].push(b as u32);
                for &(tg, w) in &out_edges[i] {
                    for (k, &h) in kernel.iter().enumerate() {
                        drive[((b + k + 1) % ring) * n + tg] += w * h;
                    }
                }
            }
        }
    }
    Ok(trains)
}

/// Excitatory linear Hawkes process by branching (module docs): background probability
/// `base` per bin, offspring probability `W_ij` (weights must be in `[0, 1]`), delay `k`
/// bins with probability `kernel[k-1]` (normalised). Returns per-neuron sorted spike bins
/// (repeats = several spikes in one bin). Supercritical networks (branching ratio >= 1)
/// are rejected.
pub fn simulate_hawkes(g: &GroundTruth, base: f64, kernel: &[f64], t: usize, seed: u64) -> Result<Vec<Vec<u32>>> {
    if !(base > 0.0 && base < 1.0) {
        return Err(Error::invalid_input(format!("base probability must be in (0, 1) (got {base})")));
    }
    let mut out_edges: Vec<Vec<(usize, f64)>> = vec![vec![]; g.n];
    for &(s, tg, w) in &g.edges {
        if !(0.0..=1.0).contains(&w) {
            return Err(Error::invalid_input(format!("hawkes: weight {w} of edge {s} -> {tg} is not a probability")));
        }
        out_edges[s].push((tg, w));
    }
    let branching = out_edges.iter().map(|e| e.iter().map(|x| x.1).sum::<f64>()).fold(0.0, f64::max);
    if branching >= 1.0 {
        return Err(Error::invalid_input(format!("hawkes: the largest out-strength {branching} makes the process supercritical")));
    }
    let ksum: f64 = kernel.iter().sum();
    let cdf: Vec<f64> = kernel
        .iter()
        .scan(0.0, |a, &h| {
            *a += h / ksum;
            Some(*a)
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut trains: Vec<Vec<u32>> = vec![vec![]; g.n];
    let lq = (1.0 - base).ln();
    let mut queue: Vec<(usize, u32)> = vec![];
    for (i, tr) in trains.iter_mut().enumerate() {
        let _ = i;
        let mut b: f64 = -1.0;
        loop {
            let u: f64 = rng.random::<f64>();
            b += 1.0 + ((1.0 - u).ln() / lq).floor();
            if b >= t as f64 {
                break;
            }
            tr.push(b as u32);
        }
    }
    for (i, tr) in trains.iter().enumerate() {
        queue.extend(tr.iter().map(|&b| (i, b)));
    }
    while let Some((s, b)) = queue.pop() {
        for &(tg, w) in &out_edges[s] {
            if rng.random::<f64>() < w {
                let u: f64 = rng.random::<f64>();
                let k = cdf.iter().position(|&c| u <= c).unwrap_or(cdf.len() - 1) + 1;
                let nb = b as usize + k;
                if nb < t {
                    trains[tg].push(nb as u32);
                    queue.push((tg, nb as u32));
                }
            }
        }
    }
    for tr in trains.iter_mut() {
        tr.sort_unstable();
    }
    Ok(trains)
}

/// A seeded random subset of `round(fraction · n)` neurons (sorted).
pub fn observe(n: usize, fraction: f64, seed: u64) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..n).collect();
    ids.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let k = ((fraction * n as f64).round() as usize).clamp(1, n.max(1));
    let mut out = ids[..k.min(n)].to_vec();
    out.sort_unstable();
    out
}

/// True directed edges among `observed`: entry `s * m + t` (local indices, `s ≠ t`) is true
/// when `observed[s] → observed[t]` is an edge. Diagonal entries are excluded, so the result
/// has `m (m - 1)` entries in row-major order skipping `s == t`.
pub fn edge_labels(g: &GroundTruth, observed: &[usize]) -> Vec<bool> {
    let m = observed.len();
    let mut local = vec![usize::MAX; g.n];
    for (k, &i) in observed.iter().enumerate() {
        local[i] = k;
    }
    let mut adj = vec![false; m * m];
    for &(s, t, w) in &g.edges {
        if w != 0.0 && s != t && local[s] != usize::MAX && local[t] != usize::MAX {
            adj[local[s] * m + local[t]] = true;
        }
    }
    offdiag(&adj, m)
}

/// The off-diagonal entries of a row-major `m × m` array, row by row.
pub fn offdiag<T: Copy>(a: &[T], m: usize) -> Vec<T> {
    (0..m).flat_map(|s| (0..m).filter(move |&t| t != s).map(move |t| (s, t))).map(|(s, t)| a[s * m + t]).collect()
}

/// The hidden-assemblies case (docs/lgd.md, "Hidden population modes"): LGD with its default
/// penalty search and the same LGD without a latent part (`mu_grid` empty: only `mu = inf`) on
/// VAR(1) data (`steps` samples) of a clustered graph of `n` neurons with `hubs` slow common-input
/// hubs per cluster (hidden assemblies) that are never observed, `frac` of the others observed.
/// Returns (selected rank, AUROC, AUROC without the latent part, AUPR, AUPR without). Shared by
/// the test in `lgd.rs` and the `hidden_assemblies` report (examples/reports).
#[doc(hidden)]
pub fn hidden_assemblies(n: usize, hubs: usize, steps: usize, frac: f64, seed: u64) -> Result<(usize, f64, f64, f64, f64)> {
    use crate::infer::api::{infer_dense, InferOptions};
    use crate::infer::metrics::{aupr, auroc};
    let truth = clustered_network(&NetworkOptions {
        n,
        clusters: 4,
        degree_in: 3.0,
        degree_out: 0.5,
        hubs,
        w_hub: 1.0,
        hub_self: 3.0,
        seed,
        ..Default::default()
    })?;
    let hub_ids: Vec<usize> = truth.edges.iter().filter(|e| e.0 == e.1).map(|e| e.0).collect();
    let (x, _) = simulate_var1(&truth, 0.3, 0.9, steps, seed + 1)?;
    let visible: Vec<usize> = (0..truth.n).filter(|i| !hub_ids.contains(i)).collect();
    let obs: Vec<usize> = observe(visible.len(), frac, seed + 2).into_iter().map(|k| visible[k]).collect();
    let xo = Mat::from_fn(x.nrows(), obs.len(), |t, k| x[(t, obs[k])]);
    let labels = edge_labels(&truth, &obs);
    let exec = crate::exec::Exec::with_threads(2);
    let full = infer_dense(xo.as_ref(), &InferOptions { generator: false, ..Default::default() }, &exec)?;
    let sparse = infer_dense(xo.as_ref(), &InferOptions { generator: false, mu_grid: vec![], ..Default::default() }, &exec)?;
    debug_assert_eq!(hub_ids.len(), 4 * hubs);
    debug_assert_eq!(sparse.hidden.as_ref().map_or(0, |h| h.rank), 0);
    let (sf, ss) = (full.offdiag_scores(), sparse.offdiag_scores());
    Ok((full.hidden.as_ref().map_or(0, |h| h.rank), auroc(&sf, &labels)?, auroc(&ss, &labels)?, aupr(&sf, &labels)?, aupr(&ss, &labels)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_is_clustered_and_signed() {
        let g = clustered_network(&NetworkOptions { n: 200, clusters: 4, seed: 1, ..Default::default() }).unwrap();
        assert!(g.edges.iter().all(|e| e.0 != e.1));
        let inside = g.edges.iter().filter(|e| g.clusters[e.0] == g.clusters[e.1]).count() as f64;
        let total = g.edges.len() as f64;
        assert!((total / 200.0 - 5.0).abs() < 0.6, "mean degree {}", total / 200.0);
        assert!(inside / total > 0.7);
        assert_eq!(g.inhibitory.iter().filter(|&&x| x).count(), 40);
        assert!(g.edges.iter().all(|&(s, _, w)| (w < 0.0) == g.inhibitory[s]));
    }

    #[test]
    fn hawkes_rate_matches_branching_theory() {
        // Ring of n neurons each exciting the next with probability w: stationary rate
        // r = base / (1 - w).
        let n = 20;
        let w = 0.5;
        let edges = (0..n).map(|i| (i, (i + 1) % n, w)).collect();
        let g = GroundTruth { n, edges, clusters: vec![0; n], inhibitory: vec![false; n] };
        let (base, t) = (0.01, 50_000);
        let tr = simulate_hawkes(&g, base, &[0.5, 0.5], t, 3).unwrap();
        let rate = tr.iter().map(|x| x.len()).sum::<usize>() as f64 / (n * t) as f64;
        assert!((rate - base / (1.0 - w)).abs() < 0.002, "rate {rate}");
        assert!(tr.iter().all(|x| x.windows(2).all(|p| p[0] <= p[1])));
        let bad = GroundTruth { n: 2, edges: vec![(0, 1, 1.5)], clusters: vec![0; 2], inhibitory: vec![false; 2] };
        assert!(simulate_hawkes(&bad, 0.1, &[1.0], 10, 0).is_err());
    }

    #[test]
    fn labels_and_observation() {
        let g = GroundTruth { n: 4, edges: vec![(0, 2, 1.0), (2, 3, -1.0), (1, 0, 1.0)], clusters: vec![0; 4], inhibitory: vec![false; 4] };
        let obs = vec![0, 2, 3];
        // Pairs (s,t) local: (0,1)=0->2 true, (0,2)=0->3, (1,0)=2->0, (1,2)=2->3 true, (2,0), (2,1).
        assert_eq!(edge_labels(&g, &obs), vec![true, false, false, true, false, false]);
        let o = observe(100, 0.2, 5);
        assert_eq!(o.len(), 20);
        assert_eq!(o, observe(100, 0.2, 5));
    }
}
