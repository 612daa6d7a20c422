/**
 * Packaging: the main tarball plus the linux-x64-gnu platform tarball install into an empty
 * directory with no Rust toolchain on PATH, and the CLI and the API work from there.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { root } from './helpers';

const supported = process.platform === 'linux' && process.arch === 'x64';

describe.runIf(supported)('prebuilt packages', () => {
  it('install and run without cargo on PATH', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'diffrg-pack-'));
    const app = mkdtempSync(path.join(tmpdir(), 'diffrg-app-'));
    try {
      const packed = execFileSync(process.execPath, [path.join(root, 'scripts/package.mjs'), '--out', out], { encoding: 'utf8' });
      const { main, platform } = JSON.parse(packed.trim().split('\n').pop()!);
      expect(existsSync(main) && existsSync(platform)).toBe(true);

      // PATH keeps node and npm but no cargo/rustc.
      const nodeDir = path.dirname(process.execPath);
      const env = { ...process.env, PATH: [nodeDir, '/usr/bin', '/bin'].join(path.delimiter), CARGO: '/nonexistent', RUSTUP_HOME: '/nonexistent' };
      expect(spawnSync('cargo', ['--version'], { env }).status).not.toBe(0);
      writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
      // The other platforms' packages are not published from this machine: omit optional deps
      // and install this platform's package explicitly, as npm would pick it on this machine.
      const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', main, platform], { cwd: app, env, encoding: 'utf8' });
      expect(install.status, install.stderr).toBe(0);
      expect(existsSync(path.join(app, 'node_modules/diffrg/native/diffrg.linux-x64-gnu.node'))).toBe(false);

      const help = spawnSync('npx', ['--no-install', 'diffrg', '--help'], { cwd: app, env, encoding: 'utf8' });
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/Usage: diffrg/);

      const script = `const d = require('diffrg');
        d.spectralScan(d.Graph.ring(64), { tauMin: 1e-6, tauMax: 1e6, tauCount: 3 })
          .then((r) => console.log(JSON.stringify({ s0: r.entropy[0], n: r.n })));`;
      const api = spawnSync(process.execPath, ['-e', script], { cwd: app, env, encoding: 'utf8' });
      expect(api.status, api.stderr).toBe(0);
      const res = JSON.parse(api.stdout);
      expect(res.n).toBe(64);
      expect(res.s0).toBeCloseTo(Math.log(64), 6);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(app, { recursive: true, force: true });
    }
  });
});
