// What a checkpoint's restore will need: the fds, mappings and segment contents it left out, each
// with what restore() with default options does about it (refuses without a substitute, or gives
// a default). Computed by the same rules the restore applies, so the list cannot drift from them.
import { type FdEntry, type FdType, leftOutBy } from './fds/fd-entry.js';
import { type DefaultedFd, defaultOutsideFds } from './fds/outside-defaults.js';
import type { MappingEntry } from './fds/proc-maps.js';
import type { LeftOutContents } from './sysv/ipcns-contents.js';

/** An fd the checkpoint left out: restore refuses it without a substitute, or gives it a default. */
export interface FdNeed {
  /** An fd of a task. */
  kind: 'fd';
  /** The task's pid in the checkpoint's fd table (the pid `fds` names it by). */
  pid: number;
  /** The fd number in that task. */
  fd: number;
  /** The root's fd (substituted by `fds: { [fd]: sub }`; another task's by `fds: { [pid]: { [fd]: sub } }`). */
  root: boolean;
  /** What it was (the fd table's `type`): a substitute must serve it (a file, a pipe, a socket...). */
  type: FdType;
  /** CRIU's key of the resource: fds with the same key (stdio on one terminal) share one substitute. */
  key: string;
  /**
   * `'leaveOut'`: the checkpoint's `leaveOut` named it; `'outside'`: only its other end was
   * outside the tree (a parent's stdio pipe or socketpair).
   */
  why: 'leaveOut' | 'outside';
  /** `'required'`: restore() refuses (INVALID_SUBSTITUTION) unless `fds` substitutes it. */
  substitute: 'required' | 'optional';
  /**
   * What it becomes when `fds` names no substitute, with restore()'s default `outsideFds: 'pipe'`
   * (see DefaultedFd.became); undefined when a substitute is required.
   */
  default: DefaultedFd['became'] | undefined;
  /** Where the substitute goes in restore()'s options: `fds[3]`, or `fds[1234][5]` for another task. */
  option: string;
}

/** A shared file mapping left out by `leaveOutMappings`: restore refuses it without a substitute. */
export interface MappingNeed {
  /** A shared file mapping (POSIX shm, an mmap'ed file). */
  kind: 'mapping';
  /** The tasks that mapped it. */
  pids: number[];
  /** The mapped file's path at checkpoint. */
  path: string;
  /** CRIU's key of the mapping (`file[mnt:ino]`), the one it inherits the substitute by. */
  key: string;
  /** The file's size at checkpoint: a substitute must have it (CRIU checks it). */
  size: number;
  /** The file's st_mode at checkpoint: a substitute needs its permission bits unless `skipFileRwxCheck`. */
  mode: number;
  /** How it was mapped: a substitute must be openable so. */
  access: 'r' | 'rw';
  /** Named by the checkpoint's `leaveOutMappings`. */
  why: 'leaveOutMappings';
  /** restore() refuses (INVALID_SUBSTITUTION) unless `mappings` substitutes it. */
  substitute: 'required';
  /** `mappings['/dev/shm/x']`. */
  option: string;
}

/**
 * A SysV segment of the tree's own IPC namespace whose contents `sysv.leaveOutContents` left out:
 * restore refuses it unless refilled (`{ data }`, `Buffer.alloc(0)` for zeros, or a snapshot).
 */
export interface ShmContentsNeed {
  /** The contents of a SysV shared memory segment. */
  kind: 'shm-contents';
  /** The segment's id in the tree's IPC namespace. */
  id: number;
  /** Its IPC key. */
  key: number;
  /** Its size in bytes: a `{ data }` refill may be shorter (the rest is zeros), not longer. */
  size: number;
  /** Named by the checkpoint's `sysv.leaveOutContents`. */
  why: 'leaveOutContents';
  /** restore() refuses (INVALID_SUBSTITUTION) unless `sysv.shm` refills it. */
  substitute: 'required';
  /** `sysv.shm['32768']`. */
  option: string;
}

/** One thing a restore of the checkpoint must be given, or gives a default for. */
export type RestoreNeed = FdNeed | MappingNeed | ShmContentsNeed;

/** The needs of a checkpoint of root `pid` with these fd table, mappings and left-out contents. */
export function restoreNeeds(
  pid: number,
  fds: readonly FdEntry[],
  mappings: readonly MappingEntry[],
  contentsLeftOut: readonly LeftOutContents[] = [],
): RestoreNeed[] {
  // Exactly what the restore's fd concern defaults, with no `fds` and the default mode; like the
  // restore's check, a default given to a resource serves every fd of it (by key).
  const defaulted = new Map(defaultOutsideFds(fds, pid).defaulted.map((d) => [d.key, d.became]));
  const needs: RestoreNeed[] = fds
    .filter((e) => e.leftOut)
    .map((e) => {
      const became = defaulted.get(e.key);
      return {
        kind: 'fd',
        pid: e.pid,
        fd: e.fd,
        root: e.pid === pid,
        type: e.type,
        key: e.key,
        why: leftOutBy(e) === 'outside' ? 'outside' : 'leaveOut',
        substitute: became === undefined ? 'required' : 'optional',
        default: became,
        option: e.pid === pid ? `fds[${e.fd}]` : `fds[${e.pid}][${e.fd}]`,
      };
    });
  const byPath = new Map<string, MappingNeed>();
  for (const m of mappings) {
    if (!m.leftOut) continue;
    const known = byPath.get(m.path);
    if (known) known.pids.push(m.pid);
    else {
      const { path, key, size, mode, access } = m;
      byPath.set(path, {
        kind: 'mapping',
        pids: [m.pid],
        path,
        key,
        size,
        mode,
        access,
        why: 'leaveOutMappings',
        substitute: 'required',
        option: `mappings[${JSON.stringify(path)}]`,
      });
    }
  }
  needs.push(...byPath.values());
  for (const { id, key, size } of contentsLeftOut) {
    needs.push({
      kind: 'shm-contents',
      id,
      key,
      size,
      why: 'leaveOutContents',
      substitute: 'required',
      option: `sysv.shm['${id}']`,
    });
  }
  return needs;
}
