//! Subsampling: which neurons an experiment observes.
//!
//! A recording sees `m = round(fraction * n)` of the `n` neurons. Three designs:
//! - [`SubsampleMode::Random`]: a uniformly random `m`-subset (partial Fisher-Yates).
//! - [`SubsampleMode::Stratified`]: the same fraction of every cluster (label group), rounded
//!   per group, then corrected to exactly `m` by the largest-remainder rule.
//! - [`SubsampleMode::Clusters`]: whole clusters in random order until `m` is reached (the last
//!   cluster taken partially), like a field of view that covers some assemblies only.
//!
//! Results are sorted neuron ids; everything is seeded (ChaCha8).

use super::connectivity::Connectivity;
use crate::activity::SpikeTrains;
use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How [`subsample`] picks neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubsampleMode {
    Random,
    Stratified,
    Clusters,
}

named_enum!(SubsampleMode, "mode" { Random => "random", Stratified => "stratified", Clusters => "clusters" });

/// Which neurons a simulated experiment observes (the `observe` / `observeMode` options).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observe {
    /// Observed fraction in `[0, 1]`. Default 1 (every neuron).
    pub fraction: f64,
    /// Default [`SubsampleMode::Random`].
    pub mode: SubsampleMode,
}

impl Default for Observe {
    fn default() -> Self {
        Observe { fraction: 1.0, mode: SubsampleMode::Random }
    }
}

impl Observe {
    /// Range check, run before a simulation so that a bad fraction fails before the work.
    pub fn check(&self) -> Result<()> {
        if !(self.fraction.is_finite() && (0.0..=1.0).contains(&self.fraction)) {
            return Err(Error::invalid_input(format!("observe must be a fraction in [0, 1], got {}", self.fraction)));
        }
        Ok(())
    }

    /// The neurons a simulation run with `seed` observes: [`subsample`] of `labels` on its own
    /// stream derived from the seed (`seed ^ OBSERVE_STREAM`), so that the subsample does not
    /// share random numbers with the network and its drive.
    pub fn select(&self, labels: &[u32], seed: u64) -> Result<Vec<u32>> {
        self.check()?;
        subsample(labels, self.fraction, self.mode, seed ^ OBSERVE_STREAM)
    }
}

/// Offset of the subsample's random stream from the simulation seed ([`Observe::select`]).
pub const OBSERVE_STREAM: u64 = 0x0b5e_7ed0_0b5e_7ed0;

/// Picks `k` distinct items of `items` uniformly (partial Fisher-Yates on a copy).
fn pick(items: &[u32], k: usize, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let mut v = items.to_vec();
    let k = k.min(v.len());
    for i in 0..k {
        let j = rng.random_range(i..v.len());
        v.swap(i, j);
    }
    v.truncate(k);
    v
}

/// Observed neuron ids (sorted) among `labels.len()` neurons; `labels` are the cluster labels
/// (used by `Stratified` and `Clusters`). `fraction` in `[0, 1]`.
pub fn subsample(labels: &[u32], fraction: f64, mode: SubsampleMode, seed: u64) -> Result<Vec<u32>> {
    if !(fraction.is_finite() && (0.0..=1.0).contains(&fraction)) {
        return Err(Error::invalid_input(format!("fraction must be in [0, 1], got {fraction}")));
    }
    let n = labels.len();
    let m = (fraction * n as f64).round() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let all: Vec<u32> = (0..n as u32).collect();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    if mode != SubsampleMode::Random {
        let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        groups = vec![Vec::new(); k];
        for (i, &l) in labels.iter().enumerate() {
            groups[l as usize].push(i as u32);
        }
        groups.retain(|g| !g.is_empty());
    }
    let mut out = match mode {
        SubsampleMode::Random => pick(&all, m, &mut rng),
        SubsampleMode::Stratified => {
            // Largest remainder apportionment of m over the groups.
            let quota: Vec<f64> = groups.iter().map(|g| fraction * g.len() as f64).collect();
            let mut take: Vec<usize> = quota.iter().map(|q| q.floor() as usize).collect();
            let mut rest = m - take.iter().sum::<usize>().min(m);
            let mut order: Vec<usize> = (0..groups.len()).collect();
            order.sort_by(|&a, &b| (quota[b] - quota[b].floor()).total_cmp(&(quota[a] - quota[a].floor())).then(a.cmp(&b)));
            for &g in &order {
                if rest == 0 {
                    break;
                }
                if take[g] < groups[g].len() {
                    take[g] += 1;
                    rest -= 1;
                }
            }
            groups.iter().zip(&take).flat_map(|(g, &k)| pick(g, k, &mut rng)).collect()
        }
        SubsampleMode::Clusters => {
            let order = pick(&(0..groups.len() as u32).collect::<Vec<_>>(), groups.len(), &mut rng);
            let mut out = Vec::with_capacity(m);
            for g in order {
                let need = m - out.len();
                if need == 0 {
                    break;
                }
                out.extend(pick(&groups[g as usize], need, &mut rng));
            }
            out
        }
    };
    out.sort_unstable();
    Ok(out)
}

