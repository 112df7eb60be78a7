// spawn() for children that are meant to be checkpointed: session leaders without stray fds.
import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadNative } from './native.js';

/**
 * CRIU dumps every fd a child holds, and libuv only closes close-on-exec fds at exec: an fd this
 * process inherited without the flag (from a shell, a CI runner) would leak into the child and
 * into its checkpoint. Marking ours close-on-exec is harmless here: libuv's dup2 of the child's
 * stdio clears the flag on the child's copies.
 */
function closeOnExecEverywhere(): void {
  const native = loadNative();
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd > 2) {
      try {
        if (!native.getCloexec(fd)) native.setCloexec(fd, true);
      } catch {
        // The directory listing's own fd, already closed.
      }
    }
  }
}

/** Namespaces a spawned child can get of its own. */
export type SpawnNamespace = 'ipc';

export interface CheckpointableSpawnOptions extends SpawnOptions {
  /**
   * `['ipc']`: the child runs in a new IPC namespace, whose SysV objects CRIU then saves and
   * restores itself (IPC-namespace mode). Done by util-linux `unshare --ipc`, which execs the
   * command in place: the child's pid is the command's. Needs root (CAP_SYS_ADMIN).
   */
  namespaces?: readonly SpawnNamespace[];
}

/**
 * Like child_process.spawn, but the child is a session leader (`detached`, so CRIU needs no
 * shellJob) and gets no fd beyond the stdio it was given. Its stdio pipes are Node's usual
 * socketpairs: checkpoint() detects that their other ends are outside the tree and leaves them
 * out, so restore() needs `fds` substitutes for them (e.g. `{ 0: 'pipe', 1: 'pipe', 2: 'pipe' }`).
 */
export function spawn(
  command: string,
  args: readonly string[] = [],
  options: CheckpointableSpawnOptions = {},
): ChildProcess {
  const { namespaces = [], ...rest } = options;
  for (const ns of namespaces) {
    if (ns !== 'ipc') throw new RangeError(`spawn: namespaces may hold 'ipc' only, got '${String(ns)}'.`);
  }
  closeOnExecEverywhere();
  if (namespaces.includes('ipc')) {
    // An argv, no shell: `--` ends unshare's options, whatever the command's name.
    return spawnChild('unshare', ['--ipc', '--', command, ...args], { ...rest, detached: true });
  }
  return spawnChild(command, args, { ...rest, detached: true });
}
