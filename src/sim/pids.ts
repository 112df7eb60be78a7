// The simulator's pid allocator: deterministic, seedable and replaceable, like the kernel's
// (next free number after the last one given, wrapping at pid_max).

/** Gives the next pid; `taken` says which numbers are in use (by a task or a thread). */
export interface PidAllocator {
  /** A pid for which `taken` is false; throws when none is left. */
  next(taken: (pid: number) => boolean): number;
}

/** Where sequentialPids() starts and wraps. */
export interface SequentialPidsOptions {
  /** The first pid to give (default 1000). */
  first?: number;
  /** Numbers wrap to `wrapTo` after this one (default 32768, the kernel's default pid_max). */
  max?: number;
  /** Where numbering starts again after `max` (default 300, like the kernel). */
  wrapTo?: number;
}

/** The kernel's way: ascending from a seed, skipping numbers in use, wrapping at `max`. */
export function sequentialPids(options: SequentialPidsOptions = {}): PidAllocator {
  const max = options.max ?? 32768;
  const wrapTo = options.wrapTo ?? 300;
  let cursor = options.first ?? 1000;
  if (!Number.isInteger(cursor) || cursor < 1 || cursor > max) throw new RangeError(`first must be in 1..${max}.`);
  return {
    next(taken) {
      for (let tries = 0; tries <= max; tries++) {
        const pid = cursor;
        cursor = cursor >= max ? wrapTo : cursor + 1;
        if (!taken(pid)) return pid;
      }
      throw new RangeError('The simulator ran out of pids.');
    },
  };
}
