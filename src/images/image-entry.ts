// One entry of an image: the protobuf bytes as they were read, the message they hold (decoded
// the first time it is asked for), and the raw payload CRIU wrote after it. The original bytes
// are what gets written back unless the message was changed, so an image survives a
// decode/encode byte for byte whatever its content.
import { type DescMessage, fromBinary, type Message, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { DEFAULT_DECODE_LIMITS } from './decode-limits.js';
import { imageCorrupt } from './image-error.js';
import { checkWire } from './wire-check.js';

/** What an ImageEntry is made of (see its members); decodeImage makes them. */
export interface ImageEntryInit {
  /** The message type, or undefined for an image kind node-criu keeps undecoded. */
  schema: DescMessage | undefined;
  /** The entry's protobuf bytes (without the u32 length prefix), or a buffer holding them. */
  bytes: Uint8Array;
  /**
   * Where the entry sits in `bytes` when that is a larger buffer (the whole file): kept as
   * offsets rather than a view, which halves what an entry costs until its bytes are asked for.
   */
  start?: number | undefined;
  /** See `start` (default: the end of `bytes`). */
  end?: number | undefined;
  /** The raw bytes that follow the entry in the file, for kinds that have them. */
  payload?: Uint8Array | undefined;
  /** Where the entry's length prefix sits in `file`. */
  offset?: number | undefined;
  /** The image file it comes from, for errors. */
  file?: string | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One entry of a CRIU image: a protobuf message (decoded on first use) and the raw payload that
 * follows it. It keeps its original bytes, so an image re-encodes byte for byte unless a message
 * was changed, and fields node-criu's schema does not know survive an edit.
 */
export class ImageEntry {
  /** The entry's message type; undefined for an image kind node-criu keeps undecoded. */
  readonly schema: DescMessage | undefined;
  /** Where the entry's length prefix was in the decoded file; undefined for a new entry. */
  readonly offset: number | undefined;
  /**
   * The raw bytes CRIU wrote after this entry (pipe contents, semaphore values, message text,
   * ghost file data, ...); undefined for kinds that have none. Its size must stay what the
   * message says (encodeImage checks).
   */
  payload: Uint8Array | undefined;
  readonly #file: string;
  /** The original bytes are #source[#start, #end). */
  #source: Uint8Array;
  #start: number;
  #end: number;
  #message: Message | undefined;
  /** The message as first decoded, re-encoded: a later encoding that differs means it was changed. */
  #pristine: Uint8Array | undefined;

  /** An entry over existing bytes (as decodeImage makes them); for a new message use ImageEntry.of. */
  constructor(init: ImageEntryInit) {
    this.schema = init.schema;
    this.#source = init.bytes;
    this.#start = init.start ?? 0;
    this.#end = init.end ?? init.bytes.byteLength;
    this.payload = init.payload;
    this.offset = init.offset;
    this.#file = init.file ?? '(new entry)';
  }

  /** A new entry holding `message` (for building or extending an image). */
  static of<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, payload?: Uint8Array): ImageEntry {
    const entry = new ImageEntry({ schema, bytes: toBinary(schema, message), payload });
    entry.message = message;
    return entry;
  }

  /**
   * The decoded message (undefined when `schema` is). Decoded on first use and kept: edit it in
   * place or assign a new one, and `bytes` follows.
   */
  get message(): Message | undefined {
    if (this.schema === undefined) return undefined;
    if (this.#message === undefined) this.#message = this.#decode(this.schema, this.#original());
    return this.#message;
  }

  set message(message: Message | undefined) {
    if (this.schema === undefined || message === undefined || message.$typeName !== this.schema.typeName) {
      throw new TypeError(`this entry holds ${this.schema?.typeName ?? 'undecoded bytes'}, not ${message?.$typeName}`);
    }
    if (this.#message === undefined) {
      // Keeps what the original looked like re-encoded, so that assigning an equal message still
      // writes the original bytes. Unreadable original bytes: any message replaces them.
      try {
        this.#decode(this.schema, this.#original());
      } catch {
        this.#pristine = undefined;
      }
    }
    this.#message = message;
  }

  /**
   * The entry's protobuf bytes: the original ones while the message is unchanged (even where
   * re-encoding would differ, e.g. a string that is not valid UTF-8), else the message encoded.
   * Assigning bytes replaces the entry's content (and drops a decoded message).
   * @throws {RangeError} when the message was changed but decoding had dropped part of the
   *   original (a string that is not UTF-8, a 32-bit field holding a wider varint): encoding it
   *   would lose that data silently, so such an entry can only be edited through its bytes.
   */
  get bytes(): Uint8Array {
    if (this.#message === undefined || this.schema === undefined) return this.#original();
    const now = toBinary(this.schema, this.#message);
    if (this.#pristine === undefined) return now;
    const original = this.#original();
    if (sameBytes(now, this.#pristine)) return original;
    // Changed. Re-encoding is fine when the original was merely written differently (packed,
    // over-long varints, fields out of order), not when decoding dropped part of it.
    if (!sameBytes(this.#pristine, original)) {
      const loss = this.#loss(this.schema, original);
      if (loss !== undefined) {
        throw new RangeError(
          `${this.#file}: the ${this.schema.typeName} entry${this.offset === undefined ? '' : ` at byte ${this.offset}`} ` +
            `cannot be re-encoded from its message without losing data (${loss}); edit its bytes instead.`,
        );
      }
    }
    return now;
  }

  set bytes(bytes: Uint8Array) {
    this.#source = bytes;
    this.#start = 0;
    this.#end = bytes.byteLength;
    this.#message = undefined;
    this.#pristine = undefined;
  }

  /** The message, typed: throws a TypeError when the entry is not a `schema` entry. */
  as<Desc extends DescMessage>(schema: Desc): MessageShape<Desc> {
    if (this.schema?.typeName !== schema.typeName) {
      throw new TypeError(`this entry holds ${this.schema?.typeName ?? 'undecoded bytes'}, not ${schema.typeName}`);
    }
    return this.message as MessageShape<Desc>;
  }

  /** True when the entry is a `schema` entry (then `as(schema)` does not throw). */
  is(schema: DescMessage): boolean {
    return this.schema?.typeName === schema.typeName;
  }

  /** What decoding `bytes` loses, if anything. */
  #loss(schema: DescMessage, bytes: Uint8Array): string | undefined {
    try {
      const loss = checkWire(bytes, schema, DEFAULT_DECODE_LIMITS.maxDepth);
      return loss === undefined ? undefined : `${loss.what}, byte ${loss.offset} of the entry`;
    } catch (error) {
      return String(error);
    }
  }

  #original(): Uint8Array {
    return this.#start === 0 && this.#end === this.#source.byteLength
      ? this.#source
      : this.#source.subarray(this.#start, this.#end);
  }

  #decode(schema: DescMessage, bytes: Uint8Array): Message {
    const at = this.offset === undefined ? 0 : this.offset + 4;
    try {
      const message = fromBinary(schema, bytes);
      // Encoded before anyone can change it: what "unchanged" looks like once re-encoded.
      this.#pristine = toBinary(schema, message);
      return message;
    } catch (cause) {
      throw imageCorrupt(this.#file, at, `${schema.typeName} entry does not decode (${String(cause)})`, cause);
    }
  }
}
