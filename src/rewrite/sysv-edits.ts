// Edits for SysV shared memory in a checkpoint's own IPC namespace: renumber a segment, so that
// the restored tree finds it under another id (CRIU recreates it with the id the images say);
// or restore into an existing namespace, binding to the segments that live there.
import { clearField } from '@bufbuild/protobuf';
import { MAP_ANONYMOUS, MAP_NORESERVE, MAP_PRIVATE, PROT_NONE } from '../fds/linux-constants.js';
import { IpcShmEntrySchema } from '../gen/criu_images_ipc_pb.js';
import { MmEntrySchema, VmaEntrySchema } from '../gen/criu_images_memory_pb.js';
import { InventoryEntrySchema } from '../gen/criu_images_pb.js';
import { TaskKobjIdsEntrySchema } from '../gen/criu_images_task_pb.js';
import { readProcessTree } from '../images/pstree.js';
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

/**
 * Restoring into an existing IPC namespace: CRIU recreates a namespace's objects whenever the
 * root's IPC namespace differs from its own, and then attaches SysV ranges only to segments it
 * made. Here the inventory says the root shares CRIU's namespace (which joinNs makes the target
 * one), so nothing is recreated, and every SysV range becomes the empty placeholder host mode
 * leaves (anonymous, no access, no pages) for the segments to be attached in the stopped tree.
 */
export async function bindToJoinedNamespace(images: ImageSet): Promise<void> {
  const [root] = await readProcessTree(images.dir);
  if (!root) throw new RangeError('The checkpoint has no tasks');
  const rootIds = (await images.get(`ids-${root.pid}.img`)).entries[0]?.as(TaskKobjIdsEntrySchema);
  const inventory = (await images.get('inventory.img')).entries[0]?.as(InventoryEntrySchema);
  if (!rootIds || !inventory?.rootIds) throw new RangeError('The checkpoint records no namespace ids');
  inventory.rootIds.ipcNsId = rootIds.ipcNsId;
  for (const name of (await images.names()).filter((n) => /^mm-\d+\.img$/.test(n))) {
    for (const entry of (await images.get(name)).entries) {
      for (const vma of entry.as(MmEntrySchema).vmas) {
        if ((vma.status & VMA.AREA_SYSVIPC) === 0) continue;
        vma.status = VMA.AREA_REGULAR | VMA.ANON_PRIVATE;
        vma.prot = PROT_NONE;
        vma.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
        vma.shmid = 0n;
        vma.pgoff = 0n;
        vma.fd = -1n;
        clearField(vma, VmaEntrySchema.field.madv);
        clearField(vma, VmaEntrySchema.field.fdflags);
      }
    }
  }
}
