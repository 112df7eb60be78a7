// Reads any CRIU image file into its header, its entries (each with its message and payload) and,
// for raw or unknown files, its bytes as they are. A malformed file gives CriuError IMAGE_CORRUPT
// with the file and the byte offset, after bounded work: nothing is allocated for a length
// before it is checked against the file and the limits.
import { type DecodeLimits, resolveLimits } from './decode-limits.js';
import { ImageEntry } from './image-entry.js';
import { imageCorrupt } from './image-error.js';
import { imageLayout } from './image-layouts.js';
import { resolveImageName } from './image-names.js';
import { imageType } from './image-types.js';
import { headerMagics } from './magic.js';
import { checkWire } from './wire-check.js';
import { WireError } from './wire-error.js';

/** One CRIU image file, decoded: its kind, its header and its entries (see decodeImage/encodeImage). */
export interface DecodedImage {
  /** The name (or path) the image was decoded under: errors name it. */
  file: string;
  /**
   * Its kind (an ImageType name: `'core'`, `'pagemap-shmem'`, `'pages'`, ...), or undefined for a
   * file CRIU does not name (dump.log, a plugin's image): such a file is kept whole in `trailing`.
   */
  type: string | undefined;
  /** The id in the file name (`'1234'` of core-1234.img), if it has one. */
  id: string | undefined;
  /** The header's magic words as read; [] for raw and unknown files. */
  magics: number[];
  /** The entries, in file order: protobuf messages, each with the raw payload that follows it, if any. */
  entries: ImageEntry[];
  /** The bytes that are not entries: all of a raw image (pages-*.img, ...) or an unknown file. */
  trailing?: Uint8Array | undefined;
}

/** How decodeImage/readImage read a file. */
export interface DecodeOptions {
  /** Decode as this kind of image (an ImageType name) instead of the one the file name says. */
  type?: string;
  /** Bounds on hostile input, each defaulting to DecodeLimits' own. */
  limits?: Partial<DecodeLimits>;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Checks the header words and returns where the entries start. */
function readHeader(file: string, bytes: Uint8Array, view: DataView, expected: number[]): number {
  for (let i = 0; i < expected.length; i++) {
    const at = i * 4;
    if (bytes.byteLength < at + 4) throw imageCorrupt(file, bytes.byteLength, 'the header ends early');
    const magic = view.getUint32(at, true);
    if (magic !== expected[i]) {
      throw imageCorrupt(file, at, `magic ${hex(magic)} where ${hex(expected[i] as number)} belongs`);
    }
  }
  return expected.length * 4;
}

/** Decodes one image file. Entries keep their bytes: encodeImage gives back `bytes` exactly. */
export function decodeImage(fileName: string, bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage {
  const limits = resolveLimits(options.limits);
  const named = resolveImageName(fileName);
  const type = options.type === undefined ? named?.type : imageType(options.type);
  if (options.type !== undefined && type === undefined) throw new RangeError(`Unknown image type ${options.type}.`);
  const id = named?.id;
  if (type === undefined || type.header === 'none') {
    return { file: fileName, type: type?.name, id, magics: [], entries: [], trailing: bytes };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expected = headerMagics(type.header, type.magic);
  let pos = readHeader(fileName, bytes, view, expected);
  const entries: ImageEntry[] = [];
  const cursor = imageLayout(type.name).start();
  let totalEntryBytes = 0;
  while (pos < bytes.byteLength) {
    if (entries.length >= limits.maxEntries) {
      throw imageCorrupt(fileName, pos, `more than ${limits.maxEntries} entries (decode limit maxEntries)`);
    }
    const left = bytes.byteLength - pos;
    if (left < 4) throw imageCorrupt(fileName, pos, `${left} byte(s) where an entry's u32 length belongs`);
    const length = view.getUint32(pos, true);
    if (length > left - 4) {
      throw imageCorrupt(
        fileName,
        pos,
        `entry length ${length} runs past the end of the file (${left - 4} bytes left)`,
      );
    }
    if (length > limits.maxEntryBytes) {
      throw imageCorrupt(fileName, pos, `entry length ${length} is over the decode limit maxEntryBytes`);
    }
    totalEntryBytes += length;
    if (totalEntryBytes > limits.maxTotalEntryBytes) {
      throw imageCorrupt(fileName, pos, 'the entries add up to more than the decode limit maxTotalEntryBytes');
    }
    const start = pos + 4;
    const kind = cursor.next();
    try {
      checkWire(bytes.subarray(start, start + length), kind.schema, limits.maxDepth);
    } catch (error) {
      if (error instanceof WireError) {
        throw imageCorrupt(fileName, start + error.offset, `${kind.schema?.typeName ?? 'entry'}: ${error.message}`);
      }
      throw imageCorrupt(fileName, start, `entry cannot be checked (${String(error)})`, error);
    }
    const entry = new ImageEntry({
      schema: kind.schema,
      bytes,
      start,
      end: start + length,
      offset: pos,
      file: fileName,
    });
    pos = start + length;
    if (kind.payload) {
      const message = entry.message;
      const size = kind.payload(message as NonNullable<typeof message>);
      const available = bytes.byteLength - pos;
      if (size !== 'rest' && size > BigInt(available)) {
        throw imageCorrupt(fileName, pos, `entry says ${size} raw bytes follow it, only ${available} do`);
      }
      const end = size === 'rest' ? bytes.byteLength : pos + Number(size);
      entry.payload = bytes.subarray(pos, end);
      pos = end;
      cursor.read(message);
    } else {
      cursor.read(undefined);
    }
    entries.push(entry);
  }
  const missing = cursor.unfinished();
  if (missing !== undefined) throw imageCorrupt(fileName, pos, `the image ends early: ${missing}`);
  return { file: fileName, type: type.name, id, magics: expected, entries };
}
