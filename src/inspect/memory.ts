// A task's memory map from its images: the VMAs of mm-PID.img, what each one is, and how many of
// its pages the dump holds (pagemap-PID.img, and pagemap-shmem-ID.img for shared objects).
import {
  MmEntrySchema,
  type PagemapEntry,
  PagemapEntrySchema,
  PagemapHeadSchema,
} from '../gen/criu_images_memory_pb.js';
import { type FileIndex, memfdInodeOf, pathOf } from './file-index.js';
import type { ImageSet } from './image-set.js';
import { hexAddress, jsonInteger } from './json-safe.js';
import type { MemoryView, VmaView } from './types.js';
import { ANON_SHARED_MEMFD_NAME, protString, VMA, vmaKind } from './vma-kind.js';

/** The page size of the images (x86_64, the platform node-criu supports). */
export const PAGE_SIZE = 4096;
const PAGE = BigInt(PAGE_SIZE);

/** pagemap_entry flags (criu/include/pagemap.h). */
export const PE_PARENT = 1 << 0;
export const PE_LAZY = 1 << 1;
export const PE_PRESENT = 1 << 2;

/** A run of present pages: [start, end) in bytes (addresses, or offsets for shared objects). */
export interface PageRun {
  start: bigint;
  end: bigint;
}

/** Flags of an entry, also for images older than the flags field (in_parent only). */
export function entryFlags(entry: PagemapEntry): number {
  if (entry.flags !== 0) return entry.flags;
  return entry.inParent ? PE_PARENT : PE_PRESENT;
}

/** The PE_PRESENT runs of a pagemap image's entries, sorted by start. */
export function presentRuns(entries: readonly PagemapEntry[]): PageRun[] {
  return runsFlagged(entries, PE_PRESENT);
}

/** The runs of entries with `flag` (PE_PRESENT, PE_LAZY), sorted by start. */
function runsFlagged(entries: readonly PagemapEntry[], flag: number): PageRun[] {
  const runs: PageRun[] = [];
  for (const entry of entries) {
    if ((entryFlags(entry) & flag) === 0) continue;
    const pages = entry.nrPages !== 0n ? entry.nrPages : BigInt(entry.compatNrPages);
    if (pages === 0n) continue;
    runs.push({ start: entry.vaddr, end: entry.vaddr + pages * PAGE });
  }
  return runs.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** How many pages of `runs` (sorted) fall in [start, end). */
export function pagesIn(runs: readonly PageRun[], start: bigint, end: bigint): number {
  // Binary search for the first run that ends after `start`.
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((runs[mid] as PageRun).end <= start) lo = mid + 1;
    else hi = mid;
  }
  let bytes = 0n;
  for (let i = lo; i < runs.length; i++) {
    const run = runs[i] as PageRun;
    if (run.start >= end) break;
    const from = run.start > start ? run.start : start;
    const to = run.end < end ? run.end : end;
    if (to > from) bytes += to - from;
  }
  return Number(bytes / PAGE);
}

/** Reads the present-page runs of shared objects (pagemap-shmem-ID.img), once per id. */
export class SharedPages {
  readonly #runs = new Map<number, Promise<PageRun[] | undefined>>();

  constructor(private readonly images: ImageSet) {}

  /** The runs of object `shmid`, or undefined when the dump has no pagemap-shmem image for it. */
  runs(shmid: number): Promise<PageRun[] | undefined> {
    let runs = this.#runs.get(shmid);
    if (!runs) {
      const name = `pagemap-shmem-${shmid}.img`;
      runs = this.images.has(name)
        ? this.images.messages(name, PagemapEntrySchema).then(presentRuns)
        : Promise.resolve(undefined);
      this.#runs.set(shmid, runs);
    }
    return runs;
  }
}

/**
 * The memory of task `pid`, or null when the dump has no mm-PID.img for it (zombies). Areas are
 * classified by vmaKind; `sharedPages` counts the pages of sysv, anon-shared and memfd areas.
 */
export async function readMemory(
  images: ImageSet,
  pid: number,
  files: FileIndex,
  shared: SharedPages,
): Promise<MemoryView | null> {
  const mm = await images.first(`mm-${pid}.img`, MmEntrySchema);
  if (!mm) return null;
  const pagemap = await images.read(`pagemap-${pid}.img`);
  const head = pagemap?.entries.find((entry) => entry.is(PagemapHeadSchema))?.as(PagemapHeadSchema);
  const entries = (pagemap?.entries ?? [])
    .filter((entry) => entry.is(PagemapEntrySchema))
    .map((e) => e.as(PagemapEntrySchema));
  const runs = presentRuns(entries);
  const lazyRuns = runsFlagged(entries, PE_LAZY);
  const vmas: VmaView[] = [];
  let mapped = 0n;
  const sorted = [...mm.vmas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const vma of sorted) {
    const isFile = (vma.status & (VMA.FILE_PRIVATE | VMA.FILE_SHARED | VMA.AREA_MEMFD)) !== 0;
    const isSysv = (vma.status & VMA.AREA_SYSVIPC) !== 0;
    const fileId = isFile && !isSysv ? Number(vma.shmid) : null;
    const file = fileId === null ? undefined : files.files.get(fileId);
    const memfd = memfdInodeOf(files, file);
    const kind = vmaKind({
      status: vma.status,
      flags: vma.flags,
      memfdName: memfd?.name,
      holdsStackStart: mm.mmStartStack >= vma.start && mm.mmStartStack < vma.end,
    });
    let shmid: number | null = null;
    if (isSysv || (vma.status & VMA.ANON_SHARED) !== 0) shmid = Number(vma.shmid);
    if (memfd) shmid = memfd.shmid;
    let sharedPages: number | null = null;
    if (shmid !== null) {
      const objectRuns = await shared.runs(shmid);
      if (objectRuns) sharedPages = pagesIn(objectRuns, vma.pgoff, vma.pgoff + (vma.end - vma.start));
    }
    const presentPages = pagesIn(runs, vma.start, vma.end);
    const anonymousMemfd = memfd?.name === ANON_SHARED_MEMFD_NAME;
    mapped += vma.end - vma.start;
    vmas.push({
      start: hexAddress(vma.start),
      end: hexAddress(vma.end),
      size: jsonInteger(vma.end - vma.start),
      prot: protString(vma.prot, vma.flags),
      kind,
      path: anonymousMemfd ? null : (pathOf(files, file) ?? null),
      fileId,
      offset: jsonInteger(vma.pgoff),
      shmid,
      presentPages,
      presentBytes: jsonInteger(BigInt(presentPages) * PAGE),
      lazyPages: pagesIn(lazyRuns, vma.start, vma.end),
      sharedPages,
      status: vma.status,
      flags: vma.flags,
    });
  }
  const presentPages = runs.reduce((sum, run) => sum + Number((run.end - run.start) / PAGE), 0);
  return {
    exe: pathOf(files, files.files.get(mm.exeFileId)) ?? null,
    pagesImage: head ? `pages-${head.pagesId}.img` : null,
    vmas,
    totals: {
      vmaCount: vmas.length,
      mappedBytes: jsonInteger(mapped),
      presentPages,
      presentBytes: jsonInteger(BigInt(presentPages) * PAGE),
    },
  };
}
