// Starting a CRIU process (swrk, lazy-pages) as a watched child of ours, through the addon's
// posix_spawn (native/spawn_fds.h: a fork of this process, as child_process does, cost ~12 ms
// here, about a sixth of a small checkpoint).
import { prepareKernelCache } from '../criu/kernel-cache.js';
import { loadNative, type ProcessWatcher } from '../native.js';

/**
 * Spawns `criuPath args...` with `fds` at 0..n (-1: /dev/null) and watches it (exit, reaping,
 * pidfd signals). Throws the system error of a CRIU that cannot be started, naming the binary; a
 * CRIU started but not watchable (out of fds) is killed rather than left running unwatched.
 */
export function spawnCriu(criuPath: string, args: readonly string[], fds: readonly number[]): ProcessWatcher {
  const native = loadNative();
  prepareKernelCache(criuPath);
  let pid: number | undefined;
  try {
    pid = native.spawnWithFds(criuPath, [criuPath, ...args], fds);
    return native.watchProcess(pid);
  } catch (error) {
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    throw Object.assign(error as Error, { path: criuPath, spawnargs: [...args] });
  }
}
