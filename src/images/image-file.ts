// Reading protobuf-only images the way node-criu did before the codec (splitImage / readEntries),
// now on top of it, for code that still uses this form.
import { readFile } from 'node:fs/promises';
import { type DescMessage, fromBinary, type MessageShape } from '@bufbuild/protobuf';
import { type DecodedImage, decodeImage } from './decode-image.js';
import { imageCorrupt } from './image-error.js';

export { IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC, MAGIC } from './magic.js';

export interface RawImage {
  file: string;
  /** The magic words of the header (one for inventory.img, two for the others). */
  magics: number[];
  /** Each entry's protobuf bytes, and where it starts in the file (its length prefix). */
  entries: { offset: number; bytes: Uint8Array }[];
}

/** Decodes `data` as the image its file name says, and checks that its type magic is `expected`. */
function decodeExpecting(file: string, data: Uint8Array, expected: number): DecodedImage {
  const image = decodeImage(file, data);
  if (image.magics.at(-1) !== expected) {
    const at = Math.max(0, image.magics.length - 1) * 4;
    throw imageCorrupt(file, at, `not an image of magic 0x${expected.toString(16)}`);
  }
  return image;
}

/**
 * The header and entries of the image in `data`, whose type magic must be `expected`.
 * @throws {CriuError} IMAGE_CORRUPT.
 */
export function splitImage(file: string, data: Uint8Array, expected: number): RawImage {
  const image = decodeExpecting(file, data, expected);
  return {
    file,
    magics: image.magics,
    entries: image.entries.map(({ offset, bytes }) => ({ offset: offset ?? 0, bytes })),
  };
}

/** Every entry of the image at `file` (type magic `expected`), as a `schema` message. */
export async function readEntries<Desc extends DescMessage>(
  file: string,
  expected: number,
  schema: Desc,
): Promise<MessageShape<Desc>[]> {
  const image = decodeExpecting(file, await readFile(file), expected);
  return image.entries.map((entry) => {
    if (entry.is(schema)) return entry.as(schema);
    try {
      return fromBinary(schema, entry.bytes);
    } catch (cause) {
      throw imageCorrupt(file, entry.offset ?? 0, `entry does not decode as ${schema.typeName}`, cause);
    }
  });
}
