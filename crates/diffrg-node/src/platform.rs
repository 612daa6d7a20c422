//! Platform introspection: versions, thread resolution, and the panic-conversion probe.

use crate::job::{guard, Job};
use diffrg_core::exec::{current_threads, resolve_threads};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

/// Version of the compiled core (the crate version).
#[napi]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Threads a call with this `threads` option would use (after `DIFFRG_THREADS`,
/// `SLURM_CPUS_PER_TASK` and available-parallelism fallbacks).
#[napi]
pub fn resolved_threads(threads: Option<u32>) -> u32 {
    resolve_threads(threads.map(|t| t as usize)) as u32
}

/// Asynchronously reports the size of the rayon pool a job actually ran in.
#[napi]
pub fn pool_threads(threads: Option<u32>) -> AsyncTask<Job<u32>> {
    Job::new(threads, None, |_| Ok(current_threads() as u32))
}

/// Deliberately panics inside the core, synchronously or inside an async job, so that the
/// conversion of panics into JavaScript errors can be tested. Not part of the public API.
#[napi(js_name = "__panicForTest")]
pub fn panic_for_test(is_async: bool) -> napi::Result<Option<AsyncTask<Job<u32>>>> {
    if is_async {
        return Ok(Some(Job::new(Some(2), None, |_| -> diffrg_core::Result<u32> {
            use rayon::prelude::*;
            // Panic on a rayon worker, the hardest case: it must still surface as an error.
            let v: Vec<u32> = (0..64u32).into_par_iter().map(|i| if i == 37 { panic!("probe panic") } else { i }).collect();
            Ok(v.len() as u32)
        })));
    }
    guard(|| -> diffrg_core::Result<()> { panic!("probe panic") })?;
    Ok(None)
}
