// The checks that make a checkpoint's images a proof of the codec: every file decodes and
// re-encodes byte for byte, and every typed entry survives toBinary(fromBinary(bytes)) unchanged
// with no unknown field anywhere in it (the schema declares everything CRIU wrote), except an
// entry with a string that is not UTF-8, which is counted apart.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary, type Message, toBinary } from '@bufbuild/protobuf';
import { DEFAULT_DECODE_LIMITS, type DecodedImage, decodeImage, encodeImage } from '../../src/images/codec.js';
import { checkWire } from '../../src/images/wire-check.js';

export interface RoundTripStats {
  files: number;
  entries: number;
  /** Entries checked with toBinary(fromBinary(bytes)) (all but those of undecoded image kinds). */
  typedEntries: number;
  payloadBytes: number;
  /** Bytes of raw images (pages-*.img) and unknown files, kept whole. */
  rawBytes: number;
  /** Entries whose toBinary(fromBinary) differs because a string in them is not UTF-8. */
  notUtf8: string[];
  /** Files per image type (`unknown` for files CRIU does not name, like dump.log). */
  types: Map<string, number>;
}

export function emptyStats(): RoundTripStats {
  return { files: 0, entries: 0, typedEntries: 0, payloadBytes: 0, rawBytes: 0, notUtf8: [], types: new Map() };
}

export function addStats(into: RoundTripStats, from: RoundTripStats): void {
  into.files += from.files;
  into.entries += from.entries;
  into.typedEntries += from.typedEntries;
  into.payloadBytes += from.payloadBytes;
  into.rawBytes += from.rawBytes;
  into.notUtf8.push(...from.notUtf8);
  for (const [type, n] of from.types) into.types.set(type, (into.types.get(type) ?? 0) + n);
}

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && '$typeName' in value;
}

/** Where unknown fields sit in `message` and its sub-messages (paths like `tc.timers`). */
export function unknownFieldPaths(message: Message, path = message.$typeName): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[message, path]];
  while (stack.length > 0) {
    const [value, at] = stack.pop() as [unknown, string];
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        stack.push([item, `${at}[${i}]`]);
      });
    } else if (isMessage(value)) {
      if (value.$unknown && value.$unknown.length > 0) {
        found.push(`${at}: field(s) ${value.$unknown.map((field) => field.no).join(', ')}`);
      }
      for (const [key, child] of Object.entries(value)) {
        if (!key.startsWith('$')) stack.push([child, `${at}.${key}`]);
      }
    }
  }
  return found;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Checks one image file (see the header); returns the decoded image for further checks. */
export function checkImageFile(dir: string, name: string, stats: RoundTripStats): DecodedImage {
  const bytes = readFileSync(join(dir, name));
  const image = decodeImage(name, bytes);
  stats.files++;
  stats.rawBytes += image.trailing?.byteLength ?? 0;
  stats.types.set(image.type ?? 'unknown', (stats.types.get(image.type ?? 'unknown') ?? 0) + 1);
  assert.ok(sameBytes(encodeImage(image), bytes), `${name}: encodeImage(decodeImage(bytes)) differs from bytes`);
  for (const [i, entry] of image.entries.entries()) {
    stats.entries++;
    stats.payloadBytes += entry.payload?.byteLength ?? 0;
    if (!entry.schema) continue;
    stats.typedEntries++;
    const again = toBinary(entry.schema, fromBinary(entry.schema, entry.bytes));
    if (!sameBytes(again, entry.bytes)) {
      // Allowed in one case only: a string field holding bytes that are not UTF-8 (a file name,
      // say), which @bufbuild/protobuf decodes with U+FFFD. The codec itself keeps the bytes.
      const loss = checkWire(entry.bytes, entry.schema, DEFAULT_DECODE_LIMITS.maxDepth);
      assert.match(
        loss?.what ?? '',
        /is not UTF-8$/,
        `${name} entry ${i} (${entry.schema.typeName}): toBinary(fromBinary) differs`,
      );
      stats.notUtf8.push(`${name} entry ${i}: ${loss?.what}`);
    }
    const message = entry.message;
    assert.ok(message, `${name} entry ${i} has no message`);
    assert.deepEqual(unknownFieldPaths(message), [], `${name} entry ${i}: CRIU wrote fields the schema lacks`);
  }
  // Every message is decoded now (the lazy ones too): encoding must still give the original bytes.
  assert.ok(sameBytes(encodeImage(image), bytes), `${name}: encoding after reading every message differs`);
  return image;
}

/** Checks every file of a checkpoint; returns its images by file name. */
export function checkImagesDir(dir: string, stats: RoundTripStats): Map<string, DecodedImage> {
  const images = new Map<string, DecodedImage>();
  for (const name of readdirSync(dir).sort()) images.set(name, checkImageFile(dir, name, stats));
  return images;
}
