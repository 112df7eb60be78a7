// An incremental checkpoint without the kernel's dirty-page tracking (no soft-dirty here, so CRIU
// cannot pre-dump): CRIU dumps every page, then each page equal to the one the parent checkpoint
// has at the same address is turned into a reference to it (PE_PARENT, as CRIU's own pre-dump
// chains are), and only the changed pages stay in the pages file. CRIU's restore follows the
// `parent` link for those pages, down the chain.

import { readdirSync } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { PagemapEntrySchema, PagemapHeadSchema } from '../gen/criu_images_memory_pb.js';
import { ImageEntry, readImage, writeImage } from '../images/codec.js';
import { PAGE_SIZE, PE_LAZY, PE_PARENT, PE_PRESENT } from '../inspect/memory.js';
import { mergeRuns, PageChain, PageReader, type PageRun, pageRuns } from './page-chain.js';

/** Pages compared per read: whole runs in 4 MiB slices. */
const SLICE_PAGES = 1024;

/** What referring to the parent saved. */
export interface ParentReferences {
  /** Pages CRIU dumped, every task together. */
  dumped: number;
  /** Of those, pages equal to the parent's, now references to it. */
  inParent: number;
}

/** Task pagemaps (pagemap-PID.img; shared memory has its own, not chained here). */
const TASK_PAGEMAP = /^pagemap-\d+\.img$/;

/**
 * Rewrites the task pagemaps and pages files of the fresh checkpoint `dir` so that every page
 * equal to the one the chain from `parentDir` has at the same address refers to it. Files are
 * replaced by rename, never written in place. `parentOf` gives a checkpoint's parent dir.
 */
export async function referToParent(
  dir: string,
  parentDir: string,
  parentOf: (dir: string) => string | undefined,
): Promise<ParentReferences> {
  const total: ParentReferences = { dumped: 0, inParent: 0 };
  const reader = new PageReader();
  const buffers = {
    mine: Buffer.allocUnsafeSlow(SLICE_PAGES * PAGE_SIZE),
    theirs: Buffer.allocUnsafeSlow(SLICE_PAGES * PAGE_SIZE),
  };
  try {
    for (const name of readdirSync(dir).filter((n) => TASK_PAGEMAP.test(n))) {
      const chain = await PageChain.open(parentDir, name, parentOf);
      if (!chain) continue; // a task the parent did not have: all its pages are new
      const { dumped, inParent } = await rewriteTask(dir, name, chain, reader, buffers);
      total.dumped += dumped;
      total.inParent += inParent;
    }
  } finally {
    await reader.close();
  }
  return total;
}

/** Consecutive pages of the new pagemap with the same flags. */
class RunsBuilder {
  readonly runs: { start: bigint; pages: number; flags: number }[] = [];

  push(start: bigint, pages: number, flags: number): void {
    const last = this.runs.at(-1);
    if (last && last.flags === flags && last.start + BigInt(last.pages * PAGE_SIZE) === start) last.pages += pages;
    else this.runs.push({ start, pages, flags });
  }
}

async function rewriteTask(
  dir: string,
  name: string,
  chain: PageChain,
  reader: PageReader,
  buffers: SliceBuffers,
): Promise<ParentReferences> {
  const image = await readImage(join(dir, name));
  const head = image.entries.find((e) => e.is(PagemapHeadSchema))?.as(PagemapHeadSchema);
  if (!head) return { dumped: 0, inParent: 0 };
  const entries = image.entries.filter((e) => e.is(PagemapEntrySchema)).map((e) => e.as(PagemapEntrySchema));
  const pagesName = `pages-${head.pagesId}.img`;
  const built = new RunsBuilder();
  const out = await open(join(dir, `${pagesName}.node-criu-new`), 'wx', 0o600);
  const counts = { dumped: 0, inParent: 0 };
  try {
    for (const run of mergeRuns(pageRuns(entries))) {
      if (!(run.flags & PE_PRESENT)) built.push(run.start, run.pages, run.flags);
      else await compareRun(join(dir, pagesName), run, chain, reader, built, out, counts, buffers);
    }
  } finally {
    await out.close();
  }
  const others = image.entries.filter((e) => !e.is(PagemapEntrySchema));
  image.entries = [
    ...others,
    ...built.runs.map((r) =>
      ImageEntry.of(
        PagemapEntrySchema,
        create(PagemapEntrySchema, { vaddr: r.start, compatNrPages: 0, nrPages: BigInt(r.pages), flags: r.flags }),
      ),
    ),
  ];
  await writeImage(join(dir, `${name}.node-criu-new`), image);
  // Both by rename; between the two the dir is inconsistent, but it has no manifest yet (written
  // after this), so it is never taken for a complete checkpoint.
  await rename(join(dir, `${pagesName}.node-criu-new`), join(dir, pagesName));
  await rename(join(dir, `${name}.node-criu-new`), join(dir, name));
  return counts;
}

/** The two slices compared, allocated once: fresh buffers cost a page fault per page. */
interface SliceBuffers {
  mine: Buffer;
  theirs: Buffer;
}

/** Compares one present run with the chain, slice by slice; writes the pages that changed. */
async function compareRun(
  pagesPath: string,
  run: PageRun,
  chain: PageChain,
  reader: PageReader,
  built: RunsBuilder,
  out: FileHandle,
  counts: ParentReferences,
  buffers: SliceBuffers,
): Promise<void> {
  const keep = run.flags & PE_LAZY;
  const { mine, theirs } = buffers;
  for (let done = 0; done < run.pages; ) {
    const slice = Math.min(SLICE_PAGES, run.pages - done);
    const start = run.start + BigInt(done * PAGE_SIZE);
    await reader.read(pagesPath, run.offset + done * PAGE_SIZE, mine.subarray(0, slice * PAGE_SIZE));
    const changed: Buffer[] = [];
    for (let at = 0; at < slice; ) {
      const address = start + BigInt(at * PAGE_SIZE);
      const found = await chain.locate(address, slice - at);
      if (found.at) await reader.read(found.at.path, found.at.offset, theirs.subarray(0, found.pages * PAGE_SIZE));
      // Most of a stretch is usually unchanged: one comparison of all of it, pages one by one
      // only where it differs.
      const bytes = found.pages * PAGE_SIZE;
      if (found.at && mine.subarray(at * PAGE_SIZE, at * PAGE_SIZE + bytes).equals(theirs.subarray(0, bytes))) {
        counts.inParent += found.pages;
        built.push(address, found.pages, PE_PARENT | keep);
        at += found.pages;
        continue;
      }
      for (let i = 0; i < found.pages; i++) {
        const page = mine.subarray((at + i) * PAGE_SIZE, (at + i + 1) * PAGE_SIZE);
        const same = found.at !== undefined && page.equals(theirs.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
        if (same) counts.inParent++;
        else changed.push(page);
        built.push(address + BigInt(i * PAGE_SIZE), 1, same ? PE_PARENT | keep : run.flags);
      }
      at += found.pages;
    }
    counts.dumped += slice;
    // In-memory reads run on the loop's thread: other work gets a turn between slices.
    await nextTurn();
    if (changed.length > 0) await out.write(Buffer.concat(changed));
    done += slice;
  }
}
