/**
 * The README's limits table is generated from ts/limits.ts (scripts/limits-table.mjs) and cannot
 * drift: it must equal the generated one, and every CLI option it names must accept the bound
 * and refuse one more with a usage error that states it. The error section states the memory
 * budget's default, option and environment variable.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Command, Option } from 'commander';
import { root } from './helpers';

const require = createRequire(import.meta.url);
const { LIMITS, LIMIT_USES, limitsTable }: typeof import('../dist/limits') = require('../dist/limits.js');
const { buildProgram }: typeof import('../dist/cli/index') = require('../dist/cli/index.js');

const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README limits and memory budget', () => {
  it('the limits table is the one generated from ts/limits.ts (run `node scripts/limits-table.mjs --write` after changing it)', () => {
    const m = /<!-- limits: generated[^>]*-->\n([\s\S]*?)<!-- \/limits -->/.exec(readme);
    expect(m, 'README.md has no limits block').not.toBeNull();
    expect(m![1]).toBe(limitsTable());
    for (const v of Object.values(LIMITS)) expect(m![1]).toContain(v.toLocaleString('en-US'));
  });

  it('every CLI option of the table accepts its bound and refuses one more, stating the bound', () => {
    const program = buildProgram();
    for (const [key, use] of Object.entries(LIMIT_USES) as [keyof typeof LIMITS, (typeof LIMIT_USES)[keyof typeof LIMITS]][]) {
      for (const spec of use.cli) {
        const words = spec.split(' ');
        const flag = words.pop()!;
        let cmd: Command = program;
        for (const w of words) cmd = cmd.commands.find((c) => c.name() === w)!;
        expect(cmd, spec).toBeDefined();
        const opt = cmd.options.find((o: Option) => o.long === flag);
        expect(opt, spec).toBeDefined();
        const parse = (v: string) => opt!.parseArg!(v, undefined as never);
        expect(parse(String(LIMITS[key])), spec).toBe(LIMITS[key]);
        expect(() => parse(String(LIMITS[key] + 1)), spec).toThrow(new RegExp(`${flag} must be an integer in \\[\\d+, ${LIMITS[key]}\\]`));
      }
    }
  });

  it('the error section states the memory budget: default, option and environment variable', () => {
    expect(readme).toMatch(/half the machine's physical memory by default/);
    expect(readme).toMatch(/--memory 8G/);
    expect(readme).toMatch(/DIFFRG_MEMORY_BUDGET=8G/);
  });
});
