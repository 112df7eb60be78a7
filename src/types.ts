// The public shapes of node-criu's API, shared by every backend.

import type { Socket } from 'node:net';
import type { BackendChoice } from './backend-choice.js';
import type { CriuErrorCode } from './errors.js';
import type { FdEntry } from './fds/fd-entry.js';
import type { LeaveOutAdvice } from './fds/leave-out.js';
import type { DefaultedFd, OutsideFdsMode } from './fds/outside-defaults.js';
import type { MappingAdvice, MappingEntry } from './fds/proc-maps.js';
import type { FdSubstitutions } from './fds/substitute.js';
import type { TreeTask } from './images/pstree.js';
import type { DumpStats } from './images/stats.js';
import type { Hooks } from './rpc/hooks.js';
import type { SysvAttachment } from './sysv/attachments.js';
import type { LeftOutContents } from './sysv/ipcns-contents.js';
import type { HostObjectChoice } from './sysv/restore-objects.js';
import type { SnapshotObject } from './sysv/snapshot-format.js';
import type { SysvSelection } from './sysv/snapshot-selection.js';
import type { ShmSubstitutions } from './sysv/substitutes.js';

export type { AccessMode, FdEntry, FdType } from './fds/fd-entry.js';
export type { LeaveOutAdvice } from './fds/leave-out.js';
export type { MappingAdvice, MappingEntry } from './fds/proc-maps.js';
export type { FdSubstitute, FdSubstitutions } from './fds/substitute.js';

export type { TreeTask } from './images/pstree.js';
export type { DumpStats, RestoreStats } from './images/stats.js';
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
  chosen: 'criu' | 'sim';
  reason: string;
}

export interface CheckOptions extends CommonOptions {}

/** Something that stops checkpoint/restore from working here, and what to do about it. */
export interface Problem {
  code: CriuErrorCode;
  message: string;
  fix: string;
}

export interface CheckResult {
  backend: 'criu' | 'sim';
  /** True when nothing in `problems` prevents checkpoint and restore. */
  usable: boolean;
  /** CRIU's version, e.g. `'4.2.1'`, when a CRIU could be run. */
  version: string | undefined;
  criuPath: string | undefined;
  /** Optional kernel/CRIU features (from FEATURE_CHECK). */
  features: { memTrack: boolean; lazyPages: boolean; pidfdStore: boolean } | undefined;
  problems: Problem[];
  /** Set by `check()`: the backend it chose and why (a backend's own check leaves it out). */
  selection?: BackendSelection;
}

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

export interface CheckpointOptions extends OperationOptions {
  /** Where images go; created 0700 if missing, must be empty. Default: a new private temp dir. */
  imagesDir?: string;
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

export interface Checkpoint {
  imagesDir: string;
  /** The root pid that was checkpointed. */
  pid: number;
  /** Every pid of the tree, root first. */
  pids: number[];
  tree: TreeTask[];
  /** Every fd of every task, as dumped (also in the manifest: see readFdTable). */
  fds: FdEntry[];
  /** Shared file mappings of the tree (POSIX shm, mmap'ed files). */
  mappings: MappingEntry[];
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
}

/** Restore into an existing namespace, e.g. `{ ns: 'ipc', nsFile: '/proc/1234/ns/ipc' }`. */
export interface JoinNamespace {
  ns: string;
  nsFile: string;
  extraOpt?: string;
}

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
   * always need a substitute.
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
  tcpEstablished?: boolean;
  fileLocks?: boolean;
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

export interface ExitStatus {
  /** The exit code, or null if the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A restored tree whose root is a child of this process. */
export interface RestoredProcess {
  pid: number;
  /** Every pid of the restored tree, root first. */
  pids: number[];
  /** Settles when the root exits; it is reaped, so no zombie is left. */
  exited: Promise<ExitStatus>;
  /** Our ends of the root's `'pipe'` substitutes, as Node streams (undefined where none). */
  stdin: Socket | undefined;
  stdout: Socket | undefined;
  stderr: Socket | undefined;
  /** By fd number. */
  stdio: (Socket | undefined)[];
  /**
   * The fds that had their other end outside the checkpointed tree and were given no substitute,
   * with what each became (see RestoreOptions.outsideFds).
   */
  defaultedFds: DefaultedFd[];
  /**
   * With `lazyPages`: resolves once every page of the tree is in memory (the lazy-pages daemon
   * served them all and exited), rejects with RESTORE_FAILED if the page source failed first;
   * undefined for an eager restore.
   */
  pagesLoaded?: Promise<void> | undefined;
  /** Sends a signal to the root (default SIGTERM); false if it has already exited. */
  kill(signal?: NodeJS.Signals | number): boolean;
  /** Lets Node exit while the restored process still runs. */
  unref(): void;
  ref(): void;
}
