//! Platform probes for the scaling benchmark (`benches/scaling.mjs`): the node's sustainable
//! memory bandwidth, against which memory-bound kernels (SLQ, sparse products) are judged.
//!
//! [`triad`] is the STREAM triad (McCalpin, "Memory bandwidth and machine balance in current
//! high performance computers", IEEE TCCA Newsletter 1995): `a[i] = b[i] + s c[i]` over three
//! arrays much larger than the last-level cache, counted as 24 bytes per element (two reads,
//! one write; the write-allocate read is not counted, as in STREAM). Arrays are first touched
//! by the same parallel split that times them, so pages land near the threads that use them.

use crate::error::{ensure_fits, Result};
use crate::exec::Exec;
use rayon::prelude::*;

/// Options of [`triad`].
#[derive(Debug, Clone)]
pub struct TriadOptions {
    /// Elements per array. Default 2^24 (128 MiB per array, 384 MiB in all: several times the
    /// last-level cache of current server CPUs, as STREAM requires).
    pub len: usize,
    /// Timed passes; the best one is reported. Default 5.
    pub repeats: usize,
}

impl Default for TriadOptions {
    fn default() -> Self {
        TriadOptions { len: 1 << 24, repeats: 5 }
    }
}

/// Result of [`triad`].
#[derive(Debug, Clone)]
pub struct Triad {
    /// Best pass: `24 len / seconds`, bytes per second.
    pub bytes_per_second: f64,
    pub best_seconds: f64,
    /// Bytes counted per pass (`24 len`).
    pub bytes_per_pass: f64,
    pub threads: usize,
    /// `a[len / 2]` after the passes (`= b + s c` there), so the work cannot be optimised away.
    pub check: f64,
}

/// Measures the triad bandwidth with `exec.threads` threads (chunks of 64 Ki elements).
///
/// Errors: `ERR_TOO_LARGE` when the arrays exceed 8 GiB; `ERR_ABORTED`.
pub fn triad(opts: &TriadOptions, exec: &Exec) -> Result<Triad> {
    let len = opts.len.max(1);
    ensure_fits("the triad arrays", 3 * len as u128, 8 << 30, "use a smaller length")?;
    const CHUNK: usize = 1 << 16;
    let s = 3.0f64;
    exec.install(|| {
        let mut a = Vec::with_capacity(len);
        let mut b = Vec::with_capacity(len);
        let mut c = Vec::with_capacity(len);
        // first touch in parallel (same chunking as the timed loop)
        (0..len).into_par_iter().with_min_len(CHUNK).map(|i| 0.5 * i as f64).collect_into_vec(&mut b);
        (0..len).into_par_iter().with_min_len(CHUNK).map(|i| 1.0 + (i % 7) as f64).collect_into_vec(&mut c);
        (0..len).into_par_iter().with_min_len(CHUNK).map(|_| 0.0).collect_into_vec(&mut a);
        let mut best = f64::INFINITY;
        for _ in 0..opts.repeats.max(1) {
            exec.check()?;
            let t0 = std::time::Instant::now();
            a.par_chunks_mut(CHUNK).zip(b.par_chunks(CHUNK)).zip(c.par_chunks(CHUNK)).for_each(|((a, b), c)| {
                for i in 0..a.len() {
                    a[i] = b[i] + s * c[i];
                }
            });
            best = best.min(t0.elapsed().as_secs_f64());
        }
        let bytes = 24.0 * len as f64;
        Ok(Triad { bytes_per_second: bytes / best, best_seconds: best, bytes_per_pass: bytes, threads: exec.threads, check: a[len / 2] })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triad_computes_the_triad_and_a_positive_bandwidth() {
        let len = 100_003;
        let r = triad(&TriadOptions { len, repeats: 2 }, &Exec::with_threads(2)).unwrap();
        let i = len / 2;
        assert_eq!(r.check, 0.5 * i as f64 + 3.0 * (1.0 + (i % 7) as f64));
        assert!(r.bytes_per_second.is_finite() && r.bytes_per_second > 0.0);
        assert_eq!(r.bytes_per_pass, 24.0 * len as f64);
        let huge = TriadOptions { len: 1 << 40, repeats: 1 };
        assert_eq!(triad(&huge, &Exec::sequential()).unwrap_err().code, crate::ErrorCode::TooLarge);
    }
}
