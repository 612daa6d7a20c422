/** `diffrg demo`: prints the demo pipeline of ts/demo.ts (`runDemo`), with no arguments. */
import { type Command, Option } from 'commander';
import { runDemo } from '../../demo';
import { addCommonOptions, info, printJson, progress, seedOption } from '../common';

export { runDemo, DEMO_NETWORK } from '../../demo';

interface Opts {
  json?: boolean;
  out?: string;
  png?: boolean;
  threads?: number;
  seed: number;
}

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('demo')
      .description('run the end-to-end pipeline (simulate, infer, communities, Laplacian RG, tensor network) on generated data')
      .addOption(new Option('--seed <S>', 'random seed of the whole pipeline').argParser(seedOption()).default(1))
      .option('--out <dir>', 'also write the analysis records and report.html with figures into DIR (see diffrg report)')
      .option('--png', 'with --out: PNG figures too'),
  ).action(async (opts: Opts) => {
    // Text mode prints every step's line as soon as it is computed (the progress output);
    // --json prints one document at the end, with a progress bar on a terminal's stderr.
    if (opts.json) {
      const bar = progress('demo', 7);
      const summary = await runDemo({ seed: opts.seed, threads: opts.threads, out: opts.out, png: opts.png, onStep: (k) => bar.update(k) });
      bar.stop();
      printJson(summary);
      return;
    }
    info(`diffrg demo (seed ${opts.seed}): from spikes to renormalized graphs and joint probabilities\n`);
    const summary = await runDemo({ seed: opts.seed, threads: opts.threads, out: opts.out, png: opts.png, onLine: (line) => console.log(line) });
    info(`\ndone in ${summary.seconds.toFixed(1)} s`);
  });
}
