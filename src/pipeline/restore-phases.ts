// The phases of a restore that a concern (fds, SysV, integrity, ...) takes part in, and what it
// can contribute at each. The runner (run-restore.ts) calls them in order; a concern implements
// only the phases it needs.
import type { Socket } from 'node:net';
import type { DefaultedFd } from '../fds/outside-defaults.js';
import type { ChannelEnd } from '../ipc/channel.js';
import type { CheckpointToRestore } from '../restore-plan.js';
import type { ImageSet } from '../rewrite/rewrite.js';
import type { IpcNamespaceImages } from '../sysv/ipcns-images.js';
import type { LazyPagesStats, RestoreOptions } from '../types.js';

/** What every concern of one restore sees. */
export interface RestoreContext {
  readonly imagesDir: string;
  readonly options: RestoreOptions;
  /** The checkpoint, verified (see the integrity concern) and its tree read. */
  readonly checkpoint: CheckpointToRestore;
  /** When waiting for the image's pids (and retrying CRIU for one just freed) gives up. */
  readonly pidDeadline: number;
  /** The IPC namespace the images hold (a tree that had one of its own), read once; else undefined. */
  ipcNamespaceImages(): Promise<IpcNamespaceImages | undefined>;
  /**
   * The dir CRIU works in (its log; the lazy-pages socket): the caller's `workDir`, or a new
   * private one, made on first use. Whether it is removed afterwards is the execution's call.
   */
  workDir(): Promise<string>;
}

/** The restored tree, as the runner hands it to concerns. */
export interface RestoredTree {
  /** The root's host pid. */
  readonly root: number;
  /** Every host pid of the tree, the root first. */
  readonly pids: readonly number[];
}

/** CRIU options a step needs; merged by the runner (inherited fds by key, flags or-ed). */
export interface CriuContribution {
  /** CRIU keys -> our fds: `--inherit-fd`. */
  inheritFds?: Readonly<Record<string, number>>;
  shellJob?: boolean | undefined;
  tcpEstablished?: boolean | undefined;
  fileLocks?: boolean | undefined;
  extUnixSk?: boolean | undefined;
  skipFileRwxCheck?: boolean | undefined;
  /** Restore private anonymous memory lazily, from a lazy-pages daemon in the work dir. */
  lazyPages?: boolean | undefined;
}

/** What the handle gets from a step. */
export interface HandleContribution {
  /** Our ends of new pipes and sockets, by the root's fd number. */
  streams?: ReadonlyMap<number, Socket>;
  /** Fds given a default because nothing named them. */
  defaultedFds?: readonly DefaultedFd[];
  /** The root's new IPC channel (its fd is then no stream of stdio, as in ChildProcess). */
  channel?: ChannelEnd;
  /** Settles when every page of a lazily restored tree is in. */
  pagesLoaded?: Promise<LazyPagesStats>;
}

/** One concern's part in one restore, once planned. Every phase is optional. */
export interface RestoreStep {
  criu?: CriuContribution;
  handle?: HandleContribution;
  /** The tree must be restored stopped: it runs only after every whileStopped phase succeeded. */
  keepsStopped?: boolean;
  /**
   * Tasks that were stopped before the checkpoint, as this concern knows them (the images show
   * every task stopped when node-criu stopped them itself, e.g. to detach SysV segments).
   */
  stoppedBefore?: readonly number[];
  /** Edits the linked copy CRIU restores from (never the checkpoint's own images). */
  editImages?(images: ImageSet): Promise<void>;
  /** Just before CRIU runs: creates what the restore needs; `release` undoes it on a failure. */
  prepare?(): Promise<void>;
  /** The tree exists and, if any step keepsStopped, has not run yet. A throw ends the tree. */
  whileStopped?(tree: RestoredTree): Promise<void>;
  /** The tree runs. Must not throw: the restore has succeeded. */
  afterResume?(tree: RestoredTree): void;
  /** The restored root has exited (the tree may not need what the step still runs). */
  afterExit?(): void;
  /** The restore is over (`failed` or not): releases what the step holds, in reverse step order. */
  release?(failed: boolean): void | Promise<void>;
  /** Given the restore's failure, a better explanation of it (an altered image), or undefined. */
  explain?(failure: unknown): Promise<unknown>;
}

/** The steps planned so far, by concern: how a later phase of one concern reads another's plan. */
export type PlannedSteps = ReadonlyMap<RestoreConcern, RestoreStep>;

/** A concern of restore: one module, registered in restore/concerns.ts. */
export interface RestoreConcern {
  readonly name: string;
  /**
   * Checks the options against the checkpoint and plans this concern's part. Runs before anything
   * is created or run; what it opens (a pipe) its step's `release` closes. Undefined: nothing to do.
   */
  plan(context: RestoreContext, planned: PlannedSteps): Promise<RestoreStep | undefined>;
}
