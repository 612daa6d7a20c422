/**
 * The release workflow (.github/workflows/release.yml) builds and tests every target of
 * package.json's napi.targets: it cannot run here, so at least its matrices must not drift.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { root } from './helpers';

const yml = readFileSync(path.join(root, '.github/workflows/release.yml'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const field = (text: string, key: string) => [...text.matchAll(new RegExp(`\\{ (?:[a-z]+: [^,}]+, )*${key}: ([^,} ]+)`, 'g'))].map((m) => m[1]).sort();

describe('release workflow', () => {
  const build = yml.slice(yml.indexOf('\n  build:'), yml.indexOf('\n  pack:'));
  const test = yml.slice(yml.indexOf('\n  test:'), yml.indexOf('\n  publish:'));

  it('builds every target of package.json, once', () => {
    expect(field(build, 'target')).toEqual([...pkg.napi.targets].sort());
  });

  it('tests every platform package it builds', () => {
    const platforms = field(build, 'platform');
    expect(platforms).toHaveLength(pkg.napi.targets.length);
    expect(field(test, 'platform')).toEqual(platforms);
  });

  it('builds the Linux targets with scripts/cross.mjs, as npm run package does', async () => {
    const { CROSS_TARGETS } = await import(path.join(root, 'scripts/cross.mjs'));
    for (const [platform, triple] of Object.entries(CROSS_TARGETS as Record<string, string>)) {
      expect(build).toContain(`{ target: ${triple}, platform: ${platform}, runner: ubuntu-latest, cross: true }`);
    }
  });
});
