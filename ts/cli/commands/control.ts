/**
 * `diffrg control lif`: the coarse-to-fine closed-loop demonstration (docs/control.md).
 *
 *   diffrg control lif [--assemblies 4] [--assembly-size 100] [--inhibitory 100] [--observe 0.3]
 *     [--target-assembly 0] [--target-rate 20] [--duration 6] [--id-duration 60] [--seed 1]
 *     [--controller lqr|mpc] [--out DIR] [--json]
 *
 * With --out, DIR/trajectory.csv (time_s, reference_hz, assembly rates, drives of the closed
 * loop) and DIR/control.svg (target, rates and drive) are written atomically.
 */
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { simulateLifClosedLoop, simulateLifSchedule, readSchedule, closedLoopSummary, type ClosedLoopResult, type CustomRun } from '../../control';
import { writeFilesAtomic } from '../../io/atomic';
import { addCommonOptions, info, intOption, numberOption, printJson, seedOption, withProgress } from '../common';

interface Opts {
  assemblies: number;
  assemblySize: number;
  inhibitory: number;
  observe: number;
  targetAssembly: number;
  targetRate: number;
  duration: number;
  idDuration: number;
  seed: number;
  controller: 'lqr' | 'mpc';
  schedule?: string;
  out?: string;
  threads?: number;
  json?: boolean;
}

