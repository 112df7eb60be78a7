// IPC-namespace mode at restore. A checkpoint of a tree with an IPC namespace of its own holds
// that namespace's objects; what they become is chosen here, per segment, before CRIU runs:
// - restoring into a new namespace (the default): CRIU recreates every object; a segment may be
//   renumbered (a number), or refilled before the tree runs ({ data }, a snapshot) — required
//   for one whose contents were left out at checkpoint;
// - restoring into an existing namespace (joinNs 'ipc'): nothing is recreated; every attached
//   range binds to the segment that lives there (same id, else same key; or the id or key
//   named), attached in the stopped tree as in host mode.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { loadNative } from '../native.js';
import type { ImageSet } from '../rewrite/rewrite.js';
import { bindToJoinedNamespace, renumberShm } from '../rewrite/sysv-edits.js';
import type { JoinNamespace, SysvRestoreOptions } from '../types.js';
import { formatKey } from './attachments.js';
import { ipcNamespaceOf, withNamespaceFd } from './ipc-namespace.js';
import { readMsgQueues, readSemSets, readShmSegments } from './ipc-table.js';
import type { ImageSegment, IpcNamespaceImages } from './ipcns-images.js';
import type { SysvManifest } from './manifest-section.js';
import { attachRestored } from './restore-attach.js';
import { readSnapshotManifest, snapshotObject } from './snapshot-format.js';
import {
  assertShmNamesKnown,
  isDataSubstitute,
  isSnapshotSubstitute,
  planShmSubstitutes,
  type SnapshotSubstitute,
  substituteOf,
} from './substitutes.js';

/** Bytes to write into a segment of the restored namespace before the tree runs. */
interface Refill {
  /** The segment's id in the restored namespace. */
  id: number;
  from: { data: Uint8Array } | { file: string; bytes: number };
}

export interface IpcNamespacePlan {
  /** Edits of the linked copy CRIU restores from. */
  edit(images: ImageSet): Promise<void>;
  /** Run once CRIU has restored the tree, stopped: refills, or attachments in the joined namespace. */
  complete(root: number): Promise<void>;
  /** Tasks to leave stopped when the tree is resumed. */
  stoppedBefore: number[];
}

function refuse(segment: ImageSegment, why: string): CriuError {
  return new CriuError(
    'INVALID_SUBSTITUTION',
    `Cannot restore SysV segment ${segment.id} (key ${formatKey(segment.key)}) of the checkpoint's IPC namespace: ${why}`,
    { operation: 'restore' },
  );
}

const NO_SUCH_SEGMENT = "the checkpoint's IPC namespace has no segment with that id or key";

/** The snapshot object a segment is refilled from: same id and key, else same (non-zero) key. */
async function snapshotRefill(segment: ImageSegment, sub: SnapshotSubstitute, imagesDir: string) {
  const dir = sub === 'snapshot' ? imagesDir : sub.snapshot;
  const objects = (await readSnapshotManifest(dir, 'restore'))?.objects ?? [];
  const match =
    objects.find((o) => o.kind === 'shm' && o.id === segment.id && o.key === segment.key) ??
    objects.find((o) => o.kind === 'shm' && segment.key !== 0 && o.key === segment.key);
  // Not found: snapshotObject explains what the snapshot has.
  const object = await snapshotObject(dir, 'shm', match?.id ?? segment.id, 'restore');
  if (object.size !== segment.size) {
    throw refuse(segment, `its snapshot in ${dir} has ${object.size} bytes; the segment has ${segment.size}.`);
  }
  return { file: join(dir, object.file), bytes: object.bytes };
}

async function planNewNamespace(
  ns: IpcNamespaceImages,
  section: SysvManifest | undefined,
  options: SysvRestoreOptions,
  imagesDir: string,
): Promise<IpcNamespacePlan | undefined> {
  const subs = options.shm ?? {};
  for (const kind of ['sem', 'msg'] as const) {
    if (Object.keys(options[kind] ?? {}).length > 0) {
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        `sysv.${kind} is for host-namespace objects; the checkpoint's IPC namespace is recreated by CRIU with its semaphore sets and queues.`,
        { operation: 'restore' },
      );
    }
  }
  assertShmNamesKnown(subs, ns.segments, NO_SUCH_SEGMENT);
  const leftOut = new Set((section?.contentsLeftOut ?? []).map((s) => s.id));
  const renumber = new Map<number, number>();
  const refills: Refill[] = [];
  for (const segment of ns.segments) {
    const sub = substituteOf(segment, subs);
    if (isDataSubstitute(sub)) {
      if (sub.data.length > segment.size) {
        throw refuse(segment, `its refill has ${sub.data.length} bytes; the segment has ${segment.size}.`);
      }
      refills.push({ id: segment.id, from: { data: sub.data } });
    } else if (isSnapshotSubstitute(sub)) {
      refills.push({ id: segment.id, from: await snapshotRefill(segment, sub, imagesDir) });
    } else if (typeof sub === 'number') {
      if (sub !== segment.id && ns.segments.some((s) => s.id === sub)) {
        throw refuse(segment, `the namespace already has a segment ${sub} to renumber it to.`);
      }
      if (leftOut.has(segment.id)) {
        throw refuse(segment, 'its contents were left out at checkpoint: refill it ({ data } or a snapshot) instead.');
      }
      renumber.set(segment.id, sub);
    } else if (sub !== 'same') {
      throw refuse(
        segment,
        '{ key } binds to a live segment, which exists only when the restore joins an IPC namespace (joinNs).',
      );
    } else if (leftOut.has(segment.id)) {
      throw refuse(
        segment,
        `its contents were left out at checkpoint. Refill it: sysv.shm['${segment.id}'] = { data } (Buffer.alloc(0) for zeros) or a snapshot.`,
      );
    }
  }
  if (renumber.size === 0 && refills.length === 0) return undefined;
  return {
    stoppedBefore: ns.stoppedBefore,
    async edit(images) {
      for (const [from, to] of renumber) if (from !== to) await renumberShm(images, from, to);
    },
    complete: (root) => refill(root, refills),
  };
}

