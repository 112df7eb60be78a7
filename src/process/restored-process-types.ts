// The public shape of a restored process: a ChildProcess-like handle, its events and exit, and
// what a lazy restore reports (re-exported by types.ts).
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import type { VmaKind } from '../inspect/types.js';

/** How the pages of a lazy restore came in (RestoredProcess.pagesLoaded's value). */
export interface LazyPagesStats {
  /** Pages the daemon copied into the tree, every process of it together. */
  pages: number;
  /** Page faults of the tree the daemon served, each with the one page faulted on, ahead of the rest. */
  onFault: number;
  /** Pages copied in the background, in the daemon's own order (`pages - onFault`). */
  inBackground: number;
  /**
   * What was not lazy: pages CRIU restored before the tree ran, by kind of memory area (shared
   * anonymous memory, SysV segments, huge pages, file mappings, the page at each stack pointer).
   */
  eager: EagerMemory[];
}

/** Pages of one kind of memory area that a lazy restore restored eagerly. */
export interface EagerMemory {
  /** The area's kind as inspect() gives it, or `'hugetlb'` for private anonymous huge pages (MAP_HUGETLB). */
  kind: VmaKind | 'hugetlb';
  /** In 4 KiB pages, as CRIU counts them (huge pages too). */
  pages: number;
}

/** How a restored root ended (RestoredProcess.exited's value): one of the two is null. */
export interface ExitStatus {
  /** The exit code, or null if the process was killed by a signal. */
  code: number | null;
  /** The signal that ended the process, or null if it exited. */
  signal: NodeJS.Signals | null;
}

/** The events of a RestoredProcess and their arguments: ChildProcess's, where they apply. */
export interface RestoredProcessEvents {
  /** The root exited: its code, or the signal that ended it (the other null). */
  exit: [code: number | null, signal: NodeJS.Signals | null];
  /** After 'exit', once the stdio streams and the IPC channel are closed too. */
  close: [code: number | null, signal: NodeJS.Signals | null];
  /**
   * A signal could not be sent, a send()/disconnect() failed without a callback, a message on the
   * channel could not be read (PROTOCOL), or (only if someone listens) the root could no longer be watched.
   */
  error: [error: Error];
  /** A message from the process's `process.send()` (sendHandle is never given: see send()). */
  message: [message: unknown, sendHandle: undefined];
  /** The IPC channel closed (disconnect(), or the process closed its end or exited). */
  disconnect: [];
}

/** `send()`'s completion callback: null, or why the message was not sent. */
export type SendCallback = (error: Error | null) => void;

/**
 * A restored tree whose root is a child of this process, held as a ChildProcess is: the same
 * members and events where they apply. Deliberate differences from ChildProcess:
 * - the process already runs when restore() resolves: no `'spawn'` event, no `spawnfile`/`spawnargs`;
 * - `stdio[n]` is our end of the root's fd n where the restore gave it a new pipe, `undefined`
 *   elsewhere (not `null`), for any fd, not only 0-2; the IPC channel's fd is never among them;
 * - `exited` (a promise of the exit), `pids`, `defaultedFds` and `pagesLoaded` are added;
 * - 'close' waits for the readable stdio streams and the channel; the tree's other tasks may hold
 *   them open after the root exited, as a ChildProcess's grandchildren may;
 * - the IPC channel exists only for a root that had one at checkpoint (started by fork()) and got
 *   a new one at restore (the default); `send()` passes no handles (sockets, servers), a handle
 *   the process sends arrives as its message alone (with a process warning), and Node's other
 *   internal messages (cluster's) are not emitted; there is no `channel` object (its ref/unref);
 * - messages in flight at checkpoint: one sent to the process that it had not read when the tree
 *   was frozen is lost (CRIU does not save the queue of a socket whose peer is outside the tree);
 *   one the process had sent was already ours, and arrives at the ChildProcess that fork()
 *   returned (if this process holds it), before its 'disconnect'; only a message the process could
 *   not finish writing (we had left its channel full) goes on after the restore, cut, on the new
 *   channel (a PROTOCOL 'error' if it cannot be read). Let the channel go quiet before a
 *   checkpoint (e.g. wait for the answer to a last request);
 * - with the CRIU backend, `kill()` on the init of a pid namespace of its own sends SIGKILL for a
 *   fatal signal it does not handle (an init ignores those from outside); the exit still reports
 *   the signal asked for.
 */
