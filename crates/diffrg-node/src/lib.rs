//! Node-API binding of diffrg-core: thin shims that convert types and call the core.
//! No numerics live here. The generated loader (`native/index.js`) and typings
//! (`native/index.d.ts`) are produced by `napi build` and never edited by hand.

mod activity;
mod community;
mod control;
mod defaults;
mod dtnr;
mod dynamics;
mod graph;
mod infer;
mod job;
mod mps;
mod platform;
mod prg;
mod rg;
mod sim;
mod spectral;

pub use job::CancelToken;

/// Overwrites a core default with the option when it is given: the binding maps options onto
/// the core's `Default` values and writes no default of its own.
pub(crate) fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}
