// snapshotSysv(): saves SysV objects (segment contents, semaphore values, queue messages left in
// their queue) with their key, mode and owner, into files with a manifest.
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriuError, type CriuOperation } from '../errors.js';
import { digestFile } from '../integrity/digest.js';
import { type IpcKind, loadNative, type QueueMessage } from '../native.js';
import { sysvSelection } from '../options.js';
import { withNamespaceFd } from './ipc-namespace.js';
import { readMsgQueues, readSemSets, readShmSegments } from './ipc-table.js';
import {
  dataFile,
  encodeMessages,
  encodeSemValues,
  SNAPSHOT_MANIFEST,
  type SnapshotManifest,
  type SnapshotObject,
  snapshotManifest,
} from './snapshot-format.js';
import type { SysvSelection } from './snapshot-selection.js';

interface Meta {
  key: number;
  id: number;
  mode: number;
  uid: number;
  gid: number;
}

function gone(kind: IpcKind, id: number, operation: CriuOperation): CriuError {
  return new CriuError(
    'DUMP_FAILED',
    `Cannot snapshot SysV ${kind} ${id}: there is no such ${kind === 'shm' ? 'segment' : kind === 'sem' ? 'semaphore set' : 'queue'} in this IPC namespace (see ipcs). Name ids that exist.`,
    { operation },
  );
}

function find<T extends Meta>(list: readonly T[], kind: IpcKind, id: number, operation: CriuOperation): T {
  const found = list.find((o) => o.id === id);
  if (!found) throw gone(kind, id, operation);
  return found;
}

/** Every message of a queue, in order, copied (MSG_COPY) so that the queue keeps them. */
function copyMessages(msqid: number): QueueMessage[] {
  const native = loadNative();
  const out: QueueMessage[] = [];
  for (let i = 0; ; i++) {
    const message = native.msgCopy(msqid, i);
    if (message === null) return out;
    out.push(message);
  }
}

async function saveShm(dir: string, id: number, size: number, ns: string | undefined): Promise<void> {
  const file = await open(join(dir, dataFile('shm', id)), 'wx', 0o600);
  try {
    const native = loadNative();
    if (ns === undefined) await native.shmCopy(id, file.fd, size, false);
    else await withNamespaceFd(ns, (nsFd) => native.shmCopy(id, file.fd, size, false, nsFd));
  } finally {
    await file.close();
  }
}

function wrap(kind: IpcKind, id: number, operation: CriuOperation, error: unknown): CriuError {
  if (error instanceof CriuError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EINVAL' || code === 'EIDRM') return gone(kind, id, operation);
  const advice = code === 'EACCES' || code === 'EPERM' ? ' Run as root or as the owner of the object.' : '';
  return new CriuError(
    'DUMP_FAILED',
    `Could not snapshot SysV ${kind} ${id}: ${error instanceof Error ? error.message : String(error)}.${advice}`,
    { operation, cause: error },
  );
}

/** snapshotSysv()'s options. */
export interface SnapshotOptions {
  /**
   * The IPC namespace the ids are in, by the file naming it (`/proc/PID/ns/ipc`, e.g. of a child
   * spawned with `namespaces: ['ipc']`). Default: this process's. Segments only: semaphore sets
   * and queues of another namespace are saved with the checkpoint's images by CRIU itself.
   */
  ipcNamespace?: string;
}

/**
 * Saves the objects of `selection` into `dir` (created if missing; the files must not exist):
 * `sysv-<kind>-<id>.bin` per object and `sysv-snapshot.json` listing them with SHA-256 digests.
 * A segment is read by attaching it read-only in this process (the copy runs off the event
 * loop); semaphore values come from GETALL; messages are copied with MSG_COPY and stay queued.
 * Each object is read as it is at that moment: stop its writers first for a consistent copy.
 */
export async function snapshotSysv(
  selection: SysvSelection,
  dir: string,
  options: SnapshotOptions = {},
  operation: CriuOperation = 'checkpoint',
): Promise<SnapshotManifest> {
  sysvSelection(selection, 'selection');
  if (typeof dir !== 'string' || dir === '') throw new TypeError('snapshotSysv(selection, dir): dir must be a path.');
  const ns = options.ipcNamespace;
  if (ns !== undefined && (selection.sem?.length || selection.msg?.length)) {
    throw new CriuError(
      'UNSUPPORTED',
      `snapshotSysv: semaphore sets and queues can be saved from this process's IPC namespace only, not from ${ns}; in a namespace of their own CRIU saves them with every checkpoint.`,
      { operation },
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const native = loadNative();
  const objects: SnapshotObject[] = [];
  const record = async (kind: IpcKind, meta: Meta, size: number, extra: Partial<SnapshotObject> = {}) => {
    const file = dataFile(kind, meta.id);
    // The snapshot format names SHA-256: its segments are not on a checkpoint's critical path.
    const { size: bytes, sha256 = '' } = await digestFile(join(dir, file), 'sha256');
    const { key, id, mode, uid, gid } = meta;
    objects.push({ kind, id, key, mode, uid, gid, size, ...extra, file, bytes, sha256 });
  };
  const shms = selection.shm?.length ? readShmSegments(ns) : [];
  for (const id of selection.shm ?? []) {
    const segment = find(shms, 'shm', id, operation);
    await saveShm(dir, id, segment.size, ns).catch((e: unknown) => {
      throw wrap('shm', id, operation, e);
    });
    await record('shm', segment, segment.size);
  }
  const sets = selection.sem?.length ? readSemSets() : [];
  for (const id of selection.sem ?? []) {
    const set = find(sets, 'sem', id, operation);
    try {
      const values = native.semGetAll(id, set.nsems);
      await writeFile(join(dir, dataFile('sem', id)), encodeSemValues(values), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      throw wrap('sem', id, operation, e);
    }
    await record('sem', set, set.nsems);
  }
  const queues = selection.msg?.length ? readMsgQueues() : [];
  for (const id of selection.msg ?? []) {
    const queue = find(queues, 'msg', id, operation);
    let messages: QueueMessage[];
    let qbytes: number;
    try {
      messages = copyMessages(id);
      qbytes = native.msgQueueBytes(id);
      await writeFile(join(dir, dataFile('msg', id)), encodeMessages(messages), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      throw wrap('msg', id, operation, e);
    }
    await record('msg', queue, messages.length, { qbytes });
  }
  const manifest = snapshotManifest(objects);
  await writeFile(join(dir, SNAPSHOT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return manifest;
}
