//! Clustered E/I random connectivity (Litwin-Kumar & Doiron 2012).
//!
//! `n` neurons, a fraction `exc_fraction` excitatory (E), the rest inhibitory (I). The E
//! neurons are split into `clusters` groups of (nearly) equal size. Every ordered pair
//! `(source, target)`, `source != target`, is connected independently (Bernoulli) with a
//! probability that depends on the two populations and on whether the two neurons share a
//! cluster:
//!
//! ```text
//!   p_in = R p_out,   with  p_out = k_s / (R m_in + m_out)
//! ```
//!
//! where `k_s` is the expected in-degree from source population `s` (`k_exc`, `k_inh`), `m_in`
//! the number of possible sources of population `s` in the target's cluster and `m_out` the
//! others, so that every neuron receives `k_s` inputs of population `s` on average whatever `R`
//! is (the "fixed expected in-degree" normalisation used by Litwin-Kumar & Doiron, who take
//! `R_EE = 2.5`). For E -> E pairs `R = p_ratio` when given; by default it is chosen so that a
//! fraction `in_fraction` (0.3) of the E inputs of an E neuron come from its own cluster,
//! `R = max(2, f / (1 - f) * m_out / m_in)` (m's of an average cluster), which keeps the
//! recurrent in-cluster drive, hence the firing regime, the same for any `n` and K (a fixed R
//! makes a few large clusters dominate their members' input and fire at saturation); pairs involving I neurons are unclustered
//! (`R = 1`) unless `cluster_inhibitory` is set (then I neurons are dealt to clusters too and
//! `R = p_ratio_inh`, as in E/I-clustered networks, Rostami et al. 2022). When `p_in` would
//! exceed 1 it is clamped to 1 and `p_out` raised to keep `k_s` (then clamped to 1 as well).
//!
//! **Feed-forward coupling** (`feedforward = f` in [0, 1], default 0): E -> E connections
//! between clusters are made directed around the ring of clusters `0 -> 1 -> ... -> K-1 -> 0`:
//! a source in the target's predecessor cluster `c - 1` is connected with probability
//! `(1 + f) p_out`, one in its successor `c + 1` with `(1 - f) p_out` (others `p_out`), so the
//! expected in-degree is unchanged (exactly for equal cluster sizes) while the coupling from
//! `c` to `c + 1` grows and from `c + 1` to `c` shrinks; `f = 1` removes the backward links.
//! It needs `K >= 3` (with two clusters the predecessor is the successor).
//!
//! Weights are current jumps in mV (see [`super::lif`]): `+w_ee` for E -> E between clusters
//! and `w_ratio * w_ee` inside a cluster (LKD: 1.9), `+w_ie` for E -> I, `-w_ei` for I -> E and
//! `-w_ii` for I -> I. Each synapse gets a delay drawn uniformly from the integer number of
//! steps in `[delay_min, delay_max]` (at least one step).
//!
//! Sampling: target by target, with a ChaCha8 stream per target (`seed`, stream = target) and
//! geometric skipping over the candidate sources (O(k) per target), so the network does not
//! depend on the thread count. Public neuron ids are a seeded random permutation of the
//! internal order (E first, clusters contiguous) when `shuffle_ids` is set, so that ids carry
//! no information about type or cluster.

use crate::error::{ensure_fits, Error, Result};

/// Memory cap for building a network (16 GiB).
pub const MAX_NETWORK_BYTES: u128 = 16 << 30;
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Network construction options (defaults: 10,000 neurons, ~1e6 synapses).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkOptions {
    /// Number of neurons. Default 10,000.
    pub n: usize,
    /// Fraction of excitatory neurons. Default 0.8.
    pub exc_fraction: f64,
    /// Number of excitatory clusters K (>= 1). Default 20.
    pub clusters: usize,
    /// Expected number of excitatory inputs per neuron. Default 80.
    pub k_exc: f64,
    /// Expected number of inhibitory inputs per neuron. Default 20.
    pub k_inh: f64,
    /// R_EE = p_in / p_out for E -> E pairs (>= 1). Default `None`: derived from `in_fraction`.
    pub p_ratio: Option<f64>,
    /// Expected fraction of an E neuron's E inputs from its own cluster, used when `p_ratio`
    /// is `None` (R floored at 2). Default 0.3 (20 clusters of 400 in 8,000 E: R = 8.2).
    pub in_fraction: f64,
    /// In-cluster E -> E weight factor (LKD: 1.9). Default 2.0.
    pub w_ratio: f64,
    /// Deal inhibitory neurons to clusters too (else they form one unclustered population).
    /// Default false.
    pub cluster_inhibitory: bool,
    /// p_in / p_out for pairs involving I neurons when `cluster_inhibitory`. Default 2.
    pub p_ratio_inh: f64,
    /// E -> E weight between clusters (mV). Default 0.75.
    pub w_ee: f64,
    /// E -> I weight (mV). Default 1.5.
    pub w_ie: f64,
    /// Magnitude of I -> E weights (mV, applied with a minus sign). Default 4.0.
    pub w_ei: f64,
    /// Magnitude of I -> I weights (mV, applied with a minus sign). Default 4.0.
    pub w_ii: f64,
    /// Shortest synaptic delay (s). Default 0.5 ms.
    pub delay_min: f64,
    /// Longest synaptic delay (s). Default 2.0 ms.
    pub delay_max: f64,
    /// Randomly permute public neuron ids. Default true.
    pub shuffle_ids: bool,
    /// Directed E -> E coupling around the ring of clusters, in [0, 1] (see the module docs).
    /// Default 0.
    pub feedforward: f64,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            n: 10_000,
            exc_fraction: 0.8,
            clusters: 20,
            k_exc: 80.0,
            k_inh: 20.0,
            p_ratio: None,
            in_fraction: 0.3,
            w_ratio: 2.0,
            cluster_inhibitory: false,
            p_ratio_inh: 2.0,
            w_ee: 0.75,
            w_ie: 1.5,
            w_ei: 4.0,
            w_ii: 4.0,
            delay_min: 0.5e-3,
            delay_max: 2.0e-3,
            shuffle_ids: true,
            feedforward: 0.0,
        }
    }
}

