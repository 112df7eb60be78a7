// The public shapes of node-criu's API, shared by every backend.

import type { BackendChoice } from './backend-choice.js';
import type { CheckpointRemoval } from './checkpoint-removal.js';
import type { CriuErrorCode } from './errors.js';
import type { FdEntry } from './fds/fd-entry.js';
import type { LeaveOutAdvice } from './fds/leave-out.js';
import type { MappingAdvice, MappingEntry } from './fds/proc-maps.js';
import type { TreeTask } from './images/pstree.js';
import type { DumpStats } from './images/stats.js';
import type { CommonOptions, OperationOptions } from './operation-options.js';
import type { RestoreNeed } from './restore-needs.js';
import type { SysvAttachment } from './sysv/attachments.js';
import type { LeftOutContents } from './sysv/ipcns-contents.js';
import type { SnapshotObject } from './sysv/snapshot-format.js';
import type { SysvSelection } from './sysv/snapshot-selection.js';

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
export type * from './operation-options.js';
export type * from './process/restored-process-types.js';
export type { FdNeed, MappingNeed, RestoreNeed, ShmContentsNeed } from './restore-needs.js';
export type * from './restore-options.js';

export type { Hook, HookContext, Hooks, QueryExtFilesHook } from './rpc/hooks.js';
export type { SysvAttachment } from './sysv/attachments.js';
export type { LeftOutContents } from './sysv/ipcns-contents.js';
export type { HostObjectChoice } from './sysv/restore-objects.js';
export type { SnapshotManifest, SnapshotObject } from './sysv/snapshot-format.js';
export type { SysvSelection } from './sysv/snapshot-selection.js';
export type { DataSubstitute, ShmSubstitute, ShmSubstitutions, SnapshotSubstitute } from './sysv/substitutes.js';

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
