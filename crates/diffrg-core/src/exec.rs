//! Execution context: explicit parallelism and cooperative cancellation.
//!
//! Every long-running kernel takes an [`Exec`]. Parallel kernels use rayon and run inside
//! [`Exec::install`], which enters a pool of exactly `threads` workers; loops that can run for
//! more than a few milliseconds call [`Exec::check`] so that an abort from JavaScript stops
//! the work promptly (the flag is a relaxed atomic load: cheap enough for inner loops).
//! Kernels report their completed fraction through [`Exec::progress`] at natural granularity
//! (a Lanczos step, a column block, a flow step): one relaxed atomic per report.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// A shareable completed fraction in [0, 1] (the f64 bits in an atomic). Cloning shares the
/// value; a reader (the JavaScript poller) sees it through [`Progress::get`].
///
/// Reports are monotone: [`Progress::set`] keeps the largest value seen (`fetch_max` on the bits,
/// which order like the numbers for non-negative floats), clamps to [0, 1] and ignores NaN, so
/// a kernel may report from several threads or out of order. A view made by [`Progress::part`]
/// maps its own [0, 1] onto a sub-range of the parent, so a driver (an RG flow, a scan) can hand
/// each stage a slice of the bar and the stage reports as if it ran alone.
#[derive(Debug, Clone)]
pub struct Progress {
    bits: Arc<AtomicU64>,
    lo: f64,
    span: f64,
    /// Tests: every report as made (before the running maximum), see [`Progress::recording`].
    #[cfg(test)]
    log: Option<Arc<Mutex<Vec<f64>>>>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            bits: Arc::new(AtomicU64::new(0)),
            lo: 0.0,
            span: 1.0,
            #[cfg(test)]
            log: None,
        }
    }
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }
    /// Reports the completed fraction `fraction` of this view's work (clamped to [0, 1]; NaN
    /// and values below the current one are ignored).
    #[inline]
    pub fn set(&self, fraction: f64) {
        if fraction.is_nan() {
            return;
        }
        let v = self.lo + self.span * fraction.clamp(0.0, 1.0);
        #[cfg(test)]
        if let Some(log) = &self.log {
            log.lock().unwrap().push(v);
        }
        self.bits.fetch_max(v.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }
    /// Reports `done` of `total` units (nothing when `total == 0`).
    #[inline]
    pub fn set_done(&self, done: usize, total: usize) {
        if total > 0 {
            self.set(done as f64 / total as f64);
        }
    }
    /// The completed fraction of the whole (shared) work, in [0, 1].
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
    /// A view whose [0, 1] covers `[lo, hi]` of this view (both clamped to [0, 1]).
    pub fn part(&self, lo: f64, hi: f64) -> Progress {
        let lo = if lo.is_nan() { 0.0 } else { lo.clamp(0.0, 1.0) };
        let hi = if hi.is_nan() { lo } else { hi.clamp(lo, 1.0) };
        Progress { lo: self.lo + self.span * lo, span: self.span * (hi - lo), ..self.clone() }
    }
    /// Tests: a progress that also logs every report (whole-range values, in call order).
    #[cfg(test)]
    pub fn recording() -> (Progress, Arc<Mutex<Vec<f64>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        (Progress { log: Some(log.clone()), ..Progress::new() }, log)
    }
}

/// Parallelism, cancellation and progress for one call.
#[derive(Debug, Clone)]
pub struct Exec {
    /// Number of worker threads (>= 1).
    pub threads: usize,
    pub cancel: Cancel,
    /// Completed fraction of the call, reported by the kernels.
    pub progress: Progress,
}

impl Default for Exec {
    fn default() -> Self {
        Exec { threads: resolve_threads(None), cancel: Cancel::new(), progress: Progress::new() }
    }
}

