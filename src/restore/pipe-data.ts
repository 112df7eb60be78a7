// Restore concern: bytes that were unread in the root's pipes at checkpoint (pipes-data.img) are
// written into the new pipes that replace them, once the tree runs. Read and checked at planning:
// nothing may fail once the tree is running.
import { readPipeData } from '../fds/pipe-data.js';
import { replayPipeData } from '../fds/substitute.js';
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { fdStepOf } from './fd-substitution.js';

export const pipeData: RestoreConcern = {
  name: 'pipe data',
  async plan({ imagesDir, options }, planned) {
    if (!(options.replayPipeData ?? true)) return undefined;
    const buffered = await readPipeData(imagesDir);
    if (buffered.size === 0) return undefined;
    return {
      // Planned after this one: the new pipes are the fd substitution's.
      afterResume: () => {
        const fds = fdStepOf(planned);
        if (fds) replayPipeData(fds.substitution, buffered);
      },
    };
  },
};
