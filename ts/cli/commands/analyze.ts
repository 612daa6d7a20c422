/**
 * `diffrg analyze <recording> --out DIR [--config analyze.json] [--force] [--png] [--json]`:
 * the whole pipeline from a recording to `DIR/report.html`, every stage cached in DIR
 * (ts/analyze). `diffrg analyze --print-config` writes every stage's options with defaults.
 */
import type { Command } from 'commander';
import { analyze, defaultConfig, readConfig, STAGES, type AnalyzeConfig } from '../../analyze';
import { addCommonOptions, info, printJson, progress, UsageError, warn } from '../common';

interface Opts {
  out?: string;
  config?: string;
  force?: boolean;
  png?: boolean;
  printConfig?: boolean;
  json?: boolean;
  threads?: number;
}

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('analyze')
      .description('recording -> inferred graph -> communities -> Laplacian RG -> MPS/DTNR -> HTML report, every stage cached in DIR')
      .argument('[recording]', 'activity: CSV/TSV spike table, NPY/NPZ spikes or dense raster, NWB Units or RoiResponseSeries')
      .option('--out <dir>', 'output directory (stage records, manifest.json, figures/, report.html)')
      .option('--config <file.json>', 'stage options (see --print-config); missing ones keep their defaults')
      .option('--force', 'recompute every stage')
      .option('--png', 'also write PNG figures (same as report.png in the config)')
      .option('--print-config', 'print every stage option with its default as JSON and exit'),
  ).action(async (recording: string | undefined, o: Opts) => {
    if (o.printConfig) {
      process.stdout.write(JSON.stringify(defaultConfig(), null, 2) + '\n');
      return;
    }
    if (!recording) throw new UsageError('a recording is required (or --print-config)');
    if (!o.out) throw new UsageError('--out <dir> is required');
    const config: AnalyzeConfig = o.config ? readConfig(o.config) : defaultConfig();
    if (o.png) config.report.png = true;
    const bar = progress('analyze', STAGES.length);
    let summary: Awaited<ReturnType<typeof analyze>>;
    try {
      summary = await analyze(recording, {
        out: o.out,
        config,
        force: o.force,
        threads: o.threads,
        onStage: (e) => {
          bar.update(e.state === 'start' ? e.index : e.index + 1, undefined, e.stage);
        },
      });
    } finally {
      bar.stop();
    }
    for (const w of summary.warnings) warn(w);
    if (o.json) {
      printJson(summary);
      return;
    }
    for (const s of summary.stages) info(`${s.stage.padEnd(12)} ${s.status}${s.status === 'ran' ? ` (${s.seconds.toFixed(1)} s)` : ''}${s.reason ? `: ${s.reason}` : ''}`);
    if (summary.negativePolicy) info(`negative couplings: ${summary.negativePolicy.policy} (${summary.negativePolicy.negativeEdges} of ${summary.negativePolicy.keptEdges} kept couplings)`);
    info(`report: ${summary.report} (${Object.keys(summary.figures).length} figures) in ${summary.seconds.toFixed(1)} s`);
  });
}
