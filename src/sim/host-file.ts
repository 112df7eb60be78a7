// Describes a real fd of this process (a file given as a child's stdio or as a substitute) as
// the simulator's open file: path, inode, mount, mode and size from the host, like /proc would.
import { fstatSync, readFileSync, readlinkSync } from 'node:fs';
import type { SimFile } from './model.js';

const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const TTY_PATH = /^\/dev\/(pts\/\d+|tty\w*|console)$/;

/** What fd `fd` of this process is; `owned`: the file closes it when released. */
export function hostFile(fd: number, owned: boolean, fallbackFlags: number): SimFile {
  const st = fstatSync(fd);
  let path: string | undefined;
  let flags = fallbackFlags;
  let mountId = 0;
  try {
    path = readlinkSync(`/proc/self/fd/${fd}`);
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    flags = Number.parseInt(/^flags:\s*(\d+)/m.exec(info)?.[1] ?? '', 8) || fallbackFlags;
    mountId = Number(/^mnt_id:\s*(\d+)/m.exec(info)?.[1] ?? 0);
  } catch {
    // No /proc (macOS): the path stays unknown, the access mode is the caller's.
  }
  const type = st.mode & S_IFMT;
  const kind: SimFile['kind'] =
    type === S_IFSOCK
      ? 'unix'
      : type === S_IFIFO && path?.startsWith('pipe:')
        ? 'pipe'
        : type === S_IFCHR && path !== undefined && TTY_PATH.test(path)
          ? 'tty'
          : 'file';
  return {
    kind,
    inode: st.ino,
    mountId,
    path: path?.startsWith('/') ? path : undefined,
    flags: flags & ~0o2000000,
    position: 0,
    mode: st.mode,
    size: kind === 'file' ? st.size : 0,
    uid: st.uid,
    gid: st.gid,
    // Its other end, if it has one, is outside the simulator.
    peer: kind === 'unix' || kind === 'pipe' ? 0 : undefined,
    rdev: st.rdev,
    dev: st.dev,
    host: { fd, owned },
    refs: 0,
  };
}
