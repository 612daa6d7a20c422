// A small reader of 64-bit little-endian ELF shared objects (x86-64 and AArch64 Linux), for the
// packaging checks: which libraries and symbol versions a prebuilt `.node` needs (its glibc
// floor) and the machine code of its functions (NEON use on arm64). No binutils needed, so the
// checks run on a machine without a cross toolchain.
//
//   node scripts/elf.mjs FILE.node    prints {"machine", "needed", "versions", "glibc"}
import { readFileSync } from 'node:fs';

const MACHINES = { 62: 'x86_64', 183: 'aarch64' };
const SHT_SYMTAB = 2;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NEEDED = 1;

/** Parses the section headers, dynamic section, version needs and symbols of `buf`. */
export function readElf(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('only 64-bit little-endian ELF is supported');
  const machine = MACHINES[buf.readUInt16LE(18)] ?? `machine ${buf.readUInt16LE(18)}`;
  const shoff = Number(buf.readBigUInt64LE(40));
  const shentsize = buf.readUInt16LE(58);
  const shnum = buf.readUInt16LE(60);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      name: buf.readUInt32LE(o),
      type: buf.readUInt32LE(o + 4),
      addr: Number(buf.readBigUInt64LE(o + 16)),
      offset: Number(buf.readBigUInt64LE(o + 24)),
      size: Number(buf.readBigUInt64LE(o + 32)),
      link: buf.readUInt32LE(o + 40),
      info: buf.readUInt32LE(o + 44),
    });
  }
  const str = (sec, off) => {
    const start = sections[sec].offset + off;
    return buf.toString('latin1', start, buf.indexOf(0, start));
  };
  const shstrndx = buf.readUInt16LE(62);
  for (const s of sections) s.name = str(shstrndx, s.name);

  const needed = [];
  const versions = {};
  const symbols = [];
  sections.forEach((s) => {
    if (s.type === SHT_DYNAMIC) {
      for (let o = s.offset; o < s.offset + s.size; o += 16) {
        if (Number(buf.readBigInt64LE(o)) === DT_NEEDED) needed.push(str(s.link, Number(buf.readBigUInt64LE(o + 8))));
      }
    } else if (s.type === SHT_GNU_VERNEED) {
      // Elf64_Verneed { vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 },
      // Elf64_Vernaux { vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 }.
      let o = s.offset;
      for (let n = 0; n < s.info; n++) {
        const file = str(s.link, buf.readUInt32LE(o + 4));
        const list = (versions[file] ??= []);
        let a = o + buf.readUInt32LE(o + 8);
        for (let k = 0; k < buf.readUInt16LE(o + 2); k++) {
          list.push(str(s.link, buf.readUInt32LE(a + 8)));
          a += buf.readUInt32LE(a + 12);
        }
        o += buf.readUInt32LE(o + 12);
      }
    } else if (s.type === SHT_SYMTAB) {
      for (let o = s.offset; o < s.offset + s.size; o += 24) {
        const size = Number(buf.readBigUInt64LE(o + 16));
        if ((buf[o + 4] & 0xf) !== 2 || size === 0) continue; // functions only
        symbols.push({ name: str(s.link, buf.readUInt32LE(o)), addr: Number(buf.readBigUInt64LE(o + 8)), size });
      }
    }
  });
  return { buf, machine, sections, needed, versions, symbols };
}

/** Compares dotted version strings numerically ("2.17" < "2.2.5" is false). */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The newest `GLIBC_x.y` symbol version the object needs from any library, or null. */
export function glibcFloor(elf) {
  const all = Object.values(elf.versions)
    .flat()
    .filter((v) => v.startsWith('GLIBC_') && /^[\d.]+$/.test(v.slice(6)))
    .map((v) => v.slice(6));
  return all.length ? all.sort(compareVersions).at(-1) : null;
}

/**
 * What is wrong with `elf` as the addon of the Linux platform package `target` (e.g.
 * linux-arm64-gnu): another machine, a glibc symbol version newer than `floor` (gnu), or a
 * dependency on glibc at all (musl). Empty when nothing is.
 */
export function linuxProblems(elf, target, floor) {
  const problems = [];
  const machine = target.startsWith('linux-arm64') ? 'aarch64' : 'x86_64';
  if (elf.machine !== machine) problems.push(`is ${elf.machine}, not ${machine}`);
  if (target.endsWith('-gnu')) {
    const g = glibcFloor(elf);
    if (!elf.needed.includes('libc.so.6')) problems.push(`does not link glibc (${elf.needed.join(', ')})`);
    if (g && compareVersions(g, floor) > 0) problems.push(`needs GLIBC_${g}, newer than ${floor}`);
  }
  if (target.endsWith('-musl') && (elf.needed.includes('libc.so.6') || glibcFloor(elf))) problems.push(`links glibc (${elf.needed.join(', ')})`);
  return problems;
}

/** The 32-bit instruction words of every function whose symbol name matches `re`. */
export function functionWords(elf, re) {
  const words = [];
  for (const f of elf.symbols.filter((s) => re.test(s.name))) {
    const sec = elf.sections.find((s) => s.addr <= f.addr && f.addr + f.size <= s.addr + s.size && s.name === '.text');
    if (!sec) continue;
    const start = sec.offset + (f.addr - sec.addr);
    for (let o = start; o + 4 <= start + f.size; o += 4) words.push(elf.buf.readUInt32LE(o));
  }
  return words;
}

// AArch64 Advanced SIMD (NEON) arithmetic on two doubles (`.2d`), by encoding:
// FADD/FSUB/FMUL (vector) are 0 Q U 01110 0 sz 1 Rm opcode 1 Rn Rd with Q = 1, sz = 1.
const NEON_2D = { fadd: 0x4e60d400, fsub: 0x4ee0d400, fmul: 0x6e60dc00 };

/** Counts of NEON `fadd/fsub/fmul v.2d` instructions among `words`. */
export function neon2dCounts(words) {
  const counts = Object.fromEntries(Object.keys(NEON_2D).map((k) => [k, 0]));
  for (const w of words) for (const [k, code] of Object.entries(NEON_2D)) if ((w & 0xffe0fc00) >>> 0 === code) counts[k]++;
  return counts;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const elf = readElf(readFileSync(process.argv[2]));
  console.log(JSON.stringify({ machine: elf.machine, needed: elf.needed, versions: elf.versions, glibc: glibcFloor(elf) }, null, 2));
}
