// The migration protocol's framing over TCP: [u32 BE length][u8 kind][payload]; a kind-1 frame is
// one JSON message, a kind-2 frame a chunk of an image file. Read as an async sequence of frames.
import type { Socket } from 'node:net';

/** The payload kinds of a frame. */
export const FrameKind = { message: 1, data: 2 } as const;

/** A frame as read: its kind and payload. */
export interface Frame {
  kind: number;
  payload: Buffer;
}

/** Larger frames are refused: a peer that sends one is not speaking this protocol. */
const MAX_FRAME = 16 << 20;
const HEADER = 5;

/** One frame's bytes. */
export function encodeFrame(kind: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(payload.byteLength + 1, 0);
  header.writeUInt8(kind, 4);
  return Buffer.concat([header, payload]);
}

/** A JSON message's frame. */
export function messageFrame(message: object): Buffer {
  return encodeFrame(FrameKind.message, Buffer.from(JSON.stringify(message)));
}

/**
 * Reads frames from a socket as they arrive. `next()` rejects once the socket ended or failed
 * (with why); `detach()` stops reading and hands back what arrived after the last frame read, for
 * a connection that turns into a raw byte stream (the page connection after its hello).
 */
export class FrameReader {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #frames: Frame[] = [];
  #waiter: { resolve: (frame: Frame) => void; reject: (error: Error) => void } | undefined;
  #ended: Error | undefined;
  readonly #onData = (chunk: Buffer) => this.#take(chunk);
  readonly #onEnd = () => this.#end(new Error('the connection was closed'));
  readonly #onError = (error: Error) => this.#end(error);

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData).on('end', this.#onEnd).on('close', this.#onEnd).on('error', this.#onError);
  }

  /** The next frame; rejects if the connection ends first or sends something that is not a frame. */
  next(): Promise<Frame> {
    const frame = this.#frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Stops reading (the socket paused); returns the bytes read past the frames already taken. */
  detach(): Buffer {
    this.#socket.pause();
    this.#socket
      .off('data', this.#onData)
      .off('end', this.#onEnd)
      .off('close', this.#onEnd)
      .off('error', this.#onError);
    const rest = Buffer.concat([...this.#frames.map((f) => encodeFrame(f.kind, f.payload)), this.#buffer]);
    this.#frames.length = 0;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }

  #take(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= HEADER) {
      const length = this.#buffer.readUInt32BE(0);
      if (length < 1 || length > MAX_FRAME) {
        this.#end(
          new Error(`the peer sent a frame of ${length} bytes: it does not speak node-criu's migration protocol`),
        );
        this.#socket.destroy();
        return;
      }
      if (this.#buffer.length < 4 + length) return;
      const frame = { kind: this.#buffer.readUInt8(4), payload: this.#buffer.subarray(HEADER, 4 + length) };
      this.#buffer = this.#buffer.subarray(4 + length);
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (waiter) waiter.resolve(frame);
      else this.#frames.push(frame);
    }
  }

  #end(error: Error): void {
    if (this.#ended) return;
    this.#ended = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }
}
