//! Clustered LIF simulator (`simulateLif`): options in, spike trains + ground truth out.

use crate::job::{guard, CancelToken, Job};
use crate::set;
use diffrg_core::sim::{LifOptions, NetworkOptions, Observe, SubsampleMode};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Every field is optional; defaults are those of diffrg_core::sim::LifOptions (docs/lif.md).
#[napi(object)]
#[derive(Default)]
pub struct LifSimOptions {
    pub neurons: Option<u32>,
    pub clusters: Option<u32>,
    /// Simulated time in seconds. @default 1
    pub duration: Option<f64>,
    /// Integer seed in [0, 2^32 - 1]. @default 1
    pub seed: Option<u32>,
    pub dt: Option<f64>,
    pub tau_m_exc: Option<f64>,
    pub tau_m_inh: Option<f64>,
    pub tau_syn_exc: Option<f64>,
    pub tau_syn_inh: Option<f64>,
    pub v_threshold: Option<f64>,
    pub v_reset: Option<f64>,
    pub t_ref: Option<f64>,
    pub ext_rate_exc: Option<f64>,
    pub ext_rate_inh: Option<f64>,
    pub w_ext: Option<f64>,
    pub exc_fraction: Option<f64>,
    pub k_exc: Option<f64>,
    pub k_inh: Option<f64>,
    pub p_ratio: Option<f64>,
    pub in_fraction: Option<f64>,
    pub w_ratio: Option<f64>,
    pub cluster_inhibitory: Option<bool>,
    pub p_ratio_inh: Option<f64>,
    pub w_ee: Option<f64>,
    pub w_ie: Option<f64>,
    pub w_ei: Option<f64>,
    pub w_ii: Option<f64>,
    pub delay_min: Option<f64>,
    pub delay_max: Option<f64>,
    pub shuffle_ids: Option<bool>,
    /// Directed E->E coupling around the ring of clusters, in [0, 1] (needs >= 3 clusters). @default 0
    pub feedforward: Option<f64>,
    /// Fraction of neurons observed. @default 1
    pub observe: Option<f64>,
    /// "random" | "stratified" | "clusters". @default "random"
    pub observe_mode: Option<String>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct LifSimResult {
    pub n: u32,
    pub clusters: u32,
    pub steps: f64,
    pub threads: u32,
    pub dt: f64,
    pub duration: f64,
    pub rate_exc: f64,
    pub rate_inh: f64,
    /// Spikes of neuron i: spikeTimes[spikeOffsets[i] .. spikeOffsets[i + 1]] (seconds).
    pub spike_offsets: Float64Array,
    pub spike_times: Float64Array,
    /// Ground-truth synapses, sorted by source then target; weights in mV (negative = inhibitory).
    pub sources: Uint32Array,
    pub targets: Uint32Array,
    pub weights: Float64Array,
    /// Synaptic delays in seconds.
    pub delays: Float64Array,
    /// Cluster of each neuron (unclustered inhibitory neurons: `clusters`).
    pub labels: Uint32Array,
    /// 1 for excitatory neurons.
    pub excitatory: Uint8Array,
    /// Observed neuron ids (sorted).
    pub observed: Uint32Array,
}

fn lif_options(o: &LifSimOptions) -> LifOptions {
    let d = LifOptions::default();
    let dn = NetworkOptions::default();
    let network = NetworkOptions {
        n: o.neurons.map_or(dn.n, |v| v as usize),
        exc_fraction: o.exc_fraction.unwrap_or(dn.exc_fraction),
        clusters: o.clusters.map_or(dn.clusters, |v| v as usize),
        k_exc: o.k_exc.unwrap_or(dn.k_exc),
        k_inh: o.k_inh.unwrap_or(dn.k_inh),
        p_ratio: o.p_ratio.or(dn.p_ratio),
        in_fraction: o.in_fraction.unwrap_or(dn.in_fraction),
        w_ratio: o.w_ratio.unwrap_or(dn.w_ratio),
        cluster_inhibitory: o.cluster_inhibitory.unwrap_or(dn.cluster_inhibitory),
        p_ratio_inh: o.p_ratio_inh.unwrap_or(dn.p_ratio_inh),
        w_ee: o.w_ee.unwrap_or(dn.w_ee),
        w_ie: o.w_ie.unwrap_or(dn.w_ie),
        w_ei: o.w_ei.unwrap_or(dn.w_ei),
        w_ii: o.w_ii.unwrap_or(dn.w_ii),
        delay_min: o.delay_min.unwrap_or(dn.delay_min),
        delay_max: o.delay_max.unwrap_or(dn.delay_max),
        shuffle_ids: o.shuffle_ids.unwrap_or(dn.shuffle_ids),
        feedforward: o.feedforward.unwrap_or(dn.feedforward),
    };
    LifOptions {
        network,
        duration: o.duration.unwrap_or(d.duration),
        dt: o.dt.unwrap_or(d.dt),
        tau_m_exc: o.tau_m_exc.unwrap_or(d.tau_m_exc),
        tau_m_inh: o.tau_m_inh.unwrap_or(d.tau_m_inh),
        tau_syn_exc: o.tau_syn_exc.unwrap_or(d.tau_syn_exc),
        tau_syn_inh: o.tau_syn_inh.unwrap_or(d.tau_syn_inh),
        v_threshold: o.v_threshold.unwrap_or(d.v_threshold),
        v_reset: o.v_reset.unwrap_or(d.v_reset),
        t_ref: o.t_ref.unwrap_or(d.t_ref),
        ext_rate_exc: o.ext_rate_exc.unwrap_or(d.ext_rate_exc),
        ext_rate_inh: o.ext_rate_inh.unwrap_or(d.ext_rate_inh),
        w_ext: o.w_ext.unwrap_or(d.w_ext),
        seed: o.seed.map_or(d.seed, u64::from),
    }
}

fn observe_of(o: &LifSimOptions) -> diffrg_core::Result<Observe> {
    let mut obs = Observe::default();
    set(&mut obs.fraction, o.observe);
    set(&mut obs.mode, o.observe_mode.as_deref().map(|m| SubsampleMode::parse_field(m, "observeMode")).transpose()?);
    obs.check()?;
    Ok(obs)
}

/// Simulates the clustered LIF network; see docs/lif.md.
#[napi(ts_return_type = "Promise<LifSimResult>")]
pub fn simulate_lif(options: Option<LifSimOptions>, token: Option<&CancelToken>) -> AsyncTask<Job<LifSimResult>> {
    let o = options.unwrap_or_default();
    Job::new(o.threads, token, move |exec| {
        let opts = lif_options(&o);
        let obs = observe_of(&o)?;
        let report = |f: f64| exec.progress.set(f);
        let r = diffrg_core::sim::simulate(&opts, exec, Some(&report))?;
        let c = &r.connectivity;
        let observed = obs.select(c.labels(), opts.seed)?;
        let (_, targets, weights) = c.csr();
        Ok(LifSimResult {
            n: c.n() as u32,
            clusters: c.clusters() as u32,
            steps: r.steps as f64,
            threads: r.threads as u32,
            dt: opts.dt,
            duration: opts.duration,
            rate_exc: r.rate_exc,
            rate_inh: r.rate_inh,
            spike_offsets: Float64Array::new(r.spikes.offsets().iter().map(|&x| x as f64).collect()),
            spike_times: Float64Array::new(r.spikes.times().to_vec()),
            sources: Uint32Array::new(c.sources()),
            targets: Uint32Array::new(targets.to_vec()),
            weights: Float64Array::new(weights.to_vec()),
            delays: Float64Array::new(c.delay_seconds()),
            labels: Uint32Array::new(c.labels().to_vec()),
            excitatory: Uint8Array::new(c.excitatory().iter().map(|&e| e as u8).collect()),
            observed: Uint32Array::new(observed),
        })
    })
}

#[napi(object)]
pub struct ConnectionProbabilitiesJs {
    pub inside: f64,
    pub between: f64,
}

/// Realised E->E connection probabilities inside and between label groups
/// (`sim::connection_probabilities`; NaN where there is no pair).
#[napi]
pub fn connection_probabilities(
    sources: Uint32Array,
    targets: Uint32Array,
    labels: Uint32Array,
    excitatory: Uint8Array,
) -> Result<ConnectionProbabilitiesJs> {
    guard(|| {
        let exc: Vec<bool> = excitatory.iter().map(|&e| e != 0).collect();
        let p = diffrg_core::sim::connection_probabilities(&sources, &targets, &labels, &exc)?;
        Ok(ConnectionProbabilitiesJs { inside: p.inside, between: p.between })
    })
}