/// Ground-truth connectivity, stored by source (CSR rows = sources, targets increasing), in
/// the public ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Connectivity {
    n: usize,
    clusters: usize,
    excitatory: Vec<bool>,
    labels: Vec<u32>,
    indptr: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    delays: Vec<u16>,
    dt: f64,
}

/// The connectivity in internal order plus the internal -> public id permutation.
#[derive(Debug, Clone)]
pub(crate) struct InternalNetwork {
    pub n_exc: usize,
    /// Cluster of every internal neuron (I neurons: `clusters` unless clustered).
    pub labels: Vec<u32>,
    /// Source-major CSR in internal ids.
    pub indptr: Vec<usize>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
    pub delays: Vec<u16>,
    /// `public[internal]`.
    pub public: Vec<u32>,
}

fn check_prob_param(name: &str, v: f64, lo: f64) -> Result<()> {
    if !v.is_finite() || v < lo {
        return Err(Error::invalid_input(format!("{name} must be finite and >= {lo}, got {v}")));
    }
    Ok(())
}

impl NetworkOptions {
    pub(crate) fn validate(&self, dt: f64) -> Result<()> {
        if self.n == 0 || self.n > (u32::MAX as usize) / 2 {
            return Err(Error::invalid_input(format!("n must be between 1 and 2^31, got {}", self.n)));
        }
        if !(self.exc_fraction.is_finite() && (0.0..=1.0).contains(&self.exc_fraction)) {
            return Err(Error::invalid_input(format!("exc_fraction must be in [0, 1], got {}", self.exc_fraction)));
        }
        let n_exc = self.n_exc();
        if self.clusters == 0 || (self.clusters > n_exc.max(1)) {
            return Err(Error::invalid_input(format!(
                "clusters must be between 1 and the number of excitatory neurons ({n_exc}), got {}",
                self.clusters
            )));
        }
        check_prob_param("k_exc", self.k_exc, 0.0)?;
        check_prob_param("k_inh", self.k_inh, 0.0)?;
        if let Some(r) = self.p_ratio {
            check_prob_param("p_ratio", r, 1.0)?;
        }
        if !(self.in_fraction.is_finite() && (0.0..1.0).contains(&self.in_fraction)) {
            return Err(Error::invalid_input(format!("in_fraction must be in [0, 1), got {}", self.in_fraction)));
        }
        check_prob_param("p_ratio_inh", self.p_ratio_inh, 1.0)?;
        check_prob_param("w_ratio", self.w_ratio, 0.0)?;
        for (name, v) in [("w_ee", self.w_ee), ("w_ie", self.w_ie), ("w_ei", self.w_ei), ("w_ii", self.w_ii)] {
            check_prob_param(name, v, 0.0)?;
        }
        if !(self.feedforward.is_finite() && (0.0..=1.0).contains(&self.feedforward)) {
            return Err(Error::invalid_input(format!("feedforward must be in [0, 1], got {}", self.feedforward)));
        }
        if self.feedforward > 0.0 && self.clusters < 3 {
            return Err(Error::invalid_input(format!("feedforward needs at least 3 clusters (a ring), got {}", self.clusters)));
        }
        check_prob_param("delay_min", self.delay_min, 0.0)?;
        check_prob_param("delay_max", self.delay_max, self.delay_min)?;
        if self.delay_max / dt > u16::MAX as f64 / 2.0 {
            return Err(Error::invalid_input(format!(
                "delay_max ({} s) is too long for dt = {dt} s (at most {} steps)",
                self.delay_max,
                u16::MAX / 2
            )));
        }
        Ok(())
    }

