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

/**
 * Like child_process.spawn, but the child is a session leader (`detached`, so CRIU needs no
 * shellJob) and gets no fd beyond the stdio it was given. Its stdio pipes are Node's usual
 * socketpairs: checkpoint() detects that their other ends are outside the tree and leaves them
 * out, so restore() needs `fds` substitutes for them (e.g. `{ 0: 'pipe', 1: 'pipe', 2: 'pipe' }`).
 */
export function spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  closeOnExecEverywhere();
  return spawnChild(command, args, { ...options, detached: true });
}
