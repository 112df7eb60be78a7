// Starting a CRIU process (swrk, lazy-pages) as a watched child of ours, through the addon's
// posix_spawn (native/spawn_fds.h: a fork of this process, as child_process does, cost ~12 ms
// here, about a sixth of a small checkpoint).
import { prepareKernelCache } from '../criu/kernel-cache.js';
import { loadNative, type ProcessWatcher } from '../native.js';

/**
 * Spawns `criuPath args...` with `fds` at 0..n (-1: /dev/null) and watches it (exit, reaping,
 * pidfd signals). The fds are copied before this returns (the caller may close its own then); the
 * spawn itself goes on off the JS thread. Rejects with the system error of a CRIU that cannot be
 * started, naming the binary; a CRIU started but not watchable (out of fds) is killed rather than
 * left running unwatched.
 */
export function spawnCriu(criuPath: string, args: readonly string[], fds: readonly number[]): Promise<ProcessWatcher> {
  const native = loadNative();
  prepareKernelCache(criuPath);
  const named = (error: unknown) => Object.assign(error as Error, { path: criuPath, spawnargs: [...args] });
  let spawned: Promise<number>;
  try {
    spawned = native.spawnWithFds(criuPath, [criuPath, ...args], fds);
  } catch (error) {
    return Promise.reject(named(error));
  }
  return spawned.then(
    (pid) => {
      try {
        return native.watchProcess(pid);
      } catch (error) {
        process.kill(pid, 'SIGKILL');
        throw named(error);
      }
    },
    (error: unknown) => {
      throw named(error);
    },
  );
}
