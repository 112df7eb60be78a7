// How real CRIU makes, resumes and ends a restored tree, for the restore runner: from the
// checkpoint itself, or from a linked copy when a step edits images (the checkpoint stays as it
// was; CRIU writes only into its work dir), as our child (rst_sibling), watched through a pidfd.
import { treePids } from '../fds/proc-fds.js';
import { removeDir } from '../fs/flat-dir.js';
import { loadNative, type ProcessWatcher } from '../native.js';
import { mergeCriu } from '../pipeline/criu-contribution.js';
import type { RestoreContext, RestoredTree } from '../pipeline/restore-phases.js';
import type { RestoreExecution } from '../pipeline/run-restore.js';
import type { LinkedCopy } from '../rewrite/linked-copy.js';
import { rewriteIfEdited } from '../rewrite/rewrite.js';
import type { CriuRpcClient } from '../rpc/client.js';
import type { CriuAhead } from '../rpc/criu-ahead.js';
import { callRestore, inheritedFds } from './restore-call.js';
import { CriuRestoredProcess } from './restored-process.js';
import { endTree, resumeTree, stoppedAtCheckpoint } from './restored-tree.js';

interface CriuTree extends RestoredTree {
  watcher: ProcessWatcher;
}

/** `early`: a CRIU started before the plan, taken if the plan hands CRIU no fd (else the caller dismisses it). */
export function criuExecution(
  client: CriuRpcClient,
  context: RestoreContext,
  early?: CriuAhead,
): RestoreExecution<CriuTree> {
  const { imagesDir, options, checkpoint } = context;
  let copy: LinkedCopy | undefined;
  let workDir: string | undefined;
  let criuExit: Promise<void> | undefined;
  return {
    async start(steps, stopped) {
      const criu = mergeCriu(steps);
      const fds = inheritedFds(criu);
      // CRIU loads while its images and work dir are made ready; it touches nothing before its request.
      const ahead = early && fds.length === 0 ? early : client.startAhead(fds);
      // Not of use after all: gone while the restore goes on (the caller awaits its end).
      if (early && ahead !== early) void early.dismiss();
      let root: number;
      try {
        // CRIU reads a copy, never its manifest: none is written. Pages are never copied.
        copy = await rewriteIfEdited(
          imagesDir,
          async (images) => {
            for (const step of steps) await step.editImages?.(images);
          },
          { manifest: false },
        );
        workDir = await context.workDir();
        const restored = await callRestore({
          client,
          ahead,
          imagesDir: copy?.dir ?? imagesDir,
          options,
          criu,
          pids: checkpoint.pids,
          deadline: context.pidDeadline,
          leaveStopped: stopped,
          workDir,
        });
        root = restored.root;
        criuExit = restored.criuGone;
      } finally {
        await ahead.dismiss();
      }
      // The tree's host pids: the image's own, or, in a new pid namespace, the root's tree there.
      const pids = checkpoint.ownPidNamespace
        ? await treePids(root)
        : [root, ...checkpoint.tree.slice(1).map((t) => t.pid)];
      try {
        return { root, pids, watcher: loadNative().watchProcess(root) };
      } catch (error) {
        await endTree(root, pids);
        throw error;
      }
    },
    stoppedAtCheckpoint: (tree) => stoppedAtCheckpoint(imagesDir, tree.pids, checkpoint.ownPidNamespace),
    resume: (tree, keepStopped) => resumeTree(tree.pids, keepStopped),
    async end(tree) {
      tree.watcher.close();
      await endTree(tree.root, tree.pids);
    },
    handle(tree, { streams, defaultedFds, pagesLoaded, channel }) {
      return new CriuRestoredProcess(tree.watcher, [...tree.pids], streams, defaultedFds, pagesLoaded, channel);
    },
    async finish() {
      // CRIU's log stays after CRIU failed (the error names it); otherwise our work dir goes, and the copy.
      const ownWorkDir = options.workDir === undefined && criuExit !== undefined ? workDir : undefined;
      await Promise.all([copy?.dir, ownWorkDir].map((dir) => dir && removeDir(dir)));
      // CRIU exited while the above ran; nothing returns with it still around.
      await criuExit;
    },
  };
}
