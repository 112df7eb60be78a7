// Restore concern: page data still being verified (integrity/verify.ts's deferPages) while CRIU
// restores. The tree is restored stopped and runs only on a good verdict; an altered checkpoint is
// reported as such whatever else failed meanwhile (its pids taken, CRIU).
import type { RestoreConcern } from '../pipeline/restore-phases.js';

export const pageVerification: RestoreConcern = {
  name: 'page data verification',
  async plan({ checkpoint: { pagesVerified } }) {
    if (!pagesVerified) return undefined;
    return {
      keepsStopped: true,
      whileStopped: () => pagesVerified,
      explain: () =>
        pagesVerified.then(
          () => undefined,
          (verdict: unknown) => verdict,
        ),
    };
  },
};
