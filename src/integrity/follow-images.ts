// Hashes a checkpoint's page data while CRIU is still dumping it: the digests of a large dump are
// made on this machine's other core during the dump, not after it. The files were just written by
// CRIU, so they are read from the page cache, on this thread, a slice at a time (see digestFiles
// for why not the pool).
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { nativeIfLoaded } from '../native.js';
import { type FileDigest, hashRangeSync, PAGES_FILE, SLICE } from './digest.js';
import { type FileStamp, fdStamp } from './file-stamp.js';
import { digestOf, type Hasher, newHasher, preferredAlgorithm } from './hasher.js';
import { INCOMPLETE_MARKER } from './incomplete.js';
import { NOT_IMAGES } from './manifest.js';
import { giveBack, takeBuffer } from './read-buffers.js';

/**
 * How often the images dir is looked at once the dump is under way, while page data comes in
 * slowly (a tree of small processes: ~100 KiB each). Each look takes CPU time that CRIU and its
 * parasite could use (they share this machine's two cores with it): a tree of 100 was
 * checkpointed 33-41 ms faster looking every 20 ms than every 5 ms (two 21-round A/Bs).
 */
const POLL_MS = 20;
/**
 * ...until a pages file has been there for a look, and while one grows by FAST_GROWTH between
 * looks (the first look at the first one cannot tell whether it is a large one): CRIU then
 * writes a slice in a millisecond or two (~3 GB/s here: 60 MB in 20 ms), and what is left
 * unhashed when it is done is hashed after its answer, on the caller's time.
 */
const GROWING_POLL_MS = 5;
const FAST_GROWTH = 1 << 20;
/** Written by CRIU after post-dump (the one image that is not final then). */
const STATS_FILE = 'stats-dump';

interface Followed {
  /** Closed (-1) once complete. */
  fd: number;
  hash: Hasher;
  /** Bytes hashed so far. */
  size: number;
  /** Hashed to its end once it was final. */
  complete?: boolean;
  /**
   * Taken once it was final (CRIU had written every image), before what was left of it was hashed
   * (the manifest keeps it); a file with a stamp is read to its end.
   */
  stamp?: FileStamp;
  /** Its size at the last look while it grew. */
  seen?: number;
}

export interface ImagesFollower {
  /** CRIU has begun dumping memory (query-ext-files answered): page data comes from now on. */
  memoryDumpStarts(): void;
  /**
   * CRIU has written and flushed every image but stats-dump (post-dump): every other image in the
   * dir is final. After a large dump the rest is hashed from now on, while CRIU ends or resumes
   * the tree; after a small one, the follower stops looking until finish() (see the body).
   */
  imagesWritten(): void;
  /** Once CRIU has answered: hashes what is left (every image now) and returns the digests. */
  finish(): Promise<Map<string, FileDigest>>;
  /** After a failed dump: stops and closes everything. */
  stop(): Promise<void>;
}

/**
 * Follows the images of `dir`: pages files from memoryDumpStarts() on, a whole slice at a time as
 * CRIU appends to them, and every image once CRIU has written them all. The other images are
 * small (a few KiB, written between the pages) and are left alone until then: following them cost
 * more than it saved (below). What it returns is only as good as CRIU's writing (append-only
 * pages; nothing rewritten after post-dump, as cr-dump.c's cr_dump_finish does): the manifest
 * takes a followed digest only for a file whose final size is the size hashed, and hashes
 * anything else again.
 */
