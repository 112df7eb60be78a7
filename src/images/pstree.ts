// The process tree of a checkpoint, from pstree.img.
import { join } from 'node:path';
import { PstreeEntrySchema } from '../gen/criu_images_pb.js';
import { MAGIC, readEntries } from './image-file.js';

export interface TreeTask {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  threads: number[];
}

/** The tasks of the checkpoint in `imagesDir`, root first (CRIU's order). */
export async function readProcessTree(imagesDir: string): Promise<TreeTask[]> {
  const entries = await readEntries(join(imagesDir, 'pstree.img'), MAGIC.PSTREE, PstreeEntrySchema);
  return entries.map(({ pid, ppid, pgid, sid, threads }) => ({ pid, ppid, pgid, sid, threads: [...threads] }));
}
