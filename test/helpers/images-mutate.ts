// Mutations of valid CRIU images for the codec's hostile-input tests, and the one rule every
// mutant must follow: it decodes (and then re-encodes to itself) or it is IMAGE_CORRUPT with the
// file and an offset inside it.
import assert from 'node:assert/strict';
import { isCriuError } from '../../src/errors.js';
import { type DecodeLimits, decodeImage, encodeImage } from '../../src/images/codec.js';

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
export const below = (random: Random, n: number) => Math.floor(random() * n);

/** Where each entry (length prefix, protobuf bytes and payload) sits in a valid image. */
export interface Frame {
  start: number;
  end: number;
  length: number;
}

export function framesOf(name: string, bytes: Uint8Array): Frame[] {
  const image = decodeImage(name, bytes);
  return image.entries.map((entry) => {
    const start = entry.offset ?? 0;
    const length = entry.bytes.byteLength;
    return { start, end: start + 4 + length + (entry.payload?.byteLength ?? 0), length };
  });
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(bytes.byteLength - remove + insert.byteLength);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.byteLength);
  return out;
}

function randomBytes(random: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => below(random, 256));
}

export type Mutator = (bytes: Uint8Array, random: Random, frames: Frame[]) => Uint8Array;

export const mutators: Record<string, Mutator> = {
  'bit flips': (bytes, random) => {
    const out = bytes.slice();
    for (let i = 1 + below(random, 4); i > 0; i--) {
      const at = below(random, out.byteLength);
      out[at] = (out[at] as number) ^ (1 << below(random, 8));
    }
    return out;
  },
  truncation: (bytes, random) => bytes.slice(0, below(random, bytes.byteLength)),
  'length prefix': (bytes, random, frames) => {
    const frame = frames[below(random, frames.length)];
    if (!frame) return bytes;
    const choices = [
      0,
      1,
      frame.length - 1,
      frame.length + 1,
      frame.length + below(random, 64),
      0x7fffffff,
      0xffffffff,
    ];
    const value = random() < 0.2 ? below(random, 2 ** 32) : (choices[below(random, choices.length)] as number);
    const out = bytes.slice();
    new DataView(out.buffer).setUint32(frame.start, Math.max(0, value) >>> 0, true);
    return out;
  },
  'inserted garbage': (bytes, random) =>
    splice(bytes, below(random, bytes.byteLength + 1), 0, randomBytes(random, 1 + below(random, 32))),
  'duplicated entry': (bytes, random, frames) => {
    const frame = frames[below(random, frames.length)];
    if (!frame) return bytes;
    const copy = bytes.slice(frame.start, frame.end);
    return splice(bytes, random() < 0.5 ? frame.end : bytes.byteLength, 0, copy);
  },
  'swapped entries': (bytes, random, frames) => {
    if (frames.length < 2) return bytes;
    const i = below(random, frames.length - 1);
    const a = frames[i] as Frame;
    const b = frames[i + 1] as Frame;
    const swapped = new Uint8Array([...bytes.subarray(b.start, b.end), ...bytes.subarray(a.start, a.end)]);
    return splice(bytes, a.start, b.end - a.start, swapped);
  },
  'overwritten run': (bytes, random) => {
    const out = bytes.slice();
    const fill = [0x00, 0xff, 0x80, -1][below(random, 4)] as number;
    const at = below(random, out.byteLength);
    for (let i = at; i < Math.min(out.byteLength, at + 1 + below(random, 16)); i++) {
      out[i] = fill === -1 ? below(random, 256) : fill;
    }
    return out;
  },
  'removed range': (bytes, random) => {
    const at = below(random, bytes.byteLength);
    return splice(bytes, at, Math.min(bytes.byteLength - at, 1 + below(random, 24)));
  },
};

/** Two or three mutations on top of each other. */
mutators.combined = (bytes, random, frames) => {
  const names = Object.keys(mutators).filter((name) => name !== 'combined');
  let out = bytes;
  for (let i = 2 + below(random, 2); i > 0; i--) {
    const mutate = mutators[names[below(random, names.length)] as string] as Mutator;
    // After a first mutation the frames are only guesses: keep those still inside the bytes.
    out = mutate(
      out,
      random,
      frames.filter((frame) => frame.end <= out.byteLength),
    );
  }
  return out;
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Decodes `bytes` as `name`: 'decoded' (and then every message decodes and the image re-encodes
 * to `bytes`), or 'corrupt' (CriuError IMAGE_CORRUPT with this file and an offset within it).
 */
export function attempt(name: string, bytes: Uint8Array, limits?: Partial<DecodeLimits>): 'decoded' | 'corrupt' {
  let image: ReturnType<typeof decodeImage>;
  try {
    image = decodeImage(name, bytes, { limits });
  } catch (error) {
    assert.ok(isCriuError(error, 'IMAGE_CORRUPT'), `${name}: decode threw ${String(error)}`);
    assert.equal(error.file, name);
    assert.ok(
      Number.isInteger(error.offset) && (error.offset as number) >= 0 && (error.offset as number) <= bytes.byteLength,
      `${name}: offset ${error.offset} is outside the ${bytes.byteLength}-byte file`,
    );
    return 'corrupt';
  }
  // A decoded image must be usable: its messages decode, and it encodes back to the same bytes.
  for (const entry of image.entries) void entry.message;
  assert.ok(sameBytes(encodeImage(image), bytes), `${name}: a decoded mutant does not re-encode to itself`);
  return 'decoded';
}
