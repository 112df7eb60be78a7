// Node's IPC channel wire formats (child_process serialization 'json' and 'advanced'), written
// here so that a restored process's channel can be spoken without Node's internal channel handle.
import { StringDecoder } from 'node:string_decoder';
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';

/** child_process's `serialization` option: how messages are framed on the channel. */
export type Serialization = 'json' | 'advanced';

export const SERIALIZATIONS: readonly Serialization[] = ['json', 'advanced'];

/** Turns a stream of bytes from the channel into messages, keeping a partial one for later. */
export interface MessageDecoder {
  /** The messages completed by `chunk`, in order. */
  push(chunk: Buffer): unknown[];
}

export interface MessageCodec {
  encode(message: unknown): Buffer;
  decoder(): MessageDecoder;
}

/** 'json': one JSON text per message, ended by '\n' (JSON never holds a raw newline). */
const json: MessageCodec = {
  encode: (message) => Buffer.from(`${JSON.stringify(message)}\n`),
  decoder() {
    const text = new StringDecoder('utf8');
    let pending = '';
    return {
      push(chunk) {
        const lines = (pending + text.write(chunk)).split('\n');
        pending = lines.pop() ?? '';
        return lines.map((line) => JSON.parse(line) as unknown);
      },
    };
  },
};

// Node's serializer writes a host object (what V8 cannot serialize itself) after a tag: a typed
// array or DataView as V8's default does, anything else as a plain copy of its own properties
// (what JSON would send). The other side reads the tag back; both ends must agree on it.
const ARRAY_BUFFER_VIEW = 0;
const PLAIN_OBJECT = 1;

/** The members of v8's serializers that @types/node leaves out (documented in Node's v8 API). */
interface HostObjectSerializer {
  _writeHostObject(object: object): void;
}
interface HostObjectDeserializer {
  _readHostObject(): unknown;
}

class ChannelSerializer extends DefaultSerializer {
  _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object)) {
      this.writeUint32(ARRAY_BUFFER_VIEW);
      (DefaultSerializer.prototype as unknown as HostObjectSerializer)._writeHostObject.call(this, object);
      return;
    }
    this.writeUint32(PLAIN_OBJECT);
    this.writeValue({ ...object });
  }
}

class ChannelDeserializer extends DefaultDeserializer {
  _readHostObject(): unknown {
    const tag = this.readUint32();
    if (tag === ARRAY_BUFFER_VIEW) {
      return (DefaultDeserializer.prototype as unknown as HostObjectDeserializer)._readHostObject.call(this);
    }
    if (tag !== PLAIN_OBJECT) throw new RangeError(`Unknown host object tag ${tag} in an 'advanced' IPC message.`);
    return this.readValue();
  }
}

const LENGTH_BYTES = 4;

/** 'advanced': each message a big-endian u32 length, then V8's serialization of it. */
const advanced: MessageCodec = {
  encode(message) {
    const serializer = new ChannelSerializer();
    serializer.writeHeader();
    serializer.writeValue(message);
    const body = serializer.releaseBuffer();
    const frame = Buffer.allocUnsafe(LENGTH_BYTES + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, LENGTH_BYTES);
    return frame;
  },
  decoder() {
    let pending: Buffer = Buffer.alloc(0);
    return {
      push(chunk) {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const messages: unknown[] = [];
        while (pending.length >= LENGTH_BYTES) {
          const end = LENGTH_BYTES + pending.readUInt32BE(0);
          if (pending.length < end) break;
          const deserializer = new ChannelDeserializer(pending.subarray(LENGTH_BYTES, end));
          deserializer.readHeader();
          messages.push(deserializer.readValue());
          pending = pending.subarray(end);
        }
        return messages;
      },
    };
  },
};

export const MESSAGE_CODECS: Readonly<Record<Serialization, MessageCodec>> = { json, advanced };
