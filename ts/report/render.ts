/**
 * Figures as Vega-Lite specifications, rendered headless in Node: `vega-lite` compiles a spec
 * to Vega, `vega` renders the scenegraph to SVG (`view.toSVG()`, no DOM, no canvas), and
 * `@resvg/resvg-js` rasterises that SVG to PNG. See docs/report.md for why this stack.
 *
 * vega and vega-lite are ES modules; this CommonJS package loads them with a dynamic import
 * on the first render (and only then: commands that draw nothing never load them).
 */
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { InvalidInputError } from '../errors';

/** A Vega-Lite spec (the public JSON grammar; users can restyle a figure by editing it). Checked by vega-lite's compiler. */
export type FigureSpec = Record<string, unknown>;

type Vega = typeof import('vega', { with: { 'resolution-mode': 'import' } });
type VegaLite = typeof import('vega-lite', { with: { 'resolution-mode': 'import' } });
let libs: Promise<{ vega: Vega; vl: VegaLite }> | undefined;

function load(): Promise<{ vega: Vega; vl: VegaLite }> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return libs;
}

/** The house style every figure shares (fonts, sizes); one place to restyle them all. */
export const FIGURE_CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eeeeee' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 14, anchor: 'start' as const },
  view: { stroke: '#888888' },
};

/** Renders a Vega-Lite spec to a standalone SVG document (no scripts, no external references). */
export async function renderSvg(spec: FigureSpec): Promise<string> {
  const { vega, vl } = await load();
  let compiled;
  try {
    compiled = vl.compile({ ...spec, config: { ...FIGURE_CONFIG, ...(spec.config as object | undefined) } } as unknown as TopLevelSpec).spec;
  } catch (err) {
    // a spec Vega-Lite cannot compile is the caller's input, not a bug
    throw new InvalidInputError(`renderSvg: spec: ${(err as Error).message.split('\n')[0].slice(0, 200)}`, { cause: err });
  }
  // renderer 'none': no canvas or DOM; toSVG walks the scenegraph with vega's SVG string renderer
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    return svg.endsWith('\n') ? svg : svg + '\n';
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG document to PNG at `scale` x its CSS pixel size (system fonts for text). */
export function renderPng(svg: string, scale = 2): Uint8Array {
  // a native addon: loaded on the first PNG only
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
