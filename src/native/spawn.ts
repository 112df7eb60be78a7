// posix_spawn with an explicit fd table (native/spawn_fds.cc): how CRIU's swrk process is started,
// in about 1 ms instead of a fork of the whole Node process.
import { argumentError, assertFd } from './validate.js';

/** The spawn part of NativeAddon. */
export interface SpawnApi {
  /**
   * posix_spawn of `path` with argv `args` (argv[0] included): `fds[i]` becomes fd i in the child
   * (-1: /dev/null), nothing else is inherited; signals unblocked and at their defaults. Resolves
   * to the pid: watch and reap it with watchProcess. ~1.5 ms, spent on a pool thread (the caller
   * may close its fds once this returns: the child gets copies), where child_process.spawn, which
   * forks the whole Node process, took 11-14 ms here. Rejects with a system error (ENOENT,
   * EACCES, ...); throws one for an fd that cannot be copied.
   */
  spawnWithFds(path: string, args: readonly string[], fds: readonly number[]): Promise<number>;
}

/** The addon's spawn export; it takes plain (mutable) arrays. */
export interface RawSpawnBinding {
  spawnWithFds(path: string, args: string[], fds: number[]): Promise<number>;
}

export function spawnApi(raw: RawSpawnBinding): SpawnApi {
  return {
    spawnWithFds(path, args, fds) {
      if (typeof path !== 'string' || !Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
        throw argumentError('path must be a string and args an array of strings.', 'ERR_INVALID_ARG_TYPE');
      }
      if (!Array.isArray(fds)) throw argumentError('fds must be an array of fds.', 'ERR_INVALID_ARG_TYPE');
      for (const [i, fd] of fds.entries()) if (fd !== -1) assertFd(fd, `fds[${i}]`);
      return raw.spawnWithFds(path, [...args], [...fds]);
    },
  };
}
