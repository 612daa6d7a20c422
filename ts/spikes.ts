/**
 * Spike trains through the core: binning (one rule, docs/activity-io.md "Binning"), per-train
 * rate and ISI statistics, and pair purity of a partition. No numerics here: each function
 * converts its arguments and calls the binding.
 */
import native = require('./native');
import { callNative } from './run';

/** `a` as a Float64Array for the binding (copied only when it is not one already). */
export const f64 = (a: ArrayLike<number>): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));

/** The bin index of a time outside the window in {@link binSpikeTimes}' `index`. */
export const OUTSIDE = 0xffffffff;

/**
 * Bins spike times (any order) with the core's rule: bin k = floor((t - start) / binSeconds)
 * covers [start + k bin, start + (k + 1) bin); the window [start, end) holds
 * ceil((end - start) / bin - 1e-9) bins (the last may be partial; a time in it is clamped to the
 * last bin); times before `start` or at or after `end` get {@link OUTSIDE}. `start` defaults to
 * 0 and `end` to one bin after the latest time (`start + binSeconds` without times).
 */
export function binSpikeTimes(times: ArrayLike<number>, binSeconds: number, start?: number, end?: number): { bins: number; start: number; end: number; index: Uint32Array } {
  return callNative(() => native.binSpikeTimes(f64(times), binSeconds, start, end));
}

/** Per-train statistics over a window, one entry per train. */
export interface TrainStats {
  count: Uint32Array;
  /** Hz. */
  rate: Float64Array;
  /** Mean inter-spike interval (s); NaN with fewer than 2 spikes. */
  isiMean: Float64Array;
  /** Sample standard deviation / mean of the inter-spike intervals; NaN with fewer than 3 spikes. */
  isiCv: Float64Array;
}

/**
 * Rate and ISI statistics of every train over [start, end): train i is
 * `times.subarray(offsets[i], offsets[i + 1])` (sorted seconds), the layout of `simulateLif`.
 */
export function spikeTrainStats(trains: { spikeOffsets: ArrayLike<number>; spikeTimes: ArrayLike<number> }, start: number, end: number): TrainStats {
  return callNative(() => native.spikeTrainStats(f64(trains.spikeOffsets), f64(trains.spikeTimes), start, end));
}

/**
 * Pair purity of a partition against reference labels (non-negative integers) over the items in
 * `items` (all items without it): among the pairs of items that share a block, the fraction that
 * also share a label; `chance` is the same fraction over all pairs of items (what a partition
 * blind to the labels gets on average); `pairs` counts the pairs that share a block.
 */
export function pairPurity(block: ArrayLike<number>, label: ArrayLike<number>, items?: number[]): { purity: number; chance: number; pairs: number } {
  const pick = (a: ArrayLike<number>) => (items ? Uint32Array.from(items, (k) => a[k]) : Uint32Array.from(a));
  return callNative(() => native.pairPurity(pick(block), pick(label)));
}
