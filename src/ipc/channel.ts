// Our end of a restored process's IPC channel: Node's channel protocol (messages, its internal
// NODE_ messages, disconnect) spoken over the plain stream socket that replaced the channel fd.
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { CriuError } from '../errors.js';
import type { RestoredProcessEvents, SendCallback } from '../types.js';
import { MESSAGE_CODECS, type MessageCodec, type MessageDecoder, type Serialization } from './message-codecs.js';

/** The new channel a restore gives a process that had one: our end, and how to speak on it. */
export interface ChannelEnd {
  socket: Socket;
  serialization: Serialization;
  /** The channel's fd in the restored process (NODE_CHANNEL_FD). */
  fd: number;
}

// Node's own messages on the channel (cluster, handle passing) have a `cmd` with this prefix.
const INTERNAL_PREFIX = 'NODE_';

function internalCommand(message: unknown): string | undefined {
  const cmd = (message as { cmd?: unknown } | null)?.cmd;
  return typeof message === 'object' &&
    typeof cmd === 'string' &&
    cmd.length > INTERNAL_PREFIX.length &&
    cmd.startsWith(INTERNAL_PREFIX)
    ? cmd
    : undefined;
}

/** The error of send()/disconnect() on a closed channel (ERR_IPC_CHANNEL_CLOSED in Node). */
export function channelClosed(what: string): CriuError {
  return new CriuError(
    'CHANNEL_CLOSED',
    `${what}: the restored process's IPC channel is closed (disconnect() was called, the process closed its end or exited, or it had no channel). Check \`connected\` first.`,
    { operation: 'ipc' },
  );
}

/** Node's limit: send() returns false once this much waits to be written (a slow reader). */
const WRITE_QUEUE_LIMIT = 2 * 65536;

let warnedDroppedHandle = false;

/**
 * Node's parent side of the channel, for a handle: what ChildProcess's send()/disconnect() do,
 * over a socket that passes no fds. Like Node's parent, an open channel holds the event loop.
 */
export class IpcChannel {
  #connected = true;
  /** disconnect() was called: what arrives from now on is not delivered, as in Node. */
  #dropping = false;
  readonly #socket: Socket;
  readonly #codec: MessageCodec;
  readonly #decoder: MessageDecoder;
  readonly #target: EventEmitter<RestoredProcessEvents>;
  /** Settles once the channel is closed, after its 'disconnect'. */
  readonly closed: Promise<void>;

  /** `target` (the restored process's handle) gets its 'message', 'disconnect' and 'error' events. */
  constructor({ socket, serialization }: ChannelEnd, target: EventEmitter<RestoredProcessEvents>) {
    this.#socket = socket;
    this.#codec = MESSAGE_CODECS[serialization];
    this.#decoder = this.#codec.decoder();
    this.#target = target;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    // A reset by a process that died is the end of the channel, reported as its disconnect.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#connected = false;
        // After the messages already received: they are emitted on the next ticks too.
        process.nextTick(() => {
          target.emit('disconnect');
          resolve();
        });
      });
    });
  }

  /** Whether send() can be used: false after disconnect() or once the process's end closed. */
  get connected(): boolean {
    return this.#connected;
  }

  /** RestoredProcess.send(): the arguments as child_process takes them (see there). */
  send(message: unknown, sendHandle?: unknown, options?: unknown, callback?: unknown): boolean {
    let done = callback;
    let handle = sendHandle;
    let opts = options;
    if (typeof handle === 'function') {
      done = handle;
      handle = undefined;
      opts = undefined;
    } else if (typeof opts === 'function') {
      done = opts;
      opts = undefined;
    }
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
      throw new TypeError(`send()'s options must be an object, got ${opts === null ? 'null' : typeof opts}.`);
    }
    if (done !== undefined && typeof done !== 'function') {
      throw new TypeError(`send()'s callback must be a function, got ${typeof done}.`);
    }
    if (message === undefined) throw new TypeError('send() needs a message (undefined cannot be sent).');
    if (handle !== undefined && handle !== null) {
      throw new CriuError(
        'UNSUPPORTED',
        "send() cannot pass a handle (socket, server) to a restored process: node-criu's end of its new channel is a plain stream socket, which passes no fds. Send data instead, or let the process open the connection itself.",
        { operation: 'ipc' },
      );
    }
    const report = (error: Error) => {
      if (done) process.nextTick(done as SendCallback, error);
      else process.nextTick(() => this.#target.emit('error', error));
    };
    if (!this.#connected) {
      report(channelClosed('send() failed'));
      return false;
    }
    // Serialized now, as Node does: a message that cannot be serialized throws here.
    const frame = this.#codec.encode(message);
    this.#socket.write(frame, (error?: Error | null) => {
      if (error) report(error);
      else if (done) (done as SendCallback)(null);
    });
    return this.#socket.writableLength < WRITE_QUEUE_LIMIT;
  }

  /** RestoredProcess.disconnect(): a second call is a CHANNEL_CLOSED 'error', as in Node. */
  disconnect(): void {
    if (!this.#connected) {
      process.nextTick(() => this.#target.emit('error', channelClosed('disconnect() failed')));
      return;
    }
    this.#connected = false;
    this.#dropping = true;
    // As in Node, nothing received from now on is a message. What was sent before still goes
    // out; the process then reads the end of its channel (a Node process disconnects too).
    this.#socket.end(() => this.#socket.destroy());
  }

  #receive(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      this.#socket.destroy();
      this.#target.emit(
        'error',
        new CriuError('PROTOCOL', `A message on the IPC channel could not be read: ${String(error)}.`, {
          operation: 'ipc',
          cause: error,
        }),
      );
      return;
    }
    for (const message of messages) {
      const cmd = internalCommand(message);
      if (cmd === undefined) this.#deliver(message);
      else this.#internal(cmd, message as { msg?: unknown });
    }
  }

  /** Node's internal messages: a handle sent to us is acknowledged (the sender waits for that). */
  #internal(cmd: string, message: { msg?: unknown }): void {
    if (cmd !== 'NODE_HANDLE') return;
    this.#socket.write(this.#codec.encode({ cmd: 'NODE_HANDLE_ACK' }));
    if (!warnedDroppedHandle) {
      warnedDroppedHandle = true;
      process.emitWarning(
        "A restored process sent a handle over IPC: the message is delivered without it (node-criu's channel end passes no fds).",
        { code: 'NODE_CRIU_IPC_HANDLE_DROPPED' },
      );
    }
    this.#deliver(message.msg);
  }

  #deliver(message: unknown): void {
    process.nextTick(() => {
      if (!this.#dropping) this.#target.emit('message', message, undefined);
    });
  }
}
