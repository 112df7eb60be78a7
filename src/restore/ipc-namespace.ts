// Restore concern: a tree with an IPC namespace of its own (sysv/ipcns-restore.ts). CRIU restores
// the namespace; the caller's sysv choices (refills, renumbering, joining another namespace) edit
// the linked copy, and what they need once the tree exists is done while it is still stopped.
import type { RestoreConcern } from '../pipeline/restore-phases.js';
import { planIpcNamespaceRestore } from '../sysv/ipcns-restore.js';
import { sysvSection } from '../sysv/manifest-section.js';
import { sysvWithOwnPidNamespace } from './own-pid-namespace.js';

export const ipcNamespaceMode: RestoreConcern = {
  name: 'IPC namespace',
  async plan(context) {
    const { imagesDir, options, checkpoint } = context;
    const section = sysvSection(checkpoint.manifest, imagesDir);
    const plan = await planIpcNamespaceRestore(
      await context.ipcNamespaceImages(),
      section,
      options.sysv,
      options.joinNs,
      imagesDir,
    );
    if (!plan) return undefined;
    if (checkpoint.ownPidNamespace) throw sysvWithOwnPidNamespace(imagesDir);
    return {
      keepsStopped: true,
      stoppedBefore: plan.stoppedBefore,
      editImages: plan.edit,
      whileStopped: (tree) => plan.complete(tree.root),
    };
  },
};
