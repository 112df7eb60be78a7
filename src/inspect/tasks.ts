// The tasks of a checkpoint: pstree.img for the tree, core-PID.img for each task's command and
// state, ids-PID.img (or the core's ids) for its namespaces and files id.
import { PstreeEntrySchema } from '../gen/criu_images_pb.js';
import { CoreEntrySchema, type TaskKobjIdsEntry, TaskKobjIdsEntrySchema } from '../gen/criu_images_task_pb.js';
import type { ImageSet } from './image-set.js';
import type { NamespaceIds, TaskState } from './types.js';

/**
 * CRIU's task states (compel/include/uapi/task-state.h). A zombie is written as TASK_DEAD (2):
 * exited and not yet reaped (criu/cr-dump.c dump_one_zombie); TASK_ZOMBIE (6) is only used while
 * dumping, and read the same way.
 */
export const TASK_STATE: Readonly<Record<number, TaskState>> = {
  1: 'running',
  2: 'zombie',
  3: 'stopped',
  6: 'zombie',
};

/** A task as the images describe it, before memory and fds are added. */
export interface TaskFacts {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  tids: number[];
  command: string | null;
  stateCode: number | null;
  exitStatus: number | null;
  /** The task's kernel-object ids (files_id leads to fdinfo-<files_id>.img), or undefined. */
  ids: TaskKobjIdsEntry | undefined;
}

/** The pstree entries, root first, with each task's core facts and ids. */
export async function readTasks(images: ImageSet): Promise<TaskFacts[]> {
  const tree = await images.messages('pstree.img', PstreeEntrySchema);
  const tasks: TaskFacts[] = [];
  for (const entry of tree) {
    const core = await images.first(`core-${entry.pid}.img`, CoreEntrySchema);
    const ids = (await images.first(`ids-${entry.pid}.img`, TaskKobjIdsEntrySchema)) ?? core?.ids;
    const tc = core?.tc;
    const threads = entry.threads.filter((tid) => tid > 0);
    tasks.push({
      pid: entry.pid,
      ppid: entry.ppid,
      pgid: entry.pgid,
      sid: entry.sid,
      // A zombie has no thread left but its pid, and CRIU 4.2 never fills in its pstree entry's
      // thread (dump_zombies): whatever its heap held there, 0 or a stray number, is no tid.
      tids: (tc && taskState(tc.taskState) === 'zombie') || threads.length === 0 ? [entry.pid] : threads,
      command: tc?.comm ?? core?.threadCore?.comm ?? null,
      stateCode: tc ? tc.taskState : null,
      exitStatus: tc ? tc.exitCode : null,
      ids,
    });
  }
  return tasks;
}

/** The state name of a task_state value. */
export function taskState(code: number | null): TaskState {
  return code === null ? 'unknown' : (TASK_STATE[code] ?? 'unknown');
}

/** A zombie's wait status split into exit code and signal (as wait(2)'s macros do). */
export function exitOf(status: number): { status: number; code: number | null; signal: number | null } {
  const signal = status & 0x7f;
  return signal === 0 ? { status, code: (status >> 8) & 0xff, signal: null } : { status, code: null, signal };
}

/** The namespace ids of a task_kobj_ids_entry (0, CRIU's "not recorded", as null). */
export function namespaceIds(ids: TaskKobjIdsEntry | undefined): NamespaceIds | null {
  if (!ids) return null;
  const id = (n: number) => (n === 0 ? null : n);
  return {
    pid: id(ids.pidNsId),
    net: id(ids.netNsId),
    ipc: id(ids.ipcNsId),
    uts: id(ids.utsNsId),
    mnt: id(ids.mntNsId),
    user: id(ids.userNsId),
    cgroup: id(ids.cgroupNsId),
    time: id(ids.timeNsId),
  };
}