export function followImages(dir: string): ImagesFollower {
  const algorithm = preferredAlgorithm();
  const files = new Map<string, Followed>();
  const buffer = takeBuffer();
  let allFinal = false;
  /** CRIU has answered: stats-dump is final too. */
  let dumpDone = false;
  let stopped = false;
  let closed = false;
  /** A pages file is being followed. */
  let pagesSeen = false;
  /** Pauses since the first pages file was found. */
  let pagesPauses = 0;
  /** A pages file grew by FAST_GROWTH at a look since the last pause. */
  let pagesGrowing = false;
  /** One ever did: a large dump. */
  let largeDump = false;
  let wake = new AbortController();
  let started: () => void = () => {};
  const start = new Promise<void>((resolve) => {
    started = resolve;
  });

  const image = (name: string) =>
    !NOT_IMAGES.has(name) && name !== INCOMPLETE_MARKER && (dumpDone || name !== STATS_FILE);
  const follow = (name: string) => {
    const fd = openSync(join(dir, name), 'r');
    files.set(name, { fd, hash: newHasher(algorithm), size: 0, stamp: allFinal ? fdStamp(fd) : undefined });
    pagesSeen ||= PAGES_FILE.test(name);
  };
  /** Final images not yet looked at, to be read whole (the addon reads many in one call). */
  const unread: string[] = [];
  const queued = new Set<string>();
  /** The images read whole, hashed. */
  const readWholly = new Map<string, FileDigest>();
  const scan = () => {
    // Page data is followed before it is final; its stamp is taken the moment it is.
    if (allFinal) for (const entry of files.values()) entry.stamp ??= fdStamp(entry.fd);
    for (const name of readdirSync(dir)) {
      if (files.has(name) || queued.has(name) || !image(name)) continue;
      if (PAGES_FILE.test(name) && !allFinal) follow(name);
      else if (allFinal) {
        unread.push(name);
        queued.add(name);
      }
    }
  };
  /**
   * Reads final images whole and hashes them, up to `budget` bytes; returns what is left of it.
   * Per file that is its system calls in the addon, against ~25 us through Node's fs (measured
   * warm; several times that right after CRIU's answer). One that does not fit in the buffer, and
   * every one where the addon is not loaded, is followed as page data is.
   */
  const readWhole = (budget: number): number => {
    const native = nativeIfLoaded();
    while (unread.length > 0 && budget > 0) {
      const read = native?.readWholeFiles(dir, unread, buffer) ?? [];
      if (read.length === 0) {
        // Hashed by the next step, as page data is.
        follow(unread.shift() as string);
        budget -= 4096;
      }
      let at = 0;
      for (const { size, ...stamp } of read) {
        const digest = digestOf(algorithm, buffer.subarray(at, at + size));
        readWholly.set(unread.shift() as string, { size, [algorithm]: digest, stamp });
        at += size;
        budget -= size + 4096;
      }
    }
    return budget;
  };
  /**
   * Hashes up to a slice of what has grown; false when nothing had. While CRIU is still writing
   * pages, only a whole slice is taken: following each write as it lands cost CRIU time (more
   * syscalls and wakeups on the core it shares with its parasite), 16% of a 1 GiB checkpoint.
   */
  const step = (): boolean => {
    // One slice's worth per turn of the loop, across as many files as it takes (the small images
    // after post-dump: a few KiB each, and opening one costs about as much as reading a page).
    let budget = SLICE;
    let progressed = false;
    for (const entry of files.values()) {
      if (entry.complete) continue;
      const from = entry.size;
      if (entry.stamp) {
        // Final: read to its end, without asking its size (a tree of 100 has 700 images).
        entry.size = hashRangeSync(entry.fd, entry.hash, from, from + budget, buffer);
        entry.complete = entry.size - from < budget;
        progressed ||= entry.size > from || entry.complete;
        if (entry.complete) {
          closeSync(entry.fd);
          entry.fd = -1;
        }
      } else {
        const end = fstatSync(entry.fd).size;
        pagesGrowing ||= end - (entry.seen ?? 0) >= FAST_GROWTH;
        largeDump ||= pagesGrowing;
        entry.seen = end;
        if (end - from < SLICE) continue;
        entry.size = hashRangeSync(entry.fd, entry.hash, from, Math.min(end, from + budget), buffer);
        progressed = true;
      }
      budget -= entry.size - from + 4096;
      if (budget <= 0) return true;
    }
    // The small images once every one is final, with what is left of the slice: page data first.
    return readWhole(budget) < budget || progressed;
  };

  // A failure here (the dir removed by a failed dump) ends the following; finish() then hashes afresh.
  let failed = false;
  const loop = (async () => {
    await start;
    while (!stopped) {
      try {
        if (step()) {
          await yieldToLoop();
          continue;
        }
        scan();
        if (step()) continue;
      } catch {
        failed = true;
        return;
      }
      if (pagesSeen) pagesPauses++;
      const pause = pagesGrowing || pagesPauses < 2 ? GROWING_POLL_MS : POLL_MS;
      pagesGrowing = false;
      await sleep(pause, undefined, { signal: wake.signal }).catch(() => {});
    }
  })();
  const poke = () => {
    wake.abort();
    wake = new AbortController();
    started();
  };
  // From a notification: the loop then looks at the dir after CRIU has had its answer (in the same
  // turn, its scan would run first, with CRIU waiting).
  const pokeSoon = () => setImmediate(poke);
  const halt = async () => {
    stopped = true;
    poke();
    await loop;
  };
  const close = () => {
    if (closed) return;
    closed = true;
    for (const entry of files.values()) if (entry.fd >= 0) closeSync(entry.fd);
    files.clear();
    giveBack(buffer);
  };

  return {
    memoryDumpStarts() {
      pokeSoon();
    },
    imagesWritten() {
      allFinal = true;
      // What is left of a large dump is hashed while CRIU ends or resumes the tree, the pages that
      // are behind first. After a small one (a few hundred KiB, even across a tree of 100), our
      // hashing beside CRIU ending the tree, on this machine's two cores, slowed it more than the
      // same hashing costs after CRIU's answer: killed after the dump, a small C process took
      // 29.3 against 28.3 ms (61 rounds), a tree of 100 419 against 406 ms (11 rounds).
      if (largeDump) pokeSoon();
      else void halt();
    },
    async finish() {
      await halt();
      try {
        if (failed) return new Map();
        // Every image is final now: what CRIU wrote since the last look, a slice at a time.
        allFinal = true;
        dumpDone = true;
        scan();
        while (step()) await yieldToLoop();
        return new Map([
          ...[...files].map(
            ([name, e]) => [name, { size: e.size, [algorithm]: e.hash.digest(), stamp: e.stamp }] as const,
          ),
          ...readWholly,
        ]);
      } finally {
        close();
      }
    },
    async stop() {
      await halt();
      close();
    },
  };
}
