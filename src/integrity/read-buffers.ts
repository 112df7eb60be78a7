// Read buffers for hashing images, kept for the next operation: on this VM, first touching a fresh
// 4 MiB buffer costs ~11 ms of page faults, more than hashing it (BLAKE3: under 1 ms). A kept
// buffer is no longer fresh after this process forks, though: every fork (child_process.spawn
// forks through libuv: the caller's children, a helper) write-protects the parent's memory, and
// the next read into the buffer faults on each of its pages again (CRIU itself is started with
// posix_spawn, which does not). So the buffers are small: measured here after a spawn, hashing a
// 6.5 MiB image from tmpfs took 14.2 ms through a 4 MiB buffer, 2.9 ms through 256 KiB (1.4 ms
// without the spawn either way).

/** The buffer of synchronous reads from memory (digest.ts's hashRangeSync): L2-sized. */
export const SYNC_CHUNK = 256 << 10;
/**
 * The buffers of thread-pool reads from a disk, two at a time: larger, since each read is a
 * round trip to the pool (1024 per GiB).
 */
export const POOL_CHUNK = 1 << 20;
/** Buffers kept between operations, of each size (two concurrent digests' worth). */
const KEEP = 4;
const free = new Map<number, Buffer[]>([
  [SYNC_CHUNK, []],
  [POOL_CHUNK, []],
]);

/** A buffer of `size` bytes (SYNC_CHUNK or POOL_CHUNK), one given back before when there is one. */
export function takeBuffer(size = SYNC_CHUNK): Buffer {
  return free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

/** Returns buffers for later operations (beyond KEEP of a size they are left to the collector). */
export function giveBack(...buffers: Buffer[]): void {
  for (const buffer of buffers) {
    const kept = free.get(buffer.length);
    if (kept && kept.length < KEEP) kept.push(buffer);
  }
}
