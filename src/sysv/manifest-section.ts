// The `sysv` section of a checkpoint's manifest: host-namespace attachments left out of the
// images, which tasks were stopped before the checkpoint (they are restored stopped), and the
// objects snapshotted with it.
import { CriuError } from '../errors.js';
import type { SysvAttachment } from './attachments.js';
import type { LeftOutContents } from './ipcns-contents.js';

/** The manifest's `sysv` section (Manifest.sysv). */
export interface SysvManifest {
  /** Segments detached before CRIU ran: their contents are not in the images. */
  attachments: SysvAttachment[];
  /** Tasks that were already stopped (SIGSTOP) at checkpoint; every other task is resumed. */
  stoppedBefore: number[];
  /** Objects snapshotted into the images dir (sysv-snapshot.json and sysv-<kind>-<id>.bin). */
  snapshot?: { kind: 'shm' | 'sem' | 'msg'; id: number }[];
  /** IPC-namespace mode: segments whose contents were left out of the images. */
  contentsLeftOut?: LeftOutContents[];
}

function isLeftOut(v: unknown): boolean {
  const e = v as Partial<LeftOutContents> | null;
  return typeof e === 'object' && e !== null && isInt(e.id) && isInt(e.key) && isInt(e.size);
}

function isSnapshotEntry(v: unknown): boolean {
  const e = v as { kind?: unknown; id?: unknown } | null;
  return (
    typeof e === 'object' && e !== null && (e.kind === 'shm' || e.kind === 'sem' || e.kind === 'msg') && isInt(e.id)
  );
}

const HEX = /^[0-9a-f]{1,16}$/;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isAttachment(v: unknown): v is SysvAttachment {
  const a = v as Partial<SysvAttachment> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    isInt(a.pid) &&
    typeof a.start === 'string' &&
    HEX.test(a.start) &&
    typeof a.end === 'string' &&
    HEX.test(a.end) &&
    BigInt(`0x${a.end}`) > BigInt(`0x${a.start}`) &&
    isInt(a.shmid) &&
    isInt(a.key) &&
    (a.access === 'r' || a.access === 'rw') &&
    typeof a.exec === 'boolean' &&
    isInt(a.size) &&
    isInt(a.uid)
  );
}

/** The manifest's sysv section, checked (it drives syscalls at restore); undefined if absent. */
export function sysvSection(manifest: { sysv?: unknown } | undefined, dir: string): SysvManifest | undefined {
  const section = manifest?.sysv as Partial<SysvManifest> | undefined;
  if (section === undefined) return undefined;
  if (
    typeof section !== 'object' ||
    section === null ||
    !Array.isArray(section.attachments) ||
    !section.attachments.every(isAttachment) ||
    !Array.isArray(section.stoppedBefore) ||
    !section.stoppedBefore.every(isInt) ||
    (section.snapshot !== undefined &&
      (!Array.isArray(section.snapshot) || !section.snapshot.every(isSnapshotEntry))) ||
    (section.contentsLeftOut !== undefined &&
      (!Array.isArray(section.contentsLeftOut) || !section.contentsLeftOut.every(isLeftOut)))
  ) {
    throw new CriuError('IMAGE_INTEGRITY', `The manifest of ${dir} has a malformed sysv section.`, {
      operation: 'restore',
    });
  }
  return section as SysvManifest;
}
