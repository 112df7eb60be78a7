// What a `criu lazy-pages` daemon did, read from its debug log: CRIU keeps no other count of it
// (uffd.c logs each page fault it serves and, per process, the pages it transferred; stats-restore
// has no lazy-pages counters).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LazyPagesStats } from '../types.js';

/** The daemon's part of the stats: what it served. */
export type ServedPages = Omit<LazyPagesStats, 'eager'>;

const FAULT = '#PF at ';
/** `uffd: PID-FD: UFFD transferred pages: (COPIED/TOTAL)`, once per process when it has all. */
const TRANSFERRED = /UFFD transferred pages: \((\d+)\/\d+\)/;

/** Counts what the daemon's log (written at level 4, debug) says it served. */
export async function readLazyPagesStats(logPath: string): Promise<ServedPages> {
  let pages = 0;
  let faults = 0;
  // Streamed: a tree that faults on much of its memory logs a few lines per fault.
  for await (const line of createInterface({ input: createReadStream(logPath), crlfDelay: Infinity })) {
    if (line.includes(FAULT)) faults++;
    else {
      const transferred = TRANSFERRED.exec(line);
      if (transferred) pages += Number(transferred[1]);
    }
  }
  // A fault on a page already on its way, or on one the images do not have (given a zero page),
  // copies nothing of its own.
  const onFault = Math.min(faults, pages);
  return { pages, onFault, inBackground: pages - onFault };
}
