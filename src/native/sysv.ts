// SysV IPC objects (native/sysv_ipc.cc): create, remove and re-own them, copy segment bytes and
// semaphore values, read queues without draining them, and reach another IPC namespace.
import { argumentError, assertFd } from './validate.js';

export type IpcKind = 'shm' | 'sem' | 'msg';

/** One SysV queue message: its type (> 0) and bytes. */
export interface QueueMessage {
  type: number;
  data: Buffer;
}

/** The SysV part of NativeAddon. */
export interface SysvApi {
  /**
   * Copies `bytes` between SysV segment `shmid` and the file at `fd` (from offset 0), attaching
   * the segment in this process (read-only unless `toSegment`) for the copy only. Thread pool.
   * With `ipcNsFd` (an open /proc/PID/ns/ipc) the segment is the one of that IPC namespace.
   */
  shmCopy(shmid: number, fd: number, bytes: number, toSegment: boolean, ipcNsFd?: number): Promise<void>;
  /**
   * Opens `path` read-only from inside the IPC namespace of `ipcNsFd` and returns the fd:
   * /proc/sysvipc/* and the ipc sysctls then describe that namespace. Throws a system error.
   */
  openInIpcNamespace(ipcNsFd: number, path: string): number;
  /** shmget/semget/msgget(key, size or nsems, flags) -> the id; throws a system error. */
  ipcCreate(kind: IpcKind, key: number, size: number, flags: number): number;
  /** IPC_RMID. */
  ipcRemove(kind: IpcKind, id: number): void;
  /** IPC_SET of owner uid/gid and mode (and a queue's msg_qbytes when qbytes > 0). */
  ipcSetOwner(kind: IpcKind, id: number, uid: number, gid: number, mode: number, qbytes: number): void;
  /** semctl GETALL / SETALL. */
  semGetAll(semid: number, nsems: number): number[];
  semSetAll(semid: number, values: readonly number[]): void;
  /** The message at `index` of a queue, left in it (MSG_COPY); null past the last one. */
  msgCopy(msqid: number, index: number): QueueMessage | null;
  /** A queue's msg_qbytes (how many bytes it may hold). */
  msgQueueBytes(msqid: number): number;
  /** msgsnd(IPC_NOWAIT). */
  msgSend(msqid: number, type: number, data: Buffer): void;
}

/** The addon's SysV exports: plain arrays, and -1 for "no namespace fd". */
export interface RawSysvBinding {
  shmCopy(shmid: number, fd: number, bytes: number, toSegment: boolean, ipcNsFd: number): Promise<void>;
  openInIpcNamespace(ipcNsFd: number, path: string): number;
  ipcCreate(kind: IpcKind, key: number, size: number, flags: number): number;
  ipcRemove(kind: IpcKind, id: number): void;
  ipcSetOwner(kind: IpcKind, id: number, uid: number, gid: number, mode: number, qbytes: number): void;
  semGetAll(semid: number, nsems: number): number[];
  semSetAll(semid: number, values: number[]): void;
  msgCopy(msqid: number, index: number): QueueMessage | null;
  msgQueueBytes(msqid: number): number;
  msgSend(msqid: number, type: number, data: Buffer): void;
}

export function sysvApi(raw: RawSysvBinding): SysvApi {
  return {
    shmCopy(shmid, fd, bytes, toSegment, ipcNsFd) {
      assertFd(fd, 'fd');
      if (ipcNsFd !== undefined) assertFd(ipcNsFd, 'ipcNsFd');
      if (!Number.isSafeInteger(bytes) || bytes < 0) {
        throw argumentError(`bytes must be a non-negative integer, got ${String(bytes)}.`, 'ERR_OUT_OF_RANGE');
      }
      return raw.shmCopy(shmid, fd, bytes, toSegment, ipcNsFd ?? -1);
    },
    openInIpcNamespace(ipcNsFd, path) {
      assertFd(ipcNsFd, 'ipcNsFd');
      return raw.openInIpcNamespace(ipcNsFd, path);
    },
    ipcCreate: (kind, key, size, flags) => raw.ipcCreate(kind, key | 0, size, flags),
    ipcRemove: (kind, id) => raw.ipcRemove(kind, id),
    ipcSetOwner: (kind, id, uid, gid, mode, qbytes) => raw.ipcSetOwner(kind, id, uid, gid, mode, qbytes),
    semGetAll: (semid, nsems) => raw.semGetAll(semid, nsems),
    semSetAll: (semid, values) => raw.semSetAll(semid, [...values]),
    msgCopy: (msqid, index) => raw.msgCopy(msqid, index),
    msgQueueBytes: (msqid) => raw.msgQueueBytes(msqid),
    msgSend(msqid, type, data) {
      if (!Buffer.isBuffer(data)) throw argumentError('data must be a Buffer.', 'ERR_INVALID_ARG_TYPE');
      raw.msgSend(msqid, type, data);
    },
  };
}