export interface RestoredProcess extends EventEmitter<RestoredProcessEvents> {
  /** The root's pid (CRIU restores the original one unless the tree has a pid namespace of its own). */
  readonly pid: number;
  /** Every pid of the restored tree, root first. */
  readonly pids: number[];
  /**
   * Settles when the root exits, with what 'exit' reports; it is reaped, so no zombie is left.
   * Rejects only if the backend could no longer watch the root (also an 'error' event then); a
   * rejection nobody awaits is never an unhandled one.
   */
  readonly exited: Promise<ExitStatus>;
  /** Our ends of the root's `'pipe'` substitutes, as Node streams (undefined where none). */
  readonly stdin: Socket | undefined;
  /** Our end of the root's fd 1 where the restore gave it a new pipe (`stdio[1]`). */
  readonly stdout: Socket | undefined;
  /** Our end of the root's fd 2 where the restore gave it a new pipe (`stdio[2]`). */
  readonly stderr: Socket | undefined;
  /** By fd number. */
  readonly stdio: (Socket | undefined)[];
  /** The exit code once the root exited normally; null before, and after a fatal signal. */
  readonly exitCode: number | null;
  /** The signal that ended the root; null before its exit, and after a normal one. */
  readonly signalCode: NodeJS.Signals | null;
  /** Whether kill() sent a signal (any, as ChildProcess's: not whether the root died of it). */
  readonly killed: boolean;
  /** Whether the IPC channel is open: send() can be used (false for a root without one). */
  readonly connected: boolean;
  /**
   * The fds that had their other end outside the checkpointed tree and were given no substitute,
   * with what each became (see RestoreOptions.outsideFds).
   */
  defaultedFds: DefaultedFd[];
  /**
   * With `lazyPages`: resolves once every page of the tree is in memory (the lazy-pages daemon
   * served them all and exited), with how many came on fault and in the background; rejects with RESTORE_FAILED if the page source failed first;
   * undefined for an eager restore.
   */
  pagesLoaded?: Promise<LazyPagesStats> | undefined;
  /**
   * Sends a signal to the root (default SIGTERM): true if it was sent, false if the root has
   * already exited. An unknown name throws a TypeError; a failure to send is an 'error' event.
   */
  kill(signal?: NodeJS.Signals | number): boolean;
  /**
   * Sends a message to the restored process's `process.on('message')` over its IPC channel, in
   * the channel's serialization ('json' or 'advanced', as it was forked with). Returns false when
   * the message is queued behind others (as a stream's write). A closed channel is a
   * CHANNEL_CLOSED error, given to `callback` or emitted as 'error'; a `sendHandle` is refused
   * with UNSUPPORTED (node-criu's end of the channel passes no fds).
   */
  send(message: unknown, callback?: SendCallback): boolean;
  send(message: unknown, sendHandle: undefined | null, callback?: SendCallback): boolean;
  send(
    message: unknown,
    sendHandle: undefined | null,
    options: { keepOpen?: boolean } | undefined,
    callback?: SendCallback,
  ): boolean;
  /**
   * Closes the IPC channel once what was sent has gone out; 'disconnect' follows. A Node process
   * sees its channel end ('disconnect' there) and may exit if nothing else keeps it alive.
   */
  disconnect(): void;
  /** Lets Node exit while the restored process still runs (the IPC channel, while open, still holds it, as ChildProcess's). */
  unref(): void;
  /** Undoes unref(). */
  ref(): void;
}
