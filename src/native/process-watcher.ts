// Watching and reaping processes (native/pid_watcher.cc, pidfd.cc, subreaper.cc): pidfd waits
// with Node's signal names, and the child-subreaper switch that makes orphans ours to reap.
import { constants } from 'node:os';
import { argumentError, assertBoolean, assertPid } from './validate.js';

export interface ExitStatus {
  /** The exit code, or null if the process was killed by a signal (or not reaped). */
  code: number | null;
  /** Node's name of the fatal signal; null if it exited normally, was not reaped, or the signal
   * has no Node name (real-time signals; Node's own child_process reports null for those too). */
  signal: NodeJS.Signals | null;
  /** False when the process was not our child (or another waiter reaped it): no status known. */
  reaped: boolean;
}

export interface ProcessWatcher {
  readonly pid: number;
  /** Settles once when the process exits (it is reaped if it is our child). */
  readonly exited: Promise<ExitStatus>;
  /**
   * pidfd_send_signal; returns false if the process is already gone (ESRCH), throws on other
   * errors. The pidfd pins the process identity, so a reused pid is never signaled. Throws an
   * EBADF system error after close().
   */
  kill(signal: number): boolean;
  /** Whether the pending wait keeps the event loop alive (default: ref'd). */
  ref(): void;
  unref(): void;
  /**
   * Stops watching and closes the pidfd. If `exited` is still pending it rejects with an
   * ECANCELED system error (syscall 'waitid'); that rejection is marked handled here, so closing
   * a watcher nobody awaits does not raise an unhandled rejection. Idempotent.
   */
  close(): void;
}

/** The process-watching part of NativeAddon. */
export interface ProcessWatcherApi {
  /** pidfd_open(pid) and an async wait. Throws ESRCH system error if no such process. */
  watchProcess(pid: number): ProcessWatcher;
  /**
   * prctl(PR_SET_CHILD_SUBREAPER): orphans of our descendants (e.g. a restored tree whose root
   * exited, or a daemon's grandchild) are re-parented to this process instead of init, so
   * watchProcess() can reap them. Process-wide: it affects every thread and Worker.
   */
  setChildSubreaper(on: boolean): void;
}

/** What native/pid_watcher.cc resolves `exited` with: the signal is still a number. */
interface RawExit {
  code: number | null;
  signal: number | null;
  reaped: boolean;
}

/** native/pid_watcher.h */
interface RawPidWatcher {
  readonly pid: number;
  readonly exited: Promise<RawExit>;
  kill(signal: number): boolean;
  ref(): void;
  unref(): void;
  close(): void;
}

/** The addon's process-watching exports. */
export interface RawProcessWatcherBinding {
  PidWatcher: new (pid: number) => RawPidWatcher;
  setChildSubreaper(on: boolean): void;
}

const MAX_SIGNAL = 64;

/** The first name Node lists for each number (SIGABRT before its alias SIGIOT, SIGIO before SIGPOLL). */
const signalNames: ReadonlyMap<number, NodeJS.Signals> = (() => {
  const names = new Map<number, NodeJS.Signals>();
  for (const [name, value] of Object.entries(constants.signals) as [NodeJS.Signals, number][]) {
    if (!names.has(value)) names.set(value, name);
  }
  return names;
})();

class NativeProcessWatcher implements ProcessWatcher {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly #raw: RawPidWatcher;

  constructor(raw: RawPidWatcher) {
    this.#raw = raw;
    this.pid = raw.pid;
    this.exited = raw.exited.then(({ code, signal, reaped }) => ({
      code,
      signal: signal === null ? null : (signalNames.get(signal) ?? null),
      reaped,
    }));
    // close() may reject this with ECANCELED; only callers who await it should see that.
    this.exited.catch(() => {});
  }

  kill(signal: number): boolean {
    if (typeof signal !== 'number' || !Number.isInteger(signal) || signal < 0 || signal > MAX_SIGNAL) {
      throw argumentError(
        `signal must be an integer from 0 to ${MAX_SIGNAL}, got ${String(signal)}.`,
        'ERR_OUT_OF_RANGE',
      );
    }
    return this.#raw.kill(signal);
  }

  ref(): void {
    this.#raw.ref();
  }

  unref(): void {
    this.#raw.unref();
  }

  close(): void {
    this.#raw.close();
  }
}

export function processWatcherApi(raw: RawProcessWatcherBinding): ProcessWatcherApi {
  return {
    watchProcess(pid) {
      assertPid(pid);
      return new NativeProcessWatcher(new raw.PidWatcher(pid));
    },
    setChildSubreaper(on) {
      assertBoolean(on, 'on');
      raw.setChildSubreaper(on);
    },
  };
}
