/**
 * Type-level tests of the public API and the generated binding (run by vitest's typecheck):
 * async calls resolve to their documented result types, never `unknown`, and options are checked.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type * as native from '../native/index';
import * as diffrg from '../ts/index';

type Resolved<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

describe('generated binding', () => {
  it('every async native call resolves to a declared type', () => {
    expectTypeOf<Resolved<typeof native.spectralScan>>().not.toBeUnknown();
    expectTypeOf<Resolved<typeof native.spectralScan>>().toEqualTypeOf<native.ScanResult>();
    expectTypeOf<Resolved<typeof native.rgFlow>>().toEqualTypeOf<native.RgFlowResult>();
    expectTypeOf<Resolved<typeof native.mpsFit>>().toEqualTypeOf<native.MpsFitResult>();
    expectTypeOf<Resolved<typeof native.simulateLif>>().toEqualTypeOf<native.LifSimResult>();
    expectTypeOf<Resolved<typeof native.inferSpikes>>().toEqualTypeOf<native.InferResultJs>();
    expectTypeOf<Resolved<typeof native.dynamicsTrajectory>>().toEqualTypeOf<native.ScaleDynamicsJs[]>();
    expectTypeOf<Resolved<typeof native.leiden>>().toEqualTypeOf<native.NativeLeidenResult>();
  });
});

describe('public API', () => {
  it('results are typed', () => {
    expectTypeOf(diffrg.spectralScan).returns.resolves.toEqualTypeOf<diffrg.ScanResult>();
    expectTypeOf(diffrg.simulateLif).returns.resolves.toEqualTypeOf<diffrg.LifSimulation>();
    expectTypeOf(diffrg.inferSpikes).returns.resolves.toEqualTypeOf<diffrg.InferResult>();
    expectTypeOf(diffrg.memoryBandwidth).returns.resolves.toEqualTypeOf<diffrg.MemoryBandwidth>();
    expectTypeOf<diffrg.ScanResult['entropy']>().not.toBeAny();
  });

  it('options reject wrong types', () => {
    expectTypeOf(diffrg.spectralScan).parameter(1).not.toBeAny();
    // @ts-expect-error tauCount is a number
    void diffrg.spectralScan(null as unknown as diffrg.Graph, { tauCount: '40' });
    // @ts-expect-error threads is a number
    void diffrg.simulateLif({ neurons: 10, threads: 'two' });
  });
});
