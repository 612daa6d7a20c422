/** Test helpers: the compiled package (what users get) and CLI runners. */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
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
