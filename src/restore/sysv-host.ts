// Restore concern: host-namespace SysV (sysv/restore-objects.ts, restore-attach.ts). Segments,
// sets and queues to recreate from snapshots are checked at planning and created just before CRIU
// runs (removed again if the restore fails); the tree, restored stopped, gets each recorded
// segment attached at its address before it runs.
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { sysvSection } from '../sysv/manifest-section.js';
import { attachRestored } from '../sysv/restore-attach.js';
import { type CreatedObject, createPlanned, planSysvRestore, removeObjects } from '../sysv/restore-objects.js';
import { sysvWithOwnPidNamespace } from './own-pid-namespace.js';

export const sysvHostMode: RestoreConcern = {
  name: 'SysV host mode',
  async plan(context) {
    const { imagesDir, options, checkpoint } = context;
    const section = sysvSection(checkpoint.manifest, imagesDir);
    // A tree with an IPC namespace of its own: options.sysv speaks of that namespace (ipc-namespace.ts).
    const ownNamespace = await context.ipcNamespaceImages();
    const plan = await planSysvRestore(section, ownNamespace ? undefined : options.sysv, imagesDir);
    if (!section && plan.pending.length === 0) return undefined;
    if (section && checkpoint.ownPidNamespace) throw sysvWithOwnPidNamespace(imagesDir);
    let created: CreatedObject[] = [];
    let shmIds = plan.shmIds;
    return {
      keepsStopped: section !== undefined,
      stoppedBefore: section?.stoppedBefore,
      prepare: async () => {
        ({ created, shmIds } = await createPlanned(plan));
      },
      // Nothing runs before every segment is attached: a failure ends the still-stopped tree.
      ...(section ? { whileStopped: () => attachRestored(section, shmIds) } : {}),
      // Objects recreated for a restore that failed would outlive it: nothing is left behind.
      release: (failed) => {
        if (failed) removeObjects(created);
      },
    };
  },
};
