/** The `diffrg` command line. Each capability registers one subcommand from `commands/`. */
import { Command, CommanderError } from 'commander';
import { ERR_USAGE, EXIT_OK, EXIT_USAGE, reportError, resetWarnings, setProgressContext, warn } from './common';
import { removePendingTempFiles } from '../io/atomic';
import { parseBytes, setMemoryBudget, trackInputs } from '../io/guard';
import { cancelAllNative, MAX_THREADS } from '../run';
import * as demo from './commands/demo';
import * as scan from './commands/scan';
import * as coarseGrain from './commands/coarse-grain';
import * as communities from './commands/communities';
import * as simulate from './commands/simulate';
import * as infer from './commands/infer';
import * as mps from './commands/mps';
import * as dtnr from './commands/dtnr';
import * as analyze from './commands/analyze';
import * as report from './commands/report';
import * as sweep from './commands/sweep';
import * as merge from './commands/merge';
import * as dynamics from './commands/dynamics';
import * as prg from './commands/prg';
import * as control from './commands/control';

/**
 * Whether the command line asks for JSON output (`--json` before a `--` separator): errors are
 * then printed as one JSON object on stderr.
 */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command('diffrg')
    .description('Diffusion-guided renormalization of neural systems (Laplacian RG, tensor networks, graph inference).')
    .version(require('../../package.json').version, '-V, --version')
    .showHelpAfterError(options.json ? false : '(run with --help for usage)')
    .option('-q, --quiet', 'no progress output on stderr (bars on a terminal, periodic lines otherwise)')
    .option('--memory <bytes>', 'memory budget for data declared by input files, e.g. 8G (default: DIFFRG_MEMORY_BUDGET, else half the physical memory)')
    // options after a subcommand belong to it (`sweep status DIR --json` is the status's --json)
    .enablePositionalOptions()
    .exitOverride();
  program.hook('preAction', (_program, action) => {
    // An empty value (`--out ""`) would be skipped silently by the commands' `if (opts.x)`.
    for (const opt of action.options) {
      if (action.getOptionValue(opt.attributeName()) === '') {
        program.error(`error: ${opt.long ?? opt.flags} must not be empty`, { exitCode: 2, code: 'diffrg.usage' });
      }
    }
    // the command's name in the progress lines: `mps fit`, `scan`, ...
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    setProgressContext(names.join(' '), Boolean(program.opts().quiet || action.opts().quiet), Boolean(action.opts().json));
    const memory = program.opts().memory as string | undefined;
    if (memory === undefined) return;
    const bytes = parseBytes(memory);
    if (bytes === undefined) {
      program.error(`error: --memory must be a byte count such as 8G or 512M (got '${memory}')`, { exitCode: 2, code: 'diffrg.usage' });
    }
    setMemoryBudget(bytes);
  });
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    // commander's own parse errors ("error: unknown option '--x'") in the CLI's format
    outputError: (s, write) =>
      write(options.json ? JSON.stringify({ error: { code: ERR_USAGE, message: s.replace(/^error: /, '').trim() } }) + '\n' : s.replace(/^error: /, 'diffrg: usage error: ')),
  });
  for (const mod of [demo, analyze, report, scan, coarseGrain, communities, simulate, infer, mps, dtnr, dynamics, prg, control, sweep, merge]) mod.register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 runtime error, 2 usage error. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const json = wantsJson(argv.slice(2));
  const program = buildProgram({ json });
  const uninstall = installSignalCleanup();
  trackInputs(true);
  resetWarnings();
  for (const name of ['DIFFRG_THREADS', 'SLURM_CPUS_PER_TASK']) {
    const v = process.env[name];
    // the core skips values that are not an integer in 1..MAX_THREADS (exec::parse_threads): say so
    if (v !== undefined && v.trim() !== '' && !(/^\s*\d+\s*$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_THREADS)) {
      warn(`${name}='${v}' ignored (expected an integer in 1..${MAX_THREADS})`);
    }
  }
  if (argv.length <= 2) {
    // no command: the help on stderr, and the usage-error exit code
    process.stderr.write(program.helpInformation());
    uninstall();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(err, json);
  } finally {
    uninstall();
    trackInputs(false);
    setMemoryBudget(undefined);
    setProgressContext('diffrg', false);
  }
}

/**
 * stdout closed by the reader (`diffrg ... --json | head`): stop quietly instead of crashing with
 * an unhandled EPIPE error event.
 */
function onStdoutError(err: NodeJS.ErrnoException): void {
  removePendingTempFiles();
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`diffrg: ERR_IO: cannot write to stdout: ${err.message}\n`);
  process.exit(1);
}

/**
 * On Ctrl-C (SIGINT) or kill (SIGTERM): deletes the temporary files of unfinished atomic writes,
 * prints one line and exits with 128 + the signal number. A closed stdout (EPIPE) ends the run
 * quietly with exit 0. Returns a function that removes the signal handlers.
 */
export function installSignalCleanup(): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    cancelAllNative();
    removePendingTempFiles();
    process.stderr.write(`diffrg: interrupted (${signal})\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // kept until exit: a pipe error can arrive after main() resolved, while stdout drains
  };
}
