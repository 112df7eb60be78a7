// Restore concern: the image's pids must be free before anything is restored (CRIU gives each
// task its dumped pid); waits for them until the deadline, naming who holds one.
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { waitUntilPidsFree } from '../restore-plan.js';

/** Waits with `holder` (which process holds a pid: the host's, or the simulator's). */
export function pidWait(holder: (pid: number) => string | undefined): RestoreConcern {
  return {
    name: 'pid wait',
    async plan({ checkpoint, pidDeadline, options }) {
      await waitUntilPidsFree(checkpoint.pids, pidDeadline, holder, options.signal);
      return undefined;
    },
  };
}
