// The marker of a checkpoint in progress: present from before CRIU runs until the manifest is written.
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriuError, type CriuOperation } from '../errors.js';

/**
 * A checkpoint killed half-way (the Node process itself killed, the machine down) leaves images
 * but no manifest; with `verify: false` nothing else would stop them from being restored. This
 * file says "not complete" until the very end, so even unverified restores refuse it.
 */
export const INCOMPLETE_MARKER = 'node-criu.incomplete';

export function markIncomplete(dir: string): void {
  // A tiny file: written at once, as the rest of a checkpoint's bookkeeping (fs/flat-dir.ts says why).
  writeFileSync(
    join(dir, INCOMPLETE_MARKER),
    `A node-criu checkpoint started here at ${new Date().toISOString()} and has not completed.\n`,
    { mode: 0o600, flag: 'wx' },
  );
}

/** Called once the manifest is on disk: from then on the checkpoint is complete. */
export function clearIncomplete(dir: string): void {
  try {
    unlinkSync(join(dir, INCOMPLETE_MARKER));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export function incompleteError(dir: string, operation: CriuOperation): CriuError {
  return new CriuError(
    'INVALID_IMAGES',
    `${dir} holds an incomplete checkpoint (${INCOMPLETE_MARKER} is present): the checkpoint failed or was interrupted before it completed, so its images must not be restored. Take a new checkpoint.`,
    { operation, file: join(dir, INCOMPLETE_MARKER) },
  );
}
