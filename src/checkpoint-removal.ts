// Removing a checkpoint: exactly the entries the checkpoint wrote into its images dir, and the dir
// itself when node-criu made it. Whatever else is there (a caller's own files) stays.
import { readdirSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CriuError } from './errors.js';

/** How a checkpoint is removed (see Checkpoint.remove). */
export interface CheckpointRemoval {
  /**
   * Removes the checkpoint: the files it wrote into `imagesDir` (listed when it completed), then
   * the dir if node-criu created it (the default temp dir, or an `imagesDir` that did not exist)
   * and nothing else is left in it. A dir the caller had already made is kept, as is anything
   * else in it. Calling it again, or after the files are gone, does nothing.
   * @throws {CriuError} INVALID_IMAGES when a file cannot be removed (what was removed stays removed).
   */
  remove(): Promise<void>;
  /** `remove()`, for `await using` (defined where the runtime has `Symbol.asyncDispose`: Node >= 20.4). */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Gives `checkpoint` its removal, as members that are not enumerated: JSON output, spreads and
 * deep comparisons of the result see its data only. Call once the checkpoint is complete (the
 * manifest written last): what the dir holds then is what the checkpoint wrote.
 */
export async function withRemoval<T extends object>(
  checkpoint: T,
  dir: string,
  createdDir: boolean,
): Promise<T & CheckpointRemoval> {
  // Synchronous: a thread-pool round trip cost more (~0.6 ms) than listing a dir of images.
  const names = readdirSync(dir);
  let pending: Promise<void> | undefined;
  const remove = (): Promise<void> => {
    // Concurrent calls share one removal; a failed one can be tried again.
    pending ??= removeEntries(dir, names, createdDir).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
  Object.defineProperty(checkpoint, 'remove', { value: remove, writable: true, configurable: true });
  // Node before 20.4 has no Symbol.asyncDispose (nor `await using`): remove() is the way there.
  if (typeof Symbol.asyncDispose === 'symbol') {
    Object.defineProperty(checkpoint, Symbol.asyncDispose, { value: remove, writable: true, configurable: true });
  }
  return checkpoint as T & CheckpointRemoval;
}

async function removeEntries(dir: string, names: readonly string[], createdDir: boolean): Promise<void> {
  try {
    for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
    if (createdDir) {
      await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
        // Someone else's files in it (kept), or the dir is gone already.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST' && error.code !== 'ENOENT') throw error;
      });
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CriuError(
      'INVALID_IMAGES',
      `Cannot remove the checkpoint in ${dir}: ${(error as Error).message}${code ? ` (${code})` : ''}. Make its files removable by this process and call remove() again.`,
      { operation: 'remove', cause: error },
    );
  }
}
