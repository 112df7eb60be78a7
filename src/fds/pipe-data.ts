// The data that sat unread in pipes at checkpoint (pipes-data.img). CRIU does not replay it into
// a pipe given by inherit-fd, so restore does, through the substitute's stream.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { CriuError } from '../errors.js';
import { PipeDataEntrySchema } from '../gen/criu_pipe_data_pb.js';
import { IMG_COMMON_MAGIC } from '../images/image-file.js';

const PIPES_DATA_MAGIC = 0x56453709;
/** A pipe holds at most its buffer (1 MiB by default max); anything larger is corrupt. */
const MAX_PIPE_BYTES = 64 << 20;

/** Buffered bytes by pipe inode. Missing file: no pipe had data. */
export async function readPipeData(imagesDir: string): Promise<Map<number, Buffer>> {
  const file = join(imagesDir, 'pipes-data.img');
  const data = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const out = new Map<number, Buffer>();
  if (!data) return out;
  const corrupt = (offset: number, why: string) =>
    new CriuError('IMAGE_CORRUPT', `pipes-data.img is corrupt at byte ${offset}: ${why}`, {
      operation: 'read-images',
      file,
      offset,
    });
  if (data.length < 8 || data.readUInt32LE(0) !== IMG_COMMON_MAGIC || data.readUInt32LE(4) !== PIPES_DATA_MAGIC) {
    throw corrupt(0, 'bad magic');
  }
  let pos = 8;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt(pos, 'truncated entry length');
    const len = data.readUInt32LE(pos);
    if (pos + 4 + len > data.length) throw corrupt(pos, `entry length ${len} runs past the end`);
    let entry: ReturnType<typeof fromBinary<typeof PipeDataEntrySchema>>;
    try {
      entry = fromBinary(PipeDataEntrySchema, data.subarray(pos + 4, pos + 4 + len));
    } catch (cause) {
      throw Object.assign(corrupt(pos, 'entry does not decode'), { cause });
    }
    const start = pos + 4 + len;
    if (entry.bytes > MAX_PIPE_BYTES || start + entry.bytes > data.length)
      throw corrupt(pos, `${entry.bytes} data bytes run past the end`);
    out.set(entry.pipeId, data.subarray(start, start + entry.bytes));
    pos = start + entry.bytes;
  }
  return out;
}
