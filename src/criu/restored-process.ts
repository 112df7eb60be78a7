// A restored tree's root as a handle: its exit (reaped through a pidfd) and signals.
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import type { ProcessWatcher } from '../native.js';
import { stdioArray } from '../restore-plan.js';
import type { ExitStatus, RestoredProcess } from '../types.js';

export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = constants.signals[signal];
  if (n === undefined) throw new TypeError(`Unknown signal '${signal}'.`);
  return n;
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
  readonly #watcher: ProcessWatcher;

  constructor(
    watcher: ProcessWatcher,
    pids: number[],
    streams: ReadonlyMap<number, Socket> = new Map(),
    defaultedFds: DefaultedFd[] = [],
  ) {
    this.#watcher = watcher;
    this.pid = watcher.pid;
    this.pids = pids;
    this.stdio = stdioArray(streams);
    this.defaultedFds = defaultedFds;
    [this.stdin, this.stdout, this.stderr] = this.stdio;
    this.exited = watcher.exited.then(({ code, signal }) => ({ code, signal }));
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    return this.#watcher.kill(signalNumber(signal));
  }

  unref(): void {
    this.#watcher.unref();
  }

  ref(): void {
    this.#watcher.ref();
  }
}
