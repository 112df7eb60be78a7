// restore() on real CRIU: the checkpoint read and verified, then the restore runner over the
// registered concerns (restore/concerns.ts), with CRIU making the tree (restore-execution.ts).

import type { CheckpointRead } from '../backend.js';
import { type Manifest, readManifest } from '../integrity/manifest.js';
import { restoreContext } from '../pipeline/restore-context.js';
import { runRestore } from '../pipeline/run-restore.js';
import { criuRestoreConcerns } from '../restore/concerns.js';
import type { PageServerSource } from '../restore/lazy-pages.js';
import { readCheckpointToRestore } from '../restore-plan.js';
import type { RestoredProcess, RestoreOptions } from '../types.js';
import { criuExecution } from './restore-execution.js';
import { criuClient } from './runtime.js';

/**
 * `read`: the manifest as restore() read it. `pageServer`: with `lazyPages`, the pages come from a
 * migration's source (serve()).
 */
export async function criuRestore(
  imagesDir: string,
  options: RestoreOptions,
  read?: CheckpointRead,
  pageServer?: PageServerSource,
): Promise<RestoredProcess> {
  const client = await criuClient(options.criuPath, 'restore');
  // CRIU, which takes milliseconds to load before it reads a request, starts before the checkpoint
  // is verified and planned when it will be handed none of our fds (CRIU gets them as it starts).
  // Should the plan hand it some after all, another is started then and this one killed.
  const manifest = read ? read.manifest : await readManifest(imagesDir).catch(() => undefined);
  const early = handsCriuNoFds(options, manifest) ? client.startAhead() : undefined;
  try {
    // Page data is verified while CRIU restores the tree, stopped (restore/page-verification.ts).
    const checkpoint = await readCheckpointToRestore(imagesDir, { ...options, deferPages: true, manifest });
    const context = restoreContext(imagesDir, options, checkpoint);
    const concerns = criuRestoreConcerns(client.criuPath, pageServer);
    return await runRestore(context, concerns, criuExecution(client, context, early));
  } finally {
    await early?.dismiss();
  }
}

/**
 * Whether the restore will likely give CRIU no fd of ours: the caller substitutes nothing, and the
 * checkpoint left nothing out (every fd of an IPC channel or to outside the tree is left out).
 */
function handsCriuNoFds(options: RestoreOptions, manifest: Manifest | undefined): boolean {
  if (!manifest || options.fds || options.inheritFds || options.mappings) return false;
  return !manifest.fds.some((entry) => entry.leftOut) && !manifest.mappings.some((entry) => entry.leftOut);
}
