// Whether a directory lives in memory, where I/O never waits on a disk.
import { statfsSync } from 'node:fs';

/** statfs's f_type of a tmpfs. */
export const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/**
 * Whether `dir` is on a filesystem held in memory (tmpfs, ramfs): a read there never waits on a
 * disk, so it may run on the event loop's thread, and an fsync has nothing to write.
 */
export function inMemory(dir: string): boolean {
  try {
    const { type } = statfsSync(dir);
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}
