// fork(): child_process.fork for Node children that are meant to be checkpointed.
import { type ChildProcess, type ForkOptions, fork as forkChild } from 'node:child_process';
import { launch } from './launch.js';
import { argsAndOptions, type LaunchOptions, stdioArray } from './launch-options.js';

/** fork()'s options: child_process.fork's, and the launcher's (namespaces, blockIoUring). */
export interface CheckpointableForkOptions extends ForkOptions, LaunchOptions {}

/**
 * child_process.fork's execArgv: the given one, else this process's without its `-e`/`-p` code
 * (which would otherwise run again in the child instead of the module).
 */
function defaultExecArgv(given: readonly string[] | undefined): string[] {
  if (given) return [...given];
  const code = (process as { _eval?: string })._eval;
  const at = code === undefined ? -1 : process.execArgv.lastIndexOf(code);
  return at > 0 ? process.execArgv.filter((_, i) => i !== at - 1 && i !== at) : [...process.execArgv];
}

/**
 * Like child_process.fork (same signature, same IPC channel with `send()`/'message', 'json' or
 * 'advanced' serialization), with what spawn() gives a child: a session of its own, no stray
 * fds, the namespaces asked for and the io_uring block that lets CRIU checkpoint Node 22/24/26.
 * The Node run is `execPath` (default: this process's) with `execArgv`, as in child_process.
 * Differences from child_process.fork: those of spawn().
 */
export function fork(modulePath: string, args?: readonly string[], options?: CheckpointableForkOptions): ChildProcess;
export function fork(modulePath: string, options?: CheckpointableForkOptions): ChildProcess;
export function fork(modulePath: string, args: null, options?: CheckpointableForkOptions): ChildProcess;
export function fork(
  modulePath: string,
  argsOrOptions?: readonly string[] | CheckpointableForkOptions | null,
  maybeOptions?: CheckpointableForkOptions,
): ChildProcess {
  const [args, options] = argsAndOptions(argsOrOptions, maybeOptions);
  const { namespaces, blockIoUring, stdio, silent, ...rest } = options;
  const execPath = rest.execPath || process.execPath;
  const execArgv = defaultExecArgv(rest.execArgv);
  const list = stdioArray(stdio, silent ? 'pipe' : 'inherit', true);
  return launch(
    execPath,
    [...execArgv, modulePath, ...args],
    list,
    { namespaces, blockIoUring },
    (launcher, launcherArgs, withReport) =>
      forkChild(modulePath, args, {
        ...rest,
        stdio: withReport as ForkOptions['stdio'],
        detached: true,
        // child_process.fork runs `execPath ...execArgv modulePath ...args`: the launcher, its own
        // arguments, then the real Node and its options.
        execPath: launcher,
        execArgv: [...launcherArgs, '--', execPath, ...execArgv],
      }),
  );
}
