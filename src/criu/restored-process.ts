// A restored tree's root as a handle: its exit (reaped through a pidfd) and signals.
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import type { ChannelEnd } from '../ipc/channel.js';
import { isNamespaceInit, signalForInit } from '../launch/namespace-init.js';
import type { ProcessWatcher } from '../native.js';
import { RestoredHandle } from '../process/restored-handle.js';
import { signalName } from '../process/signals.js';
import type { LazyPagesStats } from '../types.js';

const SIGKILL = constants.signals.SIGKILL;

/** Wraps the native pidfd watcher: libuv never reaps a child it did not spawn, so we do. */
export class CriuRestoredProcess extends RestoredHandle {
  readonly pagesLoaded: Promise<LazyPagesStats> | undefined;
  readonly #watcher: ProcessWatcher;
  /** Restored into a pid namespace of its own, the root is its init (spawn's 'pid' namespace). */
  readonly #init: boolean;
  /** The signal asked for when the init had to be sent SIGKILL instead: reported as its exit. */
  readonly #asked: { signal?: NodeJS.Signals | undefined };

  constructor(
    watcher: ProcessWatcher,
    pids: number[],
    streams: ReadonlyMap<number, Socket> = new Map(),
    defaultedFds: DefaultedFd[] = [],
    pagesLoaded?: Promise<LazyPagesStats>,
    channel?: ChannelEnd,
  ) {
    // Read when the root exits, set by kill() before.
    const asked: { signal?: NodeJS.Signals | undefined } = {};
    const exit = watcher.exited.then(({ code, signal }) => ({
      code,
      signal: signal === 'SIGKILL' && asked.signal ? asked.signal : signal,
    }));
    super({ pid: watcher.pid, pids, streams, defaultedFds, channel, exit });
    this.#asked = asked;
    this.pagesLoaded = pagesLoaded;
    this.#watcher = watcher;
    this.#init = isNamespaceInit(this.pid);
  }

  protected deliver(_signal: NodeJS.Signals | number, asked: number): boolean {
    if (!this.#init) return this.#watcher.kill(asked);
    // A namespace's init gets from outside only the signals it handles: what the signal would do
    // to any other process is done with one it cannot refuse.
    const sent = signalForInit(this.pid, asked);
    if (sent === undefined) return this.#watcher.kill(0);
    if (sent !== asked && sent === SIGKILL) this.#asked.signal = signalName(asked);
    return this.#watcher.kill(sent);
  }

  unref(): void {
    this.#watcher.unref();
  }

  ref(): void {
    this.#watcher.ref();
  }
}
