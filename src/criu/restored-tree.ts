// A tree CRIU restored (or left behind): which of its tasks to keep stopped, and how to end it.
import { treePids } from '../fds/proc-fds.js';
import { procStatFields, STAT } from '../fs/proc-stat.js';
import { ImageSet as InspectedImages } from '../inspect/image-set.js';
import { readTasks, taskState } from '../inspect/tasks.js';
import { innermostPid } from '../launch/namespace-init.js';
import { loadNative } from '../native.js';
import { signalNumber } from '../process/signals.js';

/**
 * The host pids (of `all`, the restored tree) of the tasks the images say were stopped at
 * checkpoint: resuming the tree leaves them stopped. In its own pid namespace the images name
 * tasks by their pids in there.
 */
export async function stoppedAtCheckpoint(
  imagesDir: string,
  all: readonly number[],
  ownPidNamespace: boolean,
): Promise<number[]> {
  const tasks = await readTasks(await InspectedImages.open(imagesDir));
  const stopped = new Set(tasks.filter((t) => taskState(t.stateCode) === 'stopped').map((t) => t.pid));
  return all.filter((pid) => stopped.has(ownPidNamespace ? (innermostPid(pid) ?? 0) : pid));
}

/** Continues every task of the restored tree except `keepStopped`. */
export function resumeTree(pids: readonly number[], keepStopped: readonly number[]): void {
  for (const pid of pids) {
    if (keepStopped.includes(pid)) continue;
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Exited meanwhile: its parent sees that as it would have.
    }
  }
}

/**
 * After a failed restore, ends whatever of the image is still our child: a tree a stopped or
 * killed CRIU left behind, or the zombie of a root CRIU itself gave up on (it would hold the pid
 * against the next attempt). The pids were free before CRIU ran, so a child of ours holding one
 * now is CRIU's work.
 */
export async function endLeftovers(pids: readonly number[]): Promise<void> {
  for (const pid of pids) if (isOurChild(pid)) await endTree(pid, pids);
}

/** Whether `pid` is a child of this process (a restored root is one, through rst_sibling). */
function isOurChild(pid: number): boolean {
  return Number(procStatFields(pid)?.[STAT.ppid]) === process.pid;
}

/**
 * Ends a restored tree that must not live on: every pid of the image that is `root` or one of
 * its descendants (a pid reused by someone else since is not touched). The root, our child, is
 * reaped; its children go to init.
 */
export async function endTree(root: number, imagePids: readonly number[]): Promise<void> {
  if (!isOurChild(root)) return;
  const watcher = loadNative().watchProcess(root);
  const image = new Set(imagePids);
  for (const pid of (await treePids(root)).filter((p) => image.has(p)).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  watcher.kill(signalNumber('SIGKILL'));
  await watcher.exited;
}
