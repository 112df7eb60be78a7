// Digests of image files, streamed so that a 1 GiB pages file never blocks the event loop long.
import { closeSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { inMemory } from '../fs/in-memory.js';
import { type FileStamp, isFileStamp } from './file-stamp.js';
import { DIGEST_ALGORITHMS, type DigestAlgorithm, type Hasher, newHasher, preferredAlgorithm } from './hasher.js';
import { giveBack, POOL_CHUNK, takeBuffer } from './read-buffers.js';

/**
 * Page data: memory contents, which CRIU appends in order while it dumps and copies into the
 * restored tree without parsing them.
 */
export const PAGES_FILE = /^pages-\d+\.img$/;

/**
 * A file's size and, unless it was recorded without digests, its hex digest under its algorithm's
 * name; for page data, the file's stamp when it was hashed (file-stamp.ts), while it still held.
 */
export type FileDigest = { size: number; stamp?: FileStamp } & { [A in DigestAlgorithm]?: string };

/**
 * Whether `entry` is a FileDigest as a manifest records it: a size, at most one well-formed
 * digest, and a well-formed stamp if any.
 */
export function isFileDigest(entry: unknown): entry is FileDigest {
  if (typeof entry !== 'object' || entry === null || typeof (entry as FileDigest).size !== 'number') return false;
  const digests = DIGEST_ALGORITHMS.filter((algorithm) => algorithm in entry);
  const stamp = (entry as FileDigest).stamp;
  return (
    digests.length <= 1 &&
    digests.every((a) => /^[0-9a-f]{64}$/.test(String((entry as FileDigest)[a]))) &&
    (stamp === undefined || isFileStamp(stamp))
  );
}

/**
 * `bytes`' size and digest under the algorithm `like` records (a file rewritten keeps the
 * algorithm it was hashed with); its size only when `like` has no digest.
 */
export function digestLike(bytes: Uint8Array, like: FileDigest): FileDigest {
  const recorded = recordedDigest(like);
  if (!recorded) return { size: bytes.byteLength };
  const hasher = newHasher(recorded.algorithm);
  hasher.update(bytes);
  return { size: bytes.byteLength, [recorded.algorithm]: hasher.digest() };
}

/** The algorithm and hex digest recorded in `entry`, or undefined when it has only a size. */
export function recordedDigest(entry: FileDigest): { algorithm: DigestAlgorithm; hex: string } | undefined {
  if (typeof entry.blake3 === 'string') return { algorithm: 'blake3', hex: entry.blake3 };
  if (typeof entry.sha256 === 'string') return { algorithm: 'sha256', hex: entry.sha256 };
  return undefined;
}

/**
 * Hashes `handle` from `from` up to `end` (default: its end) into `hash` and returns where it
 * stopped: two reused 1 MiB buffers (read-buffers.ts), the next chunk read on the thread pool
 * while this one is hashed. Each update takes a fraction of a millisecond, so timers and I/O keep running.
 */
export async function hashRange(handle: FileHandle, hash: Hasher, from: number, end = Infinity): Promise<number> {
  const buffers = [takeBuffer(POOL_CHUNK), takeBuffer(POOL_CHUNK)];
  const readAt = (at: number, turn: number) =>
    handle.read(buffers[turn] as Buffer, 0, Math.min(POOL_CHUNK, end - at), at);
  let at = from;
  let turn = 0;
  try {
    let pending = at < end ? readAt(at, turn) : undefined;
    while (pending) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      at += bytesRead;
      turn ^= 1;
      pending = at < end ? readAt(at, turn) : undefined;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return at;
  } finally {
    giveBack(...buffers);
  }
}

/** hashRange, synchronously, through `buffer`: for little data, no thread-pool round trips. */
export function hashRangeSync(fd: number, hash: Hasher, from: number, end: number, buffer: Buffer): number {
  let at = from;
  for (let got = 1; got > 0 && at < end; at += got) {
    got = readSync(fd, buffer, 0, Math.min(buffer.length, end - at), at);
    hash.update(buffer.subarray(0, got));
  }
  return at;
}

/** Streams the file through `algorithm` (hashRange). */
export async function digestFile(path: string, algorithm = preferredAlgorithm()): Promise<FileDigest> {
  const hash = newHasher(algorithm);
  const file = await open(path, 'r');
  try {
    const size = await hashRange(file, hash, 0);
    return { size, [algorithm]: hash.digest() };
  } finally {
    await file.close();
  }
}

/** Files up to this size are read and hashed synchronously wherever they are. */
const SMALL_FILE = 1 << 20;
/**
 * Hashed synchronously between two turns of the event loop. From memory, a read is a copy: a
 * slice blocks the loop ~1.5 ms (BLAKE3 and the copy), up to ~8 ms on a first read of pages CRIU
 * has just written. Against 1 MiB slices, following a 1 GiB dump fell behind CRIU by 1-153 MiB at
 * post-dump (per-slice costs), with 4 MiB by 4-60 MiB.
 */
export const SLICE = 4 << 20;

/**
 * The digests of the files `names` of `dir`, whose sizes (as listed) are `sizeOf`. Files in
 * memory (tmpfs, where checkpoints usually go) and small files anywhere are read and hashed on
 * this thread, a slice at a time between turns of the event loop, through one reused buffer: on
 * the 2-vCPU VM this was measured on, each thread-pool round trip could wait milliseconds for the
 * other vCPU to wake, and a 6.5 MiB pages file took 11-27 ms through the pool against 2.5 ms here.
 * Large files on a disk are streamed on the thread pool (digestFile), which never blocks the loop
 * on a read that has to wait for the disk.
 */
export async function digestFiles(
  dir: string,
  names: readonly string[],
  sizeOf: (name: string) => number,
  algorithmOf: (name: string) => DigestAlgorithm = preferredAlgorithm,
): Promise<Map<string, FileDigest>> {
  const digests = new Map<string, FileDigest>();
  const memory = inMemory(dir);
  const large: string[] = [];
  const buffer = takeBuffer();
  let sinceYield = 0;
  try {
    for (const name of names) {
      if (!memory && sizeOf(name) > SMALL_FILE) {
        large.push(name);
        continue;
      }
      const algorithm = algorithmOf(name);
      const hash = newHasher(algorithm);
      const fd = openSync(join(dir, name), 'r');
      try {
        for (let at = 0; ; ) {
          const next = hashRangeSync(fd, hash, at, at + SLICE, buffer);
          // Opening a file costs about as much as reading a page of it.
          sinceYield += next - at + 4096;
          if (sinceYield >= SLICE) {
            sinceYield = 0;
            await yieldToLoop();
          }
          if (next - at < SLICE) {
            digests.set(name, { size: next, [algorithm]: hash.digest() });
            break;
          }
          at = next;
        }
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    giveBack(buffer);
  }
  for (const [i, digest] of (
    await mapLimit(large, 2, (name) => digestFile(join(dir, name), algorithmOf(name)))
  ).entries()) {
    digests.set(large[i] as string, digest);
  }
  return digests;
}

/** Runs `task` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
