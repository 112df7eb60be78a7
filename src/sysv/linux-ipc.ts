// Linux x86_64 numbers the SysV code injects or passes: syscalls, shmat/mmap flags, IPC ids.

import { MAP_ANONYMOUS, MAP_FIXED, MAP_NORESERVE, MAP_PRIVATE } from '../fds/linux-constants.js';

/** x86_64 system call numbers. */
export const SYS = { mmap: 9, shmget: 29, shmat: 30, shmctl: 31, shmdt: 67 } as const;

/** The placeholder that holds a detached segment's range: no access, no memory, no pages. */
export const PLACEHOLDER_FLAGS = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

export const SHM_RDONLY = 0o10000;
export const SHM_REMAP = 0o40000;
export const SHM_EXEC = 0o100000;

export const PAGE_SIZE = 4096;

export function pageRound(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
}

/** A syscall's raw return as an errno name, or undefined when it succeeded. */
export function syscallError(result: bigint): number | undefined {
  return result < 0n && result >= -4095n ? Number(-result) : undefined;
}
