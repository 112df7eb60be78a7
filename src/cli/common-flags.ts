// The flags every node-criu command takes, and what they become in the library's options
// (--criu, --timeout and --log-level have no effect where no CRIU runs).
import { type Command, Option } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../backend-choice.js';
import { integerArg } from './integer-arg.js';
import { UsageError } from './usage-error.js';

/** The values of the common flags, as commander parses them. */
export interface CommonFlags {
  json?: boolean;
  criu?: string;
  timeout?: string;
  logLevel?: string;
  backend?: BackendChoice;
}

/** The values of --progress / --no-progress: undefined when neither was given. */
export interface ProgressFlags {
  progress?: boolean;
}

/** Adds --json, --criu, --timeout, --log-level and --backend to `command`. */
export function addCommonFlags(command: Command): Command {
  return command
    .option('--json', 'print the result as JSON on stdout (errors as JSON on stderr)')
    .option('--criu <path>', 'the CRIU binary (default: CRIU_BIN, the per-user cache, then PATH)')
    .option('--timeout <ms>', "how long CRIU may take, in milliseconds (criu's --timeout is in seconds)")
    .option('--log-level <0-4>', "CRIU's log level (criu -v<N>; default 2)")
    .addOption(
      new Option('--backend <name>', 'real CRIU, the simulator, or auto: default NODE_CRIU_BACKEND, else auto').choices(
        BACKEND_CHOICES,
      ),
    );
}

/** Adds --progress / --no-progress (commands that move many bytes). */
export function addProgressFlags(command: Command): Command {
  return command
    .option('--progress', 'show progress on stderr even when it is not a terminal (env NODE_CRIU_PROGRESS=1)')
    .option('--no-progress', 'never show progress (env NODE_CRIU_PROGRESS=0)');
}

/** --criu, --timeout, --log-level and --backend as the options every library call takes (absent flags: no key). */
export function commonOptions(values: CommonFlags) {
  const timeout = integerArg(values.timeout, '--timeout');
  const logLevel = integerArg(values.logLevel, '--log-level');
  if (logLevel !== undefined && logLevel > 4) throw new UsageError(`--log-level must be 0 to 4, got ${logLevel}.`);
  return {
    ...(values.criu ? { criuPath: values.criu } : {}),
    ...(timeout ? { timeout } : {}),
    ...(logLevel === undefined ? {} : { logLevel: logLevel as 0 | 1 | 2 | 3 | 4 }),
    ...(values.backend ? { backend: values.backend } : {}),
  };
}
