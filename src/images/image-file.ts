// Splits a CRIU image file into its magic header and its u32-length-prefixed protobuf entries.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type DescMessage, fromBinary, type MessageShape } from '@bufbuild/protobuf';
import { CriuError } from '../errors.js';

/** Every image but inventory.img starts with this, then the image type's own magic. */
export const IMG_COMMON_MAGIC = 0x54564319;
/** stats-* and irmap-cache start with this instead of the common magic. */
export const IMG_SERVICE_MAGIC = 0x55105940;

export const MAGIC = {
  INVENTORY: 0x58313116,
  PSTREE: 0x50273030,
  STATS: 0x57093306,
} as const;

/** No real entry comes close; a larger length prefix means a corrupt or hostile file. */
const MAX_ENTRY_BYTES = 64 << 20;

export interface RawImage {
  file: string;
  /** The magic words of the header (one for inventory.img, two for the others). */
  magics: number[];
  /** Each entry's protobuf bytes, and where it starts in the file (its length prefix). */
  entries: { offset: number; bytes: Uint8Array }[];
}

function corrupt(file: string, offset: number, what: string): CriuError {
  return new CriuError('IMAGE_CORRUPT', `${basename(file)} is corrupt at byte ${offset}: ${what}`, {
    operation: 'read-images',
    file,
    offset,
  });
}

/**
 * Parses an image whose entries are all protobuf messages (no raw payload after an entry).
 * `expected` is the image type's magic; the header is validated against it.
 */
export function splitImage(file: string, data: Uint8Array, expected: number): RawImage {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 4) throw corrupt(file, 0, 'too short for an image header');
  const first = view.getUint32(0, true);
  const magics = [first];
  let pos = 4;
  if (first === IMG_COMMON_MAGIC || first === IMG_SERVICE_MAGIC) {
    if (data.byteLength < 8) throw corrupt(file, 4, 'header ends after the first magic');
    magics.push(view.getUint32(4, true));
    pos = 8;
  }
  if (magics[magics.length - 1] !== expected) {
    throw corrupt(file, pos - 4, `magic 0x${magics.at(-1)?.toString(16)} is not 0x${expected.toString(16)}`);
  }
  const entries: RawImage['entries'] = [];
  while (pos < data.byteLength) {
    if (data.byteLength - pos < 4) throw corrupt(file, pos, 'truncated entry length');
    const len = view.getUint32(pos, true);
    if (len > MAX_ENTRY_BYTES || pos + 4 + len > data.byteLength) {
      throw corrupt(file, pos, `entry length ${len} runs past the end of the file`);
    }
    entries.push({ offset: pos, bytes: data.subarray(pos + 4, pos + 4 + len) });
    pos += 4 + len;
  }
  return { file, magics, entries };
}

/** Reads and decodes every entry of a protobuf-only image. */
export async function readEntries<Desc extends DescMessage>(
  file: string,
  expected: number,
  schema: Desc,
): Promise<MessageShape<Desc>[]> {
  const image = splitImage(file, await readFile(file), expected);
  return image.entries.map(({ offset, bytes }) => {
    try {
      return fromBinary(schema, bytes);
    } catch (cause) {
      throw Object.assign(corrupt(file, offset, `entry does not decode (${String(cause)})`), { cause });
    }
  });
}
