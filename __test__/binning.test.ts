/**
 * One binning rule (crates/diffrg-core/src/activity/raster.rs, `bin_events`; docs/activity-io.md,
 * "Binning") for every spike-binning caller of the facade: `binSpikeTimes` (the binding),
 * `binSpikes` (MPS patterns) and `inferSpikes` (graph inference). Edge cases: a time on an edge,
 * a time at the end of the window, an empty neuron, the default window, rounding of the bin count.
 */
import { describe, expect, it } from 'vitest';
import { diffrg } from './helpers';

const OUT = 0xffffffff;

/** Brute-force reference on dyadic times and widths (every quotient exact). */
function reference(times: number[], w: number, start: number, end: number): { bins: number; index: number[] } {
  const bins = Math.ceil((end - start) / w);
  return { bins, index: times.map((t) => (t < start || t >= end ? OUT : Math.min(Math.floor((t - start) / w), bins - 1))) };
}

describe('binning through the core', () => {
  it('puts a time on an edge in the bin that starts there and drops t = end', () => {
    const times = [0, 0.25, 0.5, 0.75, 1, 1.25, -0.5, 0.125];
    const r = diffrg.binSpikeTimes(times, 0.25, 0, 1.25);
    expect(r.index).toBeInstanceOf(Uint32Array);
    expect([...r.index]).toEqual([0, 1, 2, 3, 4, OUT, OUT, 0]);
    expect({ bins: r.bins, index: [...r.index] }).toEqual(reference(times, 0.25, 0, 1.25));
    expect([r.start, r.end]).toEqual([0, 1.25]);
  });

  it('defaults: start 0, end one bin after the latest time (start + bin without times)', () => {
    const r = diffrg.binSpikeTimes([0.5, 0.125], 0.25);
    expect([r.bins, r.end, ...r.index]).toEqual([3, 0.75, 2, 0]);
    const empty = diffrg.binSpikeTimes([], 0.5, 2);
    expect([empty.bins, empty.start, empty.end]).toEqual([1, 2, 2.5]);
  });

  it('a window of a whole number of bins up to rounding has no sliver bin; a partial last bin is kept', () => {
    expect(0.035 / 0.005).toBeGreaterThan(7);
    const r = diffrg.binSpikeTimes([0.0349999, 0.035], 0.005, 0, 0.035);
    expect([r.bins, ...r.index]).toEqual([7, 6, OUT]);
    expect(diffrg.binSpikeTimes([], 0.1, 0, 0.25).bins).toBe(3);
  });

  it('binSpikes (patterns) and inferSpikes bin like the core, empty neurons included', async () => {
    // neuron 1 never fires; times on edges, at the end and before the start
    const trains = [new Float64Array([0, 0.25, 0.25, 0.5, 1.5]), new Float64Array([]), new Float64Array([0.75, 1, 1.25])];
    const loaded = diffrg.binSpikes({ kind: 'spikes', ids: [10, 11, 12], times: trains }, 0.25, { cap: 3, start: 0.25, end: 1.25 });
    const flat = trains.flatMap((t) => [...t]);
    const ref = reference(flat, 0.25, 0.25, 1.25);
    expect(loaded.patterns.rows).toBe(ref.bins);
    const counts = new Uint8Array(ref.bins * 3);
    let k = 0;
    trains.forEach((t, site) => {
      for (let j = 0; j < t.length; j++, k++) if (ref.index[k] !== OUT) counts[ref.index[k] * 3 + site]++;
    });
    expect([...loaded.patterns.data]).toEqual([...counts]);
    expect([...loaded.patterns.data].filter((_, i) => i % 3 === 1).every((c) => c === 0)).toBe(true);
    expect([loaded.start, loaded.end]).toEqual([0.25, 1.25]);
    // the kept events are the ones inside the window
    expect(loaded.spikes!.times.length).toBe(ref.index.filter((b) => b !== OUT).length);
    // inferSpikes' bin count is the core's for the same table and window (default end too)
    const neurons = trains.flatMap((t, site) => [...t].map(() => site));
    const g = await diffrg.inferSpikes({ neurons, times: flat }, { method: 'correlation', binSeconds: 0.25, surrogates: 2, minShiftBins: 1 });
    expect(g.nBins).toBe(diffrg.binSpikeTimes(flat, 0.25).bins);
    const w = await diffrg.inferSpikes({ neurons, times: flat }, { method: 'correlation', binSeconds: 0.25, surrogates: 2, minShiftBins: 1, start: 0.25, end: 2.25 });
    expect(w.nBins).toBe(reference(flat, 0.25, 0.25, 2.25).bins);
  });

  it('bad input is a typed error', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => diffrg.binSpikeTimes([0.1], 0))).toBe('ERR_INVALID_INPUT');
    expect(code(() => diffrg.binSpikeTimes([0.1, Number.NaN], 0.1))).toBe('ERR_NOT_FINITE');
    expect(code(() => diffrg.binSpikeTimes([0.1], 0.1, 1, 1))).toBe('ERR_INVALID_INPUT');
    expect(code(() => diffrg.binSpikeTimes([0.1], 1e-9, 0, 1e3))).toBe('ERR_TOO_LARGE');
  });

  it('spikeTrainStats and pairPurity are the core\'s, against brute force', () => {
    const spikeTimes = new Float64Array([0.1, 0.3, 0.4, 0.9, 0.2, 0.5, 2.5]);
    const spikeOffsets = new Float64Array([0, 4, 4, 7]);
    const st = diffrg.spikeTrainStats({ spikeOffsets, spikeTimes }, 0, 2);
    expect([...st.count]).toEqual([4, 0, 2]);
    expect(st.rate[0]).toBeCloseTo(2, 12);
    const isi = [0.2, 0.1, 0.5];
    const m = isi.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(isi.reduce((a, b) => a + (b - m) ** 2, 0) / 2);
    expect(st.isiCv[0]).toBeCloseTo(sd / m, 12);
    expect(Number.isNaN(st.isiCv[1]) && Number.isNaN(st.isiCv[2])).toBe(true);
    const block = [0, 0, 0, 1, 1, 2, 2, 2, 2, 5];
    const label = [1, 1, 2, 2, 2, 3, 3, 1, 3, 3];
    const items = [0, 1, 2, 3, 5, 6, 7, 9];
    let together = 0;
    let same = 0;
    let sameAll = 0;
    for (let x = 0; x < items.length; x++) {
      for (let y = x + 1; y < items.length; y++) {
        const [a, b] = [items[x], items[y]];
        if (label[a] === label[b]) sameAll++;
        if (block[a] === block[b]) {
          together++;
          if (label[a] === label[b]) same++;
        }
      }
    }
    const p = diffrg.pairPurity(block, label, items);
    expect(p).toEqual({ purity: same / together, chance: sameAll / ((items.length * (items.length - 1)) / 2), pairs: together });
  });
});