/** Writes each refill into its segment in the IPC namespace of `root`. */
async function refill(root: number, refills: readonly Refill[]): Promise<void> {
  if (refills.length === 0) return;
  const native = loadNative();
  const scratch = await mkdtemp(join(tmpdir(), 'node-criu-refill-'));
  try {
    await withNamespaceFd(ipcNamespaceOf(root), async (nsFd) => {
      for (const [i, { id, from }] of refills.entries()) {
        let path: string;
        if ('data' in from) {
          path = join(scratch, String(i));
          await writeFile(path, from.data, { mode: 0o600 });
        } else {
          path = from.file;
        }
        const file = await open(path, 'r');
        try {
          const bytes = 'data' in from ? from.data.length : from.bytes;
          await native.shmCopy(id, file.fd, bytes, true, nsFd);
        } catch (error) {
          throw new CriuError('RESTORE_FAILED', `Could not refill SysV segment ${id}: ${(error as Error).message}`, {
            operation: 'restore',
            cause: error,
          });
        } finally {
          await file.close();
        }
      }
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function planJoined(ns: IpcNamespaceImages, options: SysvRestoreOptions, nsFile: string): IpcNamespacePlan {
  const subs = options.shm ?? {};
  assertShmNamesKnown(subs, ns.segments, NO_SUCH_SEGMENT);
  for (const [name, sub] of Object.entries(subs)) {
    if (isDataSubstitute(sub) || isSnapshotSubstitute(sub)) {
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        `sysv.shm['${name}']: joining an IPC namespace binds to the segments that live there; { data } and snapshots refill segments of a namespace the restore creates.`,
        { operation: 'restore' },
      );
    }
  }
  // Semaphore sets and queues are used by id from the tree's memory: they must live there.
  for (const [kind, read] of [
    ['sem', readSemSets],
    ['msg', readMsgQueues],
  ] as const) {
    const live = new Set(read(nsFile).map((o) => o.id));
    for (const [id, choice] of Object.entries(options[kind] ?? {})) {
      if (choice === 'live' && live.has(Number(id))) continue;
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        choice === 'live'
          ? `SysV ${kind === 'sem' ? 'semaphore set' : 'queue'} ${id} does not exist in the IPC namespace ${nsFile} the restore joins.`
          : `sysv.${kind}['${id}']: joining an IPC namespace uses the objects that live there ('live'); snapshots recreate objects of this process's namespace.`,
        { operation: 'restore' },
      );
    }
  }
  const shmIds = planShmSubstitutes(ns.attachments, subs, readShmSegments(nsFile));
  const section: SysvManifest = { attachments: ns.attachments, stoppedBefore: ns.stoppedBefore };
  return {
    stoppedBefore: ns.stoppedBefore,
    edit: bindToJoinedNamespace,
    complete: () => attachRestored(section, shmIds),
  };
}

/**
 * The plan for a checkpoint whose tree had an IPC namespace of its own, every choice checked;
 * undefined when there is nothing to do beyond CRIU's own restore of the namespace.
 */
export async function planIpcNamespaceRestore(
  ns: IpcNamespaceImages | undefined,
  section: SysvManifest | undefined,
  options: SysvRestoreOptions | undefined,
  joinNs: readonly JoinNamespace[] | undefined,
  imagesDir: string,
): Promise<IpcNamespacePlan | undefined> {
  if (!ns) return undefined;
  const joined = joinNs?.find((j) => j.ns === 'ipc');
  if (joined) return planJoined(ns, options ?? {}, joined.nsFile);
  return planNewNamespace(ns, section, options ?? {}, imagesDir);
}
