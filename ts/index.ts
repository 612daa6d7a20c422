/**
 * diffrg: diffusion-guided renormalization of neural systems.
 *
 * Public API. Heavy calls are async (computed off the main thread), accept
 * `{ signal?: AbortSignal, threads?: number }`, and reject with typed `DiffrgError`s.
 */
import native = require('./native');

export * from './errors';
export { Graph, type GraphOptions, type EdgeList } from './graph';
export { spectralScan, scanJson, scanSvg, type ScanOptions, type ScanResult, type LaplacianKind, type ScanMethod, type Transition, type Plateau } from './spectral';
export { readGraph, parseGraph, type ReadGraphOptions, type GraphFormat, type GraphWarnings, type LoadedGraph } from './io/graph';
export type { RunOptions } from './run';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic';
export { parseNpy, readNpy, readNpz, parseNpz, encodeNpy, encodeNpz, toFloat64, type NpyArray, type NpyDtype } from './io/npy';

/** Version of this package. */
export const version: string = require('../package.json').version;

/** Threads a heavy call would use for a given `threads` option (after env fallbacks). */
export function resolvedThreads(threads?: number): number {
  return native.resolvedThreads(threads);
}
