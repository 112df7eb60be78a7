// The fd table of a simulated tree, by the same rules as the one read from /proc
// (src/fds/proc-fds.ts): an fd whose other end is outside the tree is left out, as is any fd
// the leave-out advice selects; keys are CRIU's.
import { externalKey, inheritKey } from '../fds/criu-keys.js';
import type { AccessMode, FdEntry, FdType } from '../fds/fd-entry.js';
import type { LeaveOutRule } from '../fds/proc-fds.js';
import type { SimFile } from './model.js';
import type { SimProcess } from './process.js';

const O_ACCMODE = 0o3;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;

function accessOf(flags: number): AccessMode {
  const acc = flags & O_ACCMODE;
  return acc === 0 ? 'r' : acc === 1 ? 'w' : 'rw';
}

function typeOf(file: SimFile): FdType {
  return file.kind;
}

function targetOf(file: SimFile): string {
  switch (file.kind) {
    case 'pipe':
      return `pipe:[${file.inode}]`;
    case 'unix':
      return `socket:[${file.inode}]`;
    case 'memfd':
      return `/memfd:${file.path ?? ''} (deleted)`;
    default:
      return file.path ?? `/proc/self/fd/${file.inode}`;
  }
}

export interface SimFdRow extends FdEntry {
  /** The open file behind the row (rows of fds sharing one point to the same object). */
  file: SimFile;
}

/** One row per fd of every task, tasks in tree order, fds ascending. */
export function simFdTable(tree: readonly SimProcess[], leaveOut?: LeaveOutRule): SimFdRow[] {
  const raw = tree.flatMap((task) =>
    [...task.fds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([fd, file]) => {
        const target = targetOf(file);
        return {
          pid: task.pid,
          fd,
          type: typeOf(file),
          target,
          path: file.kind === 'memfd' ? `/memfd:${file.path ?? ''}` : file.path,
          inode: file.inode,
          mountId: file.mountId,
          access: accessOf(file.flags),
          flags: file.flags,
          append: (file.flags & O_APPEND) !== 0,
          nonblock: (file.flags & O_NONBLOCK) !== 0,
          cloexec: false,
          position: file.position,
          uid: file.uid,
          gid: file.gid,
          mode: file.mode,
          size: file.size,
          file,
        };
      }),
  );
  const held = new Set(raw.filter((r) => r.type === 'unix').map((r) => r.inode));
  const treeHoldsPtyMaster = raw.some((r) => r.path === '/dev/ptmx');
  return raw.map((row) => {
    let peer: FdEntry['peer'];
    if (row.type === 'unix') {
      const inode = row.file.peer || undefined;
      peer = { inode, inTree: inode !== undefined && held.has(inode) };
    } else if (row.type === 'pipe') {
      peer = { inode: row.inode, inTree: raw.some((r) => r.inode === row.inode && r.access !== row.access) };
    } else if (row.type === 'tty' && row.path?.startsWith('/dev/pts/')) {
      peer = { inode: undefined, inTree: treeHoldsPtyMaster };
    }
    const { rdev, dev } = row.file;
    const ext = externalKey({ ...row, ...(rdev !== undefined && dev !== undefined ? { rdev, dev } : {}) });
    const outside = peer !== undefined && !peer.inTree && (peer.inode !== undefined || row.type === 'tty');
    const keyIf = (out: boolean) => (out && ext && row.type !== 'unix' ? ext : inheritKey(row));
    const { file, ...fields } = row;
    const asIs: FdEntry = { ...fields, peer, key: keyIf(outside), externalKey: ext, leftOut: outside };
    const leftOut = outside || (leaveOut?.(asIs) ?? false);
    return { ...asIs, key: keyIf(leftOut), leftOut, file };
  });
}

/** The rows without their file objects, as the manifest records them. */
export function plainRows(rows: readonly SimFdRow[]): FdEntry[] {
  return rows.map(({ file: _file, ...row }) => row);
}
