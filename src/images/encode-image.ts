// Writes a decoded (and possibly edited) image back to bytes: the header, then each entry as a
// u32 length, its protobuf bytes and its payload. Unchanged entries are their original bytes, so
// an image nobody edited comes back byte for byte. An image whose parts disagree (a payload of
// another size than its message says, an entry of the wrong type) is refused with a RangeError
// rather than written as a file CRIU could not read.
import type { DecodedImage } from './decode-image.js';
import { imageLayout } from './image-layouts.js';
import { imageType } from './image-types.js';
import { headerMagics } from './magic.js';

function sameWords(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/**
 * Encodes an image file: for an image of entries, the header's magics, then each entry's length
 * prefix, bytes and payload; for a raw or unknown one, `trailing` as it is. A decoded image that
 * was not edited encodes to its original bytes exactly.
 * @throws {RangeError} when the result would not read back as the same image: an unknown `type`,
 *   wrong magics, entries in a raw image, a payload of another size than its message says, an
 *   image that would end early.
 */
export function encodeImage(image: DecodedImage): Uint8Array {
  const type = image.type === undefined ? undefined : imageType(image.type);
  if (image.type !== undefined && type === undefined) throw new RangeError(`Unknown image type ${image.type}.`);
  if (type === undefined || type.header === 'none') {
    if (image.entries.length > 0) throw new RangeError(`${image.file}: a raw or unknown image has no entries.`);
    return (image.trailing ?? new Uint8Array(0)).slice();
  }
  const expected = headerMagics(type.header, type.magic);
  if (!sameWords(image.magics, expected)) {
    throw new RangeError(`${image.file}: a ${type.name} image starts with ${expected.length} magic(s) of its own.`);
  }
  if (image.trailing !== undefined && image.trailing.byteLength > 0) {
    throw new RangeError(`${image.file}: bytes after the entries would not read back; put them in a payload.`);
  }
  const parts: Uint8Array[] = [];
  const cursor = imageLayout(type.name).start();
  const entries = image.entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry === undefined) throw new RangeError(`${image.file}: entry ${i} is missing.`);
    const kind = cursor.next();
    if (entry.schema?.typeName !== kind.schema?.typeName) {
      throw new RangeError(
        `${image.file}: entry ${i} is ${entry.schema?.typeName ?? 'undecoded'}, a ${type.name} image has ${kind.schema?.typeName ?? 'undecoded entries'} there.`,
      );
    }
    const bytes = entry.bytes;
    const payload = entry.payload ?? new Uint8Array(0);
    if (kind.payload) {
      const message = entry.message;
      const size = kind.payload(message as NonNullable<typeof message>);
      if (size === 'rest' ? i !== entries.length - 1 : BigInt(payload.byteLength) !== size) {
        throw new RangeError(
          size === 'rest'
            ? `${image.file}: entry ${i}'s payload runs to the end of the file, so it must be the last entry.`
            : `${image.file}: entry ${i}'s message says ${size} raw bytes follow it, its payload has ${payload.byteLength}.`,
        );
      }
      cursor.read(message);
    } else {
      if (payload.byteLength > 0) throw new RangeError(`${image.file}: entry ${i} is of a kind that has no payload.`);
      cursor.read(undefined);
    }
    if (bytes.byteLength > 0xffffffff)
      throw new RangeError(`${image.file}: entry ${i} is too large for its u32 length.`);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.byteLength, true);
    parts.push(length, bytes, payload);
  }
  const missing = cursor.unfinished();
  if (missing !== undefined) throw new RangeError(`${image.file}: the image would end early: ${missing}.`);
  const header = new Uint8Array(expected.length * 4);
  const headerView = new DataView(header.buffer);
  for (const [i, word] of expected.entries()) headerView.setUint32(i * 4, word, true);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, header.byteLength));
  out.set(header, 0);
  let pos = header.byteLength;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.byteLength;
  }
  return out;
}
