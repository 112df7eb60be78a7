// Checkpoint concern: the tree's shared file mappings (POSIX shm, mmap'ed files), read while the
// tree is frozen; those the advice leaves out are told to CRIU as externals and recorded. Without
// advice there are no keys for CRIU to wait for: they are read while it dumps memory instead.
import { assertMappingAdviceMatches, type MappingEntry, mappingRule, readTreeMappings } from '../fds/proc-maps.js';
import { type CheckpointConcern, settles } from '../pipeline/checkpoint-phases.js';

export const mappings: CheckpointConcern = {
  name: 'mappings',
  async begin({ options }) {
    const rule = mappingRule(options.leaveOutMappings);
    let found: MappingEntry[] = [];
    let reading: Promise<MappingEntry[]> | undefined;
    return {
      async whileFrozen(pids) {
        if (!rule) {
          reading = readTreeMappings([...pids]);
          reading.catch(() => {}); // awaited at post-dump, unless the dump failed first
          return undefined;
        }
        found = await readTreeMappings([...pids], rule);
        assertMappingAdviceMatches(options.leaveOutMappings, found);
        return found.filter((m) => m.leftOut).map((m) => m.key);
      },
      async imagesWritten() {
        if (reading) found = await reading;
      },
      settledEarly: async () => !reading || settles(reading),
      record: async () => ({ mappings: found }),
    };
  },
};
