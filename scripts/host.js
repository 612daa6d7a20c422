// The host target triple, as rustc reports it: `napi build --release`, `cargo test` and clippy all
// build for it explicitly so that they share one target directory (scripts/test-rust.js, lint.js).
const { execFileSync } = require('node:child_process');
module.exports = /host: (\S+)/.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))[1];
