#!/usr/bin/env node
// Produces the npm tarballs of a release: the main package (JS, typings, CLI; optional
// dependencies on one prebuilt package per platform) and the platform package for this
// machine (linux-x64-gnu), which carries the compiled addon. Run after `npm run build`.
//
//   node scripts/package.mjs [--out DIR]     prints {"main": "...tgz", "platform": "...tgz"}
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'artifacts'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const triples = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu',
  'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
  'x86_64-apple-darwin': 'darwin-x64',
  'aarch64-apple-darwin': 'darwin-arm64',
  'x86_64-pc-windows-msvc': 'win32-x64-msvc',
};
const local = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''}`;
const binary = join(root, 'native', `${pkg.napi.binaryName}.${local}.node`);
if (!existsSync(binary)) {
  console.error(`missing ${binary}: run \`npm run build\` first`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// napi's create-npm-dirs only writes inside the project, so stage there.
const stage = join(root, 'artifacts', `.stage-${process.pid}`);

// Platform packages, one directory per target, as `napi create-npm-dirs` lays them out.
run(process.execPath, [join(root, 'node_modules/@napi-rs/cli/dist/cli.js'), 'create-npm-dirs', '--cwd', root, '--npm-dir', join(stage, 'npm')], root);
const platformDir = join(stage, 'npm', local);
cpSync(binary, join(platformDir, `${pkg.napi.binaryName}.${local}.node`));
const platformTgz = run(npm, ['pack', '--silent', '--pack-destination', out], platformDir).trim().split('\n').pop();

// Main package: the published files, optional dependencies on the platform packages, and no
// build-from-source scripts (the registry copy uses the prebuilt binaries).
const mainDir = join(stage, 'main');
mkdirSync(mainDir, { recursive: true });
for (const f of ['bin', 'dist', 'README.md', 'LICENSE']) if (existsSync(join(root, f))) cpSync(join(root, f), join(mainDir, f), { recursive: true });
mkdirSync(join(mainDir, 'native'));
for (const f of ['index.js', 'index.d.ts']) cpSync(join(root, 'native', f), join(mainDir, 'native', f));
const { devDependencies: _d, scripts: _s, ...published } = pkg;
published.optionalDependencies = Object.fromEntries(Object.values(triples).map((p) => [`${pkg.name}-${p}`, pkg.version]));
writeFileSync(join(mainDir, 'package.json'), JSON.stringify(published, null, 2) + '\n');
const mainTgz = run(npm, ['pack', '--silent', '--pack-destination', out], mainDir).trim().split('\n').pop();

rmSync(stage, { recursive: true, force: true });
console.log(JSON.stringify({ main: join(out, mainTgz), platform: join(out, platformTgz), files: readdirSync(out) }));
