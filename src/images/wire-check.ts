// Checks, before anything is decoded, that an entry is a well-formed protobuf encoding of its
// message type: a loop over an explicit stack (no recursion, so no nesting depth can overflow
// the JS stack), bounded in depth, and at least as strict as @bufbuild/protobuf's reader and
// protobuf-c's unpack, so that decoding a checked entry cannot fail. It also finds where
// decoding would lose information (see checkWire).
import type { DescMessage } from '@bufbuild/protobuf';
import { WireError } from './wire-error.js';
import {
  accepts,
  checkPacked,
  isUtf8,
  WIRE_END_GROUP,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_NAMES,
  WIRE_START_GROUP,
  WIRE_VARINT,
} from './wire-field-checks.js';
import { type MessagePlan, planOf } from './wire-plan.js';
import { readVarint, varintLoses, varintValue } from './wire-varint.js';

/** Where decoding an entry loses information, relative to the entry's first byte. */
export interface WireLoss {
  offset: number;
  what: string;
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
