/**
 * The HTML report in a real browser: Debian's Chromium driven headless by playwright-core (which
 * downloads no browser). The setup installs the `chromium` package when /usr/bin/chromium is
 * missing (CI runs as root on a fresh Debian machine); if that is impossible the spec FAILS with
 * the reason, it never skips. Checks: the report of a small analysis loads with no console
 * errors and no request leaving the page, every figure is present and drawn, screenshots are
 * not blank, and every SVG is well-formed XML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { chromium, type Browser, type Page } from 'playwright-core';
import { diffrg } from './helpers';
import { calciumNpy } from './report-fixtures';

const CHROMIUM = process.env.DIFFRG_CHROMIUM ?? '/usr/bin/chromium';
const FIGURES = ['raster', 'coupling', 'scan', 'flow', 'mps', 'dtnr', 'dynamics'];

/** Installs Debian's chromium when it is missing; throws (failing the spec) when it cannot. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const hint = `the browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set DIFFRG_CHROMIUM)`;
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) throw new Error(`${hint}; this machine has no apt-get to install it`);
  const root = process.getuid?.() === 0;
  const prefix = root ? [] : ['sudo', '-n'];
  // wait for another apt run (a parallel job) instead of failing on its lock
  const apt = ['apt-get', '-o', 'DPkg::Lock::Timeout=600', '-o', 'Acquire::Retries=3'];
  for (const args of [[...apt, 'update'], [...apt, 'install', '-y', '--no-install-recommends', 'chromium']]) {
    const cmd = [...prefix, ...args];
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 540_000 });
    if (r.status !== 0) throw new Error(`${hint}; \`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${hint}; the chromium package installed but ${CHROMIUM} is still missing`);
}

/** Mean and variance of the grey level of a PNG, decoded by the browser itself. */
async function pixelStats(page: Page, png: Buffer): Promise<{ mean: number; variance: number; width: number; height: number }> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    let q = 0;
    for (let i = 0; i < d.length; i += 4) {
      const g = (d[i] + d[i + 1] + d[i + 2]) / 3;
      s += g;
      q += g * g;
    }
    const n = d.length / 4;
    return { mean: s / n, variance: q / n - (s / n) ** 2, width: c.width, height: c.height };
  }, png.toString('base64'));
}

describe('the HTML report in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diffrg-browser-'));
  const out = join(dir, 'analysis');
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const external: string[] = [];

  beforeAll(async () => {
    ensureChromium();
    const input = join(dir, 'calcium.npy');
    writeFileSync(input, await calciumNpy());
    await diffrg.analyze(input, {
      out,
      threads: 2,
      config: { infer: { binSeconds: 0.1 }, scan: { tauCount: 40 }, mps: { sites: 12, maxHalfSweeps: 2 }, dtnr: { samples: 500, maxHalfSweeps: 2 } },
    });
    // root (CI) cannot use Chromium's setuid sandbox
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (!external.includes(r.url())) problems.push(`request failed: ${r.url()}`);
    });
    // the report must need nothing but itself: every non-file request is refused and recorded
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console errors and no request outside the page', () => {
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  });

  it('shows every figure, drawn and captioned', async () => {
    const figs = await page.$$eval('figure[data-figure]', (els) =>
      els.map((e) => {
        const svg = e.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          name: e.getAttribute('data-figure'),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: svg ? svg.querySelectorAll('path, line, rect, circle, text').length : 0,
          axisTitles: svg ? Array.from(svg.querySelectorAll('.role-axis-title text'), (t) => t.textContent ?? '') : [],
          caption: e.querySelector('figcaption')?.textContent ?? '',
        };
      }),
    );
    expect(figs.map((f) => f.name)).toEqual(FIGURES);
    for (const f of figs) {
      expect(f.width, f.name!).toBeGreaterThan(200);
      expect(f.height, f.name!).toBeGreaterThan(100);
      expect(f.marks, f.name!).toBeGreaterThan(20);
      expect(f.axisTitles.length, f.name!).toBeGreaterThanOrEqual(2);
      expect(f.caption.length, f.name!).toBeGreaterThan(60);
    }
    // axis titles carry units where the quantity has one
    const titles = figs.flatMap((f) => f.axisTitles).join(' | ');
    expect(titles).toContain('bits');
    expect(titles).toMatch(/τ/);
  });

  it('screenshots of the page and of each figure are not blank', async () => {
    const full = await pixelStats(page, await page.screenshot({ fullPage: true }));
    expect(full.height).toBeGreaterThan(1500);
    expect(full.variance).toBeGreaterThan(100);
    for (const name of FIGURES) {
      const shot = await page.locator(`figure[data-figure="${name}"] .plot`).screenshot();
      const s = await pixelStats(page, shot);
      // a blank (all-white) figure has variance 0; drawn marks and text give hundreds
      expect(s.variance, name).toBeGreaterThan(50);
      expect(s.mean, name).toBeLessThan(254);
    }
  });

  it('every SVG is well-formed XML', () => {
    const svgs = readdirSync(join(out, 'figures')).filter((f) => f.endsWith('.svg'));
    expect(svgs.sort()).toEqual(FIGURES.map((f) => `${f}.svg`).sort());
    for (const f of svgs) expect(XMLValidator.validate(readFileSync(join(out, 'figures', f), 'utf8')), f).toBe(true);
    // the strict parser does reject broken markup (the check can fail)
    expect(XMLValidator.validate('<svg><g></svg>')).not.toBe(true);
  });
});
