// The CRIU image codec's public face: decode any image file into typed entries and encode it back
// byte for byte (see decode-image.ts and encode-image.ts), plus reading and writing files.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { type DecodedImage, type DecodeOptions, decodeImage } from './decode-image.js';
import { encodeImage } from './encode-image.js';

export { type DecodedImage, type DecodeOptions, decodeImage } from './decode-image.js';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits.js';
export { encodeImage } from './encode-image.js';
export { ImageEntry, type ImageEntryInit } from './image-entry.js';
export { type EntryKind, type ImageLayout, imageLayout, type LayoutCursor, type PayloadSize } from './image-layouts.js';
export { type ImageName, resolveImageName } from './image-names.js';
export { IMAGE_TYPES, type ImageType, imageType } from './image-types.js';
export {
  headerMagics,
  IMG_COMMON_MAGIC,
  IMG_SERVICE_MAGIC,
  type ImageHeader,
  MAGIC,
  RAW_IMAGE_MAGIC,
} from './magic.js';

/** Reads and decodes the image file at `path` (errors name the path). */
export async function readImage(path: string, options?: DecodeOptions): Promise<DecodedImage> {
  return decodeImage(path, await readFile(path), options);
}

/**
 * readImage for the small images read on every operation (pstree, stats: a few KiB): read at
 * once, sparing the four thread-pool round trips of an async readFile.
 */
export function readSmallImage(path: string, options?: DecodeOptions): DecodedImage {
  return decodeImage(path, readFileSync(path), options);
}

/** Encodes `image` and writes it to `path`. */
export async function writeImage(path: string, image: DecodedImage): Promise<void> {
  await writeFile(path, encodeImage(image));
}
