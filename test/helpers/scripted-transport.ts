// An in-memory PacketTransport that plays CRIU's side from a script, for RPC loop tests.
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { type Request, RequestSchema, RequestType, ResponseSchema } from '../../src/gen/criu_rpc_pb.js';
import type { Packet, PacketTransport } from '../../src/rpc/transport.js';

/** One step of CRIU's side: a reply to send, raw bytes, or "hang up". */
export type Step =
  | { reply: MessageInitShape<typeof ResponseSchema>; fds?: number[] }
  | { raw: Uint8Array }
  | { hangUp: true };

export class ScriptedTransport implements PacketTransport {
  /** Every request the client sent, decoded. */
  readonly sent: Request[] = [];
  /** Both sides in order: `got pre-dump` (a notification played), `sent NOTIFY true` (an answer), ... */
  readonly log: string[] = [];
  closed = false;
  readonly #steps: Step[];

  constructor(steps: Step[]) {
    this.#steps = [...steps];
  }

  async send(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('send after close');
    const request = fromBinary(RequestSchema, data);
    this.sent.push(request);
    const what = request.type === RequestType.NOTIFY ? `NOTIFY ${request.notifySuccess}` : RequestType[request.type];
    this.log.push(`sent ${what}`);
  }

  async receive(): Promise<Packet | null> {
    const step = this.#steps.shift();
    if (!step || 'hangUp' in step) return null;
    if ('raw' in step) return { data: step.raw, fds: [] };
    this.log.push(`got ${step.reply.notify?.script ?? RequestType[step.reply.type ?? 0]}`);
    return { data: toBinary(ResponseSchema, create(ResponseSchema, step.reply)), fds: step.fds ?? [] };
  }

  close(): void {
    this.closed = true;
  }
}
