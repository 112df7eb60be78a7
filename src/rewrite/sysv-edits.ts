// Edits for SysV shared memory in a checkpoint's own IPC namespace: renumber a segment, so that
// the restored tree finds it under another id (CRIU recreates it with the id the images say).
import { IpcShmEntrySchema } from '../gen/criu_images_ipc_pb.js';
import { MmEntrySchema } from '../gen/criu_images_memory_pb.js';
import { VMA } from '../inspect/vma-kind.js';
import type { ImageSet } from './rewrite.js';

/**
 * Renumbers segment `from` to `to` everywhere CRIU looks: the segment's entry in ipcns-shm, the
 * VMAs attached to it in every mm image, and the name of its pagemap-shmem image. The page
 * data itself is not touched. Fails if `from` is not in the images or `to` already is.
 */
export async function renumberShm(images: ImageSet, from: number, to: number): Promise<void> {
  const names = await images.names();
  let segments = 0;
  for (const name of names.filter((n) => /^ipcns-shm-\d+\.img$/.test(n))) {
    for (const entry of (await images.get(name)).entries) {
      const desc = entry.as(IpcShmEntrySchema).desc;
      if (desc?.id === to) throw new RangeError(`SysV segment ${to} already exists in ${name}`);
      if (desc?.id === from) {
        desc.id = to;
        segments++;
      }
    }
  }
  if (segments === 0) throw new RangeError(`No SysV segment ${from} in the checkpoint's IPC namespace`);
  for (const name of names.filter((n) => /^mm-\d+\.img$/.test(n))) {
    for (const entry of (await images.get(name)).entries) {
      for (const vma of entry.as(MmEntrySchema).vmas) {
        if ((vma.status & VMA.AREA_SYSVIPC) !== 0 && vma.shmid === BigInt(from)) vma.shmid = BigInt(to);
      }
    }
  }
  const pagemap = `pagemap-shmem-${from}.img`;
  if (names.includes(pagemap)) images.rename(pagemap, `pagemap-shmem-${to}.img`);
}
