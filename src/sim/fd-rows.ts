// The fd table of a simulated tree: rows from the model, completed by the same tree-wide rules
// (src/fds/tree-rules.ts) as the table read from /proc.
import type { FdEntry } from '../fds/fd-entry.js';
import { O_APPEND, O_NONBLOCK } from '../fds/linux-constants.js';
import { accessOf } from '../fds/proc-fds.js';
import { applyTreeRules, type LeaveOutRule } from '../fds/tree-rules.js';
import type { SimFile } from './model.js';
import type { SimProcess } from './process.js';

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
          type: file.kind,
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
  const rows = raw.map(({ file, ...row }) => ({ ...row, rdev: file.rdev, dev: file.dev }));
  const table = applyTreeRules(rows, (_row, i) => raw[i]?.file.peer, leaveOut);
  return table.map((entry, i) => ({ ...entry, file: (raw[i] as (typeof raw)[number]).file }));
}

/** The rows without their file objects, as the manifest records them. */
export function plainRows(rows: readonly SimFdRow[]): FdEntry[] {
  return rows.map(({ file: _file, ...row }) => row);
}
