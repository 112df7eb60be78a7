// Reads a checkpoint's images back into what the simulator needs to recreate each task: its
// program (core's comm), arguments and memory (mm, pagemap, pages), SysV attachments (mm's
// SYSVIPC VMAs) and fds (ids, fdinfo, files.img).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAP_SHARED, PROT_WRITE } from '../fds/linux-constants.js';
import { FdinfoEntrySchema, type FileEntry, FileEntrySchema } from '../gen/criu_images_files_pb.js';
import { MmEntrySchema, PagemapEntrySchema, PagemapHeadSchema } from '../gen/criu_images_memory_pb.js';
import { CoreEntrySchema, TaskKobjIdsEntrySchema } from '../gen/criu_images_task_pb.js';
import { readImage } from '../images/codec.js';
import { imageCorrupt } from '../images/image-error.js';
import type { TreeTask } from '../images/pstree.js';
import { VMA } from '../inspect/vma-kind.js';
import { PAGE_SIZE } from './model.js';
import { TASK_STOPPED } from './task-states.js';

export interface ImageRegion {
  start: number;
  data: Buffer;
  shared: boolean;
  writable: boolean;
  shmid: number | undefined;
}

export interface ImageFd {
  fd: number;
  fileId: number;
  file: FileEntry | undefined;
}

export interface ImageTask extends TreeTask {
  comm: string;
  stopped: boolean;
  args: string[];
  argStart: number;
  regions: ImageRegion[];
  fds: ImageFd[];
}

async function one<T>(path: string, read: (entries: Awaited<ReturnType<typeof readImage>>) => T): Promise<T> {
  return read(await readImage(path));
}

export async function readImageTasks(dir: string, tree: readonly TreeTask[]): Promise<ImageTask[]> {
  const files = new Map(
    (await readImage(join(dir, 'files.img'))).entries.map((e) => {
      const f = e.as(FileEntrySchema);
      return [f.id, f] as const;
    }),
  );
  const out: ImageTask[] = [];
  for (const task of tree) {
    const core = await one(join(dir, `core-${task.pid}.img`), (i) => i.entries[0]?.as(CoreEntrySchema));
    const ids = await one(join(dir, `ids-${task.pid}.img`), (i) => i.entries[0]?.as(TaskKobjIdsEntrySchema));
    const mmPath = join(dir, `mm-${task.pid}.img`);
    const mm = await one(mmPath, (i) => i.entries[0]?.as(MmEntrySchema));
    if (!core?.tc || !ids || !mm) throw imageCorrupt(`core/ids/mm of pid ${task.pid}`, 0, 'an entry is missing');
    const regions: ImageRegion[] = mm.vmas.map((v) => ({
      start: Number(v.start),
      data: Buffer.alloc(Number(v.end - v.start)),
      shared: (v.flags & MAP_SHARED) !== 0,
      writable: (v.prot & PROT_WRITE) !== 0,
      shmid: (v.status & VMA.AREA_SYSVIPC) !== 0 ? Number(v.shmid) : undefined,
    }));
    const pagemapPath = join(dir, `pagemap-${task.pid}.img`);
    const pagemap = (await readImage(pagemapPath)).entries;
    const head = pagemap[0]?.as(PagemapHeadSchema);
    if (!head) throw imageCorrupt(pagemapPath, 0, 'the pagemap head is missing');
    const pages = await readFile(join(dir, `pages-${head.pagesId}.img`));
    let offset = 0;
    for (const e of pagemap.slice(1)) {
      const { vaddr, nrPages } = e.as(PagemapEntrySchema);
      const at = Number(vaddr);
      const length = Number(nrPages) * PAGE_SIZE;
      const region = regions.find((r) => r.start <= at && at + length <= r.start + r.data.byteLength);
      if (!region || offset + length > pages.byteLength) {
        throw imageCorrupt(pagemapPath, e.offset ?? 0, `pages at 0x${at.toString(16)} fit no mapping or page data`);
      }
      pages.copy(region.data, at - region.start, offset, offset + length);
      offset += length;
    }
    const argStart = Number(mm.mmArgStart);
    const argRegion = regions.find((r) => r.start === argStart);
    const argBytes = argRegion?.data.subarray(0, Number(mm.mmArgEnd - mm.mmArgStart)) ?? Buffer.alloc(0);
    const args = argBytes.byteLength === 0 ? [] : argBytes.toString('utf8').replace(/\0$/, '').split('\0');
    const fdinfo = await readImage(join(dir, `fdinfo-${ids.filesId}.img`));
    const fds = fdinfo.entries.map((e) => {
      const { fd, id, type } = e.as(FdinfoEntrySchema);
      const file = files.get(id);
      return { fd, fileId: id, file: file?.type === type ? file : undefined };
    });
    out.push({
      ...task,
      comm: core.tc.comm,
      stopped: core.tc.taskState === TASK_STOPPED,
      args,
      argStart,
      regions,
      fds,
    });
  }
  return out;
}
