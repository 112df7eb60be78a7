// Checks, before anything is decoded, that an entry is a well-formed protobuf encoding of its
// message type: a loop over an explicit stack (no recursion, so no nesting depth can overflow
// the JS stack), bounded in depth, and at least as strict as @bufbuild/protobuf's reader and
// protobuf-c's unpack, so that decoding a checked entry cannot fail. It also finds where
// decoding would lose information (see checkWire).
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';

/** A malformed entry; `offset` is relative to the entry's first byte. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Where decoding an entry loses information, relative to the entry's first byte. */
export interface WireLoss {
  offset: number;
  what: string;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** How a declared field sits on the wire. */
type FieldWire = 'varint' | 'fixed32' | 'fixed64' | 'bytes' | 'message';

/**
 * Values a decoder can hold only part of: 32-bit varints (both runtimes keep the low 32 bits of
 * a longer one) and strings (@bufbuild/protobuf turns bytes that are not UTF-8 into U+FFFD).
 */
type Narrow = 'int32' | 'uint32' | 'sint32' | 'string' | undefined;

interface FieldPlan {
  label: string;
  wire: FieldWire;
  narrow: Narrow;
  /** Repeated scalars may also come packed (one length-delimited run), as both runtimes accept. */
  repeated: boolean;
  child: MessagePlan | undefined;
  /** Index among the message's required fields, or -1. */
  required: number;
}

interface MessagePlan {
  typeName: string;
  fields: Map<number, FieldPlan>;
  requiredLabels: string[];
}

// @bufbuild/protobuf's FeatureSet.FieldPresence.LEGACY_REQUIRED: proto2's `required`.
const LEGACY_REQUIRED = 3;

const plans = new WeakMap<DescMessage, MessagePlan>();

/** A message type with no declared field: everything in it is an unknown field. */
const OPAQUE: MessagePlan = { typeName: 'an undecoded message', fields: new Map(), requiredLabels: [] };

function scalarWire(scalar: ScalarType): FieldWire {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 'fixed64';
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return 'fixed32';
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return 'bytes';
    default:
      return 'varint';
  }
}

function scalarNarrow(scalar: ScalarType): Narrow {
  switch (scalar) {
    case ScalarType.INT32:
      return 'int32';
    case ScalarType.UINT32:
      return 'uint32';
    case ScalarType.SINT32:
      return 'sint32';
    case ScalarType.STRING:
      return 'string';
    default:
      return undefined;
  }
}

type Shape = Pick<FieldPlan, 'wire' | 'narrow' | 'repeated'> & { child: DescMessage | undefined };

function fieldShape(field: DescField): Shape {
  switch (field.fieldKind) {
    case 'scalar':
      return { wire: scalarWire(field.scalar), narrow: scalarNarrow(field.scalar), child: undefined, repeated: false };
    case 'enum':
      return { wire: 'varint', narrow: 'int32', child: undefined, repeated: false };
    case 'message':
      return { wire: 'message', narrow: undefined, child: field.message, repeated: false };
    case 'list':
      if (field.listKind === 'message')
        return { wire: 'message', narrow: undefined, child: field.message, repeated: true };
      if (field.listKind === 'enum') return { wire: 'varint', narrow: 'int32', child: undefined, repeated: true };
      return { wire: scalarWire(field.scalar), narrow: scalarNarrow(field.scalar), child: undefined, repeated: true };
    case 'map':
      // CRIU's schemas have no map; an entry of one is a small message, checked as opaque.
      return { wire: 'message', narrow: undefined, child: undefined, repeated: true };
  }
}

/** The wire plan of a message type, built once (and before its fields, so cycles terminate). */
function planOf(desc: DescMessage | undefined): MessagePlan {
  if (desc === undefined) return OPAQUE;
  const known = plans.get(desc);
  if (known) return known;
  const plan: MessagePlan = { typeName: desc.typeName, fields: new Map(), requiredLabels: [] };
  plans.set(desc, plan);
  for (const field of desc.fields) {
    const { wire, narrow, child, repeated } = fieldShape(field);
    const label = `field ${field.number} (${field.name}) of ${desc.typeName}`;
    const required = field.presence === LEGACY_REQUIRED ? plan.requiredLabels.push(label) - 1 : -1;
    plan.fields.set(field.number, {
      label,
      wire,
      narrow,
      repeated,
      child: wire === 'message' ? planOf(child) : undefined,
      required,
    });
  }
  return plan;
}

interface Frame {
  /** The message whose fields are read here; undefined inside an unknown group. */
  plan: MessagePlan | undefined;
  /** Where the contents start (reported when a required field is missing). */
  start: number;
  /** Where a message's contents end; for a group, the end of the message holding it. */
  limit: number;
  /** The group's field number, 0 for a message. */
  group: number;
  /** Which required fields were seen. */
  seen: Uint8Array | undefined;
}

function frame(plan: MessagePlan | undefined, start: number, limit: number, group: number): Frame {
  const required = plan?.requiredLabels.length ?? 0;
  return { plan, start, limit, group, seen: required > 0 ? new Uint8Array(required) : undefined };
}

