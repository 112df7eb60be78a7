// Which processes checkpoint() accepts as the root of the tree to dump.
import { CriuError } from '../errors.js';
import { treePids } from '../fds/proc-fds.js';
import { processExists } from './pids.js';

/** NO_SUCH_PROCESS, or UNSUPPORTED for this very process or an ancestor (CRIU would freeze us). */
export async function assertCheckpointable(pid: number): Promise<void> {
  if (!processExists(pid)) {
    throw new CriuError('NO_SUCH_PROCESS', `Cannot checkpoint pid ${pid}: no such process.`, {
      operation: 'checkpoint',
      pid,
    });
  }
  // A frozen process could never answer CRIU.
  if ((await treePids(pid)).includes(process.pid)) {
    throw new CriuError(
      'UNSUPPORTED',
      `pid ${pid} is this process or one of its ancestors: a process cannot checkpoint a tree it is part of.`,
      { operation: 'checkpoint', pid },
    );
  }
}
