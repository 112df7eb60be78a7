// Read buffers for hashing images, kept for the next operation: on this VM, first touching a fresh
// 4 MiB buffer costs ~11 ms of page faults, more than hashing it (BLAKE3: under 1 ms).

/** The size of every buffer: one read of an image. */
export const READ_CHUNK = 4 << 20;
/** Buffers kept between operations (two concurrent digests' worth). */
const KEEP = 4;
const free: Buffer[] = [];

/** A READ_CHUNK-sized buffer, already faulted in when one was given back before. */
export function takeBuffer(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
}

/** Returns buffers for later operations (beyond KEEP they are left to the collector). */
export function giveBack(...buffers: Buffer[]): void {
  for (const buffer of buffers) if (free.length < KEEP) free.push(buffer);
}
