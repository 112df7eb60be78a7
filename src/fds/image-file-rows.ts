// The partial fd rows (Described) of the file objects several CRIU fd types share: anon inodes,
// sockets, and reg entries (regular files, dirs, FIFOs, tty paths, external files).
import type { FileEntry } from '../gen/criu_images_files_pb.js';
import { type FileIndex, regOf } from '../inspect/file-index.js';
import type { FdType } from './fd-entry.js';
import type { Described } from './image-fd-row.js';
import { S_IFCHR, S_IFDIR, S_IFMT, TTY_PATH } from './linux-constants.js';

/** The modes the kernel gives the inodes it creates itself (sockfs, anon inodes). */
const SOCKET_MODE = 0o140777;
const ANON_INODE_MODE = 0o600;
/** An external file's name in files.img is its key (criu/files-reg.c: `file[%x:%lx]`). */
const EXTERNAL_FILE = /^file\[([0-9a-f]+):([0-9a-f]+)\]$/;

const UNKNOWN_OWNER = { uid: -1, gid: -1 };

function fileType(mode: number, path: string | undefined): FdType {
  if ((mode & S_IFMT) === S_IFDIR) return 'dir';
  if ((mode & S_IFMT) === S_IFCHR && path !== undefined && TTY_PATH.test(path)) return 'tty';
  return 'file';
}

/** An anon inode (`anon_inode:NAME`), also the base other kinds override. */
export function anon(name: string, type: FdType, flags: number, inode = 0): Described {
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

export function socket(type: FdType, inode: number, flags: number, unixPeer = 0): Described {
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
export function regular(index: FileIndex, file: FileEntry): Described | undefined {
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
