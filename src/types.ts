// The public shapes of node-criu's API, shared by every backend.

import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { BackendChoice } from './backend-choice.js';
import type { CheckpointRemoval } from './checkpoint-removal.js';
import type { CriuErrorCode } from './errors.js';
import type { FdEntry } from './fds/fd-entry.js';
import type { LeaveOutAdvice } from './fds/leave-out.js';
import type { DefaultedFd, OutsideFdsMode } from './fds/outside-defaults.js';
import type { MappingAdvice, MappingEntry } from './fds/proc-maps.js';
import type { FdSubstitutions } from './fds/substitute.js';
import type { TreeTask } from './images/pstree.js';
import type { DumpStats } from './images/stats.js';
import type { VmaKind } from './inspect/types.js';
import type { RestoreNeed } from './restore-needs.js';
import type { Hooks } from './rpc/hooks.js';
import type { SysvAttachment } from './sysv/attachments.js';
import type { LeftOutContents } from './sysv/ipcns-contents.js';
import type { HostObjectChoice } from './sysv/restore-objects.js';
import type { SnapshotObject } from './sysv/snapshot-format.js';
import type { SysvSelection } from './sysv/snapshot-selection.js';
import type { ShmSubstitutions } from './sysv/substitutes.js';

export type { CheckpointRemoval } from './checkpoint-removal.js';
export type { AccessMode, FdEntry, FdType } from './fds/fd-entry.js';
export type { LeaveOutAdvice } from './fds/leave-out.js';
export type { MappingAdvice, MappingEntry } from './fds/proc-maps.js';
export type {
  AbsolutePath,
  FdSubstitute,
  FdSubstituteKeyword,
  FdSubstitutions,
  PathSubstitute,
} from './fds/substitute-form.js';
export type { TreeTask } from './images/pstree.js';
export type { DumpStats, RestoreStats } from './images/stats.js';
export type { FdNeed, MappingNeed, RestoreNeed, ShmContentsNeed } from './restore-needs.js';
export type { Hook, HookContext, Hooks, QueryExtFilesHook } from './rpc/hooks.js';
export type { SysvAttachment } from './sysv/attachments.js';
export type { LeftOutContents } from './sysv/ipcns-contents.js';
export type { HostObjectChoice } from './sysv/restore-objects.js';
export type { SnapshotManifest, SnapshotObject } from './sysv/snapshot-format.js';
export type { SysvSelection } from './sysv/snapshot-selection.js';
export type { DataSubstitute, ShmSubstitute, ShmSubstitutions, SnapshotSubstitute } from './sysv/substitutes.js';

/** Options every operation accepts. */
export interface CommonOptions {
  /** The CRIU binary to use; otherwise CRIU_BIN, the project's `.criu/`, then PATH. */
  criuPath?: string;
  /**
   * Where to run: real CRIU, the simulator, or `'auto'` (the simulator for its own pids and
   * checkpoints and off Linux, CRIU for real processes). Default: `NODE_CRIU_BACKEND`, else `'auto'`. A restore runs on the
   * backend that wrote the checkpoint.
   */
  backend?: BackendChoice;
}

/** Which backend an operation runs on, and why. */
export interface BackendSelection {
  /** What was asked for: the `backend` option, else NODE_CRIU_BACKEND, else 'auto'. */
  requested: BackendChoice;
  /** The backend the operation runs on. */
  chosen: 'criu' | 'sim';
  /** Why that one, in words (e.g. `CRIU 4.2.1 is usable here`). */
  reason: string;
}

/** Options of check(): where CRIU is, and which backend to check. */
export interface CheckOptions extends CommonOptions {}

