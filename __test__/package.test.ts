/**
 * Packaging (issue 16): `scripts/package.mjs` builds the linux-x64-gnu and linux-arm64-gnu
 * platform packages with zig against glibc 2.17 (scripts/cross.mjs, which installs its own
 * toolchain) and packs them with the main package. Each installs into an empty directory with no
 * Rust toolchain on PATH and runs the CLI and an API call: x64 natively, arm64 under
 * qemu-aarch64-static with Debian's arm64 node (scripts/arm64-node.sh). Both binaries need no
 * glibc symbol newer than 2.17, and the arm64 one has NEON code. The musl packages are built by
 * `npm run package` but not here (CI time; no musl Node.js in Debian to run them with).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { root } from './helpers';

const supported = process.platform === 'linux' && process.arch === 'x64';
const targets = ['linux-x64-gnu', 'linux-arm64-gnu'];

interface Packed {
  main: string;
  platforms: Record<string, string>;
  binaries: Record<string, string>;
}
interface Elf {
  readElf(buf: Buffer): { machine: string; needed: string[]; versions: Record<string, string[]>; sections: { name: string; offset: number; size: number }[]; buf: Buffer };
  glibcFloor(elf: unknown): string | null;
  linuxProblems(elf: unknown, target: string, floor: string): string[];
  compareVersions(a: string, b: string): number;
  neon2dCounts(words: number[]): Record<string, number>;
}
interface Cross {
  GLIBC_FLOOR: string;
}

// PATH keeps node, npm and system tools (qemu) but no cargo/rustc.
const nodeDir = path.dirname(process.execPath);
const env = { ...process.env, PATH: [nodeDir, '/usr/bin', '/bin'].join(path.delimiter), CARGO: '/nonexistent', RUSTUP_HOME: '/nonexistent' };
const script = `const d = require('diffrg');
  d.spectralScan(d.Graph.ring(64), { tauMin: 1e-6, tauMax: 1e6, tauCount: 3 })
    .then((r) => console.log(JSON.stringify({ arch: process.arch, s0: r.entropy[0], n: r.n })));`;

/** Installs the main tarball and one platform tarball into a new empty project (for `cpu`). */
function install(main: string, platform: string, cpu: string): string {
  const app = mkdtempSync(path.join(tmpdir(), `diffrg-app-${cpu}-`));
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  // The other platforms' packages are not published from this machine: omit optional deps and
  // install the platform's package explicitly, as npm would pick it on such a machine. npm
  // refuses a package whose `cpu` is not this machine's (EBADPLATFORM) unless forced.
  const force = cpu === process.arch ? [] : ['--force'];
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', ...force, main, platform], { cwd: app, env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return app;
}

