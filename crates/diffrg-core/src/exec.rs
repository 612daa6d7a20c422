//! Execution context: explicit parallelism and cooperative cancellation.
//!
//! Every long-running kernel takes an [`Exec`]. Parallel kernels use rayon and run inside
//! [`Exec::install`], which enters a pool of exactly `threads` workers; loops that can run for
//! more than a few milliseconds call [`Exec::check`] so that an abort from JavaScript stops
//! the work promptly (the flag is a relaxed atomic load: cheap enough for inner loops).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A shareable cancellation flag. Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }
    /// Request cancellation; kernels observe it at their next [`Cancel::check`].
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    /// `Err(Aborted)` once cancellation was requested.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::aborted())
        } else {
            Ok(())
        }
    }
}

/// Parallelism and cancellation for one call.
#[derive(Debug, Clone)]
pub struct Exec {
    /// Number of worker threads (>= 1).
    pub threads: usize,
    pub cancel: Cancel,
}

impl Default for Exec {
    fn default() -> Self {
        Exec { threads: resolve_threads(None), cancel: Cancel::new() }
    }
}

impl Exec {
    /// A sequential context, useful in tests and small problems.
    pub fn sequential() -> Self {
        Exec { threads: 1, cancel: Cancel::new() }
    }
    pub fn with_threads(threads: usize) -> Self {
        Exec { threads: threads.max(1), cancel: Cancel::new() }
    }
    #[inline]
    pub fn check(&self) -> Result<()> {
        self.cancel.check()
    }
    /// Run `f` inside a rayon pool of `self.threads` workers (pools are cached per size).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        pool(self.threads).install(f)
    }
    /// faer's parallelism value matching this context (use inside [`Exec::install`]).
    pub fn par(&self) -> faer::Par {
        if self.threads <= 1 {
            faer::Par::Seq
        } else {
            faer::Par::rayon(self.threads)
        }
    }
}

fn pool(threads: usize) -> Arc<rayon::ThreadPool> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = pools.lock().unwrap_or_else(|e| e.into_inner());
    guard
        .entry(threads)
        .or_insert_with(|| {
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("diffrg-{i}"))
                    .build()
                    .expect("rayon pool creation"),
            )
        })
        .clone()
}

/// Largest thread count taken from the environment (the TypeScript `threads` option has the
/// same bound). A larger value, e.g. a typo `DIFFRG_THREADS=1000000`, would spend minutes
/// spawning threads; it is ignored like any other invalid value.
pub const MAX_THREADS: usize = 4096;

/// Parses a thread-count environment value: an integer in `1..=MAX_THREADS`, else `None`.
pub fn parse_threads(value: &str) -> Option<usize> {
    value.trim().parse::<usize>().ok().filter(|&n| n > 0 && n <= MAX_THREADS)
}

/// Thread count: `requested` if given, else `DIFFRG_THREADS`, else `SLURM_CPUS_PER_TASK`,
/// else the available parallelism. Always >= 1. Invalid environment values (not an integer in
/// `1..=MAX_THREADS`) are skipped.
pub fn resolve_threads(requested: Option<usize>) -> usize {
    fn env(name: &str) -> Option<usize> {
        parse_threads(&std::env::var(name).ok()?)
    }
    requested
        .filter(|&n| n > 0)
        .or_else(|| env("DIFFRG_THREADS"))
        .or_else(|| env("SLURM_CPUS_PER_TASK"))
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Number of threads rayon will use for work started from the current thread.
pub fn current_threads() -> usize {
    rayon::current_num_threads()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_uses_requested_threads() {
        for n in [1, 2, 3] {
            assert_eq!(Exec::with_threads(n).install(current_threads), n);
        }
    }

    #[test]
    fn cancel_is_shared_by_clones() {
        let exec = Exec::sequential();
        let other = exec.clone();
        assert!(exec.check().is_ok());
        other.cancel.cancel();
        assert_eq!(exec.check().unwrap_err().code, crate::error::ErrorCode::Aborted);
    }

    #[test]
    fn environment_thread_counts_are_bounded() {
        assert_eq!(parse_threads(" 8 "), Some(8));
        assert_eq!(parse_threads("4096"), Some(MAX_THREADS));
        for bad in ["0", "-1", "abc", "", "1.5", "4097", "1000000"] {
            assert_eq!(parse_threads(bad), None, "{bad}");
        }
    }

    #[test]
    fn explicit_threads_win() {
        assert_eq!(resolve_threads(Some(3)), 3);
        assert!(resolve_threads(None) >= 1);
    }
}
