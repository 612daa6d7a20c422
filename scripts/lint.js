#!/usr/bin/env node
// `npm run lint` (part of `npm test`): the TypeScript linter (biome, rules in biome.json), the Rust
// formatter and clippy with warnings as errors (allowed lints and why: Cargo.toml), and the typed
// boundary (no `Promise<unknown>` in the generated typings). Rules: CONTRIBUTING.md, "Lints".
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const host = require('./host');
const steps = [
  ['biome lint', process.execPath, [require.resolve('@biomejs/biome/bin/biome'), 'lint', '--error-on-warnings']],
  ['cargo fmt --check', 'cargo', ['fmt', '--all', '--check']],
  // The release profile and host target of the addon build, so dependencies are checked once.
  ['clippy (core)', 'cargo', ['clippy', '--release', '--target', host, '-p', 'diffrg-core', '--all-targets', '--', '-D', 'warnings']],
  ['clippy (binding)', 'cargo', ['clippy', '--release', '--target', host, '-p', 'diffrg-node', '--', '-D', 'warnings']],
];
const only = process.argv.slice(2);
let failed = 0;
for (const [name, cmd, args] of steps) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`lint: ${name} failed`);
    failed++;
  }
}
if (!only.length || only.some((o) => 'typings'.includes(o))) {
  const dts = readFileSync(path.join(root, 'native', 'index.d.ts'), 'utf8');
  const untyped = dts.split('\n').filter((l) => l.includes('Promise<unknown>'));
  if (untyped.length) {
    console.error(`lint: ${untyped.length} binding call(s) resolve to Promise<unknown>; add #[napi(ts_return_type = "Promise<T>")]:\n${untyped.join('\n')}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
