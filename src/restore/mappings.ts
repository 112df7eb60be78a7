// Restore concern: shared file mappings left out at checkpoint (POSIX shm, mmap'ed files) get the
// substitutes `mappings` names, added to the fd substitution's plan (CRIU inherits them alike).
import { planMappings } from '../fds/mapping-substitutes.js';
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { fdStepOf } from './fd-substitution.js';

export const mappings: RestoreConcern = {
  name: 'mappings',
  async plan({ options, checkpoint: { manifest } }, planned) {
    // Planned after the fd substitution, into its plan.
    const fds = fdStepOf(planned);
    if (fds) planMappings(manifest?.mappings ?? [], options.mappings, fds.substitution, options.skipFileRwxCheck);
    return undefined;
  },
};
