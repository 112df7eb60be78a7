// Checkpoint concern: the tree's fd table, read while CRIU has it frozen, checked (what CRIU
// cannot dump, advice that names nothing), its left-out fds told to CRIU as externals, and
// recorded in the manifest for restore to check substitutions against.
import type { FdEntry } from '../fds/fd-entry.js';
import { assertAdviceMatches, assertDumpable, externalsFor, leaveOutRule } from '../fds/leave-out.js';
import { readTreeFds } from '../fds/proc-fds.js';
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';

export const fdTable: CheckpointConcern = {
  name: 'fd table',
  async begin({ pid, options }) {
    const rule = leaveOutRule(pid, options.leaveOut);
    let fds: FdEntry[] = [];
    return {
      // Read once, here only: a read before the dump as well cost ~30 ms for a tree of 100.
      async whileFrozen(pids) {
        fds = await readTreeFds(pid, rule, [...pids]);
        assertDumpable(fds);
        assertAdviceMatches(pid, options.leaveOut, fds);
        return externalsFor(fds);
      },
      record: async () => ({ fds }),
    };
  },
};
