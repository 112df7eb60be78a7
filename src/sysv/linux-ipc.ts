// Linux x86_64 numbers the SysV code injects or passes: syscalls, shmat/mmap flags, IPC ids.

/** x86_64 system call numbers. */
export const SYS = { mmap: 9, shmget: 29, shmat: 30, shmctl: 31, shmdt: 67 } as const;

export const PROT_NONE = 0;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
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
