// Prints the limits table of the README from ts/limits.ts (built: dist/limits.js), or with
// --write replaces the block between the limits markers in README.md.
//
//   npm run build:ts && node scripts/limits-table.mjs --write
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { limitsTable } = require('../dist/limits.js');
const BEGIN = '<!-- limits: generated from ts/limits.ts by scripts/limits-table.mjs; do not edit -->';
const END = '<!-- /limits -->';
const table = limitsTable();
if (!process.argv.includes('--write')) {
  process.stdout.write(table);
} else {
  const file = new URL('../README.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error('README.md has no limits markers');
  writeFileSync(file, text.slice(0, a + BEGIN.length) + '\n' + table + text.slice(b));
}
