// The process tree of a checkpoint, from pstree.img.
import { join } from 'node:path';
import { PstreeEntrySchema } from '../gen/criu_images_pb.js';
import { readSmallImage } from './codec.js';

/** One task of a checkpointed tree, as pstree.img records it (pids as the tree's pid namespace sees them). */
export interface TreeTask {
  /** The task's pid. */
  pid: number;
  /** Its parent's pid (0 for the root, whose parent is outside the tree). */
  ppid: number;
  /** Its process group. */
  pgid: number;
  /** Its session. */
  sid: number;
  /** The thread ids of its threads, the main thread (= pid) included. */
  threads: number[];
}

/** The tasks of the checkpoint in `imagesDir`, root first (CRIU's order). */
export async function readProcessTree(imagesDir: string): Promise<TreeTask[]> {
  const image = readSmallImage(join(imagesDir, 'pstree.img'));
  return image.entries.map((entry) => {
    const { pid, ppid, pgid, sid, threads } = entry.as(PstreeEntrySchema);
    return { pid, ppid, pgid, sid, threads: [...threads] };
  });
}
