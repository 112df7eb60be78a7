// fork(): child_process.fork for Node children that are meant to be checkpointed.
import { type ChildProcess, type ForkOptions, fork as forkChild } from 'node:child_process';
import { launch } from './launch.js';
import { type LaunchOptions, stdioArray } from './launch-options.js';

export interface CheckpointableForkOptions extends ForkOptions, LaunchOptions {}

/**
 * Like child_process.fork (same signature, same IPC channel with `send()`/'message', 'json' or
 * 'advanced' serialization), with what spawn() gives a child: a session of its own, no stray
 * fds, the namespaces asked for and the io_uring block that lets CRIU checkpoint Node 22/24/26.
 * The Node run is `execPath` (default: this process's) with `execArgv`, as in child_process.
 */
export function fork(modulePath: string, args?: readonly string[], options?: CheckpointableForkOptions): ChildProcess;
export function fork(modulePath: string, options?: CheckpointableForkOptions): ChildProcess;
export function fork(
  modulePath: string,
  argsOrOptions?: readonly string[] | CheckpointableForkOptions,
  maybeOptions?: CheckpointableForkOptions,
): ChildProcess {
  const args = Array.isArray(argsOrOptions) ? [...argsOrOptions] : [];
  const options = (Array.isArray(argsOrOptions) ? maybeOptions : argsOrOptions) ?? {};
  const {
    namespaces,
    blockIoUring,
    stdio,
    silent,
    execPath = process.execPath,
    execArgv = process.execArgv,
    ...rest
  } = options as CheckpointableForkOptions;
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