/** Trajectory CSV of the closed-loop run. */
export function trajectoryCsv(r: ClosedLoopResult): string {
  const c = r.closedLoop;
  const a = r.assemblies;
  const m = r.channels;
  const head = ['time_s', 'reference_hz', ...Array.from({ length: a }, (_, i) => `assembly${i}_hz`), ...Array.from({ length: m }, (_, i) => `drive${i}_hz`)];
  const lines = [head.join(',')];
  for (let p = 0; p < c.periods; p++) {
    const row = [(p * r.period).toFixed(4), c.reference[p].toFixed(4)];
    for (let i = 0; i < a; i++) row.push(c.rates[p * a + i].toFixed(3));
    for (let i = 0; i < m; i++) row.push(c.drive[p * m + i].toFixed(3));
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}

/** Trajectory CSV of an open-loop (schedule) run: time, assembly rates, drives. */
export function runCsv(r: CustomRun): string {
  const { assemblies: a, channels: m } = r;
  const head = ['time_s', ...Array.from({ length: a }, (_, i) => `assembly${i}_hz`), ...Array.from({ length: m }, (_, i) => `drive${i}_hz`)];
  const lines = [head.join(',')];
  for (let p = 0; p < r.periods; p++) {
    const row = [(p * r.period).toFixed(4)];
    for (let i = 0; i < a; i++) row.push(r.rates[p * a + i].toFixed(3));
    for (let i = 0; i < m; i++) row.push(r.drive[p * m + i].toFixed(3));
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}

/** SVG plot: assembly rates (100 ms means) with the target's reference, and the drives below. */
export function controlSvg(r: ClosedLoopResult): string {
  const c = r.closedLoop;
  const a = r.assemblies;
  const m = r.channels;
  const w = 720;
  const h = 220;
  const pad = 40;
  const win = Math.max(1, Math.round(0.1 / r.period));
  const t = (p: number) => pad + ((w - 2 * pad) * p) / Math.max(1, c.periods - 1);
  const smooth = (get: (p: number) => number) => {
    const out: [number, number][] = [];
    for (let p = 0; p + win <= c.periods; p += win) {
      let s = 0;
      for (let q = p; q < p + win; q++) s += get(q);
      out.push([p + win / 2, s / win]);
    }
    return out;
  };
  const colors = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];
  const panel = (y0: number, series: { pts: [number, number][]; color: string; dash?: boolean }[], label: string) => {
    const max = Math.max(1, ...series.flatMap((s) => s.pts.map((p) => p[1])));
    const y = (v: number) => y0 + h - pad / 2 - ((h - pad) * v) / max;
    const lines = series
      .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dash ? ' stroke-dasharray="5,3"' : ''} points="${s.pts.map(([p, v]) => `${t(p).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`)
      .join('\n');
    return `<text x="${pad}" y="${y0 + 14}" font-size="12">${label} (max ${max.toFixed(0)})</text>\n<line x1="${pad}" y1="${y(0)}" x2="${w - pad}" y2="${y(0)}" stroke="#999"/>\n${lines}`;
  };
  const rates = Array.from({ length: a }, (_, i) => ({ pts: smooth((p) => c.rates[p * a + i]), color: colors[i % colors.length] }));
  const ref = { pts: Array.from({ length: c.periods }, (_, p) => [p, c.reference[p]] as [number, number]), color: '#000', dash: true };
  const drive = Array.from({ length: m }, (_, i) => ({ pts: smooth((p) => c.drive[p * m + i]), color: colors[i % colors.length] }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${2 * h}" font-family="sans-serif">
${panel(0, [...rates, ref], `assembly rates (Hz, 100 ms means; dashed: target assembly ${r.targetAssembly} reference), ${r.controller}`)}
${panel(h, drive, 'drive per channel (Hz of Poisson input)')}
<text x="${w / 2}" y="${2 * h - 4}" font-size="11" text-anchor="middle">time (s), ${(c.periods * r.period).toFixed(1)} s</text>
</svg>
`;
}

export function register(program: Command): void {
  const ctl = program.command('control').description('coarse-to-fine control of simulated networks (docs/control.md)');
  addCommonOptions(
    ctl
      .command('lif')
      .description('identify coarse dynamics of a clustered LIF network and steer one assembly to a target rate in closed loop')
      .addOption(new Option('--assemblies <k>', 'excitatory assemblies (one drive channel each)').argParser(intOption('--assemblies')).default(4))
      .addOption(new Option('--assembly-size <n>', 'excitatory neurons per assembly').argParser(intOption('--assembly-size', 2)).default(100))
      .addOption(new Option('--inhibitory <n>', 'inhibitory neurons').argParser(intOption('--inhibitory')).default(100))
      .addOption(new Option('--observe <fraction>', 'fraction of neurons observed').argParser(numberOption('--observe', true)).default(0.3))
      .addOption(new Option('--target-assembly <i>', 'assembly to steer (0-based)').argParser(intOption('--target-assembly', 0)).default(0))
      .addOption(new Option('--target-rate <hz>', 'target rate (Hz)').argParser(numberOption('--target-rate')).default(20))
      .addOption(new Option('--duration <seconds>', 'control run (step at 2 s)').argParser(numberOption('--duration', true)).default(6))
      .addOption(new Option('--id-duration <seconds>', 'identification run').argParser(numberOption('--id-duration', true)).default(60))
      .addOption(new Option('--seed <s>', 'random seed').argParser(seedOption()).default(1))
      .addOption(new Option('--controller <kind>', 'built-in controller').choices(['lqr', 'mpc']).default('lqr'))
      .option('--schedule <file>', 'open loop instead: drive from a time_s,channel,value CSV (or N x 3 NPY) for --duration seconds')
      .option('--out <dir>', 'write trajectory.csv and control.svg into DIR'),
  ).action(async (o: Opts) => {
    const network = { assemblies: o.assemblies, assemblySize: o.assemblySize, inhibitory: o.inhibitory, observe: o.observe, duration: o.duration, seed: o.seed, threads: o.threads };
    if (o.schedule) {
      const schedule = readSchedule(o.schedule);
      const run = await withProgress('open loop', (onProgress) => simulateLifSchedule({ ...network, stepTime: Math.min(2, o.duration - 1), onProgress }, schedule));
      if (o.out) await writeFilesAtomic([{ file: path.join(o.out, 'trajectory.csv'), data: runCsv(run) }]);
      const mean = Array.from({ length: run.assemblies }, (_, a) => {
        let s = 0;
        for (let p = 0; p < run.periods; p++) s += run.rates[p * run.assemblies + a];
        return s / Math.max(1, run.periods);
      });
      const summary = { schedule: { file: o.schedule, rows: schedule.time.length }, periods: run.periods, period: run.period, meanRateHz: mean };
      if (o.json) printJson(summary);
      else info(`open loop from ${o.schedule} (${schedule.time.length} rows): mean assembly rates ${mean.map((x) => x.toFixed(2)).join(', ')} Hz`);
      return;
    }
    const r = await withProgress('control', (onProgress) =>
      simulateLifClosedLoop(
        {
          assemblies: o.assemblies,
          assemblySize: o.assemblySize,
          inhibitory: o.inhibitory,
          observe: o.observe,
          targetAssembly: o.targetAssembly,
          targetRate: o.targetRate,
          duration: o.duration,
          idDuration: o.idDuration,
          seed: o.seed,
          threads: o.threads,
          onProgress,
        },
        o.controller,
      ),
    );
    if (o.out) {
      await writeFilesAtomic([
        { file: path.join(o.out, 'trajectory.csv'), data: trajectoryCsv(r) },
        { file: path.join(o.out, 'control.svg'), data: controlSvg(r) },
      ]);
    }
    const s = closedLoopSummary(r);
    if (o.json) {
      printJson(s);
      return;
    }
    const f = (x: number, d = 2) => x.toFixed(d);
    info(
      `identification: ${s.identification.communities} communities (ARI ${f(s.identification.ari)}), held-out R2 ${f(s.identification.predictionR2, 3)}\n` +
        `closed loop (${s.controller}): final error ${f(100 * s.closedLoop.finalErrorFraction, 1)}% of the ${f(s.stepHz, 1)} Hz step, off-target ${f(s.closedLoop.offTargetMaxHz)} Hz, RMS ${f(s.closedLoop.rmsErrorHz)} Hz\n` +
        `open loop (static inverse): RMS ${f(s.openLoop.rmsErrorHz)} Hz; random partition: off-target ${f(s.randomPartition.offTargetMaxHz)} Hz` +
        (s.reachable ? '' : `\nthe target is out of reach within the drive bounds (drive saturated in ${f(100 * s.saturatedFraction, 0)}% of the last second): the loop holds the nearest reachable set point`),
    );
  });
}
