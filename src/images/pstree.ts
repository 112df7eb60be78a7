// The process tree of a checkpoint, from pstree.img.
import { join } from 'node:path';
import { PstreeEntrySchema } from '../gen/criu_images_pb.js';
import { readSmallImage } from './codec.js';

export interface TreeTask {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
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
