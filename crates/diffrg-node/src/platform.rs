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
#[napi(ts_return_type = "Promise<number>")]
pub fn pool_threads(threads: Option<u32>) -> AsyncTask<Job<u32>> {
    Job::new(threads, None, |_| Ok(current_threads() as u32))
}

/// Deliberately panics inside the core, synchronously or inside an async job, so that the
/// conversion of panics into JavaScript errors can be tested. Not part of the public API.
#[napi(js_name = "__panicForTest", ts_return_type = "Promise<number> | null")]
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

#[napi(object)]
#[derive(Default)]
pub struct MemoryBandwidthOptions {
    /// Elements per array of the triad. @default 16777216 (2^24: 3 x 128 MiB)
    pub length: Option<u32>,
    /// Timed passes (the best is reported). @default 5
    pub repeats: Option<u32>,
    /// Worker threads. @default DIFFRG_THREADS, SLURM_CPUS_PER_TASK or all cores
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct MemoryBandwidth {
    /// Best pass, bytes per second (24 bytes per element, as STREAM counts).
    pub bytes_per_second: f64,
    pub best_seconds: f64,
    pub bytes_per_pass: f64,
    pub threads: u32,
}

/// STREAM-like triad bandwidth of this machine with the given threads (for the scaling
/// benchmark; see `diffrg_core::platform::triad`).
#[napi(ts_return_type = "Promise<MemoryBandwidth>")]
pub fn memory_bandwidth(options: Option<MemoryBandwidthOptions>) -> AsyncTask<Job<MemoryBandwidth>> {
    let o = options.unwrap_or_default();
    Job::new(o.threads, None, move |exec| {
        let mut t = diffrg_core::platform::TriadOptions::default();
        if let Some(l) = o.length {
            t.len = l as usize;
        }
        if let Some(r) = o.repeats {
            t.repeats = r as usize;
        }
        let r = diffrg_core::platform::triad(&t, exec)?;
        Ok(MemoryBandwidth {
            bytes_per_second: r.bytes_per_second,
            best_seconds: r.best_seconds,
            bytes_per_pass: r.bytes_per_pass,
            threads: r.threads as u32,
        })
    })
}
