// The bench's scratch space on tmpfs (/dev/shm): images are written to memory on both sides, so
// disk speed never decides a ratio. Removed on exit.
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const TMPFS_MAGIC = 0x01021994;

export function makeScratch() {
  const base = process.env.BENCH_DIR ?? '/dev/shm';
  if (statfsSync(base).type !== TMPFS_MAGIC) throw new Error(`${base} is not tmpfs: set BENCH_DIR to a tmpfs mount.`);
  const root = mkdtempSync(join(base, 'node-criu-bench-'));
  let n = 0;
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  process.on('exit', cleanup);
  return {
    root,
    /** A new, not yet existing path for images (node-criu wants to create its dir itself). */
    path: (label) => join(root, `${label}-${n++}`),
    /** A new empty dir. */
    dir: (label) => {
      const dir = join(root, `${label}-${n++}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    remove: (path) => rmSync(path, { recursive: true, force: true }),
    cleanup,
  };
}
