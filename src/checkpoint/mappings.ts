// Checkpoint concern: the tree's shared file mappings (POSIX shm, mmap'ed files), read while the
// tree is frozen; those the advice leaves out are told to CRIU as externals and recorded.
import { assertMappingAdviceMatches, type MappingEntry, mappingRule, readTreeMappings } from '../fds/proc-maps.js';
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';

export const mappings: CheckpointConcern = {
  name: 'mappings',
  async begin({ options }) {
    const rule = mappingRule(options.leaveOutMappings);
    let found: MappingEntry[] = [];
    return {
      async whileFrozen(pids) {
        found = await readTreeMappings([...pids], rule);
        assertMappingAdviceMatches(options.leaveOutMappings, found);
        return found.filter((m) => m.leftOut).map((m) => m.key);
      },
      record: async () => ({ mappings: found }),
    };
  },
};
