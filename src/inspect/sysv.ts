// The SysV IPC objects of the IPC namespaces a dump holds: ipcns-var-ID.img (the namespace's
// sysctls), ipcns-shm-ID.img (segments, contents in pagemap-shmem-<shmid>.img), ipcns-sem-ID.img
// (semaphore sets, values after each entry) and ipcns-msg-ID.img (queues, messages after each).
import {
  IpcMsgEntrySchema,
  IpcMsgSchema,
  IpcSemEntrySchema,
  IpcShmEntrySchema,
  IpcVarEntrySchema,
} from '../gen/criu_images_ipc_pb.js';
import { resolveImageName } from '../images/codec.js';
import type { ImageSet } from './image-set.js';
import { jsonInteger } from './json-safe.js';
import { pagesIn, type SharedPages } from './memory.js';
import type { SysvMsgView, SysvSemView, SysvShmView, SysvView } from './sysv-types.js';
import type { TaskView } from './types.js';

const IPC_TYPES = new Set(['ipcns-var', 'ipcns-shm', 'ipcns-sem', 'ipcns-msg']);

interface Desc {
  id: number;
  key: number;
  mode: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
}

function descOf(desc: Partial<Desc> | undefined): Desc {
  return {
    id: desc?.id ?? 0,
    key: desc?.key ?? 0,
    mode: desc?.mode ?? 0,
    uid: desc?.uid ?? 0,
    gid: desc?.gid ?? 0,
    cuid: desc?.cuid ?? 0,
    cgid: desc?.cgid ?? 0,
  };
}

/** The u16 semaphore values CRIU writes after an ipc_sem_entry (little endian). */
function semValues(payload: Uint8Array | undefined, nsems: number): number[] {
  if (!payload) return [];
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = Math.min(nsems, Math.floor(payload.byteLength / 2));
  return Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true));
}

async function readLimits(images: ImageSet, nsId: number): Promise<SysvView['limits']> {
  const v = await images.first(`ipcns-var-${nsId}.img`, IpcVarEntrySchema);
  if (!v) return null;
  return {
    semCtls: [...v.semCtls],
    msgCtlmax: v.msgCtlmax,
    msgCtlmnb: v.msgCtlmnb,
    msgCtlmni: v.msgCtlmni,
    autoMsgmni: v.autoMsgmni,
    shmCtlmax: jsonInteger(v.shmCtlmax),
    shmCtlall: jsonInteger(v.shmCtlall),
    shmCtlmni: v.shmCtlmni,
    shmRmidForced: v.shmRmidForced,
    mqQueuesMax: v.mqQueuesMax,
    mqMsgMax: v.mqMsgMax,
    mqMsgsizeMax: v.mqMsgsizeMax,
    mqMsgDefault: v.mqMsgDefault,
    mqMsgsizeDefault: v.mqMsgsizeDefault,
    msgNextId: v.msgNextId,
    semNextId: v.semNextId,
    shmNextId: v.shmNextId,
  };
}

async function readShm(
  images: ImageSet,
  nsId: number,
  shared: SharedPages,
  tasks: readonly TaskView[],
): Promise<SysvShmView[]> {
  const out: SysvShmView[] = [];
  for (const shm of await images.messages(`ipcns-shm-${nsId}.img`, IpcShmEntrySchema)) {
    const desc = descOf(shm.desc);
    const runs = shm.inPagemaps ? await shared.runs(desc.id) : undefined;
    out.push({
      ...desc,
      size: jsonInteger(shm.size),
      presentPages: runs ? pagesIn(runs, 0n, 1n << 64n) : null,
      attachedBy: tasks
        .filter((t) => t.memory?.vmas.some((v) => v.kind === 'sysv' && v.shmid === desc.id))
        .map((t) => t.pid),
    });
  }
  return out;
}

async function readSem(images: ImageSet, nsId: number): Promise<SysvSemView[]> {
  const image = await images.read(`ipcns-sem-${nsId}.img`);
  return (image?.entries ?? [])
    .filter((entry) => entry.is(IpcSemEntrySchema))
    .map((entry) => {
      const sem = entry.as(IpcSemEntrySchema);
      return { ...descOf(sem.desc), nsems: sem.nsems, values: semValues(entry.payload, sem.nsems) };
    });
}

async function readMsg(images: ImageSet, nsId: number): Promise<SysvMsgView[]> {
  const image = await images.read(`ipcns-msg-${nsId}.img`);
  const out: SysvMsgView[] = [];
  for (const entry of image?.entries ?? []) {
    if (entry.is(IpcMsgEntrySchema)) {
      const queue = entry.as(IpcMsgEntrySchema);
      out.push({
        ...descOf(queue.desc),
        qbytes: queue.qbytes,
        messageCount: queue.qnum,
        messageBytes: 0,
        messages: [],
      });
    } else if (entry.is(IpcMsgSchema)) {
      const queue = out[out.length - 1];
      if (!queue) continue;
      const message = entry.as(IpcMsgSchema);
      queue.messages.push({ type: jsonInteger(message.mtype), size: message.msize });
      queue.messageBytes += message.msize;
    }
  }
  return out;
}

/**
 * One SysvView per IPC namespace that has ipcns-* images, by namespace id. `tasks` (with their
 * memory) tell which tasks have each segment attached.
 */
export async function readSysv(images: ImageSet, shared: SharedPages, tasks: readonly TaskView[]): Promise<SysvView[]> {
  const ids = new Set<number>();
  for (const name of images.names) {
    const named = resolveImageName(name);
    if (named && IPC_TYPES.has(named.type.name) && named.id !== undefined) ids.add(Number(named.id));
  }
  const out: SysvView[] = [];
  for (const nsId of [...ids].sort((a, b) => a - b)) {
    out.push({
      nsId,
      limits: await readLimits(images, nsId),
      shm: await readShm(images, nsId, shared, tasks),
      sem: await readSem(images, nsId),
      msg: await readMsg(images, nsId),
    });
  }
  return out;
}
