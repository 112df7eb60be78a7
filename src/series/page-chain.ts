// Where a page's data is in a checkpoint series: a task's pagemap lists runs of pages, each either
// present (its data next in the pages file) or in the parent checkpoint (PE_PARENT: look it up
// there at the same address, and so on down the chain, as CRIU's restore does).
import { closeSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inMemory } from '../fs/in-memory.js';
import { type PagemapEntry, PagemapEntrySchema, PagemapHeadSchema } from '../gen/criu_images_memory_pb.js';
import { readImage } from '../images/codec.js';
import { entryFlags, PAGE_SIZE, PE_PARENT, PE_PRESENT } from '../inspect/memory.js';

const PAGE = BigInt(PAGE_SIZE);

/** Where some pages' data is in a chain (see PageChain.locate). */
export interface Located {
  pages: number;
  at?: { path: string; offset: number };
}

/** A run of a task's pagemap, with where its data starts in the pages file when present. */
export interface PageRun {
  start: bigint;
  pages: number;
  flags: number;
  /** Byte offset of its first page in the pages file (present runs only). */
  offset: number;
}

function entryPages(entry: PagemapEntry): number {
  return Number(entry.nrPages !== 0n ? entry.nrPages : BigInt(entry.compatNrPages));
}

/** The runs of a pagemap's entries in file order, each with its data's offset. */
export function pageRuns(entries: readonly PagemapEntry[]): PageRun[] {
  let offset = 0;
  return entries.map((entry) => {
    const run = { start: entry.vaddr, pages: entryPages(entry), flags: entryFlags(entry), offset };
    if (run.flags & PE_PRESENT) offset += run.pages * PAGE_SIZE;
    return run;
  });
}

/**
 * The runs sorted, with neighbours merged where they continue each other (CRIU writes a large
 * area as entries of 256 pages, one after the other in the pages file too): a lookup then finds
 * a long stretch, read at once.
 */
export function mergeRuns(runs: readonly PageRun[]): PageRun[] {
  const merged: PageRun[] = [];
  for (const run of [...runs].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
    const last = merged.at(-1);
    const adjacent = last && last.flags === run.flags && last.start + BigInt(last.pages) * PAGE === run.start;
    const contiguous = last && (!(run.flags & PE_PRESENT) || last.offset + last.pages * PAGE_SIZE === run.offset);
    if (last && adjacent && contiguous) last.pages += run.pages;
    else merged.push({ ...run });
  }
  return merged;
}

/** A task's pagemap in one checkpoint of a series, and its parent's, down the chain. */
export class PageChain {
  readonly #runs: PageRun[];
  readonly #pagesPath: string;
  readonly #parent: () => Promise<PageChain | undefined>;
  #parentChain: Promise<PageChain | undefined> | undefined;

  private constructor(runs: PageRun[], pagesPath: string, parent: () => Promise<PageChain | undefined>) {
    this.#runs = mergeRuns(runs);
    this.#pagesPath = pagesPath;
    this.#parent = parent;
  }

  /**
   * The chain of `pagemapName` (pagemap-ID.img) from checkpoint `dir` down; undefined when the dir
   * has no such pagemap (the task was not in that checkpoint). `parentOf` gives a checkpoint's
   * parent dir, if it has one.
   */
  static async open(
    dir: string,
    pagemapName: string,
    parentOf: (dir: string) => string | undefined,
  ): Promise<PageChain | undefined> {
    const image = await readImage(join(dir, pagemapName)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const head = image?.entries.find((e) => e.is(PagemapHeadSchema))?.as(PagemapHeadSchema);
    if (!image || !head) return undefined;
    const entries = image.entries.filter((e) => e.is(PagemapEntrySchema)).map((e) => e.as(PagemapEntrySchema));
    const parentDir = parentOf(dir);
    return new PageChain(pageRuns(entries), join(dir, `pages-${head.pagesId}.img`), () =>
      parentDir === undefined ? Promise.resolve(undefined) : PageChain.open(parentDir, pagemapName, parentOf),
    );
  }

  /**
   * Where the data of the `pages` pages from `start` is, for the longest prefix of them that is
   * alike: `{ pages, at: { path, offset } }` when they lie contiguously in one pages file, or
   * `{ pages }` (no `at`) when the chain has none of them.
   */
  async locate(start: bigint, pages: number): Promise<Located> {
    const found = this.#runFrom(start);
    if (!found || found.start > start) {
      // A hole up to the next run (or past the pages asked for).
      const gap = found ? Number((found.start - start) / PAGE) : pages;
      return { pages: Math.min(pages, gap) };
    }
    const skip = Number((start - found.start) / PAGE);
    const within = Math.min(pages, found.pages - skip);
    if (found.flags & PE_PRESENT) {
      return { pages: within, at: { path: this.#pagesPath, offset: found.offset + skip * PAGE_SIZE } };
    }
    if (found.flags & PE_PARENT) {
      this.#parentChain ??= this.#parent();
      const parent = await this.#parentChain;
      if (parent) return parent.locate(start, within);
    }
    return { pages: within };
  }

  /** The run holding `address`, else the first run after it, else undefined. */
  #runFrom(address: bigint): PageRun | undefined {
    let lo = 0;
    let hi = this.#runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const run = this.#runs[mid] as PageRun;
      if (run.start + BigInt(run.pages) * PAGE <= address) lo = mid + 1;
      else hi = mid;
    }
    return this.#runs[lo];
  }
}

/** An open pages file: read on the loop's thread when it is in memory (see fs/in-memory.ts). */
type PagesFile = { sync: number } | { handle: FileHandle };

/**
 * Reads page data from the pages files of a chain, each opened once. Files in memory (tmpfs) are
 * read on the loop's thread, a slice at a time: a thread-pool round trip per 1-4 MiB read cost
 * more than the copy here.
 */
export class PageReader {
  readonly #files = new Map<string, Promise<PagesFile>>();

  /** Fills `into` from `offset` of `path`. */
  async read(path: string, offset: number, into: Buffer): Promise<void> {
    let opened = this.#files.get(path);
    if (!opened) {
      opened = inMemory(dirname(path))
        ? Promise.resolve({ sync: openSync(path, 'r') })
        : open(path, 'r').then((handle) => ({ handle }));
      this.#files.set(path, opened);
    }
    const file = await opened;
    let done = 0;
    while (done < into.byteLength) {
      const length = into.byteLength - done;
      const bytesRead =
        'sync' in file
          ? readSync(file.sync, into, done, length, offset + done)
          : (await file.handle.read(into, done, length, offset + done)).bytesRead;
      if (bytesRead === 0) throw new Error(`${path} ends before offset ${offset + done}`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    const files = [...this.#files.values()];
    this.#files.clear();
    for (const opened of files) {
      const file = await opened.catch(() => undefined);
      if (file && 'sync' in file) closeSync(file.sync);
      else await file?.handle.close();
    }
  }
}
