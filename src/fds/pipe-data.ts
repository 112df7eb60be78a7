// The data that sat unread in pipes at checkpoint (pipes-data.img). CRIU does not replay it into
// a pipe given by inherit-fd, so restore does, through the substitute's stream.
import { join } from 'node:path';
import { PipeDataEntrySchema } from '../gen/criu_images_files_pb.js';
import { type DecodedImage, readSmallImage } from '../images/codec.js';

/** Buffered bytes by pipe inode. No pipes-data.img: no pipe had data. */
export async function readPipeData(imagesDir: string): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  let image: DecodedImage | undefined;
  try {
    // Usually absent, at most a few pipe buffers: read at once, not through the thread pool.
    image = readSmallImage(join(imagesDir, 'pipes-data.img'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const entry of image?.entries ?? []) {
    const { pipeId } = entry.as(PipeDataEntrySchema);
    if (entry.payload) out.set(pipeId, Buffer.from(entry.payload));
  }
  return out;
}
