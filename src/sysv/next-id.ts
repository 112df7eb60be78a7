// Creates a SysV object under a chosen id in the host namespace: kernel/<kind>_next_id names the
// id the next create takes (the way CRIU recreates an IPC namespace's objects).
import { writeFileSync } from 'node:fs';
import { CriuError } from '../errors.js';
import { type IpcKind, loadNative } from '../native.js';
import { readMsgQueues, readSemSets, readShmSegments } from './ipc-table.js';

export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
/** Ids are seq * 32768 + index; the kernel allocates the index, next_id only asks for it. */
const IPCMNI = 32768;

const sysctl = (kind: IpcKind) => `/proc/sys/kernel/${kind}_next_id`;

export function liveObjects(kind: IpcKind): { id: number; key: number }[] {
  return kind === 'shm' ? readShmSegments() : kind === 'sem' ? readSemSets() : readMsgQueues();
}

/** Why `id` (and `key`) cannot be created now, or undefined when they can. */
export function idTaken(kind: IpcKind, id: number, key: number): string | undefined {
  const live = liveObjects(kind);
  const slot = live.find((o) => o.id % IPCMNI === id % IPCMNI);
  if (slot) return `its id's slot is taken by ${kind} ${slot.id}`;
  if (key !== 0 && live.some((o) => o.key === key >>> 0)) return `another ${kind} has its key 0x${key.toString(16)}`;
  return undefined;
}

/**
 * A successful create resets next_id to -1; a failed one leaves it set, and the kernel (6.x)
 * refuses a write of -1. So a throwaway private object takes the id, and goes.
 */
function resetNextId(kind: IpcKind): void {
  const native = loadNative();
  try {
    native.ipcRemove(kind, native.ipcCreate(kind, 0, kind === 'shm' ? 1 : kind === 'sem' ? 1 : 0, IPC_CREAT | 0o600));
  } catch {
    // Nothing more to do: the next create in this namespace takes that id.
  }
}

/**
 * Creates a `kind` object with `key` and `size` (bytes or semaphores) under `id` if that id is
 * free, else (only when `anyId`) under a new one; returns the id. Synchronous on purpose: the
 * sysctl write and the create run without yielding, so no other create of this thread can come
 * between them. Another process creating an object at that instant could take
 * the id: the result is checked and a wrong one removed.
 */
export function createWithId(kind: IpcKind, id: number, key: number, size: number, anyId: boolean): number {
  const native = loadNative();
  const flags = IPC_CREAT | IPC_EXCL | 0o600;
  const taken = idTaken(kind, id, key);
  if (taken && !(anyId && !taken.startsWith('another'))) {
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `Cannot recreate SysV ${kind} ${id} from its snapshot: ${taken}. Remove that object first${kind === 'shm' ? '' : ' (the restored process uses this id, so no other will do)'}.`,
      { operation: 'restore' },
    );
  }
  if (taken) return native.ipcCreate(kind, key, size, flags);
  writeFileSync(sysctl(kind), String(id));
  let created: number;
  try {
    created = native.ipcCreate(kind, key, size, flags);
  } catch (error) {
    resetNextId(kind);
    throw error;
  }
  if (created !== id && !anyId) {
    native.ipcRemove(kind, created);
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `Cannot recreate SysV ${kind} ${id} from its snapshot: another process created a ${kind} at the same moment and took the id. Try again.`,
      { operation: 'restore' },
    );
  }
  return created;
}
