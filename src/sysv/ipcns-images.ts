// What a checkpoint of a tree with its own IPC namespace says about SysV: the namespace's
// segments (ipcns-shm) and, per task, the ranges attached to them (SysV VMAs in mm-PID.img),
// with each task's uid and whether it was stopped.

import { PROT_EXEC, PROT_WRITE } from '../fds/linux-constants.js';
import { IpcShmEntrySchema } from '../gen/criu_images_ipc_pb.js';
import { MmEntrySchema } from '../gen/criu_images_memory_pb.js';
import { CoreEntrySchema } from '../gen/criu_images_task_pb.js';
import { readProcessTree } from '../images/pstree.js';
import { taskState } from '../inspect/tasks.js';
import { VMA } from '../inspect/vma-kind.js';
import type { ImageSet } from '../rewrite/rewrite.js';
import type { SysvAttachment } from './attachments.js';

/** A segment CRIU saved with the namespace. */
export interface ImageSegment {
  id: number;
  key: number;
  mode: number;
  size: number;
}

export interface IpcNamespaceImages {
  segments: ImageSegment[];
  /** Every SysV range of every task, as host mode records its attachments. */
  attachments: SysvAttachment[];
  /** Tasks that were stopped at checkpoint (a restore that resumes the tree leaves them so). */
  stoppedBefore: number[];
}

const hex = (n: bigint) => n.toString(16);

/** Reads the SysV side of the images in `images`; undefined when the tree had no IPC namespace of its own. */
export async function readIpcNamespaceImages(images: ImageSet): Promise<IpcNamespaceImages | undefined> {
  const names = await images.names();
  const shmImages = names.filter((n) => /^ipcns-shm-\d+\.img$/.test(n));
  if (!names.some((n) => /^ipcns-var-\d+\.img$/.test(n))) return undefined;
  const segments: ImageSegment[] = [];
  for (const name of shmImages) {
    for (const entry of (await images.get(name)).entries) {
      const { desc, size } = entry.as(IpcShmEntrySchema);
      if (desc) segments.push({ id: desc.id, key: desc.key >>> 0, mode: desc.mode & 0o777, size: Number(size) });
    }
  }
  const attachments: SysvAttachment[] = [];
  const stoppedBefore: number[] = [];
  for (const { pid } of await readProcessTree(images.dir)) {
    const core = (await images.get(`core-${pid}.img`)).entries[0]?.as(CoreEntrySchema);
    if (taskState(core?.tc?.taskState ?? null) === 'stopped') stoppedBefore.push(pid);
    if (!names.includes(`mm-${pid}.img`)) continue; // a zombie
    const uid = core?.threadCore?.creds?.euid ?? 0;
    for (const vma of (await images.get(`mm-${pid}.img`)).entries[0]?.as(MmEntrySchema).vmas ?? []) {
      if ((vma.status & VMA.AREA_SYSVIPC) === 0) continue;
      const segment = segments.find((s) => BigInt(s.id) === vma.shmid);
      attachments.push({
        pid,
        start: hex(vma.start),
        end: hex(vma.end),
        shmid: Number(vma.shmid),
        key: segment?.key ?? 0,
        access: (vma.prot & PROT_WRITE) !== 0 ? 'rw' : 'r',
        exec: (vma.prot & PROT_EXEC) !== 0,
        size: segment?.size ?? Number(vma.end - vma.start),
        uid,
      });
    }
  }
  return { segments, attachments, stoppedBefore };
}
