// Checkpoint concern: SysV IPC. Host-namespace segments, which CRIU refuses, are detached last
// before the dump (the tasks that had them stay stopped until CRIU is done) and reattached if the
// tree lives on; snapshots are taken meanwhile; in a tree's own IPC namespace, contents the caller
// leaves out are dropped from the images after the dump. All of it is recorded in one section.
import { treePids } from '../fds/proc-fds.js';
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';
import { inHostIpcNamespace } from '../sysv/attachments.js';
import { type DetachedSegments, detachSegments, reattachSegments } from '../sysv/host-detach.js';
import { ipcNamespaceOf } from '../sysv/ipc-namespace.js';
import { anySegmentAttached } from '../sysv/ipc-table.js';
import { contentsToLeaveOut, dropContents } from '../sysv/ipcns-contents.js';
import { snapshotSysv } from '../sysv/snapshot.js';
import type { SnapshotObject } from '../sysv/snapshot-format.js';

export const sysv: CheckpointConcern = {
  name: 'SysV IPC',
  async begin({ pid, options, leftRunning }) {
    // IPC-namespace mode: segments whose contents stay out of the images, checked now.
    const contentsLeftOut = contentsToLeaveOut(pid, options.sysv?.leaveOutContents);
    let detached: DetachedSegments | undefined;
    let snapshot: SnapshotObject[] | undefined;
    return {
      rewritesPages: contentsLeftOut.length > 0,
      async beforeDump(imagesDir) {
        // Nothing attached in this namespace: no task's maps to read (a tree of 100: 12 ms).
        if (anySegmentAttached()) detached = await detachSegments(await treePids(pid));
        // Taken while the tasks that attach segments are stopped; the files become images of the
        // checkpoint (in its manifest, digested with the rest).
        if (options.sysv?.snapshot) {
          // A tree with an IPC namespace of its own has its ids there.
          const where = inHostIpcNamespace(pid) ? {} : { ipcNamespace: ipcNamespaceOf(pid) };
          snapshot = (await snapshotSysv(options.sysv.snapshot, imagesDir, where)).objects;
        }
      },
      // A tree that lives on gets its segments back in place and runs (or stays stopped) as before.
      afterDump: async (failed) => {
        if (detached && (failed || leftRunning)) await reattachSegments(detached);
      },
      finishImages: (imagesDir) => dropContents(imagesDir, contentsLeftOut),
      async record() {
        const attachments = detached?.attachments ?? [];
        if (!attachments.length && !snapshot && !contentsLeftOut.length) return {};
        const optional = {
          ...(contentsLeftOut.length ? { contentsLeftOut } : {}),
        };
        return {
          sysv: {
            attachments,
            stoppedBefore: detached?.stoppedBefore ?? [],
            ...(snapshot ? { snapshot: snapshot.map(({ kind, id }) => ({ kind, id })) } : {}),
            ...optional,
          },
          sysvResult: { attachments, ...(snapshot ? { snapshot } : {}), ...optional },
        };
      },
    };
  },
};
