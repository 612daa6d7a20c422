//! The sparse streaming path of [`super::covariance`] (the estimator and its derivation are in
//! that module's docs): bins re-bucketed in chunks from the per-neuron CSR raster, a history of
//! the last `max_lag` bins, target rows split into spike-balanced blocks processed in parallel,
//! `u32` accumulators with an exact overflow guard, and the per-segment sums of the time split.

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::infer::covariance::{check_options, finalize_circular, finalize_segment, CountRaster, CovOptions, CovarianceSet};
use faer::Mat;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::Arc;

/// Spikes of consecutive bins `[start, start + len)` bucketed by bin (CSR over bins, neurons
/// sorted within each bin).
#[derive(Debug)]
struct BinChunk {
    start: usize,
    indptr: Vec<u32>,
    neurons: Vec<u32>,
    counts: Vec<u32>,
    /// Σ over bins of the largest count in the bin (overflow bound).
    max_count_sum: u64,
    max_count: u32,
}

impl BinChunk {
    #[inline]
    fn bin(&self, b: usize) -> (&[u32], &[u32]) {
        let l = b - self.start;
        let (a, e) = (self.indptr[l] as usize, self.indptr[l + 1] as usize);
        (&self.neurons[a..e], &self.counts[a..e])
    }
    fn len(&self) -> usize {
        self.indptr.len() - 1
    }
}

/// Builds the chunk `[start, end)` from the per-neuron raster, advancing `cursor`.
fn gather_chunk(r: &CountRaster, cursor: &mut [usize], start: usize, end: usize) -> BinChunk {
    let len = end - start;
    let n = r.n_neurons();
    let mut deg = vec![0u32; len + 1];
    let mut ends = vec![0usize; n];
    for i in 0..n {
        let mut k = cursor[i];
        let stop = r.indptr[i + 1];
        while k < stop && (r.bins[k] as usize) < end {
            deg[r.bins[k] as usize - start + 1] += 1;
            k += 1;
        }
        ends[i] = k;
    }
    for b in 0..len {
        deg[b + 1] += deg[b];
    }
    let total = deg[len] as usize;
    let mut fill = deg.clone();
    let mut neurons = vec![0u32; total];
    let mut counts = vec![0u32; total];
    for i in 0..n {
        for k in cursor[i]..ends[i] {
            let b = r.bins[k] as usize - start;
            let p = fill[b] as usize;
            neurons[p] = i as u32;
            counts[p] = r.counts[k];
            fill[b] += 1;
        }
        cursor[i] = ends[i];
    }
    let mut max_count_sum = 0u64;
    let mut max_count = 0u32;
    for b in 0..len {
        let m = counts[deg[b] as usize..deg[b + 1] as usize].iter().copied().max().unwrap_or(0);
        max_count_sum += m as u64;
        max_count = max_count.max(m);
    }
    BinChunk { start, indptr: deg, neurons, counts, max_count_sum, max_count }
}

/// Streamed bins still needed: the first chunks (for circular wrap) and the recent ones.
struct History {
    chunk_bins: usize,
    head: Vec<Arc<BinChunk>>,
    recent: VecDeque<Arc<BinChunk>>,
}

impl History {
    #[inline]
    fn bin(&self, b: usize) -> (&[u32], &[u32]) {
        let c = b / self.chunk_bins;
        if c < self.head.len() {
            return self.head[c].bin(b);
        }
        let first = self.recent.front().map(|x| x.start / self.chunk_bins).unwrap_or(0);
        self.recent[c - first].bin(b)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    /// Main lag `k`: train (or full when there is no split) and, with a split, test slot.
    Main {
        k: usize,
    },
    /// Held-out segment slot for lag `k` (filled through the remapping of `Main` slots).
    Test,
    Circular,
}

#[derive(Clone, Copy)]
struct Slot {
    lag: usize,
    kind: SlotKind,
}

/// One block of target rows with its accumulators `acc[slot][row - r0][j]`.
struct Block {
    r0: usize,
    r1: usize,
    acc: Vec<u32>,
    spill: Vec<f64>,
    /// Main-lag pairs straddling the split (target >= split > source): `(k, i, j, c c')`.
    cross: Vec<(u32, u32, u32, u64)>,
}

struct Plan {
    n: usize,
    t: usize,
    split: Option<usize>,
    /// Slots: main lags 0..=p (train/full), then test 0..=p when split, then circular.
    slots: Vec<Slot>,
    n_main: usize,
}

impl Block {
    #[inline]
    fn add(&mut self, slot: usize, i: usize, src: (&[u32], &[u32]), c: u32, n: usize) {
        let base = (slot * (self.r1 - self.r0) + (i - self.r0)) * n;
        let row = &mut self.acc[base..base + n];
        for (&j, &c2) in src.0.iter().zip(src.1) {
            row[j as usize] += c * c2;
        }
    }

