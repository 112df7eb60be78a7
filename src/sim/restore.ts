// restore() in the simulator: the restore runner over the concerns it shares with CRIU's restore
// (pid wait, pipe data, fds, mappings, CRIU flags) and its own checks, with the simulator making
// the tree (restore-execution.ts).
import type { CheckpointRead } from '../backend.js';
import { restoreContext } from '../pipeline/restore-context.js';
import { runRestore } from '../pipeline/run-restore.js';
import { criuFlags } from '../restore/criu-flags.js';
import { fdSubstitutionWith } from '../restore/fd-substitution.js';
import { mappings } from '../restore/mappings.js';
import { pidWait } from '../restore/pid-wait.js';
import { pipeData } from '../restore/pipe-data.js';
import { readCheckpointToRestore } from '../restore-plan.js';
import type { RestoredProcess, RestoreOptions } from '../types.js';
import { simPipePairs } from './pipe-pairs.js';
import { simExecution } from './restore-execution.js';
import { simTasks } from './restore-tasks.js';
import { type SimWorld, simWorld } from './world.js';

/** restore()'s options; `sysv.shm` substitutes segments by original shmid, as for CRIU's host mode. */
export type SimRestoreOptions = RestoreOptions;

export async function simRestore(
  imagesDir: string,
  options: SimRestoreOptions,
  read?: CheckpointRead,
  world: SimWorld = simWorld(),
): Promise<RestoredProcess> {
  const checkpoint = await readCheckpointToRestore(imagesDir, { ...options, ...read });
  const context = restoreContext(imagesDir, options, checkpoint);
  const pipes = simPipePairs();
  const holder = (pid: number) => {
    const p = world.holder(pid);
    return p ? `${p.program.name} ${p.args.join(' ')}`.trim() : undefined;
  };
  const concerns = [simTasks(world), pidWait(holder), pipeData, fdSubstitutionWith(pipes), mappings, criuFlags];
  return runRestore(context, concerns, simExecution(world, context, pipes));
}
