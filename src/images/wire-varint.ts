// Reading protobuf varints for checkWire: bounded in length and in the message, with no
// allocation per read, and telling whether a value fits the 32-bit field it is read for.
import { WireError } from './wire-error.js';
import type { Narrow } from './wire-plan.js';

// What readVarint last read (module state: no allocation per read). `varintValue` is exact up to
// 2^53, enough for tags and lengths (at most 5 bytes), and exported: an ES module's binding is
// live, so importers read the value of the last readVarint. lo/hi are the low and high 32 bits
// of the 64-bit value, for telling whether a 32-bit field can hold it.
export let varintValue = 0;
let varintLo = 0;
let varintHi = 0;

/**
 * Reads the varint at `pos` (at most `maxBytes` bytes, ending before `limit`) and returns the
 * position after it.
 */
export function readVarint(bytes: Uint8Array, pos: number, limit: number, maxBytes: number, what: string): number {
  let value = 0;
  let scale = 1;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < maxBytes; i++) {
    if (pos + i >= limit) throw new WireError(pos, `${what} runs past the end of its message`);
    const byte = bytes[pos + i] as number;
    const bits = byte & 0x7f;
    const shift = 7 * i;
    value += bits * scale;
    scale *= 128;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (shift - 32);
    if ((byte & 0x80) === 0) {
      varintValue = value;
      varintLo = lo >>> 0;
      varintHi = hi >>> 0;
      return pos + i + 1;
    }
  }
  throw new WireError(pos, `${what} is longer than ${maxBytes} bytes`);
}

/** True when the last varint read does not fit a field of `narrow` (its extra bits are dropped). */
export function varintLoses(narrow: Narrow): boolean {
  switch (narrow) {
    case 'uint32':
    case 'sint32':
      return varintHi !== 0;
    case 'int32':
      // A negative int32 is written sign-extended to 64 bits; anything else above 32 bits is lost.
      return varintHi !== 0 && !(varintHi === 0xffffffff && varintLo >= 0x80000000);
    default:
      return false;
  }
}
