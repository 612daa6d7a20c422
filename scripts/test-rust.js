#!/usr/bin/env node
// `cargo test` of the core crate in the release profile for the host target triple: the same
// profile and target directory as `napi build --release`, so the dependencies compiled for the
// addon are reused instead of being built a second time (this halves a clean CI run).
const { spawnSync } = require('node:child_process');
const host = require('./host');
const r = spawnSync('cargo', ['test', '--release', '--target', host, '-p', 'diffrg-core', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
