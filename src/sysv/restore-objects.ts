// What a restore does with host-namespace SysV objects: segments attached to live ones or to ones
// recreated from a snapshot, semaphore sets and queues checked ('live') or recreated. Everything
// is checked before anything is created, and created before CRIU runs.
import { CriuError } from '../errors.js';
import type { IpcKind } from '../native.js';
import { rangeLength, type SysvAttachment } from './attachments.js';
import { readShmSegments, type ShmSegment } from './ipc-table.js';
import { pageRound } from './linux-ipc.js';
import type { SysvManifest } from './manifest-section.js';
import { idTaken, liveObjects } from './next-id.js';
import { type CreatedObject, recreateObject, removeObjects } from './recreate.js';
import { type SnapshotObject, snapshotObject } from './snapshot-format.js';
import {
  checkSubstitute,
  isSnapshotSubstitute,
  namesSegment,
  planShmSubstitutes,
  refuse,
  type ShmSubstitutions,
  type SnapshotSubstitute,
  substituteFor,
} from './substitutes.js';

/** A host semaphore set or queue at restore: it must still exist, or it is recreated from a snapshot. */
export type HostObjectChoice = 'live' | SnapshotSubstitute;

export interface HostObjectOptions {
  shm?: ShmSubstitutions;
  /** By semaphore set id: `'live'` or a snapshot to recreate it from (same id) when it is gone. */
  sem?: Readonly<Record<string, HostObjectChoice>>;
  /** By queue id, as `sem`. */
  msg?: Readonly<Record<string, HostObjectChoice>>;
}

interface Pending {
  dir: string;
  object: SnapshotObject;
  /** Original shmid of the attachments this segment serves. */
  shmid?: number;
}

export interface SysvRestorePlan {
  /** Original shmid -> live segment id, for attachments not recreated. */
  shmIds: Map<number, number>;
  pending: Pending[];
}

const snapshotDir = (sub: SnapshotSubstitute, imagesDir: string) => (sub === 'snapshot' ? imagesDir : sub.snapshot);

const NAMES: Record<IpcKind, string> = { shm: 'segment', sem: 'semaphore set', msg: 'message queue' };

/** Whether the attachment's own segment still lives (by id with its key, or by key). */
function originalLives(a: SysvAttachment, live: readonly ShmSegment[]): boolean {
  return live.some((s) => (s.id === a.shmid && (a.key === 0 || s.key === a.key)) || (a.key !== 0 && s.key === a.key));
}

async function planShm(
  attachments: readonly SysvAttachment[],
  subs: ShmSubstitutions,
  imagesDir: string,
): Promise<SysvRestorePlan> {
  const live = readShmSegments();
  const pending: Pending[] = [];
  for (const a of attachments) {
    const sub = substituteFor(a, subs);
    if (!isSnapshotSubstitute(sub) || originalLives(a, live)) continue;
    if (pending.some((p) => p.shmid === a.shmid)) continue;
    const dir = snapshotDir(sub, imagesDir);
    const object = await snapshotObject(dir, 'shm', a.shmid, 'restore');
    checkSubstitute(a, { ...object, removed: false, attachments: 0, cuid: 0, cgid: 0 });
    if (pageRound(object.size) !== rangeLength(a)) throw refuse(a, 'its snapshot has another size.');
    const taken = idTaken('shm', a.shmid, object.key);
    if (taken?.startsWith('another')) throw refuse(a, `it cannot be recreated from its snapshot: ${taken}.`);
    pending.push({ dir, object, shmid: a.shmid });
  }
  // The rest go to the live-segment planner: a snapshot substitute of a segment that lives on
  // means that segment ('same'); names of recreated segments only are no business of it.
  const recreated = attachments.filter((a) => pending.some((p) => p.shmid === a.shmid));
  const rest = attachments.filter((a) => !recreated.includes(a));
  const names = (k: string, a: SysvAttachment) => namesSegment(k, { id: a.shmid, key: a.key });
  const restSubs = Object.fromEntries(
    Object.entries(subs)
      .filter(([k]) => rest.some((a) => names(k, a)) || !recreated.some((a) => names(k, a)))
      .map(([k, v]) => [k, isSnapshotSubstitute(v) ? 'same' : v] as const),
  );
  const shmIds = planShmSubstitutes(rest, restSubs);
  return { shmIds, pending };
}

async function planHost(
  kind: 'sem' | 'msg',
  choices: Readonly<Record<string, HostObjectChoice>>,
  imagesDir: string,
): Promise<Pending[]> {
  const live = new Set(liveObjects(kind).map((o) => o.id));
  const pending: Pending[] = [];
  for (const [name, choice] of Object.entries(choices)) {
    const id = Number(name);
    if (live.has(id)) continue;
    if (choice === 'live') {
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        `SysV ${NAMES[kind]} ${id} is gone: the restored tree would use a stale id. Recreate it from a snapshot (sysv.${kind}['${id}'] = { snapshot: dir }, taken with snapshotSysv or checkpoint's sysv.snapshot).`,
        { operation: 'restore' },
      );
    }
    const dir = snapshotDir(choice, imagesDir);
    const object = await snapshotObject(dir, kind, id, 'restore');
    const taken = idTaken(kind, id, object.key);
    if (taken) {
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        `Cannot recreate SysV ${NAMES[kind]} ${id} from the snapshot in ${dir}: ${taken}. The restored tree uses this id: remove that object first.`,
        { operation: 'restore' },
      );
    }
    pending.push({ dir, object });
  }
  return pending;
}

/**
 * Resolves and checks every SysV choice of a restore (nothing is created yet). Throws
 * INVALID_SUBSTITUTION naming the object when one cannot be honoured.
 */
export async function planSysvRestore(
  section: SysvManifest | undefined,
  options: HostObjectOptions | undefined,
  imagesDir: string,
): Promise<SysvRestorePlan> {
  const subs = options?.shm ?? {};
  if (!section?.attachments.length && Object.keys(subs).length > 0) {
    throw new CriuError('INVALID_SUBSTITUTION', `sysv.shm names segments, but ${imagesDir} has no SysV attachments.`, {
      operation: 'restore',
    });
  }
  const plan = await planShm(section?.attachments ?? [], subs, imagesDir);
  plan.pending.push(...(await planHost('sem', options?.sem ?? {}, imagesDir)));
  plan.pending.push(...(await planHost('msg', options?.msg ?? {}, imagesDir)));
  return plan;
}

/**
 * Creates the planned objects; returns them and the full shmid map. On a failure the ones
 * created so far are removed and the error is thrown.
 */
export async function createPlanned(
  plan: SysvRestorePlan,
): Promise<{ shmIds: Map<number, number>; created: CreatedObject[] }> {
  const shmIds = new Map(plan.shmIds);
  const created: CreatedObject[] = [];
  try {
    for (const p of plan.pending) {
      const made = await recreateObject(p.dir, p.object, p.object.kind === 'shm');
      created.push(made);
      if (p.shmid !== undefined) shmIds.set(p.shmid, made.id);
    }
  } catch (error) {
    removeObjects(created);
    throw error;
  }
  return { shmIds, created };
}

export { type CreatedObject, removeObjects };
