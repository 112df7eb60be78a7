// The simulator's host IPC namespace: SysV shared memory segments whose bytes are Buffers that
// every attached process shares, as the kernel's shm pages are.
import { CriuError } from '../errors.js';
import { pageAlign } from './model.js';

/** A SysV shared memory segment of the simulator's host IPC namespace. */
export interface SimSegment {
  /** Its shmid. */
  id: number;
  /** Its key (0 for IPC_PRIVATE). */
  key: number;
  /** The size asked for at shmget; `data` is that rounded up to whole pages. */
  size: number;
  /** Its permission bits. */
  mode: number;
  /** Its contents, shared by every process that has it attached. */
  data: Buffer;
}

/** The simulator's host IPC namespace (SimWorld.sysv): its SysV shared memory segments. */
export class SimSysv {
  readonly #segments = new Map<number, SimSegment>();
  #nextId: number;

  /** An empty namespace whose first segment gets id `firstId`. */
  constructor(firstId = 0) {
    this.#nextId = firstId;
  }

  /** shmget(key, size, IPC_CREAT | IPC_EXCL | mode); key 0 is IPC_PRIVATE. */
  create(key: number, size: number, mode = 0o600): SimSegment {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('A segment needs a positive size.');
    if (key !== 0 && this.byKey(key)) throw new RangeError(`A segment with key ${key} exists already (EEXIST).`);
    let id = this.#nextId;
    while (this.#segments.has(id)) id++;
    this.#nextId = id + 1;
    const segment = { id, key, size, mode, data: Buffer.alloc(pageAlign(size)) };
    this.#segments.set(id, segment);
    return segment;
  }

  /** The segment with this id, if it exists. */
  get(id: number): SimSegment | undefined {
    return this.#segments.get(id);
  }

  /** The segment with this key, if one has it (never for IPC_PRIVATE, key 0). */
  byKey(key: number): SimSegment | undefined {
    return key === 0 ? undefined : [...this.#segments.values()].find((s) => s.key === key);
  }

  /** shmctl(IPC_RMID): attached processes keep their mapping of the bytes. */
  remove(id: number): boolean {
    return this.#segments.delete(id);
  }

  /** Every segment. */
  list(): SimSegment[] {
    return [...this.#segments.values()];
  }
}

/** What a segment of the checkpoint becomes at restore. */
export type SimShmSubstitute = number | { key: number } | { data: Uint8Array } | 'same';

/** The live segment to attach in place of `shmid` (by id, else by key), or INVALID_SUBSTITUTION. */
export function resolveSegment(
  sysv: SimSysv,
  shmid: number,
  size: number,
  writable: boolean,
  sub: SimShmSubstitute = 'same',
): SimSegment {
  if (typeof sub === 'object' && 'data' in sub) {
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `SysV segment ${shmid}: { data } refills a segment of a checkpoint with an IPC namespace of its own; here name a live segment.`,
      { operation: 'restore' },
    );
  }
  const segment = sub === 'same' ? sysv.get(shmid) : typeof sub === 'number' ? sysv.get(sub) : sysv.byKey(sub.key);
  const named = sub === 'same' ? `segment ${shmid}` : typeof sub === 'number' ? `segment ${sub}` : `key ${sub.key}`;
  const fail = (why: string) =>
    new CriuError('INVALID_SUBSTITUTION', `SysV segment ${shmid} cannot be attached at restore: ${why}.`, {
      operation: 'restore',
    });
  if (!segment) throw fail(`${named} does not exist; give a live substitute (sysv.shm)`);
  if (segment.data.byteLength < size) {
    throw fail(`${named} has ${segment.data.byteLength} bytes, the mapping needs ${size}`);
  }
  if (writable && (segment.mode & 0o200) === 0) throw fail(`${named} is not writable, the mapping is`);
  return segment;
}
