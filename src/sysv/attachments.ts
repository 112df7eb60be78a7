// SysV shared memory attachments of a live tree in the host IPC namespace, from /proc.
import { readFileSync, readlinkSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CriuError } from '../errors.js';
import { readShmSegments, type ShmSegment } from './ipc-table.js';
import { pageRound } from './linux-ipc.js';

/** One segment attached at one address range of one task (one line of /proc/PID/maps). */
export interface SysvAttachment {
  /** The task that has the segment attached. */
  pid: number;
  /** The range as /proc shows it, hex without 0x: `start` inclusive, `end` exclusive. */
  start: string;
  /** See `start`. */
  end: string;
  /** The segment's id (in the host IPC namespace). */
  shmid: number;
  /** The segment's key (0 for IPC_PRIVATE). */
  key: number;
  /** Attached read-only (SHM_RDONLY) or read-write: restore attaches it the same way. */
  access: 'r' | 'rw';
  /** Attached executable (SHM_EXEC). */
  exec: boolean;
  /** The segment's size in bytes at checkpoint (the mapping is this, rounded up to pages). */
  size: number;
  /** The task's effective uid, which a substitute's permissions must admit. */
  uid: number;
}

/** The length of an attachment's range in bytes. */
export function rangeLength(a: Pick<SysvAttachment, 'start' | 'end'>): number {
  return Number(BigInt(`0x${a.end}`) - BigInt(`0x${a.start}`));
}

export const formatKey = (key: number): string => `0x${key.toString(16).padStart(8, '0')}`;

/** How an attachment is named in messages: `segment 32789 (key 0x00001234) at 7f00..-7f00.. of pid 12`. */
export function describe(a: SysvAttachment): string {
  return `SysV segment ${a.shmid} (key ${formatKey(a.key)}) at ${a.start}-${a.end} of pid ${a.pid}`;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // the task exited meanwhile
  }
}

/** Whether `pid` shares this process's IPC namespace, the one CRIU refuses SysV mappings in. */
export function inHostIpcNamespace(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/ipc`) === readlinkSync('/proc/self/ns/ipc');
  } catch {
    return false;
  }
}

function effectiveUid(pid: number): number {
  return Number(/^Uid:\s+\d+\s+(\d+)/m.exec(read(`/proc/${pid}/status`))?.[1] ?? 0);
}

// start-end perms offset dev inode /SYSV<key> (deleted)
const SYSV_LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+\S+\s+(\d+)\s+\/SYSV([0-9a-f]{8})\b/;

/**
 * The SysV attachments of the tasks `pids` that live in the host IPC namespace (a task in an IPC
 * namespace of its own is CRIU's to dump). Each must be a whole segment attached once per range:
 * a partly unmapped or partly re-protected attachment cannot be put back as it was, so it is
 * refused here (UNSUPPORTED), before anything is stopped.
 */
export async function readAttachments(pids: readonly number[]): Promise<SysvAttachment[]> {
  const out: SysvAttachment[] = [];
  let segments: Map<number, ShmSegment> | undefined;
  for (const pid of pids) {
    await nextTurn();
    if (!inHostIpcNamespace(pid)) continue;
    const lines = read(`/proc/${pid}/maps`)
      .split('\n')
      .map((line) => SYSV_LINE.exec(line))
      .filter((m): m is RegExpExecArray => m !== null);
    if (lines.length === 0) continue;
    segments ??= new Map(readShmSegments().map((s) => [s.id, s]));
    const uid = effectiveUid(pid);
    for (const [, start = '', end = '', perms = '', offset = '', inode = '', key = ''] of lines) {
      const shmid = Number(inode);
      const segment = segments.get(shmid);
      const attachment: SysvAttachment = {
        pid,
        start,
        end,
        shmid,
        key: Number.parseInt(key, 16),
        access: perms[1] === 'w' ? 'rw' : 'r',
        exec: perms[2] === 'x',
        size: segment?.size ?? 0,
        uid,
      };
      if (!segment || BigInt(`0x${offset}`) !== 0n || rangeLength(attachment) !== pageRound(segment.size)) {
        throw new CriuError(
          'UNSUPPORTED',
          `${describe(attachment)} maps only part of the segment (it was partly unmapped or re-protected): node-criu can detach and re-attach whole attachments only. Attach the whole segment, or run the tree in its own IPC namespace (spawn with namespaces: ['ipc']).`,
          { operation: 'checkpoint', pid },
        );
      }
      out.push(attachment);
    }
  }
  return out;
}

/** Attachments grouped by task, in the order given. */
export function byTask(attachments: readonly SysvAttachment[]): Map<number, SysvAttachment[]> {
  const tasks = new Map<number, SysvAttachment[]>();
  for (const a of attachments) tasks.set(a.pid, [...(tasks.get(a.pid) ?? []), a]);
  return tasks;
}