describe.runIf(supported)('prebuilt packages', () => {
  let out = '';
  let packed: Packed;
  let elf: Elf;
  let cross: Cross;
  const apps: string[] = [];

  beforeAll(async () => {
    elf = await import(path.join(root, 'scripts/elf.mjs'));
    cross = await import(path.join(root, 'scripts/cross.mjs'));
    out = mkdtempSync(path.join(tmpdir(), 'diffrg-pack-'));
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/package.mjs'), '--out', out, '--targets', targets.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status, r.stderr.slice(-4000)).toBe(0);
    packed = JSON.parse(r.stdout.trim().split('\n').pop()!);
  }, 45 * 60_000);

  afterAll(() => {
    for (const d of [out, ...apps]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('packs the main package and one package per target', () => {
    expect(existsSync(packed.main)).toBe(true);
    expect(Object.keys(packed.platforms).sort()).toEqual([...targets].sort());
    for (const t of targets) expect(path.basename(packed.platforms[t])).toBe(`diffrg-${t}-0.1.0.tgz`);
  });

  it('needs no glibc newer than the floor (2.17), and the check sees a newer one', () => {
    for (const t of targets) {
      const e = elf.readElf(readFileSync(packed.binaries[t]));
      expect(elf.linuxProblems(e, t, cross.GLIBC_FLOOR), t).toEqual([]);
      expect(elf.compareVersions(elf.glibcFloor(e)!, cross.GLIBC_FLOOR)).toBeLessThanOrEqual(0);
    }
    // The same check fails on a binary linked by the system toolchain: the host build of
    // `npm run build` (Debian 12: GLIBC_2.35), which is why the packages are built with zig.
    const host = path.join(root, 'native/diffrg.linux-x64-gnu.node');
    const hostElf = elf.readElf(readFileSync(host));
    expect(elf.linuxProblems(hostElf, 'linux-x64-gnu', cross.GLIBC_FLOOR)).toEqual([`needs GLIBC_${elf.glibcFloor(hostElf)}, newer than 2.17`]);
    expect(elf.linuxProblems(hostElf, 'linux-arm64-gnu', cross.GLIBC_FLOOR)[0]).toBe('is x86_64, not aarch64');
    expect(elf.linuxProblems(hostElf, 'linux-x64-musl', cross.GLIBC_FLOOR)[0]).toMatch(/^links glibc/);
    // The reader against binutils.
    const readelf = spawnSync('readelf', ['-V', '-W', host], { encoding: 'utf8' });
    expect(readelf.status, 'readelf (binutils) is needed to cross-check scripts/elf.mjs').toBe(0);
    const versions = hostElf.versions;
    const expected = [...readelf.stdout.matchAll(/Name: (GLIBC_[\d.]+)/g)].map((m) => m[1]).sort();
    expect(Object.values(versions).flat().filter((v) => v.startsWith('GLIBC_')).sort()).toEqual(expected);
  });

  it('uses NEON double-precision vectors in the arm64 binary', () => {
    const e = elf.readElf(readFileSync(packed.binaries['linux-arm64-gnu']));
    const text = e.sections.find((s) => s.name === '.text')!;
    const words: number[] = [];
    for (let o = text.offset; o < text.offset + text.size; o += 4) words.push(e.buf.readUInt32LE(o));
    const n = elf.neon2dCounts(words);
    // The x64 binary has none of these encodings' meaning; on arm64 the vectorised kernels
    // (lockstep SLQ rows, faer) produce thousands (12105 fadd, 3379 fmul on 2026-12-05).
    expect(n.fadd).toBeGreaterThan(1000);
    expect(n.fmul).toBeGreaterThan(1000);
  });

  it('linux-x64-gnu installs and runs without cargo on PATH', () => {
    expect(spawnSync('cargo', ['--version'], { env }).status).not.toBe(0);
    const app = install(packed.main, packed.platforms['linux-x64-gnu'], 'x64');
    apps.push(app);
    expect(existsSync(path.join(app, 'node_modules/diffrg-linux-x64-gnu/diffrg.linux-x64-gnu.node'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/diffrg/native/diffrg.linux-x64-gnu.node'))).toBe(false);

    const help = spawnSync('npx', ['--no-install', 'diffrg', '--help'], { cwd: app, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: diffrg/);

    const api = spawnSync(process.execPath, ['-e', script], { cwd: app, env, encoding: 'utf8' });
    expect(api.status, api.stderr).toBe(0);
    const res = JSON.parse(api.stdout);
    expect(res.n).toBe(64);
    expect(res.s0).toBeCloseTo(Math.log(64), 6);
  });

  it('linux-arm64-gnu installs and runs under qemu with an arm64 node', () => {
    // Installs qemu-user-static and extracts Debian's arm64 nodejs under .cross/ (as root), or fails saying why.
    const qemuNode = execFileSync('bash', [path.join(root, 'scripts/arm64-node.sh'), path.join(root, '.cross/arm64-root')], { encoding: 'utf8' }).trim().split(' ');
    const app = install(packed.main, packed.platforms['linux-arm64-gnu'], 'arm64');
    apps.push(app);
    expect(existsSync(path.join(app, 'node_modules/diffrg-linux-arm64-gnu/diffrg.linux-arm64-gnu.node'))).toBe(true);

    const api = spawnSync(qemuNode[0], [...qemuNode.slice(1), '-e', script], { cwd: app, env, encoding: 'utf8' });
    expect(api.status, api.stderr).toBe(0);
    const res = JSON.parse(api.stdout);
    expect(res.arch).toBe('arm64');
    expect(res.n).toBe(64);
    expect(res.s0).toBeCloseTo(Math.log(64), 6);

    const help = spawnSync(qemuNode[0], [...qemuNode.slice(1), 'node_modules/diffrg/bin/diffrg.js', '--help'], { cwd: app, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: diffrg/);
  });
});
