// The memory images of a simulated task, as CRIU writes them: mm-PID.img (its VMAs), and
// pagemap-PID.img with pages-N.img (the pages that hold something).
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../fds/linux-constants.js';
import { MmEntrySchema, PagemapEntrySchema, PagemapHeadSchema } from '../gen/criu_images_memory_pb.js';
import type { ImageEntry } from '../images/codec.js';
import { PE_PRESENT } from '../inspect/memory.js';
import { VMA } from '../inspect/vma-kind.js';
import { entry, writeImageFile } from './image-files.js';
import { PAGE_SIZE, type SimRegion } from './model.js';
import type { SimProcess } from './process.js';

/** Runs of pages of a region that hold something: [first page, page count]. */
function presentRuns(data: Buffer): [number, number][] {
  const runs: [number, number][] = [];
  const pages = data.byteLength / PAGE_SIZE;
  for (let page = 0; page < pages; page++) {
    const slice = data.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    if (!slice.some((b) => b !== 0)) continue;
    const last = runs.at(-1);
    if (last && last[0] + last[1] === page) last[1]++;
    else runs.push([page, 1]);
  }
  return runs;
}

function vma(region: SimRegion) {
  const sysv = region.shmid !== undefined;
  return {
    start: BigInt(region.start),
    end: BigInt(region.start + region.data.byteLength),
    pgoff: 0n,
    shmid: BigInt(region.shmid ?? 0),
    prot: PROT_READ | (region.writable ? PROT_WRITE : 0),
    flags: (sysv || region.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
    status:
      VMA.AREA_REGULAR |
      (sysv ? VMA.ANON_SHARED | VMA.AREA_SYSVIPC : region.shared ? VMA.ANON_SHARED : VMA.ANON_PRIVATE),
    fd: -1n,
    ...(sysv ? { fdflags: region.writable ? 2 : 0 } : {}),
  };
}

/** mm-PID.img: the task's VMAs, its args region and its exe (`exeFileId` in files.img). */
export async function writeMmImage(dir: string, task: SimProcess, exeFileId: number): Promise<void> {
  const args = task.region('args');
  const argBytes = Buffer.byteLength(task.args.map((a) => `${a}\0`).join(''));
  await writeImageFile(dir, `mm-${task.pid}.img`, [
    entry(MmEntrySchema, {
      mmStartCode: 0n,
      mmEndCode: 0n,
      mmStartData: 0n,
      mmEndData: 0n,
      mmStartStack: BigInt(args.start + args.data.byteLength),
      mmStartBrk: 0n,
      mmBrk: 0n,
      mmArgStart: BigInt(args.start),
      mmArgEnd: BigInt(args.start + argBytes),
      mmEnvStart: BigInt(args.start + argBytes),
      mmEnvEnd: BigInt(args.start + argBytes),
      exeFileId,
      vmas: [...task.regions].sort((a, b) => a.start - b.start).map(vma),
    }),
  ]);
}

/**
 * pagemap-PID.img and pages-`pagesId`.img: the task's pages that hold something. Returns how
 * many pages were scanned and how many written, for stats-dump.
 */
export async function writePagesImages(
  dir: string,
  task: SimProcess,
  pagesId: number,
): Promise<{ scanned: number; written: number }> {
  let scanned = 0;
  let written = 0;
  // Host-namespace SysV segments are not the tree's: their pages stay in the segment.
  const pagemap: ImageEntry[] = [entry(PagemapHeadSchema, { pagesId })];
  const pages: Buffer[] = [];
  for (const region of [...task.regions].sort((a, b) => a.start - b.start)) {
    if (region.shmid !== undefined) continue;
    scanned += region.data.byteLength / PAGE_SIZE;
    for (const [first, count] of presentRuns(region.data)) {
      pagemap.push(
        entry(PagemapEntrySchema, {
          vaddr: BigInt(region.start + first * PAGE_SIZE),
          compatNrPages: 0,
          flags: PE_PRESENT,
          nrPages: BigInt(count),
        }),
      );
      pages.push(Buffer.from(region.data.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE)));
      written += count;
    }
  }
  await writeImageFile(dir, `pagemap-${task.pid}.img`, pagemap);
  await writeImageFile(dir, `pages-${pagesId}.img`, Buffer.concat(pages));
  return { scanned, written };
}
