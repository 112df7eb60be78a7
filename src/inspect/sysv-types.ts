// What `inspect` tells about a checkpoint's SysV IPC: the objects of each IPC namespace of the
// tree, and the host-mode attachments of the manifest (docs/inspect-json.md).
import type { JsonInteger } from './json-safe.js';

/** A SysV shared memory segment of an IPC namespace (ipcns-shm-ID.img). */
export interface SysvShmView {
  /** Its shmid in the namespace. */
  id: number;
  /** Its key, unsigned 32-bit (0 for IPC_PRIVATE). */
  key: number;
  /** Permission bits and SHM_* mode flags as ipc(2) reports them. */
  mode: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
  /** Its creator's uid. */
  cuid: number;
  /** Its creator's gid. */
  cgid: number;
  /** Its size in bytes. */
  size: JsonInteger;
  /** Present pages in pagemap-shmem-<id>.img, or null when its contents are stored otherwise. */
  presentPages: number | null;
  /** Pids of the tasks that have it attached (a sysv VMA with this shmid). */
  attachedBy: number[];
}

/** A SysV semaphore set (ipcns-sem-ID.img). */
export interface SysvSemView {
  /** Its semid in the namespace. */
  id: number;
  /** Its key, unsigned 32-bit (0 for IPC_PRIVATE). */
  key: number;
  /** Its ipc mode bits. */
  mode: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
  /** Its creator's uid. */
  cuid: number;
  /** Its creator's gid. */
  cgid: number;
  /** How many semaphores it has. */
  nsems: number;
  /** The semaphores' values, as stored after the entry. */
  values: number[];
}

/** A SysV message queue (ipcns-msg-ID.img). */
export interface SysvMsgView {
  /** Its msqid in the namespace. */
  id: number;
  /** Its key, unsigned 32-bit (0 for IPC_PRIVATE). */
  key: number;
  /** Its ipc mode bits. */
  mode: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
  /** Its creator's uid. */
  cuid: number;
  /** Its creator's gid. */
  cgid: number;
  /** The queue's byte limit (msg_qbytes). */
  qbytes: number;
  /** Number of queued messages. */
  messageCount: number;
  /** Sum of the queued messages' sizes. */
  messageBytes: number;
  /** Each queued message's type and size, in queue order. */
  messages: { type: JsonInteger; size: number }[];
}

/** The SysV objects of one IPC namespace of the tree. */
export interface SysvView {
  /** CRIU's id of the IPC namespace (the ID of ipcns-*-ID.img). */
  nsId: number;
  /** The namespace's IPC sysctls (ipcns-var-ID.img), or null. */
  limits: Record<string, JsonInteger | JsonInteger[]> | null;
  /** Its shared memory segments (ipcns-shm). */
  shm: SysvShmView[];
  /** Its semaphore sets (ipcns-sem). */
  sem: SysvSemView[];
  /** Its message queues (ipcns-msg). */
  msg: SysvMsgView[];
}

/** One host-mode SysV attachment of the manifest, and what became of it. */
export interface SysvAttachmentView {
  /** The task that had it attached. */
  pid: number;
  /** The range's first address, as /proc shows it (hex). */
  start: string;
  /** The address just past the range, as /proc shows it (hex). */
  end: string;
  /** The segment's id in the host IPC namespace. */
  shmid: number;
  /** The key as 0x-hex (0x00000000 for IPC_PRIVATE). */
  key: string;
  /** Attached read-only or read-write. */
  access: 'r' | 'rw';
  /** The segment's size in bytes at checkpoint. */
  size: number;
  /** What became of it: always left out of the images and attached to a live segment at restore. */
  fate: 'left out (host mode): attached to a live segment at restore';
}
