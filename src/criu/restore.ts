// restore() on real CRIU: the checkpoint read and verified, then the restore runner over the
// registered concerns (restore/concerns.ts), with CRIU making the tree (restore-execution.ts).
import { restoreContext } from '../pipeline/restore-context.js';
import { runRestore } from '../pipeline/run-restore.js';
import { criuRestoreConcerns } from '../restore/concerns.js';
import { readCheckpointToRestore } from '../restore-plan.js';
import type { RestoredProcess, RestoreOptions } from '../types.js';
import { criuExecution } from './restore-execution.js';
import { criuClient } from './runtime.js';

export async function criuRestore(imagesDir: string, options: RestoreOptions): Promise<RestoredProcess> {
  const client = await criuClient(options.criuPath, 'restore');
  // Page data is verified while CRIU restores the tree, stopped (restore/page-verification.ts).
  const checkpoint = await readCheckpointToRestore(imagesDir, { ...options, deferPages: true });
  const context = restoreContext(imagesDir, options, checkpoint);
  return runRestore(context, criuRestoreConcerns(client.criuPath), criuExecution(client, context));
}
