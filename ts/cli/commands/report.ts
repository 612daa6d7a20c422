/**
 * `diffrg report DIR [--png] [--json]`: DIR/report.html (self-contained, inline SVG) and
 * DIR/figures/<name>.svg from the stage records of `diffrg analyze` or `diffrg demo --out DIR`.
 */
import type { Command } from 'commander';
import { writeReport } from '../../report';
import { info, printJson } from '../common';

export function register(program: Command): void {
  program
    .command('report')
    .description('write DIR/report.html and DIR/figures/*.svg from an analysis directory (diffrg analyze / diffrg demo --out)')
    .argument('<dir>', 'analysis directory (has manifest.json)')
    .option('--png', 'also write figures/<name>.png')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(async (dir: string, o: { png?: boolean; json?: boolean }) => {
      const r = await writeReport(dir, { png: o.png });
      if (o.json) {
        printJson({ report: r.report, figures: r.figures });
        return;
      }
      info(`wrote ${r.report} with ${Object.keys(r.figures).length} figures (${Object.keys(r.figures).join(', ')})`);
    });
}
