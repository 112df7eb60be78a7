// The files of a SysV snapshot: a JSON manifest (sysv-snapshot.json) that lists each object with
// its metadata and the SHA-256 of its data file, and how sem/msg data files are laid out.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriuError, type CriuOperation } from '../errors.js';
import { digestFile } from '../integrity/digest.js';
import type { IpcKind, QueueMessage } from '../native.js';

export const SNAPSHOT_MANIFEST = 'sysv-snapshot.json';
const FORMAT = 1;

/** One saved object. The data file holds a segment's bytes, a set's values, or a queue's messages. */
export interface SnapshotObject {
  /** `'shm'`, `'sem'` or `'msg'`. */
  kind: IpcKind;
  /** Its id in its IPC namespace when saved. */
  id: number;
  /** Unsigned 32-bit key (0 for IPC_PRIVATE). */
  key: number;
  /** Permission bits. */
  mode: number;
  /** Its owner. */
  uid: number;
  /** Its group. */
  gid: number;
  /** shm: the segment's size in bytes; sem: the number of semaphores; msg: the number of messages. */
  size: number;
  /** msg only: the queue's capacity in bytes (msg_qbytes). */
  qbytes?: number;
  /** The data file, in the snapshot's dir (`sysv-<kind>-<id>.bin`). */
  file: string;
  /** The data file's size in bytes. */
  bytes: number;
  /** The data file's SHA-256 (hex): a changed file is refused at restore. */
  sha256: string;
}

/** A SysV snapshot's manifest (`sysv-snapshot.json`): what snapshotSysv() saved, and where. */
export interface SnapshotManifest {
  /** The snapshot format's version. */
  format: number;
  /** When the snapshot was taken (ISO 8601). */
  createdAt: string;
  /** The objects saved, each with its data file. */
  objects: SnapshotObject[];
}

export const dataFile = (kind: IpcKind, id: number): string => `sysv-${kind}-${id}.bin`;

/** Semaphore values as little-endian u16s. */
export function encodeSemValues(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (const [i, v] of values.entries()) out.writeUInt16LE(v, i * 2);
  return out;
}

export function decodeSemValues(data: Buffer): number[] {
  return Array.from({ length: data.length / 2 }, (_, i) => data.readUInt16LE(i * 2));
}

/** Messages in queue order, each as i64 type, u32 length, bytes (little-endian). */
export function encodeMessages(messages: readonly QueueMessage[]): Buffer {
  return Buffer.concat(
    messages.flatMap((m) => {
      const head = Buffer.alloc(12);
      head.writeBigInt64LE(BigInt(m.type), 0);
      head.writeUInt32LE(m.data.length, 8);
      return [head, m.data];
    }),
  );
}

export function decodeMessages(data: Buffer): QueueMessage[] {
  const out: QueueMessage[] = [];
  for (let at = 0; at < data.length; ) {
    if (at + 12 > data.length) throw new RangeError('truncated message header');
    const type = Number(data.readBigInt64LE(at));
    const length = data.readUInt32LE(at + 8);
    if (at + 12 + length > data.length) throw new RangeError('truncated message');
    out.push({ type, data: Buffer.from(data.subarray(at + 12, at + 12 + length)) });
    at += 12 + length;
  }
  return out;
}

export function snapshotManifest(objects: SnapshotObject[]): SnapshotManifest {
  return { format: FORMAT, createdAt: new Date().toISOString(), objects };
}

function broken(dir: string, why: string, operation: CriuOperation): CriuError {
  return new CriuError(
    'IMAGE_INTEGRITY',
    `The SysV snapshot in ${dir} cannot be used: ${why}. Take a new snapshot (snapshotSysv) or name another.`,
    { operation, file: join(dir, SNAPSHOT_MANIFEST) },
  );
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isObject(v: unknown): v is SnapshotObject {
  const o = v as Partial<SnapshotObject> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    (o.kind === 'shm' || o.kind === 'sem' || o.kind === 'msg') &&
    [o.id, o.key, o.mode, o.uid, o.gid, o.size, o.bytes].every(isInt) &&
    (o.qbytes === undefined || isInt(o.qbytes)) &&
    o.file === dataFile(o.kind, o.id as number) &&
    typeof o.sha256 === 'string'
  );
}

/** The manifest of the snapshot in `dir`, checked; undefined when `dir` has none. */
export async function readSnapshotManifest(
  dir: string,
  operation: CriuOperation,
): Promise<SnapshotManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SNAPSHOT_MANIFEST), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<SnapshotManifest>;
  try {
    parsed = JSON.parse(text) as Partial<SnapshotManifest>;
  } catch {
    throw broken(dir, `${SNAPSHOT_MANIFEST} is not JSON`, operation);
  }
  if (parsed.format !== FORMAT || !Array.isArray(parsed.objects) || !parsed.objects.every(isObject)) {
    throw broken(dir, `${SNAPSHOT_MANIFEST} is malformed or of another format`, operation);
  }
  return parsed as SnapshotManifest;
}

/** The object `kind` `id` of the snapshot in `dir`, its data file checked against its digest. */
export async function snapshotObject(
  dir: string,
  kind: IpcKind,
  id: number,
  operation: CriuOperation,
): Promise<SnapshotObject> {
  const manifest = await readSnapshotManifest(dir, operation);
  if (!manifest) throw broken(dir, `there is no ${SNAPSHOT_MANIFEST}`, operation);
  const object = manifest.objects.find((o) => o.kind === kind && o.id === id);
  if (!object) {
    const has = manifest.objects.map((o) => `${o.kind} ${o.id}`).join(', ') || 'nothing';
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `The SysV snapshot in ${dir} has no ${kind} ${id} (it has ${has}): snapshot it (snapshotSysv or checkpoint's sysv.snapshot) or name another substitute.`,
      { operation },
    );
  }
  const actual = await digestFile(join(dir, object.file), 'sha256').catch(() => undefined);
  if (!actual) throw broken(dir, `${object.file} is missing`, operation);
  if (actual.size !== object.bytes || actual.sha256 !== object.sha256) {
    throw broken(dir, `${object.file} does not match its SHA-256 (altered or damaged)`, operation);
  }
  return object;
}
