//! The core's defaults as one typed table (`defaults()`): the facade's fallbacks and the CLI's
//! `.default(...)` values read it, so no layer writes a default of its own.

use diffrg_core::mps::dtnr::DtnrOptions;
use diffrg_core::mps::entropy::ShannonOptions;
use diffrg_core::mps::{compress::CompressOptions, pipeline::PipelineOptions};
use diffrg_core::rg::FlowOptions;
use diffrg_core::Error;
use napi_derive::napi;

/// Defaults of `mpsFit` (names as in its options).
#[napi(object)]
pub struct MpsFitDefaults {
    pub kind: String,
    pub chi: u32,
    pub heldout: f64,
    pub validation: f64,
    pub seed: u32,
    pub init_mix_grid: Vec<f64>,
    pub max_half_sweeps: u32,
    /// Born machines (half-sweeps).
    pub patience: u32,
    /// Probability trains (EM iterations).
    pub patience_probability: u32,
    pub cutoff: f64,
    pub grow: bool,
    pub smoothing_grid: Vec<f64>,
    pub learning_rate: f64,
    pub steps_per_bond: u32,
    pub shrink: f64,
    pub baselines: bool,
    pub pseudocounts: Vec<f64>,
    pub restarts: u32,
    pub noise: f64,
    pub max_iters: u32,
    /// Mixtures: bagged probability trains, bootstrap resampling, the Born machine's bond, the
    /// latent-class component's largest class count.
    pub components: u32,
    pub resample: bool,
    pub born_chi: u32,
    pub latent_classes: u32,
}

/// Defaults of `dtnr` (and of the RG flow that provides its scales).
#[napi(object)]
pub struct DtnrDefaults {
    pub kind: String,
    pub chi: u32,
    pub block: String,
    pub cap: u32,
    pub cutoff: f64,
    pub heldout: f64,
    pub validation: f64,
    pub seed: u32,
    pub samples: u32,
    pub exact_limit: f64,
    pub direct: bool,
    pub max_half_sweeps: u32,
    pub flow_fraction: f64,
    pub flow_steps: u32,
}

/// Defaults of `rgFlow` / `coarseGrain`.
#[napi(object)]
pub struct RgFlowDefaults {
    pub tau: f64,
    pub rule: String,
    pub laplacian: String,
    pub method: String,
    pub tie_tolerance: f64,
    pub policy: String,
    pub steps: u32,
    pub unweighted: bool,
    pub curve_points: u32,
}

#[napi(object)]
pub struct MpsCompressDefaults {
    pub max_bond: u32,
    pub cutoff: f64,
}

#[napi(object)]
pub struct MpsEntropiesDefaults {
    pub samples: u32,
    pub seed: u32,
}

#[napi(object)]
pub struct Defaults {
    pub mps_fit: MpsFitDefaults,
    pub dtnr: DtnrDefaults,
    pub rg_flow: RgFlowDefaults,
    pub mps_compress: MpsCompressDefaults,
    pub mps_entropies: MpsEntropiesDefaults,
}

/// The core's `Default` values of the calls above, built from the `Default` impls.
#[napi]
pub fn defaults() -> napi::Result<Defaults> {
    let p = PipelineOptions::default();
    let d = DtnrOptions::default();
    let f = FlowOptions::default();
    let c = CompressOptions::default();
    let e = ShannonOptions::default();
    let policy = f.policy.name().as_str();
    let seed = |s: u64| u32::try_from(s).map_err(|_| crate::job::to_napi(Error::internal("a default seed exceeds u32")));
    Ok(Defaults {
        mps_fit: MpsFitDefaults {
            kind: p.kind.as_str().into(),
            chi: p.max_bond as u32,
            heldout: p.test,
            validation: p.validation,
            seed: seed(p.seed)?,
            init_mix_grid: p.learn.init_mix_grid.clone(),
            max_half_sweeps: p.learn.max_half_sweeps as u32,
            patience: p.learn.patience as u32,
            patience_probability: p.ptt.patience as u32,
            cutoff: p.learn.cutoff,
            grow: p.learn.grow,
            smoothing_grid: p.learn.smoothing_grid.clone(),
            learning_rate: p.learn.learning_rate,
            steps_per_bond: p.learn.steps_per_bond as u32,
            shrink: p.learn.shrink,
            baselines: p.baselines,
            pseudocounts: p.ptt.pseudocount_grid.clone(),
            restarts: p.ptt.restarts as u32,
            noise: p.ptt.noise,
            max_iters: p.ptt.max_iters as u32,
            components: p.mixture.components as u32,
            resample: p.mixture.bootstrap,
            born_chi: p.mixture.born_chi as u32,
            latent_classes: p.mixture.latent_classes as u32,
        },
        dtnr: DtnrDefaults {
            kind: if d.mixture.is_some() {
                "mixture"
            } else if d.probability.is_some() {
                "probability"
            } else {
                "born"
            }
            .into(),
            chi: d.max_bond as u32,
            block: d.map.name().as_str().into(),
            cap: match d.map {
                diffrg_core::mps::block::BlockMap::Count { cap } => cap as u32,
                diffrg_core::mps::block::BlockMap::Any => diffrg_core::mps::block::BlockMap::DEFAULT_CAP as u32,
            },
            cutoff: d.cutoff,
            heldout: d.heldout,
            validation: d.validation,
            seed: seed(d.seed)?,
            samples: d.samples as u32,
            exact_limit: d.exact_limit as f64,
            direct: d.direct,
            max_half_sweeps: d.learn.max_half_sweeps as u32,
            flow_fraction: DtnrOptions::FLOW_FRACTION,
            flow_steps: DtnrOptions::FLOW_STEPS as u32,
        },
        rg_flow: RgFlowDefaults {
            tau: f.step.tau,
            rule: f.step.rule.as_str().into(),
            laplacian: f.step.laplacian.as_str().into(),
            method: f.step.method.as_str().into(),
            tie_tolerance: f.step.tie_tolerance,
            policy: policy.into(),
            steps: f.steps as u32,
            unweighted: f.unweighted,
            curve_points: f.curve_points as u32,
        },
        mps_compress: MpsCompressDefaults { max_bond: c.max_bond as u32, cutoff: c.cutoff },
        mps_entropies: MpsEntropiesDefaults { samples: e.samples as u32, seed: seed(e.seed)? },
    })
}
