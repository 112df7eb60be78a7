// A file's identity and last change as the kernel keeps them (device, inode, change time): what
// lets a restore on the host that made a checkpoint trust the digests it already took, instead
// of hashing gigabytes of page data again before the tree may run (and the small images too:
// about half a millisecond of a small restore).
//
// The change time (ctime) moves with every write, truncation, chmod, link or rename of the file,
// and no system call sets it; a file put in its place has a ctime of its own. So an image whose
// stamp is still the one taken once CRIU had finished writing it, before its last bytes were
// hashed, holds the bytes that were hashed then. What a stamp cannot see: a change that bypasses
// the filesystem (the block device, the medium), and, on kernels before 6.13 (no fine-grained
// timestamps), a write landing in the same clock tick (a few ms) as CRIU's own last write.
// verifyImages() without trustUnchanged (`node-criu verify`) hashes everything.
import { fstatSync, lstatSync } from 'node:fs';

/** A file as the kernel identified it, its numbers in decimal (they exceed 2^53). */
export interface FileStamp {
  dev: string;
  ino: string;
  /** The change time, in nanoseconds since the epoch. */
  ctimeNs: string;
}

function stampOf(st: { dev: bigint; ino: bigint; ctimeNs: bigint }): FileStamp {
  return { dev: String(st.dev), ino: String(st.ino), ctimeNs: String(st.ctimeNs) };
}

/** The stamp of the open file `fd`. */
export function fdStamp(fd: number): FileStamp {
  return stampOf(fstatSync(fd, { bigint: true }));
}

/** The stamp of the regular file at `path` (not followed if a link), or undefined if there is none. */
export function pathStamp(path: string): FileStamp | undefined {
  const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st?.isFile() ? stampOf(st) : undefined;
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino && a.ctimeNs === b.ctimeNs;
}

/** Whether `value` is a FileStamp as a manifest records it. */
export function isFileStamp(value: unknown): value is FileStamp {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return ['dev', 'ino', 'ctimeNs'].every((key) => typeof s[key] === 'string' && /^\d{1,20}$/.test(s[key] as string));
}
