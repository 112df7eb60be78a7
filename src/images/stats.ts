// CRIU's own timing and page counters, from stats-dump.img / stats-restore.img.
import { join } from 'node:path';
import { StatsEntrySchema } from '../gen/criu_images_pb.js';
import { readSmallImage } from './codec.js';

/** What CRIU measured while dumping. Times in microseconds. */
export interface DumpStats {
  /** Time spent freezing the tree. */
  freezingTimeUs: number;
  /** How long the tree stayed frozen. */
  frozenTimeUs: number;
  /** Time spent collecting the tree's memory. */
  memdumpTimeUs: number;
  /** Time spent writing the page data. */
  memwriteTimeUs: number;
  /** Pages CRIU looked at. */
  pagesScanned: number;
  /** Pages CRIU wrote into the images. */
  pagesWritten: number;
  /**
   * Pages CRIU itself left in a parent's images (a pre-dump's). node-criu's `parent` option
   * counts its own references in Checkpoint.parent instead.
   */
  pagesSkippedParent: number;
}

/** What CRIU measured while restoring. Times in microseconds. */
export interface RestoreStats {
  /** Time spent recreating the tasks (forking). */
  forkingTimeUs: number;
  /** Time the whole restore took inside CRIU. */
  restoreTimeUs: number;
  /** Pages CRIU copied into the tree (with lazy pages, only the eager ones). */
  pagesRestored: number;
}

/** The stats entry of `file`, or undefined where CRIU wrote none (it writes them last). */
async function readStats(file: string) {
  try {
    return readSmallImage(file).entries[0]?.as(StatsEntrySchema);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function readDumpStats(dir: string): Promise<DumpStats | undefined> {
  const dump = (await readStats(join(dir, 'stats-dump')))?.dump;
  if (!dump) return undefined;
  return {
    freezingTimeUs: dump.freezingTime,
    frozenTimeUs: dump.frozenTime,
    memdumpTimeUs: dump.memdumpTime,
    memwriteTimeUs: dump.memwriteTime,
    pagesScanned: Number(dump.pagesScanned),
    pagesWritten: Number(dump.pagesWritten),
    pagesSkippedParent: Number(dump.pagesSkippedParent),
  };
}

export async function readRestoreStats(dir: string): Promise<RestoreStats | undefined> {
  const restore = (await readStats(join(dir, 'stats-restore')))?.restore;
  if (!restore) return undefined;
  return {
    forkingTimeUs: restore.forkingTime,
    restoreTimeUs: restore.restoreTime,
    pagesRestored: Number(restore.pagesRestored),
  };
}
