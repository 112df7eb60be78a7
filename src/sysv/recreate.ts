// Recreates a gone SysV object from its snapshot: same id when free, same key, owner and mode,
// and its contents (segment bytes, semaphore values, queued messages).
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { loadNative } from '../native.js';
import { createWithId } from './next-id.js';
import { decodeMessages, decodeSemValues, type SnapshotObject } from './snapshot-format.js';

/** An object this restore created, to remove again if the restore fails. */
export interface CreatedObject {
  kind: SnapshotObject['kind'];
  id: number;
}

async function fill(dir: string, object: SnapshotObject, id: number): Promise<void> {
  const native = loadNative();
  const path = join(dir, object.file);
  if (object.kind === 'shm') {
    const file = await open(path, 'r');
    try {
      await native.shmCopy(id, file.fd, object.size, true);
    } finally {
      await file.close();
    }
  } else if (object.kind === 'sem') {
    native.semSetAll(id, decodeSemValues(await readFile(path)));
  } else {
    // A queue holds at most qbytes: raise it before the messages go in (root may).
    native.ipcSetOwner('msg', id, 0, 0, 0o600, object.qbytes ?? 0);
    for (const m of decodeMessages(await readFile(path))) native.msgSend(id, m.type, m.data);
  }
  native.ipcSetOwner(object.kind, id, object.uid, object.gid, object.mode, object.qbytes ?? 0);
}

/**
 * Creates `object` of the snapshot in `dir` (checked against its digest by the caller) and fills
 * it. A segment may take another id when its own is taken (`anyId`); sets and queues may not.
 * On failure nothing is left behind.
 */
export async function recreateObject(dir: string, object: SnapshotObject, anyId: boolean): Promise<CreatedObject> {
  const size = object.kind === 'msg' ? 0 : object.size;
  const id = createWithId(object.kind, object.id, object.key, size, anyId);
  try {
    await fill(dir, object, id);
  } catch (error) {
    removeObjects([{ kind: object.kind, id }]);
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `Could not fill SysV ${object.kind} ${id}, recreated from the snapshot in ${dir}: ${error instanceof Error ? error.message : String(error)}.`,
      { operation: 'restore', cause: error },
    );
  }
  return { kind: object.kind, id };
}

/** Removes objects a failed restore created. Best effort: one already gone is skipped. */
export function removeObjects(objects: readonly CreatedObject[]): void {
  for (const o of objects) {
    try {
      loadNative().ipcRemove(o.kind, o.id);
    } catch {
      // Removed meanwhile.
    }
  }
}