    /// Number of excitatory neurons, `round(exc_fraction * n)`.
    pub fn n_exc(&self) -> usize {
        ((self.exc_fraction * self.n as f64).round() as usize).min(self.n)
    }

    /// The E -> E ratio R = p_in / p_out actually used (see the module doc).
    pub fn resolved_p_ratio(&self) -> f64 {
        if let Some(r) = self.p_ratio {
            return r;
        }
        let n_exc = self.n_exc() as f64;
        let size = n_exc / self.clusters.max(1) as f64;
        let (m_in, m_out) = (size - 1.0, n_exc - size);
        if m_in <= 0.0 || m_out <= 0.0 {
            return 2.0;
        }
        let f = self.in_fraction;
        (f / (1.0 - f) * m_out / m_in).max(2.0)
    }

    /// Delay range in whole steps of `dt` (each at least 1).
    pub(crate) fn delay_steps(&self, dt: f64) -> (u16, u16) {
        let lo = ((self.delay_min / dt).round() as u16).max(1);
        let hi = ((self.delay_max / dt).round() as u16).max(lo);
        (lo, hi)
    }
}

/// Boundaries of `m` items split into `k` nearly equal contiguous groups.
fn split(m: usize, k: usize) -> Vec<usize> {
    (0..=k).map(|c| c * m / k).collect()
}

/// Bernoulli(p) selection over the index range `lo..hi` (skipping `exclude`), by geometric
/// jumps; pushes the chosen indices in increasing order.
fn bernoulli_range(rng: &mut ChaCha8Rng, lo: usize, hi: usize, p: f64, exclude: usize, out: &mut Vec<u32>) {
    if p <= 0.0 || lo >= hi {
        return;
    }
    if p >= 1.0 {
        out.extend((lo..hi).filter(|&i| i != exclude).map(|i| i as u32));
        return;
    }
    let lq = (1.0 - p).ln();
    let mut i = lo as f64 - 1.0;
    loop {
        let u: f64 = rng.random::<f64>();
        i += 1.0 + ((1.0 - u).ln() / lq).floor();
        if i >= hi as f64 {
            return;
        }
        let idx = i as usize;
        if idx != exclude {
            out.push(idx as u32);
        }
    }
}

/// `(p_in, p_out)` giving `k` expected inputs from `m_in` same-cluster and `m_out` other
/// candidates with ratio `r`.
pub(crate) fn cluster_probs(k: f64, m_in: usize, m_out: usize, r: f64) -> (f64, f64) {
    let (mi, mo) = (m_in as f64, m_out as f64);
    if mi + mo == 0.0 {
        return (0.0, 0.0);
    }
    let denom = r * mi + mo;
    let mut p_out = k / denom;
    let mut p_in = r * p_out;
    if p_in > 1.0 {
        p_in = 1.0;
        p_out = if mo > 0.0 { ((k - mi) / mo).clamp(0.0, 1.0) } else { 0.0 };
    }
    (p_in.min(1.0), p_out.min(1.0))
}

