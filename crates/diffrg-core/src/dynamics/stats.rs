//! Streaming second-order statistics of a trajectory, kept per time block.
//!
//! One pass over the frames accumulates, for every time block `b` of `L` consecutive frames,
//! the frame count, `Σ x_t`, `Σ x_t x_t^T` and, for every lag `l` in `lags`, the lagged sums
//! `Σ x_{t+l} x_t^T` over the pairs whose first frame `t` lies in the block (the partner
//! `t + l` may lie in a later block or a later chunk). The sums are formed by blocked GEMM
//! (faer) on contiguous runs of frames, so the cost is `O(frames · n² · (1 + lags))` flops
//! and the memory `O(blocks · n² · (1 + lags))`: never `O(frames · n)`.
//!
//! The number of blocks is kept between `target_blocks` and `2 · target_blocks` without
//! knowing the length in advance: blocks start one frame long and, whenever there would be
//! more than `2 · target_blocks`, neighbouring pairs are merged (the sums are additive) and the
//! block length doubles. The blocks are the resampling units of the block bootstrap and the
//! train/test split of the held-out prediction.
//!
//! [`Moments`] turns a multiset of blocks (all of them, a time range, or a bootstrap draw)
//! into the mean, the covariance `C(0)` and the lagged covariances `C(l)` (Yule-Walker form:
//! `C(l) = Σ_pairs x_{t+l} x_t^T / pairs - μ μ^T` with the mean `μ` over all frames); a
//! linear coarse-graining `y = P x` maps moments exactly (`P μ`, `P C(l) P^T`), so every scale
//! of a flow is analysed from the one pass over the finest variables.

use crate::error::{ensure_fits, Error, Result};
use crate::exec::Exec;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

/// `dst += a bᵀ` for `n × m` frame blocks `a`, `b`: the frame dimension is split across the
/// threads (private `n × n` partial sums, then added), which scales where a parallel GEMM over
/// the small `n × n` output would not.
fn add_products(dst: &mut Mat<f64>, a: MatRef<f64>, b: MatRef<f64>, exec: &Exec) {
    let m = a.ncols();
    let parts = exec.threads.min(m / 4096).max(1);
    if parts == 1 {
        matmul(dst.as_mut(), Accum::Add, a, b.transpose(), 1.0, Par::Seq);
        return;
    }
    let step = m.div_ceil(parts);
    let (r, c) = (dst.nrows(), dst.ncols());
    let partials: Vec<Mat<f64>> = exec.install(|| {
        (0..parts)
            .into_par_iter()
            .map(|p| {
                let lo = p * step;
                let len = step.min(m - lo);
                let mut acc = Mat::zeros(r, c);
                matmul(acc.as_mut(), Accum::Replace, a.subcols(lo, len), b.subcols(lo, len).transpose(), 1.0, Par::Seq);
                acc
            })
            .collect()
    });
    for p in partials {
        *dst += &p;
    }
}

/// Sums of one time block.
#[derive(Debug, Clone)]
pub struct BlockStats {
    /// Frames in the block.
    pub frames: usize,
    /// Pairs `(t, t + lags[k])` with `t` in the block seen so far, per lag.
    pub pairs: Vec<usize>,
    /// `Σ x_t` over the block's frames.
    pub sum: Vec<f64>,
    /// `Σ x_t x_t^T` (`n × n`).
    pub sq: Mat<f64>,
    /// `Σ x_{t+l} x_t^T` per lag (`n × n`, row = later frame).
    pub cross: Vec<Mat<f64>>,
}

impl BlockStats {
    fn new(n: usize, lags: usize) -> Self {
        BlockStats {
            frames: 0,
            pairs: vec![0; lags],
            sum: vec![0.0; n],
            sq: Mat::zeros(n, n),
            cross: (0..lags).map(|_| Mat::zeros(n, n)).collect(),
        }
    }
    fn add(&mut self, o: &BlockStats) {
        self.frames += o.frames;
        for (a, b) in self.pairs.iter_mut().zip(&o.pairs) {
            *a += b;
        }
        for (a, b) in self.sum.iter_mut().zip(&o.sum) {
            *a += b;
        }
        self.sq += &o.sq;
        for (a, b) in self.cross.iter_mut().zip(&o.cross) {
            *a += b;
        }
    }
}