/** Something that stops checkpoint/restore from working here, and what to do about it. */
export interface Problem {
  /** The error code an operation would fail with for it (e.g. NOT_PERMITTED). */
  code: CriuErrorCode;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** An optional feature that cannot work here, and what would make it work. */
export interface FeatureProblem {
  /** The feature, by the option that asks for it (RestoreOptions.lazyPages). */
  feature: 'lazyPages';
  /** Why it cannot work here. */
  message: string;
  /** What would make it work. */
  fix: string;
}

/** check()'s answer: whether checkpoint/restore can work here, on which backend, and what is missing. */
export interface CheckResult {
  /** The backend that was checked. */
  backend: 'criu' | 'sim';
  /** True when nothing in `problems` prevents checkpoint and restore. */
  usable: boolean;
  /** CRIU's version, e.g. `'4.2.1'`, when a CRIU could be run. */
  version: string | undefined;
  /** The CRIU binary that was found and checked; undefined for the simulator or when none was found. */
  criuPath: string | undefined;
  /** Optional kernel/CRIU features (from FEATURE_CHECK). */
  features: { memTrack: boolean; lazyPages: boolean; pidfdStore: boolean } | undefined;
  /** Every problem that stops checkpoint/restore here, each with its fix; empty when `usable`. */
  problems: Problem[];
  /**
   * Optional features that cannot work here (they do not make the backend unusable), each with
   * why and the fix: `lazyPages` (RestoreOptions.lazyPages) without userfaultfd.
   */
  unavailable: FeatureProblem[];
  /** Set by `check()`: the backend it chose and why (a backend's own check leaves it out). */
  selection?: BackendSelection;
}

/** Options checkpoint() and restore() share: hooks, cancellation, time limit and CRIU's log level. */
export interface OperationOptions extends CommonOptions {
  /** Called at each of CRIU's notifications; returning false or throwing aborts. */
  hooks?: Hooks;
  /** Aborting stops CRIU (rollback at its next notification, then a kill): error ABORTED. */
  signal?: AbortSignal;
  /** Milliseconds before the operation is stopped like an abort: error TIMEOUT. */
  timeout?: number;
  /**
   * CRIU's log level for the operation's log (`logPath`): 0 none ... 4 debug. Default 2, CRIU's
   * own default: errors and warnings, which is all node-criu reads to explain a failure. Level 4
   * says what CRIU did step by step, for diagnosing it; measured here, it cost 4% of a 1 GiB
   * checkpoint (20 ms) and ~5 ms of an idle Node one.
   */
  logLevel?: 0 | 1 | 2 | 3 | 4;
}

/**
 * Options of checkpoint(). Validated before anything runs: a misspelt or mistyped option is a
 * TypeError/RangeError (with a did-you-mean), not silently ignored.
 */
export interface CheckpointOptions extends OperationOptions {
  /** Where images go; created 0700 if missing, must be empty. Default: a new private temp dir. */
  imagesDir?: string;
  /**
   * An earlier checkpoint (of this tree, or of a copy of it) to make this one on, incrementally:
   * every page equal to the one the earlier checkpoint has at the same address is stored as a
   * reference to it, so the images dir holds only the pages that changed, and a `parent` link.
   * Restoring it needs the whole series, as it was (verified as a whole by default). Works
   * without the kernel's dirty-page tracking, which this kind of machine may lack: every page is
   * dumped and compared. CRIU backend only.
   */
  parent?: string;
  /** Keep the tree running after the dump (default: it is killed, as with `criu dump`). */
  leaveRunning?: boolean;
  /** The root is not a session leader (its session/terminal belong to someone else). */
  shellJob?: boolean;
  /** Dump established TCP connections (they are locked while the tree is frozen). */
  tcpEstablished?: boolean;
  /** Dump file locks. */
  fileLocks?: boolean;
  /** Resources CRIU must not dump but record as external, by CRIU key (e.g. `unix[1234]`). */
  external?: readonly string[];
  /**
   * Record a digest of every image in the manifest (default true: BLAKE3, or SHA-256 where
   * BLAKE3's native build cannot load) so that restore can refuse altered images. The images are
   * hashed while CRIU writes them, on the machine's other core, so that the checkpoint is about as
   * fast as without it (see the README's benchmark); without it only sizes are recorded.
   */
  digest?: boolean;
  /**
   * Fds not to save, which the restorer must then substitute: root fd numbers, `{ pid, fd }`
   * pairs, or a predicate over the fd table. Fds whose other end is outside the tree (a parent's
   * stdio pipes and socketpairs) are left out without being named here.
   */
  leaveOut?: LeaveOutAdvice;
  /**
   * Shared file mappings (POSIX shm in /dev/shm, mmap'ed files) not to save as part of the tree
   * but to substitute at restore, by path or predicate. Their contents live in the file anyway.
   */
  leaveOutMappings?: MappingAdvice;
  /** Allow unix sockets connected outside the tree. */
  extUnixSk?: boolean;
  /** Largest deleted-but-open file CRIU copies into the images, in bytes (CRIU: 1 MiB). */
  ghostLimit?: number;
  /** Host-namespace SysV options. */
  sysv?: SysvCheckpointOptions;
}

/** What checkpoint() does with SysV IPC objects beyond the tree's attachments (CheckpointOptions.sysv). */
export interface SysvCheckpointOptions {
  /**
   * Host-namespace objects to snapshot (snapshotSysv) into the images dir, while the tasks that
   * have segments attached are stopped: segment contents, semaphore values, queue messages (left
   * queued). Listed in the manifest and covered by its digests; restore recreates a gone object
   * from it with `'snapshot'`.
   */
  snapshot?: SysvSelection;
  /**
   * IPC-namespace mode (a tree spawned with `namespaces: ['ipc']`, whose segments CRIU saves):
   * segments, by id in the tree's namespace, or `'all'`, whose contents are left out of the
   * images: their pages are dropped once CRIU has written them, so the checkpoint holds none of
   * those bytes. Restore then needs a refill for each (`sysv.shm[id] = { data }` or a snapshot),
   * unless told to start it zeroed (`{ data: Buffer.alloc(0) }`).
   */
  leaveOutContents?: readonly number[] | 'all';
}

/**
 * A completed checkpoint: where it is, what it holds, and what its restore will need. It can be
 * removed (`remove()`, or `await using cp = await checkpoint(pid)`), which removes exactly what it
 * wrote (see CheckpointRemoval); nothing removes it otherwise, not even the default temp dir.
 */
export interface Checkpoint extends CheckpointRemoval {
  /** Where the images are: `imagesDir`, or a new private dir `node-criu-XXXXXX` under os.tmpdir(). */
  imagesDir: string;
  /** The root pid that was checkpointed. */
  pid: number;
  /** Every pid of the tree, root first. */
  pids: number[];
  /** The process tree as CRIU dumped it (pstree.img): pid, parent, group, session and threads of each task. */
  tree: TreeTask[];
  /** Every fd of every task, as dumped (also in the manifest: see readFdTable). */
  fds: FdEntry[];
  /** Shared file mappings of the tree (POSIX shm, mmap'ed files). */
  mappings: MappingEntry[];
  /**
   * What a restore will need: every fd, shared mapping and segment contents the checkpoint left
   * out, with the option that substitutes it and whether restore() with default options refuses
   * it without one (`substitute: 'required'`) or gives it a default (`default`).
   */
  needs: RestoreNeed[];
  /** True when the tree was left running (`leaveRunning`). */
  leftRunning: boolean;
  /** CRIU's own measurements of the dump. */
  stats: DumpStats | undefined;
  /** CRIU's log of the dump (at `logLevel`). */
  logPath: string;
  /**
   * Host-namespace SysV shared memory the tree had attached (also in the manifest). Host mode:
   * each was detached just before CRIU ran (the range held by an empty placeholder), so CRIU
   * saved none of its contents; after a leave-running or failed checkpoint it was put back in
   * place. Restore attaches each to a live segment (see RestoreOptions.sysv).
   */
  sysv?: { attachments: SysvAttachment[]; snapshot?: SnapshotObject[]; contentsLeftOut?: LeftOutContents[] };
  /**
   * With `parent`: the checkpoint it was made on (as linked from the images dir), and how many of
   * the pages CRIU dumped are references to it instead of data.
   */
  parent?: { link: string; pagesInParent: number; pagesDumped: number };
}

/** Restore into an existing namespace, e.g. `{ ns: 'ipc', nsFile: '/proc/1234/ns/ipc' }`. */
export interface JoinNamespace {
  /** The kind of namespace, as CRIU names it (`'ipc'`, `'net'`, `'uts'`, ...). */
  ns: string;
  /** A file naming the namespace to join, e.g. `/proc/PID/ns/ipc` or a bind mount of it. */
  nsFile: string;
  /** CRIU's extra option for this namespace, passed as it is (see CRIU's `--join-ns`). */
  extraOpt?: string;
}

/**
 * Options of restore(). Validated before anything runs: a misspelt or mistyped option, or a
 * substitute of the wrong form, is a TypeError/RangeError (with a did-you-mean).
 */
export interface RestoreOptions extends OperationOptions {
  /**
   * What fds of the restored tree become: `{ [fd]: sub }` for the root, `{ [pid]: { [fd]: sub } }`
   * for any task. Checked against the checkpoint's fd table before anything is restored.
   */
  fds?: FdSubstitutions;
  /**
   * What an fd left out only because its other end was outside the tree (a stdio socketpair or
   * pipe of the checkpointed process's parent, a pipe a shell handed down) becomes when `fds`
   * gives it no substitute: `'pipe'` (default) gives the root's a new pipe exposed as `stdio[fd]`,
   * as child_process.spawn does; `'criu'` does what raw `criu restore` does (a pipe recreated by
   * CRIU with its other end closed; a socket or terminal gets /dev/null). Either way each one is
   * listed in the restored process's `defaultedFds`. Fds the checkpoint's `leaveOut` advice named
   * always need a substitute. The IPC channel of a root started by fork() gets, with `'pipe'`, a
   * new channel spoken through the handle's send()/'message' instead of a stream.
   */
  outsideFds?: OutsideFdsMode;
  /**
   * Accept a left-out file's substitute of another size than the dumped file: files.img is
   * rewritten in a linked copy of the images (the originals and the page data are not touched).
   */
  allowSizeChange?: boolean;
  /**
   * Data that sat unread in a pipe at checkpoint is not replayed by CRIU into a new pipe; node-criu
   * replays it into the `'pipe'` substitutes of the root (default true).
   */
  replayPipeData?: boolean;
  /** Substitutes for left-out shared mappings: original path -> a file of the same size (path or fd). */
  mappings?: Readonly<Record<string, string | number>>;
  /**
   * CRIU's dump options that restore must repeat. By default they are taken from the checkpoint's
   * manifest; set them for images made by plain `criu dump`.
   */
  shellJob?: boolean;
  /** As CheckpointOptions.tcpEstablished; by default taken from the manifest. */
  tcpEstablished?: boolean;
  /** As CheckpointOptions.fileLocks; by default taken from the manifest. */
  fileLocks?: boolean;
  /** As CheckpointOptions.extUnixSk; by default taken from the manifest. */
  extUnixSk?: boolean;
  /**
   * Let an external file substitute differ from the original in its rwx permission bits
   * (CRIU checks them otherwise).
   */
  skipFileRwxCheck?: boolean;
  /** Put our fd `value` where the image has resource `key` (CRIU inherit-fd keys, e.g. `pipe:[123]`). */
  inheritFds?: Readonly<Record<string, number>>;
  /** External resources the restore provides, by CRIU key. */
  external?: readonly string[];
  /** Namespaces to restore into instead of new ones (CRIU's `--join-ns`), e.g. another tree's IPC namespace. */
  joinNs?: readonly JoinNamespace[];
  /** How long to wait for the image's pids to become free before PID_IN_USE (ms, default 5000). */
  pidWaitTimeout?: number;
  /**
   * Check the images against the checkpoint's manifest first (default true): missing, truncated,
   * altered or extra files are refused with IMAGE_INTEGRITY. Costs one read of the images.
   */
  verify?: boolean;
  /**
   * Accept an images dir (or files in it) owned by another user or writable by group/others,
   * which is refused by default, with or without `verify`: restoring images executes them
   * (docs/security.md).
   */
  allowUntrustedImages?: boolean;
  /** Where CRIU's restore log goes. Default: a new private temp dir, removed after a success. */
  workDir?: string;
  /**
   * Lazy restore: the tree runs as soon as CRIU has recreated it, before its memory is back;
   * private anonymous pages come in on demand (userfaultfd) and in the background, served from
   * the images by a `criu lazy-pages` daemon that node-criu starts, owns and ends on every path.
   * The handle's `pagesLoaded` settles when every page is in. Shared memory, SysV segments, huge
   * pages and file mappings are restored eagerly as usual (CRIU can only make private anonymous
   * memory lazy). Needs userfaultfd (`check()` reports `features.lazyPages`). CRIU backend only.
   */
  lazyPages?: boolean;
  /**
   * What the checkpoint's host-namespace SysV attachments are attached to. The tree is restored
   * stopped, every segment is attached at its original address with its original access, and
   * only then is the tree resumed; if one cannot be attached, the tree is killed and the error
   * (INVALID_SUBSTITUTION) names the segment. Substitutes are checked first: one that is gone,
   * of another size, or whose mode does not grant the access fails before CRIU runs.
   */
  sysv?: SysvRestoreOptions;
}

/** Host-namespace SysV substitutes at restore. */
export interface SysvRestoreOptions {
  /**
   * Per segment, by original shmid (`'32789'`) or key (`'key:0x00001234'`): `'same'` (default:
   * the same live segment by id, else the one with its key), another segment's id, or `{ key }`.
   */
  shm?: ShmSubstitutions;
  /**
   * Host-namespace semaphore sets the tree uses, by id: `'live'` (must still exist, else
   * INVALID_SUBSTITUTION before anything is restored) or a snapshot (`{ snapshot: dir }`, or
   * `'snapshot'` for the checkpoint's own) to recreate a gone set from, with the same id, key,
   * mode and values. A set that still exists is used as it is.
   */
  sem?: Readonly<Record<string, HostObjectChoice>>;
  /** Host-namespace message queues, as `sem` (recreated with their messages, in order). */
  msg?: Readonly<Record<string, HostObjectChoice>>;
}

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