pub(crate) fn build_internal(opts: &NetworkOptions, dt: f64, seed: u64, exec: &Exec) -> Result<InternalNetwork> {
    opts.validate(dt)?;
    let n = opts.n;
    // About 32 bytes per synapse while building (in-lists + CSR), i.e. 4 f64-sized words.
    let expected = n as f64 * (opts.k_exc.min(n as f64) + opts.k_inh.min(n as f64));
    ensure_fits("the synapse arrays", (expected * 4.0) as u128, MAX_NETWORK_BYTES, "reduce n, k_exc or k_inh")?;
    let n_exc = opts.n_exc();
    let n_inh = n - n_exc;
    let k = opts.clusters;
    let e_bounds = split(n_exc, k);
    let i_bounds: Vec<usize> = split(n_inh, k).into_iter().map(|b| n_exc + b).collect();
    let mut labels = vec![k as u32; n];
    for c in 0..k {
        labels[e_bounds[c]..e_bounds[c + 1]].fill(c as u32);
        if opts.cluster_inhibitory {
            labels[i_bounds[c]..i_bounds[c + 1]].fill(c as u32);
        }
    }
    let (dlo, dhi) = opts.delay_steps(dt);
    let r_ee = opts.resolved_p_ratio();
    let labels_ref = &labels;
    // In-lists per target: (source, weight, delay).
    let per_target: Vec<Result<Vec<(u32, f64, u16)>>> = exec.install(|| {
        (0..n)
            .into_par_iter()
            .map(|t| {
                if t % 1024 == 0 {
                    exec.check()?;
                }
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(t as u64);
                let t_exc = t < n_exc;
                let c = labels_ref[t] as usize;
                let mut srcs: Vec<u32> = Vec::new();
                let mut out = Vec::new();
                // Excitatory sources.
                let r_e = if t_exc {
                    r_ee
                } else if opts.cluster_inhibitory {
                    opts.p_ratio_inh
                } else {
                    1.0
                };
                let t_clustered = t_exc || opts.cluster_inhibitory;
                for (pop_lo, pop_hi, bounds, kk, r, exc_src) in [
                    (0, n_exc, &e_bounds, opts.k_exc, r_e, true),
                    (n_exc, n, &i_bounds, opts.k_inh, if opts.cluster_inhibitory { opts.p_ratio_inh } else { 1.0 }, false),
                ] {
                    let src_clustered = exc_src || opts.cluster_inhibitory;
                    let self_in_pop = (pop_lo..pop_hi).contains(&t);
                    srcs.clear();
                    if t_clustered && src_clustered && k > 1 {
                        let (clo, chi) = (bounds[c], bounds[c + 1]);
                        let m_in = chi - clo - usize::from(self_in_pop && (clo..chi).contains(&t));
                        let m_out = (pop_hi - pop_lo) - (chi - clo);
                        let (p_in, p_out) = cluster_probs(kk, m_in, m_out, r);
                        let ff = if exc_src && t_exc { opts.feedforward } else { 0.0 };
                        let in_range = if ff == 0.0 {
                            bernoulli_range(&mut rng, pop_lo, clo, p_out, t, &mut srcs);
                            let before = srcs.len();
                            bernoulli_range(&mut rng, clo, chi, p_in, t, &mut srcs);
                            let in_range = before..srcs.len();
                            bernoulli_range(&mut rng, chi, pop_hi, p_out, t, &mut srcs);
                            in_range
                        } else {
                            // cluster by cluster, in increasing order (sources stay sorted)
                            let mut in_range = 0..0;
                            for cc in 0..k {
                                let p = if cc == c {
                                    p_in
                                } else if cc == (c + k - 1) % k {
                                    (p_out * (1.0 + ff)).min(1.0)
                                } else if cc == (c + 1) % k {
                                    p_out * (1.0 - ff)
                                } else {
                                    p_out
                                };
                                let before = srcs.len();
                                bernoulli_range(&mut rng, bounds[cc], bounds[cc + 1], p, t, &mut srcs);
                                if cc == c {
                                    in_range = before..srcs.len();
                                }
                            }
                            in_range
                        };
                        for (idx, &s) in srcs.iter().enumerate() {
                            let same = in_range.contains(&idx);
                            let w = match (exc_src, t_exc) {
                                (true, true) => opts.w_ee * if same { opts.w_ratio } else { 1.0 },
                                (true, false) => opts.w_ie,
                                (false, true) => -opts.w_ei,
                                (false, false) => -opts.w_ii,
                            };
                            out.push((s, w, 0));
                        }
                    } else {
                        let m = (pop_hi - pop_lo) - usize::from(self_in_pop);
                        let p = if m == 0 { 0.0 } else { (kk / m as f64).min(1.0) };
                        bernoulli_range(&mut rng, pop_lo, pop_hi, p, t, &mut srcs);
                        for &s in &srcs {
                            let w = match (exc_src, t_exc) {
                                (true, true) => opts.w_ee,
                                (true, false) => opts.w_ie,
                                (false, true) => -opts.w_ei,
                                (false, false) => -opts.w_ii,
                            };
                            out.push((s, w, 0));
                        }
                    }
                }
                for e in out.iter_mut() {
                    e.2 = if dhi > dlo { rng.random_range(dlo..=dhi) } else { dlo };
                }
                Ok(out)
            })
            .collect()
    });
    exec.check()?;
    // Transpose to source-major (targets increasing because targets are visited in order).
    let mut indptr = vec![0usize; n + 1];
    let mut lists = Vec::with_capacity(n);
    for l in per_target {
        let l = l?;
        for &(s, _, _) in &l {
            indptr[s as usize + 1] += 1;
        }
        lists.push(l);
    }
    for i in 0..n {
        indptr[i + 1] += indptr[i];
    }
    let nnz = indptr[n];
    let mut fill = indptr[..n].to_vec();
    let mut targets = vec![0u32; nnz];
    let mut weights = vec![0.0; nnz];
    let mut delays = vec![0u16; nnz];
    for (t, l) in lists.into_iter().enumerate() {
        for (s, w, d) in l {
            let k = &mut fill[s as usize];
            targets[*k] = t as u32;
            weights[*k] = w;
            delays[*k] = d;
            *k += 1;
        }
    }
    let mut public: Vec<u32> = (0..n as u32).collect();
    if opts.shuffle_ids {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(u64::MAX);
        for i in (1..n).rev() {
            public.swap(i, rng.random_range(0..=i));
        }
    }
    Ok(InternalNetwork { n_exc, labels, indptr, targets, weights, delays, public })
}

