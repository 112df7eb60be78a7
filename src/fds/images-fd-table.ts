// The fd table of a checkpoint read from its images alone (for plain `criu dump` images, which
// have no node-criu manifest): ids-PID.img gives a task's files_id, fdinfo-<files_id>.img its fds
// (number, close-on-exec, type, file id) and files.img what each file object is. The rows have
// the shape of the manifest's table (FdEntry); what the images do not record is documented on
// fdTableFromImages.
import { isFieldSet } from '@bufbuild/protobuf';
import { FdType as CriuFdType, FdinfoEntrySchema, type FileEntry } from '../gen/criu_images_files_pb.js';
import { InventoryEntrySchema } from '../gen/criu_images_pb.js';
import { type TtyInfoEntry, TtyInfoEntrySchema, TtyType } from '../gen/criu_images_tty_pb.js';
import { type FileIndex, memfdInodeOf, readFileIndex, regOf } from '../inspect/file-index.js';
import { ImageSet } from '../inspect/image-set.js';
import { readTasks, type TaskFacts } from '../inspect/tasks.js';
import { externalKey, inheritKey } from './criu-keys.js';
import type { FdEntry, FdType } from './fd-entry.js';
import { O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDWR, S_IFCHR, S_IFDIR, S_IFMT, TTY_PATH } from './linux-constants.js';
import { accessOf } from './proc-fds.js';

/** fdinfo_entry.flags holds the fd flags: FD_CLOEXEC is bit 0. */
const FD_CLOEXEC = 1;
/** The modes the kernel gives the inodes it creates itself (pipefs, sockfs, anon inodes). */
const PIPE_MODE = 0o010600;
const SOCKET_MODE = 0o140777;
const ANON_INODE_MODE = 0o600;
/** An external file's name in files.img is its key (criu/files-reg.c: `file[%x:%lx]`). */
const EXTERNAL_FILE = /^file\[([0-9a-f]+):([0-9a-f]+)\]$/;

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

/** One row before the tree-wide facts (peers, left out, keys) are known. */
interface RawRow extends Omit<FdEntry, 'peer' | 'key' | 'externalKey' | 'leftOut'> {
  /** The file object is recorded as external (reg `ext`, an EXT_TTY tty). */
  external: boolean;
  /** For unix sockets: the peer's inode (0: none). */
  unixPeer: number;
  rdev: number | undefined;
  dev: number | undefined;
}

type Described = Omit<
  RawRow,
  'pid' | 'fd' | 'access' | 'flags' | 'append' | 'nonblock' | 'cloexec' | 'unixPeer' | 'external'
> & { fileFlags: number; external?: boolean; unixPeer?: number };

const UNKNOWN_OWNER = { uid: -1, gid: -1 };

function fileType(mode: number, path: string | undefined): FdType {
  if ((mode & S_IFMT) === S_IFDIR) return 'dir';
  if ((mode & S_IFMT) === S_IFCHR && path !== undefined && TTY_PATH.test(path)) return 'tty';
  return 'file';
}

function anon(name: string, type: FdType, flags: number, inode = 0): Described {
  return {
    type,
    target: `anon_inode:${name}`,
    path: undefined,
    inode,
    mountId: -1,
    fileFlags: flags,
    position: 0,
    ...UNKNOWN_OWNER,
    mode: ANON_INODE_MODE,
    size: 0,
    rdev: undefined,
    dev: undefined,
  };
}

function socket(type: FdType, inode: number, flags: number, unixPeer = 0): Described {
  return {
    type,
    target: `socket:[${inode}]`,
    path: undefined,
    inode,
    mountId: -1,
    fileFlags: flags,
    position: 0,
    ...UNKNOWN_OWNER,
    mode: SOCKET_MODE,
    size: 0,
    rdev: undefined,
    dev: undefined,
    unixPeer,
  };
}

/** A regular file, directory, FIFO or tty path from its reg entry (external files by their key). */
function regular(index: FileIndex, file: FileEntry): Described | undefined {
  const reg = regOf(index, file);
  if (!reg) return undefined;
  const external = reg.ext;
  const key = external ? EXTERNAL_FILE.exec(reg.name) : null;
  const path = external ? undefined : reg.name;
  const deleted = index.deleted.has(reg.id);
  return {
    type: fileType(reg.mode, path),
    target: path === undefined ? reg.name : deleted ? `${path} (deleted)` : path,
    path,
    inode: key?.[2] ? Number.parseInt(key[2], 16) : 0,
    mountId: key?.[1] ? Number.parseInt(key[1], 16) : reg.mntId >= 0 ? reg.mntId : -1,
    fileFlags: reg.flags,
    position: Number(reg.pos),
    ...UNKNOWN_OWNER,
    mode: reg.mode,
    size: Number(reg.size),
    rdev: undefined,
    dev: undefined,
    external,
  };
}

