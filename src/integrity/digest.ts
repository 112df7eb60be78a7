// Digests of image files, streamed so that a 1 GiB pages file never blocks the event loop long.
import { closeSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { type DigestAlgorithm, type Hasher, newHasher, preferredAlgorithm } from './hasher.js';
import { giveBack, READ_CHUNK, takeBuffer } from './read-buffers.js';

/**
 * Page data: memory contents, which CRIU appends in order while it dumps and copies into the
 * restored tree without parsing them.
 */
export const PAGES_FILE = /^pages-\d+\.img$/;

/** A file's size and, unless it was recorded without digests, its hex digest under its algorithm's name. */
export type FileDigest = { size: number } & { [A in DigestAlgorithm]?: string };

/** The algorithm and hex digest recorded in `entry`, or undefined when it has only a size. */
export function recordedDigest(entry: FileDigest): { algorithm: DigestAlgorithm; hex: string } | undefined {
  if (typeof entry.blake3 === 'string') return { algorithm: 'blake3', hex: entry.blake3 };
  if (typeof entry.sha256 === 'string') return { algorithm: 'sha256', hex: entry.sha256 };
  return undefined;
}

/**
 * Hashes `handle` from `from` up to `end` (default: its end) into `hash` and returns where it
 * stopped: two reused 4 MiB buffers (read-buffers.ts), the next chunk read on the thread pool
 * while this one is hashed. Each update takes a few milliseconds, so timers and I/O keep running.
 */
export async function hashRange(handle: FileHandle, hash: Hasher, from: number, end = Infinity): Promise<number> {
  const buffers = [takeBuffer(), takeBuffer()];
  const readAt = (at: number, turn: number) =>
    handle.read(buffers[turn] as Buffer, 0, Math.min(READ_CHUNK, end - at), at);
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

/** Files up to this size are read and hashed synchronously (tmpfs: well under a millisecond each). */
const SMALL_FILE = 1 << 20;
/** Synchronous work between two turns of the event loop: a few milliseconds at most. */
const SYNC_BUDGET = 4 << 20;

/** The digest of one small file through `buffer` (at least as large as the file), synchronously. */
function digestSmall(path: string, algorithm: DigestAlgorithm, buffer: Buffer): FileDigest {
  const fd = openSync(path, 'r');
  try {
    const hash = newHasher(algorithm);
    const size = hashRangeSync(fd, hash, 0, Infinity, buffer);
    return { size, [algorithm]: hash.digest() };
  } finally {
    closeSync(fd);
  }
}

/**
 * The digests of the files `names` of `dir`, whose sizes (as listed) are `sizeOf`. A checkpoint
 * is mostly small images (a tiny process: 15 files, 160 KiB) and a few pages files: the small
 * ones are read and hashed synchronously through one reused buffer, yielding to the event loop
 * every few MiB (a thread-pool round trip per open/read/close, and two fresh 4 MiB buffers per
 * file, cost ~3 ms a file); the large ones are streamed (digestFile).
 */
export async function digestFiles(
  dir: string,
  names: readonly string[],
  sizeOf: (name: string) => number,
  algorithmOf: (name: string) => DigestAlgorithm = preferredAlgorithm,
): Promise<Map<string, FileDigest>> {
  const digests = new Map<string, FileDigest>();
  const buffer = takeBuffer();
  let sinceYield = 0;
  const large: string[] = [];
  for (const name of names) {
    if (sizeOf(name) > SMALL_FILE) {
      large.push(name);
      continue;
    }
    const digest = digestSmall(join(dir, name), algorithmOf(name), buffer);
    digests.set(name, digest);
    sinceYield += digest.size + 4096;
    if (sinceYield >= SYNC_BUDGET) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  giveBack(buffer);
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
