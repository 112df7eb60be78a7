// The node-criu parser (commander, built from the registry in commands.ts) and the mapping of every
// outcome to an exit code: 0; 1 for a failure, with its error code; 2 for a usage mistake, in one
// line and a pointer to the command's --help.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { INSTALL_CRIU } from '../fix-hints.js';
import { GROUPS } from './command.js';
import { COMMANDS } from './commands.js';
import { addCommonFlags } from './common-flags.js';
import { UsageError } from './usage-error.js';

/** The package's version (dist/src/cli/program.js is three levels below package.json). */
function packageVersion(): string {
  return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
}

/** A usage mistake commander found (unknown command or flag, missing value), with the command it was in. */
class ParseFailure extends Error {
  constructor(
    readonly failure: CommanderError,
    readonly command: string | undefined,
  ) {
    super(failure.message);
  }
}

const GLOBAL_HELP = `
Every command takes --json (its result as JSON on stdout), --criu PATH, --timeout MS,
--log-level 0-4 and --backend auto|criu|sim; \`node-criu <command> --help\` lists the rest.
criu's own spellings work where they mean the same: dump -t PID -D DIR -R -j, restore -D DIR -d -j,
--inherit-fd fd[N]:KEY.

Exit codes: 0 success (restore without -d: the restored root's exit code), 1 failure (the message
starts with its [CODE]), 2 usage mistake.
Environment: NODE_CRIU_BACKEND (default backend), CRIU_BIN (the CRIU binary), NODE_CRIU_HOME (where
install-criu puts CRIU), NODE_CRIU_PROGRESS=1|0 (progress on stderr even when not a terminal, or never).
No CRIU yet? ${INSTALL_CRIU}`;

/**
 * The program: one subcommand per registry entry, whose action runs the entry and hands its exit
 * code to `done`. `parsing` learns which command is being parsed (for the --help pointer).
 */
function buildProgram(done: (code: number) => void, parsing: (command: string) => void): Command {
  const program = new Command('node-criu')
    .description('Checkpoint and restore Linux processes through CRIU.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      // Usage mistakes are reported by runCli, in one line.
      outputError: () => {},
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', GLOBAL_HELP)
    .hook('preSubcommand', (_program, sub) => parsing(sub.name()));
  for (const spec of COMMANDS) {
    const command = program
      .command(spec.name)
      .summary(spec.summary)
      .description(`${spec.summary[0]?.toUpperCase() ?? ''}${spec.summary.slice(1)}.`)
      .helpGroup(spec.group);
    command.exitOverride((failure) => {
      throw new ParseFailure(failure, spec.name);
    });
    spec.define(command);
    addCommonFlags(command.optionsGroup('Common options:')).helpOption('-h, --help', 'print this help');
    command.action(async () => {
      done(await spec.run(command.args, command.opts()));
    });
  }
  return program.commandsGroup(GROUPS.setup).helpCommand('help [command]', 'print the help of a command');
}

/** Runs node-criu with `argv` (what follows `node-criu`); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let code = 0;
  let command: string | undefined;
  const program = buildProgram(
    (c) => {
      code = c;
    },
    (name) => {
      command = name;
    },
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    return report(error, command, argv.includes('--json'));
  }
}

/** Prints what went wrong and returns the exit code. */
function report(error: unknown, command: string | undefined, json: boolean): number {
  const failure = error instanceof ParseFailure ? error.failure : error instanceof CommanderError ? error : undefined;
  if (failure) {
    // Help and version were printed already; `node-criu` alone printed the help on stderr.
    if (failure.exitCode === 0) return 0;
    if (failure.code === 'commander.help') return 2;
    const where = error instanceof ParseFailure ? error.command : command;
    return usageMistake(failure.message.replace(/^error: /, '').replace(/\n/g, ' '), where);
  }
  if (error instanceof UsageError) return usageMistake(error.message, command);
  const e = error as Error & { code?: string; logPath?: string };
  if (json) {
    const detail =
      e.logPath === undefined
        ? { code: e.code, message: e.message }
        : { code: e.code, message: e.message, logPath: e.logPath };
    process.stderr.write(`${JSON.stringify({ error: detail })}\n`);
  } else {
    process.stderr.write(`node-criu: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  }
  // The library's argument checks (TypeError, RangeError) are usage mistakes too.
  return error instanceof TypeError || error instanceof RangeError ? 2 : 1;
}

function usageMistake(message: string, command: string | undefined): number {
  process.stderr.write(`node-criu: ${message}\nsee node-criu ${command ? `${command} ` : ''}--help\n`);
  return 2;
}
