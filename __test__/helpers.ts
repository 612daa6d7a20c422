/** Test helpers: the compiled package (what users get) and CLI runners. */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import { expect } from 'vitest';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
export const root = path.resolve(__dirname, '..');
export const diffrg: typeof import('../dist/index') = require('../dist/index.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/diffrg.js` with arguments, in a child process. */
export function cli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'diffrg.js'), ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory, `diffrg-<prefix>-XXXXXX`. */
export function tmpDir(prefix = 'test'): string {
  return mkdtempSync(path.join(os.tmpdir(), `diffrg-${prefix}-`));
}

/** Asserts that stderr is one clean line (a code or "usage error", no stack, no HDF5 dump) and returns it. */
export function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at |unexpected error|HDF5-DIAG/m);
  return lines[0];
}

/** A row-major pattern matrix. */
export type Patterns = { rows: number; sites: number; data: Uint8Array };

/**
 * Latent-cluster binary process: `clusters` x `size` sites, site i in cluster i % clusters; per
 * row each cluster is up with probability 0.3, its sites then spike with probability 0.6 (else
 * 0.05). Seeded 64-bit LCG.
 */
export function latentClusters(clusters: number, size: number, rows: number, seed: number): Patterns {
  let s = BigInt(seed) + 1n;
  const rnd = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  const n = clusters * size;
  const data = new Uint8Array(rows * n);
  const up = new Array(clusters);
  for (let t = 0; t < rows; t++) {
    for (let c = 0; c < clusters; c++) up[c] = rnd() < 0.3;
    for (let i = 0; i < n; i++) data[t * n + i] = rnd() < (up[i % clusters] ? 0.6 : 0.05) ? 1 : 0;
  }
  return { rows, sites: n, data };
}
