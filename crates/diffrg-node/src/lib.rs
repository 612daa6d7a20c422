//! Node-API binding of diffrg-core: thin shims that convert types and call the core.
//! No numerics live here. The generated loader (`native/index.js`) and typings
//! (`native/index.d.ts`) are produced by `napi build` and never edited by hand.

mod job;
mod community;
mod dtnr;
mod dynamics;
mod prg;
mod graph;
mod mps;
mod infer;
mod platform;
mod rg;
mod spectral;
mod sim;

pub use job::CancelToken;
