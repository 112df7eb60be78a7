// spawn(): child_process.spawn for children that are meant to be checkpointed.
import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { launch } from './launch.js';
import { argsAndOptions, type LaunchOptions, stdioArray } from './launch-options.js';

/** spawn()'s options: child_process.spawn's (`detached` is always true, `shell` is refused), and the launcher's. */
export interface CheckpointableSpawnOptions extends SpawnOptions, LaunchOptions {}

/**
 * Like child_process.spawn, but the child is started through node-criu's launcher so that CRIU
 * can checkpoint it: it leads its own session (`detached`, so CRIU needs no shellJob), holds no
 * fd beyond its stdio (fds this process inherited without close-on-exec stay out of it; nothing
 * of this process is changed), gets the namespaces asked for, and cannot open io_uring (unless
 * `blockIoUring: false`), so Node 22/24/26 children can be checkpointed.
 *
 * Its stdio pipes are Node's usual socketpairs: checkpoint() detects that their other ends are
 * outside the tree and leaves them out; restore() gives them new `'pipe'` streams by default.
 *
 * Differences from child_process.spawn: `detached` is always true; a command that cannot be
 * executed emits 'spawn' (the launcher did start), then 'error' (as child_process does) and
 * 'exit' with code 127 (the launcher's), in an order that may vary; `shell` is not supported (the
 * shell would be the checkpointed process; spawn it explicitly); `argv0` names the launcher, not
 * the command. With `namespaces: ['pid']`, `pid` is the launcher's (see LaunchOptions).
 */
export function spawn(
  command: string,
  args?: readonly string[] | null,
  options?: CheckpointableSpawnOptions,
): ChildProcess;
export function spawn(command: string, options?: CheckpointableSpawnOptions): ChildProcess;
export function spawn(
  command: string,
  argsOrOptions?: readonly string[] | CheckpointableSpawnOptions | null,
  maybeOptions?: CheckpointableSpawnOptions,
): ChildProcess {
  const [args, options] = argsAndOptions(argsOrOptions, maybeOptions);
  const { namespaces, blockIoUring, stdio, ...rest } = options;
  if (rest.shell !== undefined && rest.shell !== false) {
    throw new TypeError("spawn: option 'shell' is not supported: start the shell itself as the command.");
  }
  const list = stdioArray(stdio, 'pipe', false);
  return launch(command, args, list, { namespaces, blockIoUring }, (launcher, launcherArgs, withReport) =>
    spawnChild(launcher, [...launcherArgs, '--', command, ...args], {
      ...rest,
      stdio: withReport as SpawnOptions['stdio'],
      detached: true,
    }),
  );
}
