#!/usr/bin/env node
// Produces the npm tarballs of a release: the main package (JS, typings, CLI; optional
// dependencies on one prebuilt package per target of package.json) and one platform package per
// requested target, each carrying its compiled addon. Run after `npm run build` (the main
// package takes dist/ and napi's loader native/index.js from it).
//
//   node scripts/package.mjs [--out DIR] [--targets linux-x64-gnu,linux-arm64-gnu,...] [--from DIR]
//     prints {"main": "...tgz", "platforms": {"linux-x64-gnu": "...tgz", ...}, "binaries": {...}}
//
// Without --from, each target is built here by scripts/cross.mjs (default: every Linux target,
// gnu ones against glibc 2.17). With --from DIR the binaries are taken from DIR instead, named
// as napi names them (diffrg.<target>.node, e.g. the artifacts of the release workflow), and the
// default targets are those found there. Every Linux binary is checked before it is packed
// (scripts/elf.mjs: machine, glibc floor 2.17 for gnu, no glibc for musl).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildTarget, CROSS_TARGETS, ensureToolchain, GLIBC_FLOOR, root } from './cross.mjs';
import { linuxProblems, readElf } from './elf.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const out = resolve(arg('--out') ?? join(root, 'artifacts'));
const from = arg('--from') && resolve(arg('--from'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bin = pkg.napi.binaryName;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const die = (msg) => {
  console.error(`package: ${msg}`);
  process.exit(1);
};

for (const f of ['native/index.js', 'native/index.d.ts', 'dist/index.js']) if (!existsSync(join(root, f))) die(`missing ${f}: run \`npm run build\` first`);

// napi's create-npm-dirs only writes inside the project, so stage there. It lays out one
// directory per target of package.json (named by napi's platformArchABI, with os/cpu/libc set).
const stage = join(root, 'artifacts', `.stage-${process.pid}`);
run(process.execPath, [join(root, 'node_modules/@napi-rs/cli/dist/cli.js'), 'create-npm-dirs', '--cwd', root, '--npm-dir', join(stage, 'npm')], root);
const all = readdirSync(join(stage, 'npm')).sort();

const fromFiles = from ? readdirSync(from).filter((f) => f.startsWith(`${bin}.`) && f.endsWith('.node')) : [];
const targets = arg('--targets')?.split(',') ?? (from ? fromFiles.map((f) => f.slice(bin.length + 1, -5)) : Object.keys(CROSS_TARGETS));
for (const t of targets) if (!all.includes(t)) die(`unknown target ${t}; package.json's targets: ${all.join(', ')}`);
if (!targets.length) die(from ? `no ${bin}.<target>.node in ${from}` : 'no targets');

const binaries = {};
if (from) {
  for (const t of targets) {
    binaries[t] = join(from, `${bin}.${t}.node`);
    if (!existsSync(binaries[t])) die(`missing ${binaries[t]}`);
  }
} else {
  for (const t of targets) if (!CROSS_TARGETS[t]) die(`${t} cannot be built here (cross builds: ${Object.keys(CROSS_TARGETS).join(', ')}); pass its binary with --from`);
  try {
    const env = ensureToolchain(targets.map((t) => CROSS_TARGETS[t]));
    for (const t of targets) binaries[t] = buildTarget(t, env);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    die(e.message);
  }
}

// What is packed must load where its package says: right machine, glibc floor, no glibc in musl.
for (const t of targets.filter((t) => t.startsWith('linux-'))) {
  const problems = linuxProblems(readElf(readFileSync(binaries[t])), t, GLIBC_FLOOR);
  if (problems.length) {
    rmSync(stage, { recursive: true, force: true });
    die(`${binaries[t]} ${problems.join('; ')}`);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const pack = (dir) => join(out, run(npm, ['pack', '--silent', '--pack-destination', out], dir).trim().split('\n').pop());

const platforms = {};
for (const t of targets) {
  cpSync(binaries[t], join(stage, 'npm', t, `${bin}.${t}.node`));
  platforms[t] = pack(join(stage, 'npm', t));
}

// Main package: the published files, optional dependencies on every platform package, and no
// build-from-source scripts (the registry copy uses the prebuilt binaries).
const mainDir = join(stage, 'main');
mkdirSync(join(mainDir, 'native'), { recursive: true });
for (const f of ['bin', 'dist', 'README.md', 'LICENSE']) if (existsSync(join(root, f))) cpSync(join(root, f), join(mainDir, f), { recursive: true });
for (const f of ['index.js', 'index.d.ts']) cpSync(join(root, 'native', f), join(mainDir, 'native', f));
const { devDependencies: _d, scripts: _s, ...published } = pkg;
published.optionalDependencies = Object.fromEntries(all.map((t) => [`${pkg.name}-${t}`, pkg.version]));
writeFileSync(join(mainDir, 'package.json'), JSON.stringify(published, null, 2) + '\n');
const main = pack(mainDir);

rmSync(stage, { recursive: true, force: true });
console.log(JSON.stringify({ main, platforms, binaries }));
