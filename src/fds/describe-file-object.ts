// What one file object of a checkpoint's files.img is, as the partial row of the fds that refer
// to it, for each CRIU fd type (fdinfo_entry.type).
import { isFieldSet } from '@bufbuild/protobuf';
import { FdType as CriuFdType } from '../gen/criu_images_files_pb.js';
import { type TtyInfoEntry, TtyInfoEntrySchema, TtyType } from '../gen/criu_images_tty_pb.js';
import { type FileIndex, memfdInodeOf } from '../inspect/file-index.js';
import type { Described } from './image-fd-row.js';
import { anon, regular, socket } from './image-file-rows.js';
import { O_RDWR, S_IFCHR, TTY_PATH } from './linux-constants.js';

/** The mode the kernel gives the inodes of pipefs. */
const PIPE_MODE = 0o010600;

/** Namespace names by CLONE_NEW* flag, for ns files (an fd opened on /proc/PID/ns/X). */
const NS_NAMES: Record<number, string> = {
  131072: 'mnt',
  67108864: 'uts',
  134217728: 'ipc',
  268435456: 'user',
  536870912: 'pid',
  1073741824: 'net',
  33554432: 'cgroup',
  128: 'time',
};

/** What one file object is, as far as the images tell. */
export function describeFileObject(
  index: FileIndex,
  ttys: ReadonlyMap<number, TtyInfoEntry>,
  type: number,
  id: number,
): Described {
  const file = index.files.get(id);
  const missing: Described = { ...anon(`[criu fd type ${type}]`, 'other', 0), target: `criu-file:[${id}]` };
  if (!file) return missing;
  switch (type) {
    case CriuFdType.REG:
      return regular(index, file) ?? missing;
    case CriuFdType.PIPE: {
      const inode = file.pipe?.pipeId ?? 0;
      return {
        ...anon('', 'pipe', file.pipe?.flags ?? 0),
        target: `pipe:[${inode}]`,
        inode,
        mode: PIPE_MODE,
      };
    }
    case CriuFdType.FIFO: {
      const row = regular(index, file);
      if (!row) return missing;
      return { ...row, type: 'fifo', inode: file.fifo?.pipeId ?? row.inode };
    }
    case CriuFdType.INETSK:
      return socket('inet', file.isk?.ino ?? 0, file.isk?.flags ?? O_RDWR);
    case CriuFdType.UNIXSK:
      return socket('unix', file.usk?.ino ?? 0, file.usk?.flags ?? O_RDWR, file.usk?.peer ?? 0);
    case CriuFdType.PACKETSK:
      return socket('socket', 0, file.psk?.flags ?? O_RDWR);
    case CriuFdType.NETLINKSK:
      return socket('socket', file.nlsk?.ino ?? 0, file.nlsk?.flags ?? O_RDWR);
    case CriuFdType.EVENTFD:
      return anon('[eventfd]', 'eventfd', file.efd?.flags ?? 0);
    case CriuFdType.EVENTPOLL:
      return anon('[eventpoll]', 'epoll', file.epfd?.flags ?? 0);
    case CriuFdType.INOTIFY:
      return anon('inotify', 'inotify', file.ify?.flags ?? 0);
    case CriuFdType.FANOTIFY:
      return anon('[fanotify]', 'other', file.ffy?.flags ?? 0);
    case CriuFdType.SIGNALFD:
      return anon('[signalfd]', 'signalfd', file.sgfd?.flags ?? 0);
    case CriuFdType.TIMERFD:
      return anon('[timerfd]', 'timerfd', file.tfd?.flags ?? 0);
    case CriuFdType.PIDFD:
      return anon('[pidfd]', 'pidfd', file.pidfd?.flags ?? 0, file.pidfd?.ino ?? 0);
    case CriuFdType.BPFMAP:
      return { ...anon('bpf-map', 'other', file.bpf?.flags ?? 0), position: Number(file.bpf?.pos ?? 0n) };
    case CriuFdType.MEMFD: {
      const inode = memfdInodeOf(index, file);
      const path = inode ? `/memfd:${inode.name}` : undefined;
      return {
        type: 'memfd',
        target: path ? `${path} (deleted)` : `criu-file:[${id}]`,
        path,
        inode: inode?.shmid ?? 0,
        mountId: -1,
        fileFlags: file.memfd?.flags ?? 0,
        position: Number(file.memfd?.pos ?? 0n),
        uid: inode?.uid ?? -1,
        gid: inode?.gid ?? -1,
        mode: inode?.mode ?? 0,
        size: Number(inode?.size ?? 0n),
        rdev: undefined,
        dev: undefined,
      };
    }
    case CriuFdType.TTY: {
      const info = ttys.get(file.tty?.ttyInfoId ?? -1);
      const row = regular(index, file);
      const key = info ? `tty[${info.rdev.toString(16)}:${info.dev.toString(16)}]` : `criu-file:[${id}]`;
      const owned = info && isFieldSet(info, TtyInfoEntrySchema.field.uid);
      return {
        ...(row ?? { ...anon('', 'tty', 0), target: key, mode: S_IFCHR }),
        type: row?.path !== undefined && !TTY_PATH.test(row.path) ? 'file' : 'tty',
        fileFlags: file.tty?.flags ?? row?.fileFlags ?? 0,
        uid: info && owned ? info.uid : -1,
        gid: info && owned ? info.gid : -1,
        rdev: info?.rdev,
        dev: info?.dev,
        external: info?.type === TtyType.EXT_TTY,
      };
    }
    case CriuFdType.NS: {
      const name = NS_NAMES[file.nsf?.nsCflag ?? 0] ?? 'ns';
      return { ...anon('', 'other', file.nsf?.flags ?? 0), target: `${name}:[?]` };
    }
    case CriuFdType.TUNF:
      return {
        ...anon('', 'file', O_RDWR),
        target: '/dev/net/tun',
        path: '/dev/net/tun',
        mode: S_IFCHR | 0o666,
      };
    default:
      return missing;
  }
}
