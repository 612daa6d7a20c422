#!/usr/bin/env node
// Builds the native addon from source and compiles the TypeScript when diffrg is installed from a
// git clone (npm runs `prepare` there). Installs from the npm registry use the prebuilt
// platform package and never run this.
const { execSync } = require('node:child_process');
const run = (cmd) => execSync(cmd, { stdio: 'inherit' });
try {
  run('npm run build');
} catch (_err) {
  console.error('\ndiffrg: building from source failed. A Rust toolchain (cargo >= 1.85) is needed for a git checkout;');
  console.error('packages installed from npm ship prebuilt binaries instead.');
  process.exit(1);
}
