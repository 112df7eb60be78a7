// The data that sat unread in pipes at checkpoint (pipes-data.img). CRIU does not replay it into
// a pipe given by inherit-fd, so restore does, through the substitute's stream.
import { join } from 'node:path';
import { PipeDataEntrySchema } from '../gen/criu_images_files_pb.js';
import { readImage } from '../images/codec.js';

/** Buffered bytes by pipe inode. No pipes-data.img: no pipe had data. */
export async function readPipeData(imagesDir: string): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  const image = await readImage(join(imagesDir, 'pipes-data.img')).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  for (const entry of image?.entries ?? []) {
    const { pipeId } = entry.as(PipeDataEntrySchema);
    if (entry.payload) out.set(pipeId, Buffer.from(entry.payload));
  }
  return out;
}