/** What one file object is, as far as the images tell. */
function describe(index: FileIndex, ttys: ReadonlyMap<number, TtyInfoEntry>, type: number, id: number): Described {
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

/** fdinfo-<files_id>.img when fdinfo images are per files id (inventory), else fdinfo-<pid>.img. */
function fdinfoImage(task: TaskFacts, perId: boolean): string | undefined {
  if (!perId) return `fdinfo-${task.pid}.img`;
  return task.ids ? `fdinfo-${task.ids.filesId}.img` : undefined;
}

/**
 * The fd table of already opened images (see fdTableFromImages), for callers that read other
 * images of the same checkpoint too.
 */
export async function fdTableFromImageSet(
  images: ImageSet,
  tasks: readonly TaskFacts[],
  files: FileIndex,
): Promise<FdEntry[]> {
  const inventory = await images.first('inventory.img', InventoryEntrySchema);
  const perId = inventory?.fdinfoPerId ?? true;
  const ttys = new Map((await images.messages('tty-info.img', TtyInfoEntrySchema)).map((t) => [t.id, t]));
  const raw: RawRow[] = [];
  for (const task of tasks) {
    const name = fdinfoImage(task, perId);
    if (name === undefined) continue;
    const fds = (await images.messages(name, FdinfoEntrySchema)).sort((a, b) => a.fd - b.fd);
    for (const fdinfo of fds) {
      const { fileFlags, external, unixPeer, ...described } = describe(files, ttys, fdinfo.type, fdinfo.id);
      const cloexec = (fdinfo.flags & FD_CLOEXEC) !== 0;
      const flags = (fileFlags | (cloexec ? O_CLOEXEC : 0)) >>> 0;
      raw.push({
        pid: task.pid,
        fd: fdinfo.fd,
        ...described,
        access: accessOf(flags),
        flags,
        append: (flags & O_APPEND) !== 0,
        nonblock: (flags & O_NONBLOCK) !== 0,
        cloexec,
        external: external ?? false,
        unixPeer: unixPeer ?? 0,
      });
    }
  }
  // The same tree-wide rules as the table read from /proc (src/fds/proc-fds.ts readTreeFds).
  const heldSockets = new Set(raw.filter((r) => r.type === 'unix').map((r) => r.inode));
  const treeHoldsPtyMaster = raw.some((r) => r.path === '/dev/ptmx' || r.path?.startsWith('/dev/pts/ptmx'));
  return raw.map(({ external, unixPeer, rdev, dev, ...row }) => {
    let peer: FdEntry['peer'];
    let leftOut = external;
    if (row.type === 'unix') {
      const inode = unixPeer || undefined;
      peer = { inode, inTree: inode !== undefined && heldSockets.has(inode) };
      leftOut = inode !== undefined && !peer.inTree;
    } else if (row.type === 'pipe') {
      const inTree = raw.some((r) => r.type === 'pipe' && r.inode === row.inode && r.access !== row.access);
      peer = { inode: row.inode, inTree };
      leftOut = !inTree;
    } else if (row.type === 'tty' && row.path?.startsWith('/dev/pts/')) {
      peer = { inode: undefined, inTree: treeHoldsPtyMaster };
    }
    const knownFile = row.inode > 0 && row.mountId >= 0;
    const ext =
      (row.type === 'file' || row.type === 'fifo') && !knownFile
        ? undefined
        : externalKey({ ...row, ...(rdev !== undefined && dev !== undefined ? { rdev, dev } : {}) });
    const key = leftOut && ext && row.type !== 'unix' ? ext : inheritKey(row);
    return { ...row, peer, key, externalKey: ext, leftOut };
  });
}

/**
 * The fd table of the checkpoint in `imagesDir`, from its images only: one row per fd of every
 * task, tasks in pstree order, fds ascending. Works for plain `criu dump` images.
 *
 * Derived exactly: pid, fd, type, access, flags (the file's open flags plus O_CLOEXEC from the fd
 * flags), append, nonblock, cloexec, position (regular files, memfds), inode of pipes, FIFOs,
 * sockets, memfds and pidfds, path and target of files, dirs, FIFOs, ttys and memfds, mode of
 * files (reg `mode`) and memfds, size where CRIU recorded it (files it checks the size of,
 * memfds), peers of unix sockets and pipes, `key`, `leftOut` and `externalKey` as below.
 *
 * Not recorded in the images, so given a fixed value:
 * - uid and gid: -1, except memfds (their inode) and ttys (tty-info) that record them;
 * - mountId: -1 unless recorded (reg `mnt_id`, only in dumps of a mount namespace, or the key of
 *   an external file);
 * - inode of regular files and dirs (0; an external file's comes from its key), and the mode of
 *   pipes, sockets and anon inodes is the kernel's fixed one (0o10600, 0o140777, 0o600);
 * - target of ns files (`ipc:[?]`) and of packet sockets (`socket:[0]`);
 * - size of files CRIU did not check (written with O_APPEND, dirs, devices): 0.
 *
 * Tree-wide facts follow the rules of the table read from /proc: a unix socket's peer is in the
 * tree iff some task of the images holds a unix socket of the peer's inode; a pipe's iff some
 * task holds the pipe with the other access; a pty slave's iff some task holds /dev/ptmx. An fd is
 * `leftOut` when CRIU recorded its resource as external (a reg or FIFO entry with `ext`, whose
 * name is the `file[MNT:INO]` key; a tty of type EXT_TTY), or when its other end is not in the
 * images (a unix socket whose peer is not in the tree, a pipe whose other end is not): fds left
 * out by choice whose other end is in the tree cannot be told apart. `externalKey` needs the
 * mount id and inode for files and FIFOs (so it is undefined for most of them), tty-info's rdev
 * and dev for ttys. `key` is the external key for left-out fds (but unix sockets, and pipes,
 * which have none), else inheritKey.
 */
export async function fdTableFromImages(imagesDir: string): Promise<FdEntry[]> {
  const images = await ImageSet.open(imagesDir);
  return fdTableFromImageSet(images, await readTasks(images), await readFileIndex(images));
}
