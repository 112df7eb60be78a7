// The checks of one field's bytes against its wire plan, for checkWire: the wire types, whether
// a field's type can come in a given one, the values of a packed run, and UTF-8 of strings.
import { WireError } from './wire-error.js';
import type { FieldPlan } from './wire-plan.js';
import { readVarint, varintLoses } from './wire-varint.js';

/** Protobuf's wire types (the low 3 bits of a tag). */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True when `bytes` are UTF-8 (which @bufbuild/protobuf decodes without U+FFFD). */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The wire types by number, for error messages. */
export const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

/** True when a field of this plan may come as `wireType` (repeated scalars also packed). */
export function accepts(field: FieldPlan, wireType: number): boolean {
  if (wireType === WIRE_LEN && field.repeated && field.wire !== 'bytes' && field.wire !== 'message') return true;
  switch (field.wire) {
    case 'varint':
      return wireType === WIRE_VARINT;
    case 'fixed32':
      return wireType === WIRE_FIXED32;
    case 'fixed64':
      return wireType === WIRE_FIXED64;
    default:
      return wireType === WIRE_LEN;
  }
}

/**
 * Checks a packed run of scalars [pos, end): whole varints, or whole fixed-size values. Returns
 * where a value is too wide for its field, if one is.
 */
export function checkPacked(bytes: Uint8Array, pos: number, end: number, field: FieldPlan): number | undefined {
  if (field.wire === 'fixed32' || field.wire === 'fixed64') {
    const size = field.wire === 'fixed32' ? 4 : 8;
    if ((end - pos) % size !== 0) throw new WireError(pos, `packed ${field.label} is not a whole number of values`);
    return undefined;
  }
  let lossAt: number | undefined;
  let at = pos;
  while (at < end) {
    const next = readVarint(bytes, at, end, 10, `a packed value of ${field.label}`);
    if (lossAt === undefined && varintLoses(field.narrow)) lossAt = at;
    at = next;
  }
  return lossAt;
}