impl Exec {
    /// A sequential context, useful in tests and small problems.
    pub fn sequential() -> Self {
        Exec::with_threads(1)
    }
    pub fn with_threads(threads: usize) -> Self {
        Exec { threads: threads.max(1), cancel: Cancel::new(), progress: Progress::new() }
    }
    /// The same context whose progress reports cover `[lo, hi]` of this one's (see
    /// [`Progress::part`]); cancellation and threads are shared.
    pub fn part(&self, lo: f64, hi: f64) -> Exec {
        Exec { progress: self.progress.part(lo, hi), ..self.clone() }
    }
    #[inline]
    pub fn check(&self) -> Result<()> {
        self.cancel.check()
    }
    /// Run `f` inside a rayon pool of `self.threads` workers (pools are cached per size).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        pool(self.threads).install(f)
    }
    /// Threads worth using for `work` multiply-adds in this context ([`threads_for_work`]).
    pub fn threads_for(&self, work: usize) -> usize {
        threads_for_work(work, self.threads)
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

/// Smallest share of a parallel region, in multiply-adds (or comparable floating-point
/// operations), worth giving one more thread. Waking a parked rayon worker and joining it costs
/// tens of microseconds or more on a virtualised machine, and a split product loses cache
/// locality, so a region with less work per thread than about `2^22` multiply-adds (0.1-0.4 ms)
/// loses more than it gains. Measured on an idle 2-core machine (docs/benchmarks.md, "More
/// threads must never be slower"): MPS compression, 100 sites chi 128 -> 32, was 10 % slower on
/// 2 threads than on 1 with `2^20` (and with `2^17` before that), and is as fast or faster with
/// `2^22`; at chi 256 -> 64 the split products still pay (2 threads 10 % faster).
pub const MIN_WORK_PER_THREAD: usize = 1 << 22;

/// Threads worth using for a region of `work` multiply-adds when `available` are there:
/// `clamp(work / MIN_WORK_PER_THREAD, 1, available)` (docs/benchmarks.md, "More threads must
/// never be slower"). Small kernels call this with `rayon::current_num_threads()` (inside
/// [`Exec::install`]) or [`Exec::threads`] and run sequentially when it returns 1.
pub fn threads_for_work(work: usize, available: usize) -> usize {
    (work / MIN_WORK_PER_THREAD).clamp(1, available.max(1))
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

/// Columns per task of a column-parallel pass over a matrix with `nrows` rows: about `2^14`
/// elements, fixed by the shape alone and never by the thread count, so a reduction that adds
/// its per-task partial sums in task order gives the same bits on any number of threads.
pub fn column_chunk(nrows: usize) -> usize {
    ((1 << 14) / nrows.max(1)).max(1)
}

/// Stage timer for profiling: with `DIFFRG_TRACE` set (any value) in the environment, each
/// [`StageTimer::mark`] prints `diffrg trace: <what> <stage> <seconds> s` (time since the
/// previous mark) to stderr; otherwise it does nothing. The printed stages are where a kernel's
/// wall time goes, e.g. `DIFFRG_TRACE=1 DIFFRG_SCALING_KERNELS=lgd node benches/scaling.mjs`
/// (docs/benchmarks.md, "Scaling on one node").
pub struct StageTimer {
    what: &'static str,
    last: Option<std::time::Instant>,
}

impl StageTimer {
    pub fn new(what: &'static str) -> Self {
        static ON: OnceLock<bool> = OnceLock::new();
        let on = *ON.get_or_init(|| std::env::var_os("DIFFRG_TRACE").is_some());
        StageTimer { what, last: on.then(std::time::Instant::now) }
    }

    /// Ends `stage` (started at the previous mark or at [`StageTimer::new`]); `stage` is only
    /// formatted when tracing is on (pass `format_args!(..)` for a computed name).
    pub fn mark(&mut self, stage: impl std::fmt::Display) {
        if let Some(t) = self.last {
            eprintln!("diffrg trace: {} {stage} {:.3} s", self.what, t.elapsed().as_secs_f64());
            self.last = Some(std::time::Instant::now());
        }
    }
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
    fn threads_for_work_is_clamped_by_the_work_and_the_pool() {
        assert_eq!(threads_for_work(0, 8), 1);
        assert_eq!(threads_for_work(MIN_WORK_PER_THREAD - 1, 8), 1);
        assert_eq!(threads_for_work(3 * MIN_WORK_PER_THREAD, 8), 3);
        assert_eq!(threads_for_work(100 * MIN_WORK_PER_THREAD, 8), 8);
        assert_eq!(threads_for_work(100 * MIN_WORK_PER_THREAD, 0), 1);
        assert_eq!(Exec::with_threads(2).threads_for(usize::MAX), 2);
    }

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
    fn progress_is_shared_monotone_clamped_and_nan_safe() {
        let exec = Exec::sequential();
        let reader = exec.progress.clone();
        assert_eq!(reader.get(), 0.0);
        exec.progress.set(0.25);
        assert_eq!(reader.get(), 0.25);
        exec.progress.set(0.1); // never goes back
        exec.progress.set(f64::NAN);
        exec.progress.set(-3.0);
        assert_eq!(reader.get(), 0.25);
        exec.progress.set_done(1, 0); // no total: ignored
        assert_eq!(reader.get(), 0.25);
        exec.progress.set(7.0);
        assert_eq!(reader.get(), 1.0);
    }

    #[test]
    fn parts_map_onto_sub_ranges() {
        let exec = Exec::sequential();
        let second = exec.part(0.5, 1.0);
        let quarter = second.part(0.0, 0.5); // [0.5, 0.75] of the whole
        quarter.progress.set(0.5);
        assert!((exec.progress.get() - 0.625).abs() < 1e-15);
        quarter.progress.set(1.0);
        assert!((exec.progress.get() - 0.75).abs() < 1e-15);
        second.progress.set_done(1, 1);
        assert_eq!(exec.progress.get(), 1.0);
        assert!(second.check().is_ok());
        exec.cancel.cancel();
        assert!(quarter.check().is_err()); // cancellation is shared by parts
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
