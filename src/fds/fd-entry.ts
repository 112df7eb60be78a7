// One row of a checkpoint's fd table: what an fd of a task was, and how CRIU names it.

/** What kind of object an fd refers to, as read from /proc (`'other'` for anything else). */
export type FdType =
  | 'file'
  | 'dir'
  | 'pipe'
  | 'fifo'
  | 'unix'
  | 'inet'
  | 'socket'
  | 'tty'
  | 'memfd'
  | 'eventfd'
  | 'epoll'
  | 'timerfd'
  | 'signalfd'
  | 'inotify'
  | 'pidfd'
  | 'io_uring'
  | 'other';

/** How an fd was opened: read-only, write-only or read-write. */
export type AccessMode = 'r' | 'w' | 'rw';

/** One fd of one task of a checkpointed tree, read from /proc while CRIU had the tree frozen. */
export interface FdEntry {
  /** The task that holds it. */
  pid: number;
  /** Its number in that task. */
  fd: number;
  /** What kind of object it refers to. */
  type: FdType;
  /** What /proc/PID/fd/N points to: a path, or `pipe:[ino]`, `socket:[ino]`, `anon_inode:[...]`. */
  target: string;
  /** The path of files, dirs, FIFOs, ttys and memfds. */
  path: string | undefined;
  /** The object's inode number (a pipe's or socket's too). */
  inode: number;
  /** The mount the object is on (/proc/PID/fdinfo's mnt_id): CRIU's file keys name it. */
  mountId: number;
  /** How it was opened. */
  access: AccessMode;
  /** The open flags in octal as the kernel shows them (O_APPEND, O_NONBLOCK, ...). */
  flags: number;
  /** O_APPEND was set. */
  append: boolean;
  /** O_NONBLOCK was set. */
  nonblock: boolean;
  /** Close-on-exec was set. */
  cloexec: boolean;
  /** The file position (0 for objects without one). */
  position: number;
  /** The object's owner. */
  uid: number;
  /** The object's group. */
  gid: number;
  /** st_mode of the object (type and permission bits). */
  mode: number;
  /** The object's size in bytes (st_size) at checkpoint. */
  size: number;
  /** For sockets: the peer's inode, and whether a task of the tree holds it. For pipes: whether the tree holds the other end. */
  peer: { inode: number | undefined; inTree: boolean } | undefined;
  /** CRIU's inherit-fd key for this resource, e.g. `pipe:[123]`, `socket:[456]`, `tmp/log`. */
  key: string;
  /** The key that makes CRIU treat it as external at dump (`unix[ino]`, `file[mnt:ino]`, `tty[rdev:dev]`), if it has one. */
  externalKey: string | undefined;
  /** True when the fd is not saved by the checkpoint: the restorer must substitute it. */
  leftOut: boolean;
  /**
   * Why it was left out: `'advice'` when the checkpoint's `leaveOut` named it (a restore must
   * substitute it), `'outside'` when only its other end was outside the tree (a restore without
   * a substitute gives it a default, see RestoreOptions.outsideFds). Absent in fd tables written
   * before this field existed: read it through {@link leftOutBy}.
   */
  leftOutBy?: 'advice' | 'outside' | undefined;
}

/** Why `entry` was left out (undefined: it was dumped); old tables count as advised. */
export function leftOutBy(entry: FdEntry): 'advice' | 'outside' | undefined {
  if (!entry.leftOut) return undefined;
  return entry.leftOutBy ?? 'advice';
}
