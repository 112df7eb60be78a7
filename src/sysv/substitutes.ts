// Which live segment each SysV attachment of a checkpoint is attached to at restore, checked
// against the attachment (size, permissions) before anything is restored.
import { CriuError } from '../errors.js';
import { describe, formatKey, rangeLength, type SysvAttachment } from './attachments.js';
import { readShmSegments, type ShmSegment } from './ipc-table.js';
import { pageRound } from './linux-ipc.js';

/**
 * What a checkpointed segment becomes at restore:
 * - `'same'` (default): the same live segment, by id; if that id is gone or now holds another
 *   key, the live segment with the original key;
 * - a number: another live segment, by id;
 * - `{ key }`: another live segment, by key;
 * - `{ snapshot: dir }`, or `'snapshot'` for the checkpoint's own: the same live segment if it
 *   still exists, else one recreated from the snapshot (same id when free, same key, mode and
 *   contents) before the tree is restored.
 */
export type ShmSubstitute = 'same' | number | { key: number } | SnapshotSubstitute | DataSubstitute;

/**
 * IPC-namespace mode only: the segment is refilled with these bytes (from offset 0; the rest
 * stays as restored, zero when its contents were left out) before the tree runs.
 */
export interface DataSubstitute {
  /** The bytes to write at offset 0 (at most the segment's size); `Buffer.alloc(0)` starts it zeroed. */
  data: Uint8Array;
}

export const isDataSubstitute = (sub: unknown): sub is DataSubstitute =>
  typeof sub === 'object' && sub !== null && 'data' in sub;

/** A snapshot to recreate a gone object from: a snapshotSysv() dir, or 'snapshot' for the checkpoint's own. */
export type SnapshotSubstitute = 'snapshot' | { snapshot: string };

export const isSnapshotSubstitute = (sub: unknown): sub is SnapshotSubstitute =>
  sub === 'snapshot' || (typeof sub === 'object' && sub !== null && 'snapshot' in sub);

/** Substitutes by original shmid (`'32789'`) or by original key (`'key:0x1234'`). */
export type ShmSubstitutions = Readonly<Record<string, ShmSubstitute>>;

export function refuse(a: SysvAttachment, why: string): CriuError {
  return new CriuError('INVALID_SUBSTITUTION', `Cannot restore ${describe(a)}: ${why}`, {
    operation: 'restore',
    pid: a.pid,
  });
}

/** A segment as a name in `sysv.shm` refers to it: by its id, or by its key. */
export interface NamedSegment {
  id: number;
  key: number;
}

const named = (a: SysvAttachment): NamedSegment => ({ id: a.shmid, key: a.key });

/** Whether `name`, a key of `sysv.shm` (`'32789'`, `'key:0x1234'`), names segment `s`. */
export function namesSegment(name: string, s: NamedSegment): boolean {
  return name === String(s.id) || name === `key:${formatKey(s.key)}` || name === `key:${s.key}`;
}

/** The substitute named for segment `s`, by id first, then by key; 'same' when none is. */
export function substituteOf(s: NamedSegment, subs: ShmSubstitutions): ShmSubstitute {
  return subs[String(s.id)] ?? subs[`key:${formatKey(s.key)}`] ?? subs[`key:${s.key}`] ?? 'same';
}

/** The substitute named for attachment `a`. */
export const substituteFor = (a: SysvAttachment, subs: ShmSubstitutions): ShmSubstitute => substituteOf(named(a), subs);

/**
 * INVALID_SUBSTITUTION for a name of `subs` that names none of `segments`: CRIU and the attach
 * code would ignore it silently. `none` says what the checkpoint lacks, for the message.
 */
export function assertShmNamesKnown(subs: ShmSubstitutions, segments: readonly NamedSegment[], none: string): void {
  for (const name of Object.keys(subs)) {
    if (segments.some((s) => namesSegment(name, s))) continue;
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `sysv.shm names '${name}', but ${none} (it has: ${segments.map((s) => `${s.id} / key:${formatKey(s.key)}`).join(', ') || 'none'}).`,
      { operation: 'restore' },
    );
  }
}

function find(a: SysvAttachment, sub: ShmSubstitute, live: readonly ShmSegment[]): ShmSegment {
  const byId = (id: number) => live.find((s) => s.id === id);
  const byKey = (key: number) => (key === 0 ? undefined : live.find((s) => s.key === key >>> 0));
  if (sub === 'same') {
    const same = byId(a.shmid);
    const segment = same && (a.key === 0 || same.key === a.key) ? same : byKey(a.key);
    if (segment) return segment;
    throw refuse(
      a,
      `the segment is gone${a.key === 0 ? ' (it had no key to look it up by)' : ` and no segment has key ${formatKey(a.key)}`}. Name a substitute in sysv.shm['${a.shmid}'] (another segment's id, or { key }).`,
    );
  }
  if (isSnapshotSubstitute(sub)) throw refuse(a, 'a snapshot substitute is resolved by planSysvRestore.');
  if (isDataSubstitute(sub)) {
    throw refuse(
      a,
      '{ data } refills a segment of a checkpoint with an IPC namespace of its own; here name a live segment or a snapshot.',
    );
  }
  const segment = typeof sub === 'number' ? byId(sub) : byKey(sub.key);
  if (segment) return segment;
  throw refuse(
    a,
    `its substitute ${typeof sub === 'number' ? `segment ${sub}` : `with key ${formatKey(sub.key)}`} does not exist.`,
  );
}

/** The permission bits of `segment` that apply to a task running as `uid` (root: the owner's). */
function applicableBits(segment: ShmSegment, uid: number): number {
  if (uid === 0 || uid === segment.uid || uid === segment.cuid) return (segment.mode >> 6) & 7;
  return segment.mode & 7;
}

export function checkSubstitute(a: SysvAttachment, segment: ShmSegment): void {
  const need = rangeLength(a);
  const has = pageRound(segment.size);
  if (has < need) {
    throw refuse(a, `its substitute, segment ${segment.id}, has ${segment.size} bytes; the mapping needs ${need}.`);
  }
  if (has > need) {
    throw refuse(
      a,
      `its substitute, segment ${segment.id}, has ${segment.size} bytes: attached at the original address it would cover ${has - need} bytes beyond the mapping (${need}), over whatever the process mapped there.`,
    );
  }
  const bits = applicableBits(segment, a.uid);
  const need_bits = a.access === 'rw' ? 6 : 4;
  if ((bits & need_bits) !== need_bits) {
    throw refuse(
      a,
      `its substitute, segment ${segment.id}, has mode ${segment.mode.toString(8)}, which does not let uid ${a.uid} attach it ${a.access === 'rw' ? 'read-write' : 'read-only'}.`,
    );
  }
}

/**
 * Resolves and checks the substitute of every attachment: original shmid -> the id to attach.
 * Throws INVALID_SUBSTITUTION naming the attachment, or a key of `subs` that names nothing.
 */
export function planShmSubstitutes(
  attachments: readonly SysvAttachment[],
  subs: ShmSubstitutions = {},
  live: readonly ShmSegment[] = readShmSegments(),
): Map<number, number> {
  assertShmNamesKnown(subs, attachments.map(named), 'the checkpoint has no SysV attachment with that shmid or key');
  const plan = new Map<number, number>();
  for (const a of attachments) {
    const segment = find(a, substituteFor(a, subs), live);
    checkSubstitute(a, segment);
    plan.set(a.shmid, segment.id);
  }
  return plan;
}
