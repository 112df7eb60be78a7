// An IPC namespace's SysV objects as /proc/sysvipc lists them (segments, sets, queues): ours by
// default, or another one's, named by its /proc/PID/ns/ipc.
import { type IpcNamespaceFile, readInIpcNamespace } from './ipc-namespace.js';

/** A shared memory segment as /proc/sysvipc/shm lists it. */
export interface ShmSegment {
  /** Its key, unsigned (0 for IPC_PRIVATE). */
  key: number;
  /** Its shmid. */
  id: number;
  /** Permission bits (the low 9 bits of shm_perm.mode). */
  mode: number;
  /** Marked for removal (IPC_RMID): it is destroyed when its last attachment goes. */
  removed: boolean;
  /** Its size in bytes. */
  size: number;
  /** How many attachments it has (shm_nattch), in every process. */
  attachments: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
  /** Its creator's uid. */
  cuid: number;
  /** Its creator's gid. */
  cgid: number;
}

/** A semaphore set as /proc/sysvipc/sem lists it. */
export interface SemSet {
  /** Its key, unsigned (0 for IPC_PRIVATE). */
  key: number;
  /** Its semid. */
  id: number;
  /** Permission bits. */
  mode: number;
  /** How many semaphores it has. */
  nsems: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
}

/** A message queue as /proc/sysvipc/msg lists it. */
export interface MsgQueue {
  /** Its key, unsigned (0 for IPC_PRIVATE). */
  key: number;
  /** Its msqid. */
  id: number;
  /** Permission bits. */
  mode: number;
  /** Bytes queued (msg_cbytes). */
  bytes: number;
  /** Messages queued (msg_qnum). */
  messages: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
}

/** The rows of /proc/sysvipc/NAME as column name -> number (the first line names the columns). */
function rows(name: 'shm' | 'sem' | 'msg', ns: IpcNamespaceFile): Record<string, number>[] {
  const [header = '', ...lines] = readInIpcNamespace(`/proc/sysvipc/${name}`, ns).split('\n');
  const columns = header.trim().split(/\s+/);
  return lines
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const values = line.trim().split(/\s+/);
      // perms is octal; everything else decimal (keys may be negative: they are signed ints).
      return Object.fromEntries(
        columns.map((c, i) => [c, c === 'perms' ? Number.parseInt(values[i] ?? '0', 8) : Number(values[i])]),
      );
    });
}

/** The mode bit /proc/sysvipc/shm shows for a segment marked for removal. */
const SHM_DEST = 0o1000;

const n = (row: Record<string, number>, column: string): number => row[column] ?? 0;

/** The key as the unsigned 32-bit value /proc/PID/maps prints in `/SYSV%08x`. */
export const unsignedKey = (key: number): number => key >>> 0;

/** The shared memory segments of an IPC namespace: this process's, or the one `ns` names (`/proc/PID/ns/ipc`). */
export function readShmSegments(ns?: IpcNamespaceFile): ShmSegment[] {
  return rows('shm', ns).map((r) => ({
    key: unsignedKey(n(r, 'key')),
    id: n(r, 'shmid'),
    mode: n(r, 'perms') & 0o777,
    removed: (n(r, 'perms') & SHM_DEST) !== 0,
    size: n(r, 'size'),
    attachments: n(r, 'nattch'),
    uid: n(r, 'uid'),
    gid: n(r, 'gid'),
    cuid: n(r, 'cuid'),
    cgid: n(r, 'cgid'),
  }));
}

/** Whether any task of this process's IPC namespace has a segment attached (one read of /proc). */
export function anySegmentAttached(): boolean {
  return readShmSegments().some((segment) => segment.attachments > 0);
}

/** The semaphore sets of an IPC namespace, as readShmSegments. */
export function readSemSets(ns?: IpcNamespaceFile): SemSet[] {
  return rows('sem', ns).map((r) => ({
    key: unsignedKey(n(r, 'key')),
    id: n(r, 'semid'),
    mode: n(r, 'perms') & 0o777,
    nsems: n(r, 'nsems'),
    uid: n(r, 'uid'),
    gid: n(r, 'gid'),
  }));
}

/** The message queues of an IPC namespace, as readShmSegments. */
export function readMsgQueues(ns?: IpcNamespaceFile): MsgQueue[] {
  return rows('msg', ns).map((r) => ({
    key: unsignedKey(n(r, 'key')),
    id: n(r, 'msqid'),
    mode: n(r, 'perms') & 0o777,
    bytes: n(r, 'cbytes'),
    messages: n(r, 'qnum'),
    uid: n(r, 'uid'),
    gid: n(r, 'gid'),
  }));
}