impl InternalNetwork {
    /// The public [`Connectivity`] (ids permuted, rows re-sorted).
    pub(crate) fn to_public(&self, clusters: usize, dt: f64) -> Connectivity {
        let n = self.labels.len();
        let mut inv = vec![0u32; n];
        for (i, &p) in self.public.iter().enumerate() {
            inv[p as usize] = i as u32;
        }
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let nnz = self.targets.len();
        let (mut targets, mut weights, mut delays) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        let mut row: Vec<(u32, f64, u16)> = Vec::new();
        for p in 0..n {
            let i = inv[p] as usize;
            row.clear();
            for k in self.indptr[i]..self.indptr[i + 1] {
                row.push((self.public[self.targets[k] as usize], self.weights[k], self.delays[k]));
            }
            row.sort_unstable_by_key(|e| e.0);
            for &(t, w, d) in &row {
                targets.push(t);
                weights.push(w);
                delays.push(d);
            }
            indptr.push(targets.len());
        }
        let excitatory = (0..n).map(|p| (inv[p] as usize) < self.n_exc).collect();
        let labels = (0..n).map(|p| self.labels[inv[p] as usize]).collect();
        Connectivity { n, clusters, excitatory, labels, indptr, targets, weights, delays, dt }
    }
}

impl Connectivity {
    /// Samples a network without simulating it (same network as [`super::lif::simulate`]
    /// builds for the same options, `dt` and seed).
    pub fn generate(opts: &NetworkOptions, dt: f64, seed: u64, exec: &Exec) -> Result<Connectivity> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid_input(format!("dt must be positive, got {dt}")));
        }
        Ok(build_internal(opts, dt, seed, exec)?.to_public(opts.clusters, dt))
    }

    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of synapses.
    pub fn nnz(&self) -> usize {
        self.targets.len()
    }
    /// Number of excitatory clusters K.
    pub fn clusters(&self) -> usize {
        self.clusters
    }
    /// Whether each neuron is excitatory.
    pub fn excitatory(&self) -> &[bool] {
        &self.excitatory
    }
    /// Cluster label per neuron in `0..K`; unclustered inhibitory neurons get label `K`.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
    /// Source-major CSR `(indptr, targets, weights)`; weights are signed (mV), I rows negative.
    pub fn csr(&self) -> (&[usize], &[u32], &[f64]) {
        (&self.indptr, &self.targets, &self.weights)
    }
    /// Synaptic delays in steps of [`Connectivity::dt`], aligned with the CSR arrays.
    pub fn delays(&self) -> &[u16] {
        &self.delays
    }
    pub fn dt(&self) -> f64 {
        self.dt
    }
    /// Source neuron of each synapse, aligned with the CSR arrays (sorted by source).
    pub fn sources(&self) -> Vec<u32> {
        let mut s = Vec::with_capacity(self.nnz());
        for i in 0..self.n {
            s.extend(std::iter::repeat_n(i as u32, self.indptr[i + 1] - self.indptr[i]));
        }
        s
    }
    /// Synaptic delays in seconds (steps times [`Connectivity::dt`]), aligned with the CSR arrays.
    pub fn delay_seconds(&self) -> Vec<f64> {
        self.delays.iter().map(|&d| d as f64 * self.dt).collect()
    }
    /// All synapses as `(source, target, weight)`, sorted by source then target.
    pub fn edges(&self) -> Vec<(u32, u32, f64)> {
        let mut e = Vec::with_capacity(self.nnz());
        for s in 0..self.n {
            for k in self.indptr[s]..self.indptr[s + 1] {
                e.push((s as u32, self.targets[k], self.weights[k]));
            }
        }
        e
    }
    /// Weight of `source -> target` (0 when absent). O(log degree).
    pub fn weight(&self, source: usize, target: usize) -> f64 {
        let row = &self.targets[self.indptr[source]..self.indptr[source + 1]];
        row.binary_search(&(target as u32)).map_or(0.0, |k| self.weights[self.indptr[source] + k])
    }
}

/// Realised E->E connection probabilities of a labelled network ([`connection_probabilities`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionProbabilities {
    /// Synapses between two excitatory neurons of the same label over the ordered pairs of
    /// distinct such neurons (NaN when there is no such pair).
    pub inside: f64,
    /// The same between excitatory neurons of different labels (NaN when there is no such pair).
    pub between: f64,
}

