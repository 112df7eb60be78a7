// An image file as JSON and back (`node-criu decode` / `encode`): each entry's message as
// protobuf JSON, raw bytes as base64. An image that is decoded then encoded again comes back byte
// for byte: where the JSON of a message cannot give its exact bytes back (fields unknown to the
// schema, strings that are not UTF-8, non-canonical encodings) the original bytes ride along and
// are used as long as the message is left as it was.
import { isDeepStrictEqual } from 'node:util';
import { type DescMessage, fromBinary, fromJson, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
import { CriuError } from '../errors.js';
import { type DecodedImage, encodeImage, ImageEntry, imageLayout, imageType } from '../images/codec.js';

/** The format tag of an image's JSON. */
export const IMAGE_JSON_FORMAT = 'node-criu-image/1';

/** One entry of an image, as JSON. */
export interface EntryJson {
  /** The message's type name (`nodecriu.images.CoreEntry`); absent for entries kept undecoded. */
  type?: string;
  /** The message as protobuf JSON (camelCase names, 64-bit integers as strings, bytes as base64). */
  message?: JsonValue;
  /**
   * Base64 of the entry's protobuf bytes: always for undecoded entries; for decoded ones only when
   * encoding `message` would not give them back exactly. Used as long as `message` is unchanged.
   */
  bytes?: string;
  /** Base64 of the raw bytes CRIU wrote after the entry, for kinds that have them. */
  payload?: string;
}

/** An image file as JSON. */
export interface ImageJson {
  format: typeof IMAGE_JSON_FORMAT;
  /** The name the image was decoded under. */
  file: string;
  /** Its kind (an ImageType name such as `core`), or null for a file CRIU does not name. */
  type: string | null;
  /** The id in its name, or null. */
  id: string | null;
  /** The header's magic words. */
  magics: number[];
  entries: EntryJson[];
  /** Base64 of the bytes that are not entries: a raw image's (pages-*.img) or an unknown file's contents. */
  trailing?: string;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The message's JSON, and whether encoding that JSON gives `bytes` back exactly. */
function messageJson(schema: DescMessage, bytes: Uint8Array, message: Parameters<typeof toJson>[1]) {
  const json = toJson(schema, message) as JsonValue;
  let exact = false;
  try {
    exact = sameBytes(toBinary(schema, fromJson(schema, json)), bytes);
  } catch {
    exact = false;
  }
  return { json, exact };
}

/** `image` as JSON (see ImageJson). */
export function imageToJson(image: DecodedImage, file = image.file): ImageJson {
  const entries = image.entries.map((entry): EntryJson => {
    const out: EntryJson = {};
    const bytes = entry.bytes;
    if (entry.schema) {
      const { json, exact } = messageJson(entry.schema, bytes, entry.message as Parameters<typeof toJson>[1]);
      out.type = entry.schema.typeName;
      out.message = json;
      if (!exact) out.bytes = base64(bytes);
    } else {
      out.bytes = base64(bytes);
    }
    if (entry.payload !== undefined) out.payload = base64(entry.payload);
    return out;
  });
  const json: ImageJson = {
    format: IMAGE_JSON_FORMAT,
    file,
    type: image.type ?? null,
    id: image.id ?? null,
    magics: [...image.magics],
    entries,
  };
  if (image.trailing !== undefined) json.trailing = base64(image.trailing);
  return json;
}

function invalid(file: string, why: string, cause?: unknown): CriuError {
  return new CriuError('INVALID_IMAGES', `${file} is not a valid image JSON: ${why}.`, {
    operation: 'read-images',
    file,
    cause,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bytesOf(file: string, where: string, value: unknown): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw invalid(file, `${where} is not base64`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** The protobuf bytes of one entry's JSON, checked against the message type the layout expects. */
function entryBytes(
  file: string,
  i: number,
  schema: DescMessage | undefined,
  json: Record<string, unknown>,
): Uint8Array {
  const where = `entry ${i}`;
  const expected = schema?.typeName;
  if ((json.type ?? undefined) !== expected) {
    throw invalid(
      file,
      `${where} is ${json.type ?? 'undecoded'}, the image has ${expected ?? 'undecoded entries'} there`,
    );
  }
  const original = json.bytes === undefined ? undefined : bytesOf(file, `${where}'s bytes`, json.bytes);
  if (!schema) {
    if (!original) throw invalid(file, `${where} has no bytes`);
    return original;
  }
  if (json.message === undefined) {
    if (!original) throw invalid(file, `${where} has neither message nor bytes`);
    return original;
  }
  if (original) {
    // The original bytes stand while the message is the one they decode to.
    try {
      if (isDeepStrictEqual(toJson(schema, fromBinary(schema, original)), json.message)) return original;
    } catch {
      // Bytes that do not decode: the message replaces them.
    }
  }
  try {
    return toBinary(schema, fromJson(schema, json.message as JsonValue));
  } catch (cause) {
    throw invalid(file, `${where}'s message is not a valid ${schema.typeName} (${(cause as Error).message})`, cause);
  }
}

/**
 * The image an ImageJson describes (`file` names it in errors). Throws CriuError INVALID_IMAGES
 * when the JSON is malformed or its parts disagree (an entry of the wrong type for its place, a
 * payload of another size than its message says).
 */
export function imageFromJson(value: unknown, file: string): DecodedImage {
  if (!isObject(value) || value.format !== IMAGE_JSON_FORMAT) throw invalid(file, `format is not ${IMAGE_JSON_FORMAT}`);
  const type = value.type === null || value.type === undefined ? undefined : value.type;
  if (type !== undefined && (typeof type !== 'string' || !imageType(type))) {
    throw invalid(file, `unknown image type ${JSON.stringify(type)}`);
  }
  if (!Array.isArray(value.magics) || !value.magics.every((m) => Number.isInteger(m) && m >= 0 && m <= 0xffffffff)) {
    throw invalid(file, 'magics is not a list of u32');
  }
  if (!Array.isArray(value.entries)) throw invalid(file, 'entries is not a list');
  const cursor = imageLayout(type ?? '').start();
  const entries: ImageEntry[] = [];
  for (const [i, raw] of value.entries.entries()) {
    if (!isObject(raw)) throw invalid(file, `entry ${i} is not an object`);
    const kind = cursor.next();
    const bytes = entryBytes(file, i, kind.schema, raw);
    const payload = raw.payload === undefined ? undefined : bytesOf(file, `entry ${i}'s payload`, raw.payload);
    const entry = new ImageEntry({ schema: kind.schema, bytes, payload, file });
    cursor.read(kind.payload ? entry.message : undefined);
    entries.push(entry);
  }
  const image: DecodedImage = {
    file,
    type,
    id: typeof value.id === 'string' ? value.id : undefined,
    magics: value.magics as number[],
    entries,
  };
  if (value.trailing !== undefined) image.trailing = bytesOf(file, 'trailing', value.trailing);
  return image;
}

/** The bytes of the image an ImageJson describes (CriuError INVALID_IMAGES if they cannot be written). */
export function encodeImageJson(value: unknown, file: string): Uint8Array {
  const image = imageFromJson(value, file);
  try {
    return encodeImage(image);
  } catch (cause) {
    if (cause instanceof RangeError || cause instanceof TypeError) throw invalid(file, cause.message, cause);
    throw cause;
  }
}
