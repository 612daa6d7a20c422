// Types of synthetic.mjs for the TypeScript specs.
export function rng(seed: number): () => number;
export function normals(seed: number): () => number;
export function rotatingTrap(k: number, e: number, d: number, dt: number, frames: number, seed: number): Float64Array;
export function rotatingMexicanHat(e: number, d: number, dt: number, frames: number, seed: number, substeps?: number): Float64Array;
