// The checkpoint manifest (node-criu.json): what was checkpointed and a digest of every image.
import { closeSync, fsync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CriuError } from '../errors.js';
import type { FdEntry } from '../fds/fd-entry.js';
import type { MappingEntry } from '../fds/proc-maps.js';
import { inMemory } from '../fs/in-memory.js';
import { type IpcChannelSection, isIpcChannelSection } from '../ipc/channel-section.js';
import { isParentSection, PARENT_LINK, PARENTS_DIR, type ParentSection } from '../series/parent-section.js';
import type { SysvManifest } from '../sysv/manifest-section.js';
import { type FileDigest, isFileDigest } from './digest.js';

/** The manifest's file name in an images dir; written last, so its presence marks a complete checkpoint. */
export const MANIFEST_NAME = 'node-criu.json';
/** The manifest's format and version (Manifest.format): a manifest of another format is refused. */
export const MANIFEST_FORMAT = 'node-criu-checkpoint/1';

/** Files in an images dir that are not images: never listed, never verified. */
export const NOT_IMAGES: ReadonlySet<string> = new Set([
  MANIFEST_NAME,
  'dump.log',
  // CRIU writes this into the images dir it restores from.
  'stats-restore',
  // An incremental checkpoint's link to its parent (checked against the manifest's parent section).
  PARENT_LINK,
  // An imported series' parents (verified through the link, which must lead into it).
  PARENTS_DIR,
]);

/**
 * What node-criu records with every checkpoint (MANIFEST_NAME, JSON): the tree, its fd table
 * and mappings, what restore must repeat or replace, and the size and digest of every image.
 */
export interface Manifest {
  /** The manifest's format and version. */
  format: typeof MANIFEST_FORMAT;
  /** Written last, after CRIU succeeded: its presence marks a complete checkpoint. */
  complete: true;
  /** When the checkpoint completed (ISO 8601). */
  createdAt: string;
  /** The backend that wrote it: a checkpoint is restored by the same one. */
  backend: 'criu' | 'sim';
  /** The version of the CRIU that dumped it (undefined for the simulator). */
  criuVersion: string | undefined;
  /** The checkpointed root pid. */
  pid: number;
  /** Every pid of the tree, root first. */
  pids: number[];
  /** Whether the tree was left running (CheckpointOptions.leaveRunning). */
  leftRunning: boolean;
  /** Dump options that restore must repeat (CRIU needs them on both sides). */
  dumpOptions: { shellJob: boolean; tcpEstablished: boolean; fileLocks: boolean; extUnixSk: boolean };
  /** The tree's fd table, read while CRIU had it frozen. */
  fds: FdEntry[];
  /** The tree's shared file mappings (POSIX shm, mmap'ed files). */
  mappings: MappingEntry[];
  /** The root's Node IPC channel (started by fork()), which restore replaces; absent when none. */
  ipc?: IpcChannelSection;
  /** Host-namespace SysV attachments left out of the images (host mode); absent when none. */
  sysv?: SysvManifest;
  /** An incremental checkpoint's parent (CheckpointOptions.parent); absent for a full one. */
  parent?: ParentSection;
  /**
   * Per image file: its size, and its digest (`blake3`, or `sha256` where BLAKE3 could not load)
   * unless the checkpoint was made with `digest: false`.
   */
  files: Record<string, FileDigest>;
}

/** A file name that stays inside the images dir: no separators, no `.`/`..`. */
export function isPlainName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

function invalid(dir: string, why: string): CriuError {
  return new CriuError('IMAGE_INTEGRITY', `The manifest of ${dir} is invalid: ${why}.`, {
    operation: 'read-images',
    file: join(dir, MANIFEST_NAME),
  });
}

/** The manifest's bytes as written: what a digest of a manifest file is a digest of. */
export function manifestText(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the manifest atomically (temp file + rename), readable by the owner only. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const temp = join(dir, `.${MANIFEST_NAME}.tmp`);
  // Written into the page cache at once; only the fsync, which may wait on a disk, runs off the
  // loop (and not at all in memory, where it has nothing to write: a thread-pool round trip saved).
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeFileSync(fd, manifestText(manifest));
    if (!inMemory(dir)) await promisify(fsync)(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, MANIFEST_NAME));
}

/** The manifest of `dir`, or undefined if it has none; IMAGE_INTEGRITY if it is malformed. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    // A few KiB to a few hundred: read at once, sparing the four thread-pool trips of readFile.
    text = readFileSync(join(dir, MANIFEST_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(dir, 'it is not JSON');
  }
  const m = value as Partial<Manifest>;
  if (typeof m !== 'object' || m === null || m.format !== MANIFEST_FORMAT)
    throw invalid(dir, `format is not ${MANIFEST_FORMAT}`);
  if (m.complete !== true) throw invalid(dir, 'the checkpoint is not marked complete');
  if (typeof m.files !== 'object' || m.files === null) throw invalid(dir, 'it lists no files');
  if (m.ipc !== undefined && !isIpcChannelSection(m.ipc)) throw invalid(dir, 'its ipc section is malformed');
  if (m.parent !== undefined && !isParentSection(m.parent)) throw invalid(dir, 'its parent section is malformed');
  for (const [name, entry] of Object.entries(m.files)) {
    if (!isPlainName(name)) throw invalid(dir, `file name '${name}' would leave the images dir`);
    if (!isFileDigest(entry)) throw invalid(dir, `the entry of '${name}' is malformed`);
  }
  return m as Manifest;
}
