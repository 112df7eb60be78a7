// Prepares the directory a checkpoint is written to, and cleans up after a failed one.

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { INCOMPLETE_MARKER, incompleteError, markIncomplete } from '../integrity/incomplete.js';

/** The dir a checkpoint is written to, and whether node-criu made it (its removal then removes the dir). */
export interface PreparedImagesDir {
  path: string;
  created: boolean;
}

/**
 * A new private dir, or the caller's (created 0700 if missing; it must be empty), marked
 * incomplete until the checkpoint's manifest is written.
 */
export async function prepareImagesDir(requested: string | undefined): Promise<PreparedImagesDir> {
  // A handful of calls the kernel answers in microseconds: synchronous (see fs/flat-dir.ts).
  if (requested === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'node-criu-'));
    markIncomplete(dir);
    return { path: dir, created: true };
  }
  let entries: string[];
  let created: boolean;
  try {
    created = mkdirSync(requested, { recursive: true, mode: 0o700 }) !== undefined;
    entries = readdirSync(requested);
  } catch (error) {
    throw unusableDir(requested, error);
  }
  if (entries.length > 0) {
    throw new CriuError(
      'INVALID_IMAGES',
      `Images dir ${requested} is not empty (${entries.length} entries): a checkpoint never overwrites another. Use a new directory.`,
      { operation: 'checkpoint' },
    );
  }
  try {
    // mkdir leaves an existing dir's mode alone: images hold process memory, so the dir is made private.
    chmodSync(requested, 0o700);
    markIncomplete(requested);
  } catch (error) {
    throw unusableDir(requested, error);
  }
  return { path: requested, created };
}

/** Why the caller's images dir cannot be made or read, as INVALID_IMAGES with what to do. */
function unusableDir(dir: string, error: unknown): CriuError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'it (or a parent of it) exists and is not a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the filesystem is read-only'
          : code === 'ENOSPC'
            ? 'no space left on the device'
            : (error as Error).message;
  return new CriuError(
    'INVALID_IMAGES',
    `Images dir ${dir} cannot be used: ${why}${code ? ` (${code})` : ''}. Give imagesDir a new or empty directory this process can write.`,
    { operation: 'checkpoint', cause: error },
  );
}

/**
 * After a failed dump, removes every image so that what is left cannot be restored by mistake;
 * CRIU's log stays for diagnosis, and the incomplete marker says why the dir is refused. The dir
 * was empty before the dump, so all of it is ours.
 */
export async function discardImages(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    if (name !== keep && name !== INCOMPLETE_MARKER) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** INVALID_IMAGES unless `dir` looks like a CRIU checkpoint. */
export async function assertCheckpointDir(dir: string): Promise<void> {
  // Two calls the kernel answers in microseconds: synchronous, they spare two thread-pool trips.
  const info = statSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    throw new CriuError('INVALID_IMAGES', `Images dir ${dir} does not exist or is not a directory.`, {
      operation: 'restore',
    });
  }
  const names = new Set(readdirSync(dir));
  if (names.has(INCOMPLETE_MARKER)) throw incompleteError(dir, 'restore');
  const missing = ['inventory.img', 'pstree.img'].filter((n) => !names.has(n));
  if (missing.length > 0) {
    throw new CriuError(
      'INVALID_IMAGES',
      `${dir} is not a complete checkpoint: ${missing.join(' and ')} missing. Was the checkpoint interrupted?`,
      { operation: 'restore' },
    );
  }
}
