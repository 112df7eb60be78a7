// Host mode at checkpoint: detach every SysV segment inside its stopped task, hold the range with
// a placeholder, and put everything back as it was after a leave-running or failed dump.
import { CriuError, errnoName } from '../errors.js';
import { PROT_NONE } from '../fds/linux-constants.js';
import { byTask, describe, rangeLength, readAttachments, type SysvAttachment } from './attachments.js';
import { FinalState, type InjectedCall, injectCalls } from './inject.js';
import { readShmSegments } from './ipc-table.js';
import { PLACEHOLDER_FLAGS, SYS, syscallError } from './linux-ipc.js';
import { attachInPlace } from './reattach.js';
import { isStopped } from './task-state.js';

/** What detachSegments() did, and how to undo it. */
export interface DetachedSegments {
  /** The attachments that were detached (each range now holds a PROT_NONE placeholder). */
  attachments: SysvAttachment[];
  /** Every task we stopped to detach segments in (with or without success). */
  tasks: number[];
  /** Tasks that were stopped before we stopped them: they stay stopped. */
  stoppedBefore: number[];
}

function detachCalls(a: SysvAttachment): InjectedCall[] {
  const start = BigInt(`0x${a.start}`);
  return [
    { nr: SYS.shmdt, args: [start] },
    {
      nr: SYS.mmap,
      args: [start, BigInt(rangeLength(a)), BigInt(PROT_NONE), BigInt(PLACEHOLDER_FLAGS), -1n, 0n],
    },
  ];
}

/** Refuses a detach that would destroy a segment: one marked for removal that only the tree holds. */
function assertSurvivesDetach(attachments: readonly SysvAttachment[]): void {
  const segments = new Map(readShmSegments().map((s) => [s.id, s]));
  for (const a of attachments) {
    const segment = segments.get(a.shmid);
    const ours = attachments.filter((b) => b.shmid === a.shmid).length;
    if (segment?.removed && segment.attachments <= ours) {
      throw new CriuError(
        'UNSUPPORTED',
        `${describe(a)} is marked for removal (IPC_RMID) and attached only by this tree: detaching it for the checkpoint would destroy it. Remove it only after the last stage is done, or keep another process attached.`,
        { operation: 'checkpoint', pid: a.pid },
      );
    }
  }
}

/** Puts each task's segments back in place and resumes the tasks we stopped. Best effort per task. */
export async function reattachSegments(detached: DetachedSegments): Promise<void> {
  const failures: unknown[] = [];
  for (const pid of detached.tasks) {
    const list = detached.attachments.filter((a) => a.pid === pid);
    const final = detached.stoppedBefore.includes(pid) ? FinalState.Unchanged : FinalState.Running;
    try {
      await attachInPlace(pid, list, (a) => a.shmid, final, 'checkpoint');
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new CriuError(
      'DUMP_FAILED',
      `After the checkpoint, ${failures.length} task(s) could not get their SysV segments back: ${failures.map((f) => (f instanceof Error ? f.message : String(f))).join(' ')}`,
      { operation: 'checkpoint', cause: failures[0] },
    );
  }
}

/**
 * Detaches every host-namespace SysV attachment of the tasks `pids` and leaves each such task
 * stopped (SIGSTOP) with placeholders over the ranges, for CRIU. Segments attached meanwhile are
 * found by reading the stopped tasks again. On failure everything done so far is undone.
 */
export async function detachSegments(pids: readonly number[]): Promise<DetachedSegments> {
  const detached: DetachedSegments = { attachments: [], tasks: [], stoppedBefore: [] };
  let pending = await readAttachments(pids);
  assertSurvivesDetach(pending);
  try {
    for (let round = 0; pending.length > 0; round++) {
      if (round === 3) {
        throw new CriuError(
          'DUMP_FAILED',
          `The tree keeps attaching SysV segments (${describe(pending[0] as SysvAttachment)}).`,
          {
            operation: 'checkpoint',
          },
        );
      }
      for (const [pid, list] of byTask(pending)) {
        if (!detached.tasks.includes(pid)) {
          if (isStopped(pid)) detached.stoppedBefore.push(pid);
          detached.tasks.push(pid);
        }
        const results = await injectCalls(pid, list.flatMap(detachCalls), FinalState.Stopped, 'checkpoint');
        // Whatever was detached is recorded before a failure is looked at: it must go back.
        list.forEach((a, i) => {
          if (results[2 * i] === 0n) detached.attachments.push(a);
        });
        list.forEach((a, i) => {
          const shmdt = results[2 * i];
          const mmap = results[2 * i + 1];
          if (shmdt === 0n && mmap === BigInt(`0x${a.start}`)) return;
          const failed = shmdt !== 0n ? ['shmdt', shmdt] : ['mmap (placeholder)', mmap];
          const errno = failed[1] === undefined ? undefined : syscallError(failed[1] as bigint);
          throw new CriuError(
            'DUMP_FAILED',
            `Could not detach ${describe(a)}: ${failed[0]} ${errno === undefined ? 'did not run' : `failed with ${errnoName(errno)}`}.`,
            { operation: 'checkpoint', pid },
          );
        });
      }
      pending = await readAttachments(pids);
      assertSurvivesDetach(pending);
    }
  } catch (error) {
    // Tasks stopped without any segment detached (a failed first call) are resumed too.
    await reattachSegments(detached).catch(() => {});
    throw error;
  }
  return detached;
}
