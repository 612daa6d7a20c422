//! Diffusion tensor network renormalization: the RG flow of a tensor-train model of joint
//! spike-pattern probabilities along nested supernodes (docs/dtnr.md).

use crate::graph::NativeGraph;
use crate::job::{CancelToken, Job};
use crate::mps::{from_tt, MpsModel};
use crate::set;
use diffrg_core::error::count_limit;
use diffrg_core::mps::block::BlockMap;
use diffrg_core::mps::dtnr::{check_columns, dtnr as run_dtnr, DtnrOptions as CoreOptions};
use diffrg_core::mps::pipeline::Family;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default)]
pub struct DtnrOptions {
    /// Bond-dimension limit of the fits and of every recompression. @default 32
    pub chi: Option<u32>,
    /// "any" | "count". @default "any"
    pub block: Option<String>,
    /// Cap of the "count" block map. @default 3
    pub cap: Option<u32>,
    /// Relative recompression cutoff. @default 0
    pub cutoff: Option<f64>,
    /// Held-out fraction of the consistency check. @default 0.2
    pub heldout: Option<f64>,
    /// Early-stopping fraction of the remaining patterns. @default 0.2
    pub validation: Option<f64>,
    /// @default 0
    pub seed: Option<u32>,
    /// Samples of the sampled entropy / negative-mass estimates. @default 20000
    pub samples: Option<u32>,
    /// Enumerate exactly up to this many states. @default 1048576
    pub exact_limit: Option<f64>,
    /// Fit the direct models of the consistency check. @default true
    pub direct: Option<bool>,
    /// Maximum half-sweeps of every fit. @default 12
    pub max_half_sweeps: Option<u32>,
    /// Model of scale 0 and of the direct fits: 'born' (Born machine), 'probability'
    /// (non-negative train learned by EM with smoothed counts) or 'mixture' (the `mps fit`
    /// mixture: bagged EM trains, latent classes and a Born machine; docs/mps.md). @default 'born'
    pub kind: Option<String>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct DtnrScale {
    pub scale: u32,
    pub variables: u32,
    pub dims: Vec<u32>,
    pub state_space_log2: f64,
    pub parameters: f64,
    pub bond_dims: Vec<u32>,
    pub bond_dims_before: Vec<u32>,
    pub entropy_bits: f64,
    pub entropy_stderr: f64,
    /// Deprecated alias of `entropy_stderr` (one release).
    pub entropy_std_error: f64,
    pub entropy_ci_low: f64,
    pub entropy_ci_high: f64,
    pub entropy_exact: bool,
    pub entropy_samples: u32,
    pub entropy_per_variable: f64,
    pub site_entropies: Vec<f64>,
    pub multi_information_bits: f64,
    pub multi_information_ci_low: f64,
    pub multi_information_ci_high: f64,
    pub bond_entropies: Vec<f64>,
    pub truncation_error: f64,
    pub negative_mass: f64,
    pub negative_mass_stderr: f64,
    /// Deprecated alias of `negative_mass_stderr` (one release).
    pub negative_mass_std_error: f64,
    pub negative_mass_lower_bound: f64,
    pub negative_mass_estimated: bool,
    pub nll_train: f64,
    pub nll_heldout: f64,
    pub heldout_floored: u32,
    pub nll_direct_train: f64,
    pub nll_direct_heldout: f64,
    pub nll_independent: f64,
    pub distinct_train: u32,
    /// Site indices (columns of the input) of every variable, in order.
    pub members: Vec<Vec<u32>>,
    /// Blocks of the previous scale's variables that form this scale's variables (half-open
    /// [start, end) pairs flattened; empty at scale 0).
    pub blocks: Vec<u32>,
}

#[napi(object)]
pub struct DtnrResult {
    /// Leaf order: order[p] = input column at site p.
    pub order: Vec<u32>,
    pub scales: Vec<DtnrScale>,
    /// Flowed model per scale (Born machine at scale 0, probability trains after).
    pub models: Vec<MpsModel>,
    /// Directly fitted Born machines per scale.
    pub direct: Vec<MpsModel>,
    pub n_train: u32,
    pub n_validation: u32,
    pub n_heldout: u32,
}

/// Runs the DTNR flow of a pattern matrix (u8, `sites` columns = graph nodes) along nested
/// composed assignments of an RG flow of `graph`.
#[napi(ts_return_type = "Promise<DtnrResult>")]
pub fn dtnr(
    graph: &NativeGraph,
    patterns: Uint8Array,
    sites: u32,
    assignments: Vec<Vec<u32>>,
    options: Option<DtnrOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<DtnrResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    let pats = patterns.to_vec();
    Job::new(o.threads, token, move |exec| {
        check_columns(&g, sites as usize)?;
        let mut opts = CoreOptions::default();
        if let Some(b) = o.block.as_deref() {
            opts.map = BlockMap::from_name(b, o.cap.map(|c| c as usize))?;
        }
        set(&mut opts.learn.max_half_sweeps, o.max_half_sweeps.map(|x| x as usize));
        set(&mut opts.exact_limit, o.exact_limit.map(|x| count_limit("exactLimit", x)).transpose()?);
        set(&mut opts.max_bond, o.chi.map(|x| x as usize));
        set(&mut opts.cutoff, o.cutoff);
        set(&mut opts.heldout, o.heldout);
        set(&mut opts.validation, o.validation);
        set(&mut opts.seed, o.seed.map(u64::from));
        set(&mut opts.samples, o.samples.map(|x| x as usize));
        set(&mut opts.direct, o.direct);
        if let Some(k) = o.kind.as_deref() {
            opts = opts.with_family(Family::parse_field(k, "kind")?);
        }
        let a: Vec<Vec<usize>> = assignments.iter().map(|v| v.iter().map(|&x| x as usize).collect()).collect();
        let r = run_dtnr(&g, &pats, &a, &opts, exec)?;
        let u32s = |v: &[usize]| v.iter().map(|&x| x as u32).collect::<Vec<u32>>();
        let scales = r
            .scales
            .iter()
            .map(|s| DtnrScale {
                scale: s.scale as u32,
                variables: s.variables as u32,
                dims: u32s(&s.dims),
                state_space_log2: s.state_space_log2,
                parameters: s.parameters as f64,
                bond_dims: u32s(&s.bond_dims),
                bond_dims_before: u32s(&s.bond_dims_before),
                entropy_bits: s.entropy.bits,
                entropy_stderr: s.entropy.std_error,
                entropy_std_error: s.entropy.std_error,
                entropy_ci_low: s.entropy.ci_low,
                entropy_ci_high: s.entropy.ci_high,
                entropy_exact: s.entropy.exact,
                entropy_samples: s.entropy.samples as u32,
                entropy_per_variable: s.entropy_per_variable,
                site_entropies: s.site_entropies.clone(),
                multi_information_bits: s.multi_information,
                multi_information_ci_low: s.multi_information_ci.0,
                multi_information_ci_high: s.multi_information_ci.1,
                bond_entropies: s.bond_entropies.clone(),
                truncation_error: s.truncation_error,
                negative_mass: s.negative_mass.value,
                negative_mass_stderr: s.negative_mass.std_error,
                negative_mass_std_error: s.negative_mass.std_error,
                negative_mass_lower_bound: s.negative_mass.lower_bound,
                negative_mass_estimated: s.negative_mass.estimated,
                nll_train: s.nll_train,
                nll_heldout: s.nll_heldout,
                heldout_floored: s.heldout_floored as u32,
                nll_direct_train: s.nll_direct_train,
                nll_direct_heldout: s.nll_direct_heldout,
                nll_independent: s.nll_independent,
                distinct_train: s.distinct_train as u32,
                members: r.hierarchy.members[s.scale].iter().map(|m| u32s(m)).collect(),
                blocks: if s.scale == 0 {
                    Vec::new()
                } else {
                    r.hierarchy.blocks[s.scale - 1].iter().flat_map(|&(a, b)| [a as u32, b as u32]).collect()
                },
            })
            .collect();
        Ok(DtnrResult {
            order: u32s(&r.hierarchy.order),
            scales,
            models: r.models.iter().map(from_tt).collect(),
            direct: r.direct.iter().map(from_tt).collect(),
            n_train: r.n_train as u32,
            n_validation: r.n_validation as u32,
            n_heldout: r.n_heldout as u32,
        })
    })
}
