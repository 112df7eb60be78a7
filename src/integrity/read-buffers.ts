// Read buffers for hashing images, kept for the next operation: on this VM, first touching a fresh
// 4 MiB buffer costs ~11 ms of page faults, more than hashing it (BLAKE3: under 1 ms). A kept
// buffer of ordinary memory is no longer writable after this process forks, though: every fork
// (child_process.spawn forks through libuv: the caller's children, a helper) write-protects the
// parent's memory, and the next read into the buffer faults on each of its pages again, ~13 us a
// page here (CRIU itself is started with posix_spawn, which does not). So the buffers are
// memory that a fork leaves alone (the addon's dontForkBuffer): after a spawn, reading the
// 110 KiB pages file of a small checkpoint took 0.35 ms through an ordinary buffer, 0.015 ms
// through one of these. Where the addon is not loaded (the simulator never loads it) they are
// ordinary buffers, and small, for the same reason: measured here after a spawn, hashing a 6.5 MiB
// image from tmpfs took 14.2 ms through a 4 MiB buffer, 2.9 ms through 256 KiB.
import { nativeIfLoaded } from '../native.js';

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

/** The buffers the addon made. */
const forkSafe = new WeakSet<Buffer>();

/** A buffer of `size` bytes (SYNC_CHUNK or POOL_CHUNK), one given back before when there is one. */
export function takeBuffer(size = SYNC_CHUNK): Buffer {
  const kept = free.get(size)?.pop();
  if (kept) return kept;
  const native = nativeIfLoaded();
  if (!native) return Buffer.allocUnsafeSlow(size);
  const buffer = native.dontForkBuffer(size);
  forkSafe.add(buffer);
  return buffer;
}

/**
 * Returns buffers for later operations (beyond KEEP of a size they are left to the collector, and
 * so are ordinary ones made before the addon was loaded, once it is).
 */
export function giveBack(...buffers: Buffer[]): void {
  const safeOnly = nativeIfLoaded() !== undefined;
  for (const buffer of buffers) {
    const kept = free.get(buffer.length);
    if (kept && kept.length < KEEP && (!safeOnly || forkSafe.has(buffer))) kept.push(buffer);
  }
}
