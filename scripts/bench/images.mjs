// Facts about an images dir for the results (bytes, CRIU's own stats) and the copy a raw
// restore runs from, so that CRIU's stats-restore never lands in a checkpoint that is reused.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readProcessTree } from '../../dist/src/images/pstree.js';
import { readDumpStats, readRestoreStats } from '../../dist/src/images/stats.js';

export { readDumpStats, readRestoreStats };

/** Every pid of the checkpoint's tree (threads included): what a restore needs free. */
export async function imagePids(dir) {
  const tree = await readProcessTree(dir);
  return [...new Set(tree.flatMap((t) => [t.pid, ...t.threads]))];
}

/** Bytes of the images CRIU wrote (logs and node-criu's manifest excluded). */
export function imageBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.log') || name === 'node-criu.json') continue;
    total += statSync(join(dir, name)).size;
  }
  return total;
}

/** Bytes of memory pages in the images (pages-*.img). */
export function pageBytes(dir) {
  return readdirSync(dir)
    .filter((n) => n.startsWith('pages-'))
    .reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
}

/**
 * A copy of `dir` for raw CRIU, which writes its log and stats-restore into the dir it restores.
 * A copy of the bytes, not hard links: a link moves each file's ctime, and node-criu's restore
 * would then hash the original's page data again, which no user's untouched checkpoint costs.
 */
export function copyImages(dir, to) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(dir)) copyFileSync(join(dir, name), join(to, name));
  return to;
}
