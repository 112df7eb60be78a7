// Host SysV queues and sets made through the addon for snapshot tests, removed after the test.
import { loadNative } from '../../src/native.js';
import { readMsgQueues, readSemSets, readShmSegments } from '../../src/sysv/ipc-table.js';

const CREATE = 0o1000 | 0o2000;
const made: { kind: 'shm' | 'sem' | 'msg'; key: number }[] = [];

export function createQueue(key: number, ...messages: [number, string][]): number {
  const native = loadNative();
  const id = native.ipcCreate('msg', key, 0, CREATE | 0o600);
  made.push({ kind: 'msg', key });
  for (const [type, text] of messages) native.msgSend(id, type, Buffer.from(text));
  return id;
}

/** The messages of a queue as [type, text], left queued. */
export function queued(msqid: number): [number, string][] {
  const out: [number, string][] = [];
  for (let i = 0; ; i++) {
    const m = loadNative().msgCopy(msqid, i);
    if (!m) return out;
    out.push([m.type, m.data.toString()]);
  }
}

export function semValues(semid: number, nsems: number): number[] {
  return loadNative().semGetAll(semid, nsems);
}

export function liveIds(kind: 'shm' | 'sem' | 'msg'): { id: number; key: number }[] {
  return kind === 'shm' ? readShmSegments() : kind === 'sem' ? readSemSets() : readMsgQueues();
}

/** Removes the object of `kind` with `id`, if it exists. */
export function removeObject(kind: 'shm' | 'sem' | 'msg', id: number): void {
  try {
    loadNative().ipcRemove(kind, id);
  } catch {
    // Gone already.
  }
}

/** Removes every queue this module made, and objects with the given keys. */
export function removeByKeys(...keys: number[]): void {
  const all = [...made, ...keys.flatMap((key) => (['shm', 'sem', 'msg'] as const).map((kind) => ({ kind, key })))];
  for (const { kind, key } of all) {
    for (const o of liveIds(kind).filter((x) => x.key === key >>> 0)) removeObject(kind, o.id);
  }
}
