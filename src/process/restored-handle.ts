// The ChildProcess-shaped part of a restored process's handle that every backend shares: exit
// state and events, 'close' once stdio and the IPC channel are done, kill's bookkeeping, and the
// channel's send/disconnect. A backend adds how a signal reaches the root and what holds the loop.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import { type ChannelEnd, channelClosed, IpcChannel } from '../ipc/channel.js';
import { stdioArray } from '../restore-plan.js';
import type { ExitStatus, RestoredProcess, RestoredProcessEvents, SendCallback } from '../types.js';
import { signalNumber } from './signals.js';

/** What a backend hands the shared part. */
export interface HandleParts {
  pid: number;
  pids: number[];
  /** Our ends of the root's new pipes, by its fd number (the IPC channel's is not among them). */
  streams: ReadonlyMap<number, Socket>;
  defaultedFds: DefaultedFd[];
  /** The root's new IPC channel, when it had one at checkpoint and got one at restore. */
  channel?: ChannelEnd | undefined;
  /** The root's exit, as the backend learns it; it may reject when the backend stops watching. */
  exit: Promise<ExitStatus>;
}

/** Settles when `stream` has closed (at once if it already has). */
function streamClosed(stream: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed || stream.destroyed) resolve();
    else stream.once('close', () => resolve());
  });
}

export abstract class RestoredHandle extends EventEmitter<RestoredProcessEvents> implements RestoredProcess {
  readonly pid: number;
  readonly pids: number[];
  readonly exited: Promise<ExitStatus>;
  readonly stdin: Socket | undefined;
  readonly stdout: Socket | undefined;
  readonly stderr: Socket | undefined;
  readonly stdio: (Socket | undefined)[];
  readonly defaultedFds: DefaultedFd[];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  readonly #channel: IpcChannel | undefined;

  constructor({ pid, pids, streams, defaultedFds, channel, exit }: HandleParts) {
    super();
    this.pid = pid;
    this.pids = pids;
    this.stdio = stdioArray(streams);
    [this.stdin, this.stdout, this.stderr] = this.stdio;
    this.defaultedFds = defaultedFds;
    this.#channel = channel && new IpcChannel(channel, this);
    // Counted from now: a stream closed before the exit is done already. Only readable ends: the
    // tree's exit closes their other end, which nothing does for a write-only one.
    const readable = [...new Set(this.stdio)].filter((s): s is Socket => s?.readable === true);
    const done = [...readable.map(streamClosed), this.#channel?.closed];
    this.exited = exit.then(({ code, signal }) => {
      this.exitCode = code;
      this.signalCode = signal;
      return { code, signal };
    });
    // The promise form never raises an unhandled rejection: a failure to watch the root is an
    // 'error' event for whoever listens, and a rejection for whoever awaits `exited`.
    this.exited.then(
      ({ code, signal }) => {
        this.emit('exit', code, signal);
        // As ChildProcess does: output nobody reads is drained, so that the streams can end.
        for (const stream of readable) if (stream.readableFlowing === null) stream.resume();
        void Promise.all(done).then(() => this.emit('close', code, signal));
      },
      (error: Error) => {
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
    );
  }

  /** Whether the IPC channel is open (send() works). */
  get connected(): boolean {
    return this.#channel?.connected ?? false;
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = signalNumber(signal);
    if (this.exitCode !== null || this.signalCode !== null) return false;
    let sent: boolean;
    try {
      sent = this.deliver(signal, number);
    } catch (error) {
      // As ChildProcess: a signal that could not be sent (EPERM, a closed watcher) is an 'error'.
      this.emit('error', error as Error);
      return false;
    }
    if (sent) this.killed = true;
    return sent;
  }

  send(message: unknown, callback?: SendCallback): boolean;
  send(message: unknown, sendHandle: undefined | null, callback?: SendCallback): boolean;
  send(
    message: unknown,
    sendHandle: undefined | null,
    options: { keepOpen?: boolean } | undefined,
    callback?: SendCallback,
  ): boolean;
  send(message: unknown, sendHandle?: unknown, options?: unknown, callback?: unknown): boolean {
    if (this.#channel) return this.#channel.send(message, sendHandle, options, callback);
    const done = [sendHandle, options, callback].find((a): a is SendCallback => typeof a === 'function');
    const error = channelClosed('send() failed');
    if (done) process.nextTick(done, error);
    else process.nextTick(() => this.emit('error', error));
    return false;
  }

  disconnect(): void {
    if (this.#channel) this.#channel.disconnect();
    else process.nextTick(() => this.emit('error', channelClosed('disconnect() failed')));
  }

  /** Sends signal `number` (`signal` as given) to the root: false if it is gone; throws on other failures. */
  protected abstract deliver(signal: NodeJS.Signals | number, number: number): boolean;

  abstract ref(): void;
  abstract unref(): void;
}
