/** The `diffrg` command line. Each capability registers one subcommand from `commands/`. */
import { Command, CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE, reportError } from './common';
import { removePendingTempFiles } from '../io/atomic';
import { MAX_THREADS } from '../run';
import * as demo from './commands/demo';
import * as scan from './commands/scan';
import * as coarseGrain from './commands/coarse-grain';
import * as communities from './commands/communities';
import * as simulate from './commands/simulate';
import * as infer from './commands/infer';
import * as mps from './commands/mps';
import * as dtnr from './commands/dtnr';
import * as dynamics from './commands/dynamics';

export function buildProgram(): Command {
  const program = new Command('diffrg')
    .description('Diffusion-guided renormalization of neural systems (Laplacian RG, tensor networks, graph inference).')
    .version(require('../../package.json').version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    // commander's own parse errors ("error: unknown option '--x'") in the CLI's format
    outputError: (s, write) => write(s.replace(/^error: /, 'diffrg: usage error: ')),
  });
  for (const mod of [demo, scan, coarseGrain, communities, simulate, infer, mps, dtnr, dynamics]) mod.register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 runtime error, 2 usage error. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  const uninstall = installSignalCleanup();
  for (const name of ['DIFFRG_THREADS', 'SLURM_CPUS_PER_TASK']) {
    const v = process.env[name];
    // the core skips values that are not an integer in 1..MAX_THREADS (exec::parse_threads): say so
    if (v !== undefined && v.trim() !== '' && !(/^\s*\d+\s*$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_THREADS)) {
      process.stderr.write(`diffrg: warning: ${name}='${v}' ignored (expected an integer in 1..${MAX_THREADS})\n`);
    }
  }
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(err);
  } finally {
    uninstall();
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
