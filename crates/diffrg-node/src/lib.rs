//! Node-API binding of diffrg-core: thin shims that convert types and call the core.
//! No numerics live here. The generated loader (`native/index.js`) and typings
//! (`native/index.d.ts`) are produced by `napi build` and never edited by hand.

mod job;
mod graph;
mod platform;
mod spectral;

pub use job::CancelToken;
