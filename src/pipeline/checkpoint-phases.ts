// The phases of a checkpoint that a concern (fd table, mappings, SysV, integrity) takes part in.
// The runner (criu/checkpoint.ts) calls them in order; a concern implements only those it needs.
import type { FdEntry } from '../fds/fd-entry.js';
import type { MappingEntry } from '../fds/proc-maps.js';
import type { FileDigest } from '../integrity/digest.js';
import type { IpcChannelSection } from '../ipc/channel-section.js';
import type { ParentSection } from '../series/parent-section.js';
import type { SysvManifest } from '../sysv/manifest-section.js';
import type { Checkpoint, CheckpointOptions } from '../types.js';

/** What every concern of one checkpoint sees. */
export interface CheckpointContext {
  /** The root of the tree CRIU dumps. */
  readonly pid: number;
  readonly options: CheckpointOptions;
  readonly leftRunning: boolean;
}

/** What one step records: in the manifest (read at restore) and in the returned Checkpoint. */
export interface CheckpointRecord {
  fds?: FdEntry[];
  mappings?: MappingEntry[];
  /** The root's Node IPC channel (the manifest's ipc section), if it has one. */
  ipc?: IpcChannelSection;
  /** The manifest's sysv section, or undefined. */
  sysv?: SysvManifest;
  /** The Checkpoint's sysv member. */
  sysvResult?: Checkpoint['sysv'];
  /** The manifest's parent section (an incremental checkpoint). */
  parent?: ParentSection;
  /** The digests of the images, made while CRIU wrote them (integrity concern); else sizes only. */
  digests?: { followed: ReadonlyMap<string, FileDigest> | undefined };
}

/** One concern's part in one checkpoint. Every phase is optional. */
export interface CheckpointStep {
  /** The page data is rewritten after CRIU (IPC-namespace contents left out): not final when written. */
  rewritesPages?: boolean;
  /** Before CRIU runs, the tree running, the images dir ready (detach segments, take snapshots). */
  beforeDump?(imagesDir: string): Promise<void>;
  /**
   * In CRIU's query-ext-files, with the tree frozen: what is read now is exactly what is dumped.
   * Returns CRIU external keys to add; a throw rolls the dump back (the tree runs on).
   */
  whileFrozen?(pids: readonly number[]): Promise<readonly string[] | undefined>;
  /**
   * CRIU has written and flushed every image but stats-dump (post-dump). The tree is still frozen
   * until every step's promise settles (CRIU then kills or resumes it): what was read while CRIU
   * dumped memory is finished here. A throw rolls the dump back (the tree runs on).
   */
  imagesWritten?(): void | Promise<void>;
  /**
   * Resolves true once imagesWritten has nothing left that could refuse (what it waits for is read
   * and checked): post-dump is then answered ahead and CRIU does not wait on us there; false: it
   * needs the post-dump moment itself. A step with imagesWritten but without this counts as false.
   */
  settledEarly?(): Promise<boolean>;
  /** CRIU is done (`failed` or not): what the tree needs if it lives on (segments reattached). */
  afterDump?(failed: boolean): Promise<void>;
  /** After a successful dump, before the manifest: edits of the images (contents dropped). */
  finishImages?(imagesDir: string): Promise<void>;
  /** Its part of the manifest and of the result. */
  record?(): Promise<CheckpointRecord>;
  /** Last, whatever happened. */
  release?(): Promise<void>;
}

/** For settledEarly: whether `read` fulfils (true) or rejects (false, the refusal left to imagesWritten). */
export function settles(read: Promise<unknown>): Promise<boolean> {
  return read.then(
    () => true,
    () => false,
  );
}

/** The steps begun so far, by concern. */
export type BegunSteps = ReadonlyMap<CheckpointConcern, CheckpointStep>;

/** A concern of checkpoint: one module, registered in checkpoint/concerns.ts. */
export interface CheckpointConcern {
  readonly name: string;
  /**
   * Checks the options against the target before anything is created or run (not even the
   * images dir); undefined: nothing to do.
   */
  begin(context: CheckpointContext, begun: BegunSteps): Promise<CheckpointStep | undefined>;
}
