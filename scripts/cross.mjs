#!/usr/bin/env node
// Builds the release addon for the Linux targets of package.json on a Linux x86-64 machine, with
// zig as the C compiler and linker (`napi build --cross-compile`, i.e. cargo-zigbuild): the gnu
// targets link against glibc 2.17 (GLIBC_FLOOR), whatever glibc this machine has, and the musl
// targets as dynamic libraries (`-C target-feature=-crt-static`, which a cdylib needs). Artifacts
// go to target-cross/ so the host build in target/ is not invalidated.
//
// It installs what it needs and fails with a message saying what is missing, never skips:
// ziglang and cargo-zigbuild (pinned) from PyPI into the ignored .cross/venv, and the Rust
// standard library of each target with `rustup target add`.
//
//   node scripts/cross.mjs linux-arm64-gnu [linux-x64-musl ...]
//     prints {"linux-arm64-gnu": "<root>/.cross/out/linux-arm64-gnu/diffrg.linux-arm64-gnu.node", ...}
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(new URL('..', import.meta.url).pathname);
export const crossDir = join(root, '.cross');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The oldest glibc the gnu packages load on (CentOS/RHEL 7; Rust's own floor for these targets). */
export const GLIBC_FLOOR = '2.17';

/** Platform package name (napi's `platformArchABI`) to Rust target, for what builds here. */
export const CROSS_TARGETS = {
  'linux-x64-gnu': 'x86_64-unknown-linux-gnu',
  'linux-arm64-gnu': 'aarch64-unknown-linux-gnu',
  'linux-x64-musl': 'x86_64-unknown-linux-musl',
  'linux-arm64-musl': 'aarch64-unknown-linux-musl',
};

// Pinned so that a release is reproducible; bump together and rerun the packaging test.
const PYPI = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1'];

class CrossError extends Error {}
const fail = (msg) => {
  throw new CrossError(`cross: ${msg}`);
};
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
const has = (cmd, args = ['--version']) => {
  try {
    run(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Installs zig and cargo-zigbuild into .cross/ (zig and cargo-zigbuild on .cross/bin) and the
 * Rust targets `triples`; returns the environment to build with.
 */
export function ensureToolchain(triples) {
  if (process.platform !== 'linux' || process.arch !== 'x64') fail(`cross builds run on linux-x64 only, not ${process.platform}-${process.arch}`);
  const venv = join(crossDir, 'venv');
  const bin = join(crossDir, 'bin');
  if (!existsSync(join(venv, 'bin', 'cargo-zigbuild'))) {
    const python = ['python3', 'python'].find((p) => has(p));
    if (!python) fail('python3 is needed to install ziglang and cargo-zigbuild from PyPI (apt-get install python3 python3-venv)');
    rmSync(venv, { recursive: true, force: true });
    try {
      run(python, ['-m', 'venv', venv]);
    } catch {
      fail(`\`${python} -m venv\` failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)`);
    }
    try {
      run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...PYPI]);
    } catch {
      fail(`pip install ${PYPI.join(' ')} into ${venv} failed (is PyPI reachable?)`);
    }
  }
  const site = join(venv, 'lib', readdirSync(join(venv, 'lib')).find((d) => d.startsWith('python')), 'site-packages');
  mkdirSync(bin, { recursive: true });
  for (const [name, target] of [
    ['zig', join(site, 'ziglang', 'zig')],
    ['cargo-zigbuild', join(venv, 'bin', 'cargo-zigbuild')],
  ]) {
    if (!existsSync(target)) fail(`${target} is missing: delete ${venv} and rerun to reinstall`);
    rmSync(join(bin, name), { force: true });
    symlinkSync(target, join(bin, name));
  }
  if (!has('rustup')) fail('rustup is needed to add the Rust targets (https://rustup.rs); a Rust toolchain without rustup cannot cross-build');
  const installed = run('rustup', ['target', 'list', '--installed']).split('\n');
  const missing = triples.filter((t) => !installed.includes(t));
  if (missing.length) {
    try {
      run('rustup', ['target', 'add', ...missing], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      fail(`rustup target add ${missing.join(' ')} failed`);
    }
  }
  return { ...process.env, PATH: `${bin}:${process.env.PATH}` };
}

/** Builds the addon for the platform `name` (a key of CROSS_TARGETS); returns the `.node` path. */
export function buildTarget(name, env = ensureToolchain([CROSS_TARGETS[name]])) {
  const triple = CROSS_TARGETS[name];
  if (!triple) fail(`unknown target ${name}; cross builds: ${Object.keys(CROSS_TARGETS).join(', ')}`);
  if (!pkg.napi.targets.includes(triple)) fail(`${triple} is not in package.json's napi.targets`);
  const out = join(crossDir, 'out', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const buildEnv = { ...env };
  // zig takes the glibc version as a suffix of the target; musl cdylibs must not link libc statically.
  const target = triple.endsWith('-gnu') ? `${triple}.${GLIBC_FLOOR}` : triple;
  if (triple.endsWith('-musl')) buildEnv[`CARGO_TARGET_${triple.toUpperCase().replaceAll('-', '_')}_RUSTFLAGS`] = '-C target-feature=-crt-static';
  const args = ['build', '--platform', '--release', '--cross-compile', '--target', target];
  args.push('--manifest-path', 'crates/diffrg-node/Cargo.toml', '--package-json-path', 'package.json');
  args.push('--target-dir', join(root, 'target-cross'), '--output-dir', out, '--no-js', '--dts', 'index.d.ts');
  try {
    run(process.execPath, [join(root, 'node_modules/@napi-rs/cli/dist/cli.js'), ...args], { cwd: root, env: buildEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    fail(`napi build ${args.join(' ')} failed`);
  }
  const file = join(out, `${pkg.napi.binaryName}.${name}.node`);
  if (!existsSync(file)) fail(`the build of ${name} produced no ${file}`);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const names = process.argv.slice(2);
    if (!names.length) fail(`usage: node scripts/cross.mjs TARGET...; targets: ${Object.keys(CROSS_TARGETS).join(', ')}`);
    const env = ensureToolchain(names.map((n) => CROSS_TARGETS[n] ?? fail(`unknown target ${n}`)));
    console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, buildTarget(n, env)]))));
  } catch (e) {
    if (!(e instanceof CrossError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}