/// Fraction of ordered pairs of distinct excitatory neurons that are synapses, inside a label
/// group and between groups: with `n_c` excitatory neurons of label `c` and `N_E` in all,
/// `inside = #{E->E synapses within a label} / Σ_c n_c (n_c - 1)` and
/// `between = #{E->E synapses across labels} / (N_E (N_E - 1) - Σ_c n_c (n_c - 1))`.
/// The simulator's ground truth (`sources`, `targets`; `labels` and `excitatory` per neuron)
/// gives the realised `p_in` / `p_out` of docs/lif.md.
///
/// # Errors
/// `InvalidInput` naming the argument when `sources` and `targets` differ in length, when
/// `labels` and `excitatory` differ in length, or when an endpoint is not a neuron.
pub fn connection_probabilities(sources: &[u32], targets: &[u32], labels: &[u32], excitatory: &[bool]) -> Result<ConnectionProbabilities> {
    let n = labels.len();
    if sources.len() != targets.len() {
        return Err(Error::invalid_input(format!("sources ({}) and targets ({}) must have the same length", sources.len(), targets.len())));
    }
    if excitatory.len() != n {
        return Err(Error::invalid_input(format!("excitatory ({}) and labels ({n}) must have the same length", excitatory.len())));
    }
    for (name, v) in [("sources", sources), ("targets", targets)] {
        if let Some(&bad) = v.iter().find(|&&x| x as usize >= n) {
            return Err(Error::invalid_input(format!("{name}: neuron {bad} out of range ({n} neurons)")));
        }
    }
    let mut size = std::collections::HashMap::<u32, f64>::new();
    let mut n_e = 0.0;
    for (&l, _) in labels.iter().zip(excitatory).filter(|(_, &e)| e) {
        n_e += 1.0;
        *size.entry(l).or_default() += 1.0;
    }
    let pairs_inside: f64 = size.values().map(|&s| s * (s - 1.0)).sum();
    let pairs_between = n_e * (n_e - 1.0) - pairs_inside;
    let (mut inside, mut between) = (0.0, 0.0);
    for (&a, &b) in sources.iter().zip(targets) {
        let (a, b) = (a as usize, b as usize);
        if !(excitatory[a] && excitatory[b]) {
            continue;
        }
        if labels[a] == labels[b] {
            inside += 1.0;
        } else {
            between += 1.0;
        }
    }
    let ratio = |k: f64, pairs: f64| if pairs > 0.0 { k / pairs } else { f64::NAN };
    Ok(ConnectionProbabilities { inside: ratio(inside, pairs_inside), between: ratio(between, pairs_between) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(n: usize, clusters: usize) -> NetworkOptions {
        NetworkOptions { n, clusters, k_exc: 40.0, k_inh: 10.0, ..Default::default() }
    }

    #[test]
    fn connection_probabilities_match_pair_enumeration() {
        let c = Connectivity::generate(&small(300, 3), 1e-4, 5, &Exec::with_threads(1)).unwrap();
        let (src, (_, tg, _)) = (c.sources(), c.csr());
        assert_eq!(src.len(), c.nnz());
        assert!(src.iter().zip(tg).zip(c.edges()).all(|((&s, &t), e)| (s, t) == (e.0, e.1)));
        let d = c.delay_seconds();
        assert!(d.iter().zip(c.delays()).all(|(&x, &k)| x == k as f64 * c.dt()));
        let p = connection_probabilities(&src, tg, c.labels(), c.excitatory()).unwrap();
        // brute force over all ordered pairs of distinct excitatory neurons
        let (lab, exc) = (c.labels(), c.excitatory());
        let (mut k, mut pairs) = ([0usize; 2], [0usize; 2]);
        for a in (0..c.n()).filter(|&a| exc[a]) {
            for b in (0..c.n()).filter(|&b| exc[b] && b != a) {
                let g = usize::from(lab[a] != lab[b]);
                pairs[g] += 1;
                k[g] += usize::from(c.weight(a, b) != 0.0);
            }
        }
        assert_eq!(p.inside, k[0] as f64 / pairs[0] as f64);
        assert_eq!(p.between, k[1] as f64 / pairs[1] as f64);
        assert!(p.inside > p.between, "{p:?}");
    }

    #[test]
    fn connection_probabilities_small_cases_and_errors() {
        // 4 E neurons in labels {0, 0, 1, 1} and one I neuron (4): 0->1, 1->0 inside; 0->2 between;
        // 4->0 and 0->4 involve the I neuron and are not counted
        let (labels, exc) = ([0, 0, 1, 1, 2], [true, true, true, true, false]);
        let p = connection_probabilities(&[0, 1, 0, 4, 0], &[1, 0, 2, 0, 4], &labels, &exc).unwrap();
        assert_eq!((p.inside, p.between), (2.0 / 4.0, 1.0 / 8.0));
        // no pairs: NaN; an empty network
        let p = connection_probabilities(&[], &[], &[0], &[true]).unwrap();
        assert!(p.inside.is_nan() && p.between.is_nan());
        let p = connection_probabilities(&[], &[], &[], &[]).unwrap();
        assert!(p.inside.is_nan() && p.between.is_nan());
        let code = |r: Result<ConnectionProbabilities>| r.unwrap_err().code;
        assert_eq!(code(connection_probabilities(&[0], &[], &labels, &exc)), crate::ErrorCode::InvalidInput);
        assert_eq!(code(connection_probabilities(&[], &[], &labels, &exc[..2])), crate::ErrorCode::InvalidInput);
        let e = connection_probabilities(&[0], &[5], &labels, &exc).unwrap_err();
        assert!(e.code == crate::ErrorCode::InvalidInput && e.message.contains("targets"), "{e:?}");
    }

    #[test]
    fn feedforward_directs_the_coupling_and_keeps_the_in_degree() {
        // E -> E synapses between clusters by (source cluster, target cluster)
        let count = |f: f64| {
            let o = NetworkOptions { feedforward: f, ..small(2000, 4) };
            let c = Connectivity::generate(&o, 1e-4, 3, &Exec::with_threads(2)).unwrap();
            let (idx, tg, _) = c.csr();
            let (lab, exc) = (c.labels(), c.excitatory());
            let mut m = [[0usize; 4]; 4];
            for s in 0..c.n() {
                for &t in &tg[idx[s]..idx[s + 1]] {
                    if exc[s] && exc[t as usize] {
                        m[lab[s] as usize][lab[t as usize] as usize] += 1;
                    }
                }
            }
            m
        };
        let (m0, m5, m1) = (count(0.0), count(0.5), count(1.0));
        let total = |m: &[[usize; 4]; 4]| m.iter().flatten().sum::<usize>() as f64;
        for m in [&m5, &m1] {
            assert!((total(m) / total(&m0) - 1.0).abs() < 0.02, "{m0:?} {m:?}");
        }
        for c in 0..4 {
            let (fwd, back) = (|m: &[[usize; 4]; 4]| m[c][(c + 1) % 4] as f64, |m: &[[usize; 4]; 4]| m[(c + 1) % 4][c] as f64);
            assert!((fwd(&m0) / back(&m0) - 1.0).abs() < 0.15, "{m0:?}");
            assert!((fwd(&m5) / back(&m5) - 3.0).abs() < 0.5, "{m5:?}");
            assert_eq!(back(&m1), 0.0);
            assert!((fwd(&m1) / fwd(&m0) - 2.0).abs() < 0.2, "{m1:?}");
        }
        assert!(NetworkOptions { feedforward: 1.5, ..small(200, 4) }.validate(1e-4).is_err());
        assert!(NetworkOptions { feedforward: 0.5, ..small(200, 2) }.validate(1e-4).is_err());
    }

    #[test]
    fn cluster_probabilities_keep_in_degree() {
        let (pi, po) = cluster_probs(80.0, 399, 7600, 10.0);
        assert!((pi * 399.0 + po * 7600.0 - 80.0).abs() < 1e-9);
        assert!((pi / po - 10.0).abs() < 1e-9);
        let (pi, po) = cluster_probs(30.0, 10, 100, 10.0); // p_in clamps
        assert_eq!(pi, 1.0);
        assert!((po - 0.2).abs() < 1e-12);
        assert_eq!(cluster_probs(5.0, 0, 0, 2.0), (0.0, 0.0));
        assert_eq!(cluster_probs(500.0, 10, 10, 1.0), (1.0, 1.0));
    }

    #[test]
    fn default_ratio_gives_the_in_fraction() {
        let o = NetworkOptions::default();
        let r = o.resolved_p_ratio();
        let (pi, po) = cluster_probs(80.0, 399, 7600, r);
        assert!((pi * 399.0 / 80.0 - 0.3).abs() < 1e-9, "{r}");
        assert!(po < pi);
        let few = NetworkOptions { clusters: 2, ..o.clone() };
        assert_eq!(few.resolved_p_ratio(), 2.0);
        assert_eq!(NetworkOptions { p_ratio: Some(2.5), ..o }.resolved_p_ratio(), 2.5);
    }

    #[test]
    fn realised_probabilities_and_signs() {
        let opts = NetworkOptions { shuffle_ids: false, p_ratio: Some(10.0), ..small(4000, 8) };
        let exec = Exec::with_threads(2);
        let c = Connectivity::generate(&opts, 1e-4, 3, &exec).unwrap();
        let n_exc = opts.n_exc();
        assert_eq!(n_exc, 3200);
        let csize = 400;
        let (p_in, p_out) = cluster_probs(40.0, csize - 1, n_exc - csize, 10.0);
        let (mut e_in, mut e_out) = (0usize, 0usize);
        let (idx, tg, w) = c.csr();
        for s in 0..c.n() {
            for k in idx[s]..idx[s + 1] {
                let t = tg[k] as usize;
                assert_ne!(s, t, "autapse");
                assert_eq!(w[k] < 0.0, s >= n_exc, "sign follows the source type");
                if s < n_exc && t < n_exc {
                    if c.labels()[s] == c.labels()[t] {
                        e_in += 1;
                        assert_eq!(w[k], opts.w_ee * opts.w_ratio);
                    } else {
                        e_out += 1;
                        assert_eq!(w[k], opts.w_ee);
                    }
                }
            }
        }
        let pairs_in = (n_exc * (csize - 1)) as f64;
        let pairs_out = (n_exc * (n_exc - csize)) as f64;
        let (hat_in, hat_out) = (e_in as f64 / pairs_in, e_out as f64 / pairs_out);
        // 5 binomial standard deviations.
        assert!((hat_in - p_in).abs() < 5.0 * (p_in / pairs_in).sqrt(), "{hat_in} vs {p_in}");
        assert!((hat_out - p_out).abs() < 5.0 * (p_out / pairs_out).sqrt(), "{hat_out} vs {p_out}");
        // Mean in-degrees.
        let mut from_i = 0usize;
        for s in n_exc..c.n() {
            from_i += idx[s + 1] - idx[s];
        }
        let mean_i = from_i as f64 / c.n() as f64;
        assert!((mean_i - 10.0).abs() < 0.3, "{mean_i}");
        // Labels: E clusters of 400, I labelled K.
        assert!(c.labels()[..n_exc].iter().all(|&l| l < 8));
        assert!(c.labels()[n_exc..].iter().all(|&l| l == 8));
        // Delays within range.
        let (lo, hi) = opts.delay_steps(1e-4);
        assert_eq!((lo, hi), (5, 20));
        assert!(c.delays().iter().all(|&d| (lo..=hi).contains(&d)));
        assert!(c.delays().contains(&lo) && c.delays().contains(&hi));
    }

    #[test]
    fn deterministic_thread_independent_and_shuffled() {
        let opts = small(600, 3);
        let a = Connectivity::generate(&opts, 1e-4, 9, &Exec::sequential()).unwrap();
        let b = Connectivity::generate(&opts, 1e-4, 9, &Exec::with_threads(2)).unwrap();
        assert_eq!(a, b);
        let c = Connectivity::generate(&opts, 1e-4, 10, &Exec::sequential()).unwrap();
        assert_ne!(a.edges(), c.edges());
        // Shuffled ids: the first 480 ids are not all excitatory.
        assert!(a.excitatory()[..480].iter().any(|&e| !e));
        assert_eq!(a.excitatory().iter().filter(|&&e| e).count(), 480);
        // Shuffling is a relabelling: the same multiset of weights as the unshuffled network.
        let u = Connectivity::generate(&NetworkOptions { shuffle_ids: false, ..opts.clone() }, 1e-4, 9, &Exec::sequential()).unwrap();
        let mut wa: Vec<f64> = a.edges().iter().map(|e| e.2).collect();
        let mut wu: Vec<f64> = u.edges().iter().map(|e| e.2).collect();
        wa.sort_by(f64::total_cmp);
        wu.sort_by(f64::total_cmp);
        assert_eq!(wa, wu);
        let e = a.edges();
        assert!(e.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
        assert_eq!(a.weight(e[0].0 as usize, e[0].1 as usize), e[0].2);
    }

    #[test]
    fn clustered_inhibition_and_edge_cases() {
        let opts = NetworkOptions { cluster_inhibitory: true, shuffle_ids: false, ..small(500, 4) };
        let c = Connectivity::generate(&opts, 1e-4, 1, &Exec::sequential()).unwrap();
        assert!(c.labels().iter().all(|&l| l < 4));
        // Tiny networks: full connectivity when k exceeds the population.
        let tiny = NetworkOptions { n: 5, clusters: 1, ..Default::default() };
        let c = Connectivity::generate(&tiny, 1e-4, 1, &Exec::sequential()).unwrap();
        assert_eq!(c.nnz(), 20);
        let one = NetworkOptions { n: 1, clusters: 1, ..Default::default() };
        assert_eq!(Connectivity::generate(&one, 1e-4, 1, &Exec::sequential()).unwrap().nnz(), 0);
        for bad in [
            NetworkOptions { n: 0, ..small(10, 1) },
            NetworkOptions { clusters: 0, ..small(10, 1) },
            NetworkOptions { clusters: 9, ..small(10, 1) },
            NetworkOptions { p_ratio: Some(0.5), ..small(10, 1) },
            NetworkOptions { in_fraction: 1.0, ..small(10, 1) },
            NetworkOptions { k_exc: f64::NAN, ..small(10, 1) },
            NetworkOptions { w_ei: -1.0, ..small(10, 1) },
            NetworkOptions { delay_max: 1e-5, ..small(10, 1) },
            NetworkOptions { exc_fraction: 1.5, ..small(10, 1) },
        ] {
            assert!(Connectivity::generate(&bad, 1e-4, 1, &Exec::sequential()).is_err(), "{bad:?}");
        }
        assert!(Connectivity::generate(&small(10, 1), 0.0, 1, &Exec::sequential()).is_err());
        let huge = NetworkOptions { n: 1 << 30, k_exc: 1000.0, ..small(10, 1) };
        let e = Connectivity::generate(&huge, 1e-4, 1, &Exec::sequential()).unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::TooLarge);
        let cancelled = Exec::sequential();
        cancelled.cancel.cancel();
        assert!(Connectivity::generate(&small(3000, 2), 1e-4, 1, &cancelled).is_err());
    }
}
