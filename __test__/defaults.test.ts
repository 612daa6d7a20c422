/**
 * Defaults are written once, in the core: the binding's `defaults()` table is built from the Rust
 * `Default` impls, the CLI's option defaults read it, and the facade's `@default` docs state it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Command, Option } from 'commander';
import { diffrg, root } from './helpers';

const require = createRequire(import.meta.url);
const { buildProgram }: typeof import('../dist/cli/index') = require('../dist/cli/index.js');
const D = diffrg.DEFAULTS;

function cliDefaults(...names: string[]): Map<string, unknown> {
  let cmd: Command = buildProgram();
  for (const n of names) cmd = cmd.commands.find((c) => c.name() === n)!;
  return new Map(cmd.options.map((o: Option) => [o.long!, o.defaultValue]));
}

/** `@default` values of the simple (number, quoted string, boolean) options of an interface. */
function docDefaults(file: string, iface: string): Map<string, string> {
  const src = readFileSync(path.join(root, 'ts', file), 'utf8');
  const body = src.slice(src.indexOf(`export interface ${iface}`));
  const block = body.slice(0, body.indexOf('\n}\n'));
  const out = new Map<string, string>();
  for (const m of block.matchAll(/@default ([-\w.']+) \*\/\s*\n\s*(\w+)\?:/g)) out.set(m[2], m[1].replace(/'/g, ''));
  return out;
}

describe('one defaults table', () => {
  it('the CLI option defaults of mps fit and dtnr are the core defaults', () => {
    const fit = cliDefaults('mps', 'fit');
    expect(fit.get('--chi')).toBe(D.mpsFit.chi);
    expect(fit.get('--seed')).toBe(D.mpsFit.seed);
    expect(fit.get('--heldout')).toBe(D.mpsFit.heldout);
    expect(fit.get('--validation')).toBe(D.mpsFit.validation);
    expect(fit.get('--kind')).toBe(D.mpsFit.kind);
    const dt = cliDefaults('dtnr');
    expect(dt.get('--chi')).toBe(D.dtnr.chi);
    expect(dt.get('--block')).toBe(D.dtnr.block);
    expect(dt.get('--block-cap')).toBe(D.dtnr.cap);
    expect(dt.get('--steps')).toBe(D.dtnr.flowSteps);
    expect(dt.get('--fraction')).toBe(D.dtnr.flowFraction);
    expect(dt.get('--heldout')).toBe(D.dtnr.heldout);
    expect(dt.get('--samples')).toBe(D.dtnr.samples);
    expect(dt.get('--seed')).toBe(D.dtnr.seed);
    expect(dt.get('--kind')).toBe(D.dtnr.kind);
  });

  it("the facade's @default docs state the core defaults", () => {
    const checks: [string, string, Record<string, unknown>][] = [
      ['mps.ts', 'MpsFitOptions', D.mpsFit],
      ['dtnr.ts', 'DtnrOptions', D.dtnr],
    ];
    let compared = 0;
    for (const [file, iface, table] of checks) {
      for (const [key, doc] of docDefaults(file, iface)) {
        if (!(key in table) || Array.isArray(table[key])) continue;
        expect(doc, `${file} ${iface}.${key}`).toBe(String(table[key]));
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(10);
  });

  it('the table is what the core does when an option is left out', async () => {
    const rows = 60;
    const data = new Uint8Array(rows * 3).map((_, i) => (i * 7919) % 3 === 0 ? 1 : 0);
    const r = await diffrg.fitMps({ data, sites: 3, rows }, { baselines: false });
    expect(r.chi).toBe(D.mpsFit.chi);
    expect(r.nHeldout).toBe(Math.floor(rows * D.mpsFit.heldout));
    expect(D.rgFlow.steps).toBeGreaterThan(0);
    expect(D.mpsCompress.maxBond).toBe(D.mpsFit.chi);
  });
});
