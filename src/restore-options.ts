// The options of restore(): what the restored tree's fds, mappings and SysV objects become, and
// how the restore runs (re-exported by types.ts).
import type { OutsideFdsMode } from './fds/outside-defaults.js';
import type { FdSubstitutions } from './fds/substitute.js';
import type { OperationOptions } from './operation-options.js';
import type { HostObjectChoice } from './sysv/restore-objects.js';
import type { ShmSubstitutions } from './sysv/substitutes.js';

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