    /// Products for target bins `us` (all of them in `hist` or `chunk`), non-circular lags;
    /// with `wrap` only circular slots with lag > u, source `u - lag + T`.
    fn process(&mut self, plan: &Plan, hist: &History, us: std::ops::Range<usize>, wrap: bool, exec: &Exec) -> Result<()> {
        let n = plan.n;
        // Bins in which this block's rows fired (target side), found once per chunk.
        let mut targets: Vec<(usize, u32, u32)> = Vec::new();
        for u in us {
            let (nu, _) = hist.bin(u);
            let lo = nu.partition_point(|&x| (x as usize) < self.r0);
            let hi = nu.partition_point(|&x| (x as usize) < self.r1);
            if lo < hi {
                targets.push((u, lo as u32, hi as u32));
            }
        }
        // Slot-major order: the working set is one slot's rows of this block (sized to stay in
        // cache) and the source bins of a slot are visited sequentially.
        for (si, slot) in plan.slots.iter().enumerate() {
            exec.check()?;
            if slot.kind == SlotKind::Test || (wrap && slot.kind != SlotKind::Circular) {
                continue;
            }
            for &(u, lo, hi) in &targets {
                let s = if wrap {
                    if slot.lag <= u {
                        continue;
                    }
                    u + plan.t - slot.lag
                } else {
                    if slot.lag > u {
                        continue;
                    }
                    u - slot.lag
                };
                let src = hist.bin(s);
                if src.0.is_empty() {
                    continue;
                }
                let (nu, cu) = hist.bin(u);
                let (lo, hi) = (lo as usize, hi as usize);
                let mut target_slot = si;
                if let (SlotKind::Main { k }, Some(split)) = (slot.kind, plan.split) {
                    if u >= split {
                        if s >= split {
                            target_slot = plan.n_main + k;
                        } else {
                            for q in lo..hi {
                                for (&j, &c2) in src.0.iter().zip(src.1) {
                                    self.cross.push((k as u32, nu[q], j, cu[q] as u64 * c2 as u64));
                                }
                            }
                            continue;
                        }
                    }
                }
                for q in lo..hi {
                    self.add(target_slot, nu[q] as usize, src, cu[q], n);
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) {
        if self.spill.is_empty() {
            self.spill = vec![0.0; self.acc.len()];
        }
        for (s, a) in self.spill.iter_mut().zip(self.acc.iter_mut()) {
            *s += *a as f64;
            *a = 0;
        }
    }

    fn value(&self, slot: usize, i: usize, j: usize, n: usize) -> f64 {
        let idx = (slot * (self.r1 - self.r0) + (i - self.r0)) * n + j;
        self.acc[idx] as f64 + if self.spill.is_empty() { 0.0 } else { self.spill[idx] }
    }
}

/// Per-segment sums: total, head (first k bins) and tail (last k bins) for k = 0..=p.
struct SegSums {
    a: usize,
    b: usize,
    sum: Vec<f64>,
    head: Vec<Vec<f64>>,
    tail: Vec<Vec<f64>>,
}

impl SegSums {
    fn new(a: usize, b: usize, n: usize, p: usize) -> Self {
        SegSums { a, b, sum: vec![0.0; n], head: vec![vec![0.0; n]; p + 1], tail: vec![vec![0.0; n]; p + 1] }
    }
    #[inline]
    fn add(&mut self, u: usize, i: usize, c: f64) {
        if u < self.a || u >= self.b {
            return;
        }
        self.sum[i] += c;
        let p = self.head.len() - 1;
        let from_start = u - self.a; // bin u is in the first k bins for k > from_start
        for k in from_start + 1..=p {
            self.head[k][i] += c;
        }
        let from_end = self.b - u; // bin u is in the last k bins for k >= from_end
        for k in from_end..=p {
            self.tail[k][i] += c;
        }
    }
}

/// Lagged covariances of a sparse count raster in one streaming pass (see the module docs).
///
/// Complexity: `O(T + S·(r+1)·L)` time for `S` spikes, `r` spikes per bin on average and `L`
/// accumulated lags; memory `O(L N²)` plus a bounded window of bins. Errors:
/// `ERR_INVALID_INPUT` (empty raster, too few bins, bad split or shifts), `ERR_TOO_LARGE`.
pub fn lagged_covariances(r: &CountRaster, o: &CovOptions, exec: &Exec) -> Result<CovarianceSet> {
    let n = r.n_neurons();
    let t = r.n_bins;
    check_options(n, t, o)?;
    let p = o.max_lag;
    let mut slots: Vec<Slot> = (0..=p).map(|k| Slot { lag: k, kind: SlotKind::Main { k } }).collect();
    if o.split_bin.is_some() {
        slots.extend((0..=p).map(|k| Slot { lag: k, kind: SlotKind::Test }));
    }
    let n_main = p + 1;
    for &d in &o.shifts {
        for &k in &o.shift_lags {
            slots.push(Slot { lag: d + k, kind: SlotKind::Circular });
        }
    }
    let plan = Plan { n, t, split: o.split_bin, slots, n_main };
    let max_lag = plan.slots.iter().map(|s| s.lag).max().unwrap_or(0);

    // Row blocks balanced by spike count (work ∝ spikes of the target rows), small enough that
    // one slot of a block (rows × N u32) stays in a core's L2 cache (~512 KiB).
    let by_cache = (n * n * 4).div_ceil(512 << 10);
    let nblocks = (exec.threads * 4).max(by_cache).min(n).max(1);
    let spikes: Vec<u64> = (0..n).map(|i| r.counts[r.indptr[i]..r.indptr[i + 1]].iter().map(|&c| c as u64).sum()).collect();
    let total: u64 = spikes.iter().sum::<u64>().max(1);
    let mut bounds = vec![0usize];
    let mut accum = 0u64;
    for i in 0..n {
        accum += spikes[i];
        let want = bounds.len() as u64 * total / nblocks as u64;
        if accum >= want && bounds.len() < nblocks && i + 1 < n {
            bounds.push(i + 1);
        }
    }
    bounds.push(n);
    bounds.dedup();
    let nslots = plan.slots.len();
    let mut blocks: Vec<Block> = bounds
        .windows(2)
        .map(|w| Block { r0: w[0], r1: w[1], acc: vec![0u32; nslots * (w[1] - w[0]) * n], spill: vec![], cross: vec![] })
        .collect();

    let mut full = SegSums::new(0, t, n, p);
    let mut segs: Vec<SegSums> = match o.split_bin {
        Some(s) => vec![SegSums::new(0, s, n, p), SegSums::new(s, t, n, p)],
        None => vec![],
    };
    let ch = o.chunk_bins;
    let head_chunks = if plan.slots.iter().any(|s| s.kind == SlotKind::Circular) { max_lag.div_ceil(ch) } else { 0 };
    let mut hist = History { chunk_bins: ch, head: vec![], recent: VecDeque::new() };
    let mut cursor: Vec<usize> = r.indptr[..n].to_vec();
    let mut bound = 0u64;
    let mut max_count = 0u32;
    let limit = o.accumulator_limit;

    let mut start = 0;
    while start < t {
        exec.check()?;
        exec.progress.set_done(start, t);
        let end = (start + ch).min(t);
        let chunk = Arc::new(gather_chunk(r, &mut cursor, start, end));
        for b in start..end {
            let (nu, cu) = chunk.bin(b);
            for (&i, &c) in nu.iter().zip(cu) {
                full.add(b, i as usize, c as f64);
                for s in segs.iter_mut() {
                    s.add(b, i as usize, c as f64);
                }
            }
        }
        max_count = max_count.max(chunk.max_count);
        let inc = chunk.max_count_sum.saturating_mul(max_count as u64);
        if inc > limit {
            return Err(Error::too_large(format!(
                "spike counts per bin are too large for the u32 accumulators (bins {start}..{end}); use smaller chunk_bins"
            )));
        }
        if bound + inc > limit {
            blocks.iter_mut().for_each(|b| b.flush());
            bound = 0;
        }
        bound += inc;
        let idx = start / ch;
        if idx < head_chunks {
            hist.head.push(chunk.clone());
        } else {
            hist.recent.push_back(chunk.clone());
        }
        // Drop chunks no longer reachable by any lag.
        while let Some(f) = hist.recent.front() {
            if f.start + f.len() + max_lag <= start {
                hist.recent.pop_front();
            } else {
                break;
            }
        }
        let hist_ref = &hist;
        let plan_ref = &plan;
        exec.install(|| blocks.par_iter_mut().try_for_each(|b| b.process(plan_ref, hist_ref, start..end, false, exec)))?;
        start = end;
    }
    // Circular wrap: targets in the first max_lag bins, sources in the last ones.
    if head_chunks > 0 {
        bound += hist.head.iter().map(|c| c.max_count_sum).sum::<u64>().saturating_mul(max_count as u64);
        if bound > limit {
            blocks.iter_mut().for_each(|b| b.flush());
        }
        let hist_ref = &hist;
        let plan_ref = &plan;
        let w = max_lag.min(t);
        exec.install(|| blocks.par_iter_mut().try_for_each(|b| b.process(plan_ref, hist_ref, 0..w, true, exec)))?;
    }

    // Assemble dense matrices.
    let gather = |slot: usize| -> Mat<f64> {
        let mut m = Mat::<f64>::zeros(n, n);
        for b in &blocks {
            for i in b.r0..b.r1 {
                for j in 0..n {
                    m[(i, j)] = b.value(slot, i, j, n);
                }
            }
        }
        m
    };
    let total_activity: f64 = full.sum.iter().sum();
    let (full_seg, train, test) = if let Some(split) = o.split_bin {
        let train_raw: Vec<Mat<f64>> = (0..=p).map(&gather).collect();
        let test_raw: Vec<Mat<f64>> = (0..=p).map(|k| gather(n_main + k)).collect();
        let mut full_raw: Vec<Mat<f64>> = train_raw.iter().zip(&test_raw).map(|(a, b)| a + b).collect();
        for b in &blocks {
            for &(k, i, j, v) in &b.cross {
                full_raw[k as usize][(i as usize, j as usize)] += v as f64;
            }
        }
        let tr = finalize_segment(&train_raw, &segs[0].sum, &segs[0].head, &segs[0].tail, split);
        let te = finalize_segment(&test_raw, &segs[1].sum, &segs[1].head, &segs[1].tail, t - split);
        (finalize_segment(&full_raw, &full.sum, &full.head, &full.tail, t), Some(tr), Some(te))
    } else {
        let raw: Vec<Mat<f64>> = (0..=p).map(&gather).collect();
        (finalize_segment(&raw, &full.sum, &full.head, &full.tail, t), None, None)
    };
    let base = plan.slots.len() - o.shifts.len() * o.shift_lags.len();
    let q = o.shift_lags.len();
    let shifted =
        (0..o.shifts.len()).map(|m| (0..q).map(|k| finalize_circular(&gather(base + m * q + k), &full_seg.mean, t)).collect()).collect();
    Ok(CovarianceSet {
        n,
        max_lag: p,
        full: full_seg,
        train,
        test,
        shifts: o.shifts.clone(),
        shift_lags: o.shift_lags.clone(),
        shifted,
        total_activity,
    })
}