/// The spike trains of the `observed` neurons (rows keep their ids).
pub fn observed_spikes(spikes: &SpikeTrains, observed: &[u32]) -> Result<SpikeTrains> {
    spikes.select(&observed.iter().map(|&i| i as usize).collect::<Vec<_>>())
}

/// Ground-truth edges among the observed neurons, `(source, target, weight)` in original ids.
pub fn observed_edges(conn: &Connectivity, observed: &[u32]) -> Result<Vec<(u32, u32, f64)>> {
    let mut mask = vec![false; conn.n()];
    for (k, &i) in observed.iter().enumerate() {
        if i as usize >= conn.n() {
            return Err(Error::invalid_input(format!("observed[{k}] = {i} is out of range for {} neurons", conn.n())));
        }
        mask[i as usize] = true;
    }
    let (indptr, targets, weights) = conn.csr();
    let mut out = Vec::new();
    for &s in observed {
        let s = s as usize;
        for k in indptr[s]..indptr[s + 1] {
            if mask[targets[k] as usize] {
                out.push((s as u32, targets[k], weights[k]));
            }
        }
    }
    out.sort_unstable_by_key(|e| (e.0, e.1));
    out.dedup_by_key(|e| (e.0, e.1));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Exec;
    use crate::sim::NetworkOptions;

    fn labels() -> Vec<u32> {
        // 4 clusters of 25, 30, 20, 25 neurons, interleaved.
        let sizes = [25, 30, 20, 25];
        let mut l: Vec<u32> = sizes.iter().enumerate().flat_map(|(c, &s)| std::iter::repeat_n(c as u32, s)).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for i in (1..l.len()).rev() {
            l.swap(i, rng.random_range(0..=i));
        }
        l
    }

    #[test]
    fn sizes_sorted_unique_deterministic() {
        let l = labels();
        for mode in [SubsampleMode::Random, SubsampleMode::Stratified, SubsampleMode::Clusters] {
            for f in [0.0, 0.2, 0.5, 0.37, 1.0] {
                let o = subsample(&l, f, mode, 1).unwrap();
                assert_eq!(o.len(), (f * 100.0_f64).round() as usize, "{mode:?} {f}");
                assert!(o.windows(2).all(|w| w[0] < w[1]));
                assert_eq!(o, subsample(&l, f, mode, 1).unwrap());
            }
            assert_ne!(subsample(&l, 0.5, mode, 1).unwrap(), subsample(&l, 0.5, mode, 2).unwrap());
            assert!(subsample(&l, 1.5, mode, 1).is_err());
            assert!(subsample(&l, f64::NAN, mode, 1).is_err());
            assert!(subsample(&[], 0.5, mode, 1).unwrap().is_empty());
        }
    }

    #[test]
    fn observe_select_is_the_subsample_on_the_derived_stream() {
        let l = labels();
        let o = Observe { fraction: 0.3, mode: SubsampleMode::Stratified };
        assert_eq!(o.select(&l, 9).unwrap(), subsample(&l, 0.3, SubsampleMode::Stratified, 9 ^ OBSERVE_STREAM).unwrap());
        let bad = Observe { fraction: 1.5, ..Default::default() };
        assert_eq!(bad.select(&l, 9).unwrap_err().code, crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn stratified_and_cluster_modes() {
        let l = labels();
        let count = |o: &[u32], c: u32| o.iter().filter(|&&i| l[i as usize] == c).count();
        let o = subsample(&l, 0.2, SubsampleMode::Stratified, 3).unwrap();
        assert_eq!([count(&o, 0), count(&o, 1), count(&o, 2), count(&o, 3)], [5, 6, 4, 5]);
        // Clusters: 50 neurons = whole clusters plus at most one partial cluster.
        let o = subsample(&l, 0.5, SubsampleMode::Clusters, 3).unwrap();
        let sizes = [25, 30, 20, 25];
        let partial = (0..4).filter(|&c| {
            let k = count(&o, c as u32);
            k != 0 && k != sizes[c]
        });
        assert!(partial.count() <= 1);
    }

    #[test]
    fn observed_edges_are_the_induced_subgraph() {
        let opts = NetworkOptions { n: 300, clusters: 3, k_exc: 20.0, k_inh: 5.0, ..Default::default() };
        let c = Connectivity::generate(&opts, 1e-4, 2, &Exec::sequential()).unwrap();
        let obs = subsample(c.labels(), 0.3, SubsampleMode::Random, 4).unwrap();
        let e = observed_edges(&c, &obs).unwrap();
        let set: std::collections::HashSet<u32> = obs.iter().copied().collect();
        let brute: Vec<_> = c.edges().into_iter().filter(|e| set.contains(&e.0) && set.contains(&e.1)).collect();
        assert_eq!(e, brute);
        assert!(observed_edges(&c, &[300]).is_err());
        let s = SpikeTrains::from_trains((0..300).map(|i| vec![i as f64]).collect(), None).unwrap();
        let os = observed_spikes(&s, &obs).unwrap();
        assert_eq!(os.ids(), obs.iter().map(|&i| i as u64).collect::<Vec<_>>().as_slice());
        assert_eq!(os.train(0), &[obs[0] as f64]);
    }
}