/// Default largest memory of the per-block sums (bytes).
pub const STATS_LIMIT_BYTES: u128 = 4 << 30;

/// The streaming accumulator and, once finished, the per-block statistics of a trajectory.
#[derive(Debug, Clone)]
pub struct LinearStats {
    pub n: usize,
    /// Seconds between frames.
    pub dt: f64,
    /// Lags of the lagged sums (the first is always 1).
    pub lags: Vec<usize>,
    /// Frames per block (every block but the last is full).
    pub block_len: usize,
    pub target_blocks: usize,
    pub blocks: Vec<BlockStats>,
    /// Frames seen.
    pub frames: usize,
    /// The last `max(lags)` frames seen (frame-major), partners of the next chunk's pairs.
    history: Vec<f64>,
}

impl LinearStats {
    /// An empty accumulator for `n` variables sampled every `dt` seconds; `horizon` > 1 adds
    /// the lag of the held-out `horizon`-step prediction.
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` for `n = 0`, `dt <= 0`, `horizon = 0` or `target_blocks = 0`;
    /// `ERR_TOO_LARGE` when `2 · target_blocks` blocks of sums would exceed
    /// [`STATS_LIMIT_BYTES`].
    pub fn new(n: usize, dt: f64, horizon: usize, target_blocks: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::invalid_input("dynamics: no variables"));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid_input(format!("dynamics: dt (the frame interval) must be positive and finite (got {dt})")));
        }
        if horizon == 0 {
            return Err(Error::invalid_input("dynamics: horizon must be at least 1 frame"));
        }
        if target_blocks == 0 {
            return Err(Error::invalid_input("dynamics: blocks must be at least 1"));
        }
        let lags = if horizon == 1 { vec![1] } else { vec![1, horizon] };
        let per_block = (n as u128) * (n as u128) * (1 + lags.len() as u128);
        ensure_fits(
            "the per-block second moments",
            per_block * 2 * target_blocks as u128 + 2,
            STATS_LIMIT_BYTES,
            "reduce the number of variables (--partition, --pca) or of blocks",
        )?;
        Ok(LinearStats { n, dt, lags, block_len: 1, target_blocks, blocks: Vec::new(), frames: 0, history: Vec::new() })
    }

    fn max_lag(&self) -> usize {
        *self.lags.iter().max().unwrap_or(&1)
    }

    /// Adds `data.len() / n` frames (frame-major: `data[t * n + i]`).
    ///
    /// # Errors
    /// `ERR_INVALID_INPUT` when the length is not a multiple of `n`; `ERR_NOT_FINITE` naming
    /// the frame (counted from the start of the stream) and variable of a non-finite value;
    /// `ERR_ABORTED`.
    pub fn push(&mut self, data: &[f64], exec: &Exec) -> Result<()> {
        let n = self.n;
        if data.len() % n != 0 {
            return Err(Error::invalid_input(format!(
                "dynamics: a chunk of {} values is not a whole number of frames of {n} variables",
                data.len()
            )));
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::not_finite(format!("dynamics: value at frame {}, variable {} is {}", self.frames + k / n, k % n, data[k])));
        }
        let m = data.len() / n;
        if m == 0 {
            return Ok(());
        }
        let h = self.history.len() / n;
        // Working view: history frames then the chunk; global frame of work[j] = frames - h + j.
        let mut work = std::mem::take(&mut self.history);
        work.extend_from_slice(data);
        let base = self.frames - h;
        let xt = MatRef::from_column_major_slice(&work, n, h + m); // n × frames
                                                                   // Frame sums, block by block.
        let mut t = self.frames;
        let end = self.frames + m;
        while t < end {
            exec.check()?;
            let b = t / self.block_len;
            if b == self.blocks.len() {
                if self.blocks.len() == 2 * self.target_blocks {
                    self.merge();
                    continue;
                }
                self.blocks.push(BlockStats::new(n, self.lags.len()));
            }
            let stop = ((b + 1) * self.block_len).min(end);
            let seg = xt.subcols(t - base, stop - t);
            let blk = &mut self.blocks[b];
            add_products(&mut blk.sq, seg, seg, exec);
            for j in 0..stop - t {
                for (s, v) in blk.sum.iter_mut().zip(seg.col(j).iter()) {
                    *s += v;
                }
            }
            blk.frames += stop - t;
            t = stop;
        }
        // Lagged sums: pairs whose later frame is in the chunk, credited to the earlier one's block.
        for (k, &l) in self.lags.iter().enumerate() {
            let first = self.frames.saturating_sub(l).max(base); // earliest "from" frame with partner in chunk
            let mut f = first;
            while f + l < end {
                exec.check()?;
                let b = f / self.block_len;
                let stop = ((b + 1) * self.block_len).min(end - l);
                let from = xt.subcols(f - base, stop - f);
                let to = xt.subcols(f + l - base, stop - f);
                let blk = &mut self.blocks[b];
                add_products(&mut blk.cross[k], to, from, exec);
                blk.pairs[k] += stop - f;
                f = stop;
            }
        }
        self.frames = end;
        let keep = self.max_lag().min(h + m);
        work.drain(..(h + m - keep) * n);
        self.history = work;
        Ok(())
    }

    /// Merges neighbouring block pairs and doubles the block length.
    fn merge(&mut self) {
        let old = std::mem::take(&mut self.blocks);
        let mut it = old.into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                a.add(&b);
            }
            self.blocks.push(a);
        }
        self.block_len *= 2;
    }

    /// Moments of all blocks.
    pub fn moments(&self) -> Result<Moments> {
        Moments::from_blocks(self, self.blocks.iter())
    }

    /// Moments of the blocks `range` (a time range: train/test splits).
    pub fn moments_range(&self, range: std::ops::Range<usize>) -> Result<Moments> {
        Moments::from_blocks(self, self.blocks[range].iter())
    }

    /// Moments of a multiset of blocks (a bootstrap draw).
    pub fn moments_of(&self, picks: &[usize]) -> Result<Moments> {
        Moments::from_blocks(self, picks.iter().map(|&b| &self.blocks[b]))
    }
}

/// Mean and (lagged) covariances of a set of frames (see the module docs).
#[derive(Debug, Clone)]
pub struct Moments {
    pub n: usize,
    pub dt: f64,
    pub frames: usize,
    /// Pairs per lag.
    pub pairs: Vec<usize>,
    pub lags: Vec<usize>,
    pub mean: Vec<f64>,
    /// `C(0)`.
    pub c0: Mat<f64>,
    /// `C(l)` per lag, row = later frame.
    pub cl: Vec<Mat<f64>>,
}

impl Moments {
    fn from_blocks<'a>(s: &LinearStats, blocks: impl Iterator<Item = &'a BlockStats>) -> Result<Moments> {
        let mut acc = BlockStats::new(s.n, s.lags.len());
        for b in blocks {
            acc.add(b);
        }
        if acc.frames < 2 || acc.pairs[0] == 0 {
            return Err(Error::invalid_input(format!("dynamics: {} frames are too few (at least 2 are needed)", acc.frames)));
        }
        let nf = acc.frames as f64;
        let mean: Vec<f64> = acc.sum.iter().map(|v| v / nf).collect();
        let c0 = Mat::from_fn(s.n, s.n, |i, j| acc.sq[(i, j)] / nf - mean[i] * mean[j]);
        let cl = acc
            .cross
            .iter()
            .zip(&acc.pairs)
            .map(|(c, &p)| {
                let np = p.max(1) as f64;
                Mat::from_fn(s.n, s.n, |i, j| c[(i, j)] / np - mean[i] * mean[j])
            })
            .collect();
        Ok(Moments { n: s.n, dt: s.dt, frames: acc.frames, pairs: acc.pairs, lags: s.lags.clone(), mean, c0, cl })
    }

    /// `C(1)`.
    pub fn c1(&self) -> &Mat<f64> {
        &self.cl[0]
    }

    /// The moments of `y = P x` (`P` is `m × n`).
    pub fn project(&self, p: MatRef<f64>) -> Moments {
        let m = p.nrows();
        let mean = (0..m).map(|g| (0..self.n).map(|i| p[(g, i)] * self.mean[i]).sum()).collect();
        let sandwich = |c: &Mat<f64>| p * c * p.transpose();
        Moments {
            n: m,
            dt: self.dt,
            frames: self.frames,
            pairs: self.pairs.clone(),
            lags: self.lags.clone(),
            mean,
            c0: sandwich(&self.c0),
            cl: self.cl.iter().map(sandwich).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn naive(data: &[f64], n: usize, lag: usize) -> (Vec<f64>, Mat<f64>, Mat<f64>) {
        let t = data.len() / n;
        let x = |f: usize, i: usize| data[f * n + i];
        let mean: Vec<f64> = (0..n).map(|i| (0..t).map(|f| x(f, i)).sum::<f64>() / t as f64).collect();
        let c0 = Mat::from_fn(n, n, |i, j| (0..t).map(|f| x(f, i) * x(f, j)).sum::<f64>() / t as f64 - mean[i] * mean[j]);
        let cl =
            Mat::from_fn(n, n, |i, j| (0..t - lag).map(|f| x(f + lag, i) * x(f, j)).sum::<f64>() / (t - lag) as f64 - mean[i] * mean[j]);
        (mean, c0, cl)
    }

    #[test]
    fn chunked_streaming_matches_direct_sums() {
        let n = 3;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let data: Vec<f64> = (0..n * 1001).map(|_| rng.random::<f64>()).collect();
        for (chunk, threads) in [(1usize, 1), (7, 1), (1001, 1), (1001, 3)] {
            let exec = Exec::with_threads(threads);
            let mut s = LinearStats::new(n, 0.1, 3, 4).unwrap();
            for c in data.chunks(chunk * n) {
                s.push(c, &exec).unwrap();
            }
            assert!(s.blocks.len() >= 4 && s.blocks.len() <= 8, "{} blocks", s.blocks.len());
            assert_eq!(s.blocks.iter().map(|b| b.frames).sum::<usize>(), 1001);
            let m = s.moments().unwrap();
            for (k, lag) in [1usize, 3].into_iter().enumerate() {
                let (mean, c0, cl) = naive(&data, n, lag);
                assert_eq!(m.pairs[k], 1001 - lag);
                for i in 0..n {
                    assert!((m.mean[i] - mean[i]).abs() < 1e-12);
                    for j in 0..n {
                        assert!((m.c0[(i, j)] - c0[(i, j)]).abs() < 1e-12);
                        assert!((m.cl[k][(i, j)] - cl[(i, j)]).abs() < 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn threads_split_the_frames_without_changing_the_sums() {
        let n = 3;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let data: Vec<f64> = (0..n * 30_000).map(|_| rng.random::<f64>()).collect();
        let run = |threads| {
            let mut s = LinearStats::new(n, 0.1, 2, 4).unwrap();
            s.push(&data, &Exec::with_threads(threads)).unwrap();
            s.moments().unwrap()
        };
        let (a, b) = (run(1), run(3));
        for i in 0..n {
            for j in 0..n {
                assert!((a.c0[(i, j)] - b.c0[(i, j)]).abs() < 1e-12);
                assert!((a.cl[1][(i, j)] - b.cl[1][(i, j)]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rejects_bad_chunks() {
        let mut s = LinearStats::new(2, 1.0, 1, 4).unwrap();
        assert!(s.push(&[1.0, 2.0, 3.0], &Exec::sequential()).is_err());
        let e = s.push(&[1.0, 2.0, 3.0, f64::NAN], &Exec::sequential()).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::NotFinite);
        assert!(e.message.contains("frame 1, variable 1"), "{}", e.message);
        assert!(LinearStats::new(0, 1.0, 1, 4).is_err());
        assert!(LinearStats::new(2, 0.0, 1, 4).is_err());
        assert!(s.moments().is_err());
    }
}
