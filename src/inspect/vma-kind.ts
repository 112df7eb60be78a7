// What a memory area is, from the status bits CRIU records per VMA (criu/include/image.h
// VMA_AREA_*), its mmap flags and, for memfd-backed areas, the name of the memfd inode.
import { MAP_GROWSDOWN, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from '../fds/linux-constants.js';
import type { VmaKind } from './types.js';

/** CRIU's VMA status bits (include/image.h). */
export const VMA = {
  AREA_REGULAR: 1 << 0,
  AREA_STACK: 1 << 1,
  AREA_VSYSCALL: 1 << 2,
  AREA_VDSO: 1 << 3,
  AREA_HEAP: 1 << 5,
  FILE_PRIVATE: 1 << 6,
  FILE_SHARED: 1 << 7,
  ANON_SHARED: 1 << 8,
  ANON_PRIVATE: 1 << 9,
  AREA_SYSVIPC: 1 << 10,
  AREA_SOCKET: 1 << 11,
  AREA_VVAR: 1 << 12,
  AREA_AIORING: 1 << 13,
  AREA_MEMFD: 1 << 14,
  AREA_SHSTK: 1 << 15,
  AREA_GUARD: 1 << 16,
  AREA_UPROBES: 1 << 17,
} as const;

/**
 * The name CRIU gives the inode of a MAP_SHARED|MAP_ANONYMOUS area when it dumps it as a memfd:
 * on current kernels CRIU 4.2 sees such areas as shmem files and records them with
 * VMA_AREA_MEMFD, under the name /proc shows for them (`/dev/zero (deleted)`).
 */
export const ANON_SHARED_MEMFD_NAME = '/dev/zero';

export interface VmaFacts {
  status: number;
  flags: number;
  /** The name of the memfd inode behind the area (memfd.img), when it has one. */
  memfdName?: string | undefined;
  /** True when the area holds the main thread's stack pointer at dump (mm_start_stack). */
  holdsStackStart?: boolean;
}

/** Classifies one VMA; the first matching rule wins. */
export function vmaKind({ status, flags, memfdName, holdsStackStart }: VmaFacts): VmaKind {
  const is = (bit: number) => (status & bit) !== 0;
  if (is(VMA.AREA_SYSVIPC)) return 'sysv';
  if (is(VMA.AREA_VDSO)) return 'vdso';
  if (is(VMA.AREA_VVAR)) return 'vvar';
  if (is(VMA.AREA_VSYSCALL)) return 'vsyscall';
  if (is(VMA.AREA_MEMFD)) return memfdName === ANON_SHARED_MEMFD_NAME ? 'anon-shared' : 'memfd';
  if (is(VMA.AREA_SOCKET) || is(VMA.AREA_AIORING) || is(VMA.AREA_UPROBES) || is(VMA.AREA_GUARD)) return 'other';
  if (is(VMA.ANON_SHARED)) return 'anon-shared';
  if (is(VMA.FILE_SHARED)) return 'file-shared';
  if (is(VMA.FILE_PRIVATE)) return 'file-private';
  if (is(VMA.AREA_HEAP)) return 'heap';
  if (is(VMA.AREA_STACK) || (flags & MAP_GROWSDOWN) !== 0 || holdsStackStart) return 'stack';
  if (is(VMA.ANON_PRIVATE)) return 'anon-private';
  return 'other';
}

/** Protection as /proc/PID/maps prints it (`r-xp`, `rw-s`, ...). */
export function protString(prot: number, flags: number): string {
  return (
    ((prot & PROT_READ) !== 0 ? 'r' : '-') +
    ((prot & PROT_WRITE) !== 0 ? 'w' : '-') +
    ((prot & PROT_EXEC) !== 0 ? 'x' : '-') +
    ((flags & MAP_SHARED) !== 0 ? 's' : 'p')
  );
}
