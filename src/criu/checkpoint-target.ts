// Which processes checkpoint() accepts as the root of the tree to dump.
import { CriuError } from '../errors.js';
import { procStatFields, STAT } from '../fs/proc-stat.js';
import { processExists } from './pids.js';

/** The parent of `pid` (0 once past init, or when it is gone). */
function parentPid(pid: number): number {
  return Number(procStatFields(pid)?.[STAT.ppid]) || 0;
}

/** NO_SUCH_PROCESS, or UNSUPPORTED for this very process or an ancestor (CRIU would freeze us). */
export async function assertCheckpointable(pid: number): Promise<void> {
  if (!processExists(pid)) {
    throw new CriuError('NO_SUCH_PROCESS', `Cannot checkpoint pid ${pid}: no such process.`, {
      operation: 'checkpoint',
      pid,
    });
  }
  // A frozen process could never answer CRIU. Walking up from this process takes a few reads;
  // walking down the target's tree took 3 ms for a tree of 100.
  for (let ancestor = process.pid; ancestor > 0; ancestor = parentPid(ancestor)) {
    if (ancestor === pid) {
      throw new CriuError(
        'UNSUPPORTED',
        `pid ${pid} is this process or one of its ancestors: a process cannot checkpoint a tree it is part of.`,
        { operation: 'checkpoint', pid },
      );
    }
  }
}
