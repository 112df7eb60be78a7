// A restored tree's root as a handle: its exit (reaped through a pidfd) and signals.
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import { isNamespaceInit, signalForInit } from '../launch/namespace-init.js';
import type { ProcessWatcher } from '../native.js';
import { stdioArray } from '../restore-plan.js';
import type { ExitStatus, RestoredProcess } from '../types.js';

export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = constants.signals[signal];
  if (n === undefined) throw new TypeError(`Unknown signal '${signal}'.`);
  return n;
}

const SIGKILL = constants.signals.SIGKILL;

function signalName(signal: number): NodeJS.Signals | undefined {
  return (Object.entries(constants.signals) as [NodeJS.Signals, number][]).find(([, n]) => n === signal)?.[0];
}

/** Wraps the native pidfd watcher: libuv never reaps a child it did not spawn, so we do. */
export class CriuRestoredProcess implements RestoredProcess {
  readonly pid: number;
  readonly pids: number[];
  readonly exited: Promise<ExitStatus>;
  readonly stdin: Socket | undefined;
  readonly stdout: Socket | undefined;
  readonly stderr: Socket | undefined;
  readonly stdio: (Socket | undefined)[];
  readonly defaultedFds: DefaultedFd[];
  readonly pagesLoaded: Promise<void> | undefined;
  readonly #watcher: ProcessWatcher;
  /** Restored into a pid namespace of its own, the root is its init (spawn's 'pid' namespace). */
  readonly #init: boolean;
  /** The signal asked for when the init had to be sent SIGKILL instead: reported as its exit. */
  #asked: NodeJS.Signals | undefined;

  constructor(
    watcher: ProcessWatcher,
    pids: number[],
    streams: ReadonlyMap<number, Socket> = new Map(),
    defaultedFds: DefaultedFd[] = [],
    pagesLoaded?: Promise<void>,
  ) {
    this.pagesLoaded = pagesLoaded;
    this.#watcher = watcher;
    this.pid = watcher.pid;
    this.pids = pids;
    this.stdio = stdioArray(streams);
    this.defaultedFds = defaultedFds;
    [this.stdin, this.stdout, this.stderr] = this.stdio;
    this.#init = isNamespaceInit(this.pid);
    this.exited = watcher.exited.then(({ code, signal }) => ({
      code,
      signal: signal === 'SIGKILL' && this.#asked ? this.#asked : signal,
    }));
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const asked = signalNumber(signal);
    if (!this.#init) return this.#watcher.kill(asked);
    // A namespace's init gets from outside only the signals it handles: what the signal would do
    // to any other process is done with one it cannot refuse.
    const sent = signalForInit(this.pid, asked);
    if (sent === undefined) return this.#watcher.kill(0);
    if (sent !== asked && sent === SIGKILL) this.#asked = signalName(asked);
    return this.#watcher.kill(sent);
  }

  unref(): void {
    this.#watcher.unref();
  }

  ref(): void {
    this.#watcher.ref();
  }
}
