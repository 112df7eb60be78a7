// Checkpoint concern: integrity digests (on by default). The images are hashed as CRIU writes
// them (integrity/follow-images.ts): page data from query-ext-files on, everything else from
// post-dump on, or after CRIU's answer for a small dump; the manifest gets the digests.
import { followImages, type ImagesFollower } from '../integrity/follow-images.js';
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';

export const integrity: CheckpointConcern = {
  name: 'integrity digests',
  async begin({ options }, begun) {
    if (!(options.digest ?? true)) return undefined;
    // Pages rewritten after the dump are not final as CRIU writes them: hashed at record time.
    const follow = ![...begun.values()].some((step) => step.rewritesPages);
    let follower: ImagesFollower | undefined;
    return {
      beforeDump: async (imagesDir) => {
        if (follow) follower = followImages(imagesDir);
      },
      // CRIU dumps the tasks' memory next.
      whileFrozen: async () => {
        follower?.memoryDumpStarts();
        return undefined;
      },
      imagesWritten: () => follower?.imagesWritten(),
      // Only a hint to the follower: nothing to refuse.
      settledEarly: async () => true,
      record: async () => ({ digests: { followed: await follower?.finish() } }),
      // Nothing returns with the pages still followed (a failure).
      release: async () => follower?.stop(),
    };
  },
};
