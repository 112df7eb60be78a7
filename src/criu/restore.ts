// restore() on real CRIU: the checkpoint read and verified, then the restore runner over the
// registered concerns (restore/concerns.ts), with CRIU making the tree (restore-execution.ts).
import { restoreContext } from '../pipeline/restore-context.js';
import { runRestore } from '../pipeline/run-restore.js';
import { criuRestoreConcerns } from '../restore/concerns.js';
import type { PageServerSource } from '../restore/lazy-pages.js';
import { readCheckpointToRestore } from '../restore-plan.js';
import type { RestoredProcess, RestoreOptions } from '../types.js';
import { criuExecution } from './restore-execution.js';
import { criuClient } from './runtime.js';

/** `pageServer`: with `lazyPages`, the pages come from a migration's source (serve()). */
export async function criuRestore(
  imagesDir: string,
  options: RestoreOptions,
  pageServer?: PageServerSource,
): Promise<RestoredProcess> {
  const client = await criuClient(options.criuPath, 'restore');
  // Page data is verified while CRIU restores the tree, stopped (restore/page-verification.ts).
  const checkpoint = await readCheckpointToRestore(imagesDir, { ...options, deferPages: true });
  const context = restoreContext(imagesDir, options, checkpoint);
  return runRestore(context, criuRestoreConcerns(client.criuPath, pageServer), criuExecution(client, context));
}
