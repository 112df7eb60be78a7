// Whole-directory work on images dirs and their copies (flat: files only), done with synchronous
// calls in batches with a loop turn between them. Each of these calls takes the kernel
// microseconds on a local filesystem, while its async form costs a thread-pool round trip (about
// 0.1-0.2 ms here): per restore that added up to milliseconds for a few dozen files.
import { lstatSync, readdirSync, rmdirSync, type Stats, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Calls per loop turn: a batch never holds the event loop for long. */
const BATCH = 64;

/** Runs `step` on each item synchronously, yielding to the event loop between batches. */
export async function inBatches<T>(items: readonly T[], step: (item: T) => void): Promise<void> {
  for (const [i, item] of items.entries()) {
    if (i > 0 && i % BATCH === 0) await nextTurn();
    step(item);
  }
}

export interface DirListing {
  names: string[];
  /** lstat of each name; undefined for one removed meanwhile. */
  stats: Map<string, Stats | undefined>;
}

/** Lists `dir` with the lstat of every entry. */
export async function listDir(dir: string): Promise<DirListing> {
  const names = readdirSync(dir);
  const stats = new Map<string, Stats | undefined>();
  await inBatches(names, (name) => stats.set(name, lstatSync(join(dir, name), { throwIfNoEntry: false })));
  return { names, stats };
}

/**
 * Removes `dir` and everything in it, a dir already gone included. Its files go in batches; should
 * it hold anything else (a subdirectory), the general recursive removal takes over.
 */
export async function removeDir(dir: string): Promise<void> {
  try {
    await inBatches(readdirSync(dir), (name) => unlinkSync(join(dir, name)));
    rmdirSync(dir);
  } catch {
    await rm(dir, { recursive: true, force: true });
  }
}
