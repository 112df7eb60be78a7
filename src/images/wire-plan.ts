// The wire plan of a message type: for each declared field, how it sits on the wire, whether a
// decoder holds only part of its values, and whether it is required. Built once per type from
// @bufbuild/protobuf's descriptors, for checkWire.
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';

/** How a declared field sits on the wire. */
type FieldWire = 'varint' | 'fixed32' | 'fixed64' | 'bytes' | 'message';

/**
 * Values a decoder can hold only part of: 32-bit varints (both runtimes keep the low 32 bits of
 * a longer one) and strings (@bufbuild/protobuf turns bytes that are not UTF-8 into U+FFFD).
 */
export type Narrow = 'int32' | 'uint32' | 'sint32' | 'string' | undefined;

export interface FieldPlan {
  label: string;
  wire: FieldWire;
  narrow: Narrow;
  /** Repeated scalars may also come packed (one length-delimited run), as both runtimes accept. */
  repeated: boolean;
  child: MessagePlan | undefined;
  /** Index among the message's required fields, or -1. */
  required: number;
}

export interface MessagePlan {
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
export function planOf(desc: DescMessage | undefined): MessagePlan {
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