// What readVarint last read (module state: no allocation per read). `varintValue` is exact up to
// 2^53, enough for tags and lengths (at most 5 bytes); lo/hi are the low and high 32 bits of the
// 64-bit value, for telling whether a 32-bit field can hold it.
let varintValue = 0;
let varintLo = 0;
let varintHi = 0;

/**
 * Reads the varint at `pos` (at most `maxBytes` bytes, ending before `limit`) and returns the
 * position after it.
 */
function readVarint(bytes: Uint8Array, pos: number, limit: number, maxBytes: number, what: string): number {
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
function varintLoses(narrow: Narrow): boolean {
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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

function accepts(field: FieldPlan, wireType: number): boolean {
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
function checkPacked(bytes: Uint8Array, pos: number, end: number, field: FieldPlan): number | undefined {
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

/**
 * Throws a WireError unless `bytes` is a well-formed encoding of `schema` (undefined: of a
 * message whose fields are all unknown): every tag, varint and length is valid and in bounds,
 * groups are balanced, declared fields have their type's wire type, required fields are
 * present, and nothing nests deeper than `maxDepth`.
 * Returns the first place where decoding loses information (a 32-bit field holding a wider
 * varint, a string that is not UTF-8), or undefined. Encoding the decoded message back cannot
 * restore what such a place held.
 */
export function checkWire(bytes: Uint8Array, schema: DescMessage | undefined, maxDepth: number): WireLoss | undefined {
  const stack: Frame[] = [frame(planOf(schema), 0, bytes.length, 0)];
  let loss: WireLoss | undefined;
  let pos = 0;
  for (;;) {
    const top = stack[stack.length - 1] as Frame;
    if (pos === top.limit) {
      if (top.group !== 0) throw new WireError(pos, `group ${top.group} is never closed`);
      if (top.seen) {
        const missing = top.seen.indexOf(0);
        if (missing >= 0) throw new WireError(top.start, `required ${top.plan?.requiredLabels[missing]} is missing`);
      }
      stack.pop();
      if (stack.length === 0) return loss;
      continue;
    }
    const tagAt = pos;
    pos = readVarint(bytes, pos, top.limit, 5, 'a field tag');
    if (varintValue > 0xffffffff) throw new WireError(tagAt, 'a field tag does not fit 32 bits');
    const fieldNo = Math.floor(varintValue / 8);
    const wireType = varintValue % 8;
    if (fieldNo === 0) throw new WireError(tagAt, 'field number 0');
    if (wireType === WIRE_END_GROUP) {
      if (top.group !== fieldNo) throw new WireError(tagAt, `end of group ${fieldNo} that was never started`);
      stack.pop();
      continue;
    }
    if (wireType > WIRE_FIXED32) throw new WireError(tagAt, `wire type ${wireType} does not exist`);
    const field = top.plan?.fields.get(fieldNo);
    if (field) {
      if (!accepts(field, wireType)) {
        throw new WireError(tagAt, `${field.label} is ${WIRE_NAMES[wireType]}, which its type cannot be`);
      }
      if (field.required >= 0 && top.seen) top.seen[field.required] = 1;
    }
    switch (wireType) {
      case WIRE_VARINT: {
        const valueAt = pos;
        pos = readVarint(bytes, pos, top.limit, 10, `field ${fieldNo}'s varint`);
        if (loss === undefined && field && varintLoses(field.narrow)) {
          loss = { offset: valueAt, what: `${field.label} holds a value wider than 32 bits` };
        }
        break;
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const size = wireType === WIRE_FIXED64 ? 8 : 4;
        if (top.limit - pos < size)
          throw new WireError(pos, `field ${fieldNo}'s value runs past the end of its message`);
        pos += size;
        break;
      }
      case WIRE_LEN: {
        const lengthAt = pos;
        pos = readVarint(bytes, pos, top.limit, 5, `field ${fieldNo}'s length`);
        const length = varintValue;
        if (length > top.limit - pos) {
          throw new WireError(lengthAt, `field ${fieldNo}'s length ${length} runs past the end of its message`);
        }
        if (field?.wire === 'message') {
          if (stack.length >= maxDepth) throw new WireError(tagAt, `messages nest deeper than ${maxDepth} levels`);
          stack.push(frame(field.child, pos, pos + length, 0));
          // The sub-message's fields are read next; its frame ends exactly at pos + length.
          continue;
        }
        if (field && field.wire !== 'bytes') {
          const lossAt = checkPacked(bytes, pos, pos + length, field);
          if (loss === undefined && lossAt !== undefined) {
            loss = { offset: lossAt, what: `${field.label} holds a value wider than 32 bits` };
          }
        } else if (loss === undefined && field?.narrow === 'string' && !isUtf8(bytes.subarray(pos, pos + length))) {
          loss = { offset: pos, what: `${field.label} is not UTF-8` };
        }
        pos += length;
        break;
      }
      case WIRE_START_GROUP:
        if (stack.length >= maxDepth) throw new WireError(tagAt, `groups nest deeper than ${maxDepth} levels`);
        stack.push(frame(undefined, pos, top.limit, fieldNo));
        break;
    }
  }
}
