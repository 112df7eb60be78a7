// Reads the fd table of a live process tree from /proc (the tree should be frozen or idle).
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { externalKey, inheritKey } from './criu-keys.js';
import type { AccessMode, FdEntry, FdType } from './fd-entry.js';
import {
  O_ACCMODE,
  O_APPEND,
  O_CLOEXEC,
  O_NONBLOCK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFMT,
  TTY_PATH,
} from './linux-constants.js';
import { unixPeers } from './unix-peers.js';

const ANON_TYPES: Record<string, FdType> = {
  'anon_inode:[eventfd]': 'eventfd',
  'anon_inode:[eventpoll]': 'epoll',
  'anon_inode:[timerfd]': 'timerfd',
  'anon_inode:[signalfd]': 'signalfd',
  'anon_inode:inotify': 'inotify',
  'anon_inode:[pidfd]': 'pidfd',
  'anon_inode:[io_uring]': 'io_uring',
};

/** Every pid of the tree rooted at `root`, root first, children in /proc order. */
export async function treePids(root: number): Promise<number[]> {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i] as number;
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const tid of tasks) {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
      for (const child of text.split(/\s+/).filter(Boolean)) pids.push(Number(child));
    }
  }
  return pids;
}

async function socketFamilies(): Promise<{ unix: Set<number>; inet: Set<number> }> {
  const inodes = async (file: string, column: number) => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[column]))
      .filter((n) => Number.isInteger(n) && n > 0);
  };
  const unix = new Set(await inodes('/proc/net/unix', 6));
  const inet = new Set<number>();
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6'])
    for (const n of await inodes(`/proc/net/${table}`, 9)) inet.add(n);
  return { unix, inet };
}

function classify(
  target: string,
  mode: number,
  families: { unix: Set<number>; inet: Set<number> },
  ino: number,
): FdType {
  if (target.startsWith('pipe:[')) return 'pipe';
  if (target.startsWith('socket:['))
    return families.unix.has(ino) ? 'unix' : families.inet.has(ino) ? 'inet' : 'socket';
  if (target.startsWith('anon_inode:')) return ANON_TYPES[target] ?? 'other';
  if (target.startsWith('/memfd:')) return 'memfd';
  if (!target.startsWith('/')) return 'other';
  const kind = mode & S_IFMT;
  if (kind === S_IFDIR) return 'dir';
  if (kind === S_IFIFO) return 'fifo';
  if (kind === S_IFCHR && TTY_PATH.test(target)) return 'tty';
  return 'file';
}

/** The access mode in open flags (as /proc/PID/fdinfo shows them, in octal). */
export function accessOf(flags: number): AccessMode {
  const acc = flags & O_ACCMODE;
  return acc === 0 ? 'r' : acc === 1 ? 'w' : 'rw';
}

/** One raw row before the tree-wide facts (peers, leave-out) are known. */
async function readFd(pid: number, fd: number, families: Awaited<ReturnType<typeof socketFamilies>>) {
  const base = `/proc/${pid}/fd/${fd}`;
  const target = await readlink(base);
  const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(info)?.[1];
  const flags = Number.parseInt(String(field('flags') ?? '0'), 8);
  const st = await stat(base).catch(() => undefined);
  const ino = st?.ino ?? 0;
  const type = classify(target, st?.mode ?? 0, families, ino);
  return {
    pid,
    fd,
    type,
    target,
    path: target.startsWith('/') ? target.replace(/ \(deleted\)$/, '') : undefined,
    inode: ino,
    mountId: Number(field('mnt_id') ?? 0),
    access: accessOf(flags),
    flags,
    append: (flags & O_APPEND) !== 0,
    nonblock: (flags & O_NONBLOCK) !== 0,
    cloexec: (flags & O_CLOEXEC) !== 0,
    position: Number(field('pos') ?? 0),
    uid: st?.uid ?? 0,
    gid: st?.gid ?? 0,
    mode: st?.mode ?? 0,
    size: st?.size ?? 0,
    rdev: st?.rdev ?? 0,
    dev: st?.dev ?? 0,
  };
}

/** Sees each row as it would be without the advice (`leftOut` true only if detected as outside). */
export type LeaveOutRule = (entry: FdEntry) => boolean;

/**
 * The fd table of the tree rooted at `root`. An fd whose other end is outside the tree (a
 * parent's stdio socketpair or pipe) is left out, as is any fd `leaveOut` selects.
 */
export async function readTreeFds(root: number, leaveOut?: LeaveOutRule): Promise<FdEntry[]> {
  const pids = await treePids(root);
  const families = await socketFamilies();
  const raw: Awaited<ReturnType<typeof readFd>>[] = [];
  for (const pid of pids) {
    const fds = (await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])).map(Number).sort((a, b) => a - b);
    for (const fd of fds) {
      const row = await readFd(pid, fd, families).catch(() => undefined); // closed meanwhile
      if (row) raw.push(row);
    }
  }
  // Asked only when there are unix sockets: it runs `ss`.
  const peers = raw.some((r) => r.type === 'unix') ? await unixPeers() : new Map<number, number>();
  // Socket inodes only: a file's inode on another filesystem may carry the same number.
  const held = new Set(raw.filter((r) => r.type === 'unix').map((r) => r.inode));
  // A pty slave's other end is the master, reached through /dev/ptmx: held by the tree or not.
  const treeHoldsPtyMaster = raw.some((r) => r.target === '/dev/ptmx' || r.target.startsWith('/dev/pts/ptmx'));
  return raw.map(({ rdev, dev, ...row }) => {
    let peer: FdEntry['peer'];
    if (row.type === 'unix') {
      const inode = peers.get(row.inode) || undefined;
      peer = { inode, inTree: inode !== undefined && held.has(inode) };
    } else if (row.type === 'pipe') {
      // Both ends of a pipe share its inode: the tree holds the other end if it has the opposite access.
      const inTree = raw.some((r) => r.inode === row.inode && r.access !== row.access);
      peer = { inode: row.inode, inTree };
    } else if (row.type === 'tty' && row.target.startsWith('/dev/pts/')) {
      peer = { inode: undefined, inTree: treeHoldsPtyMaster };
    }
    const ext = externalKey({ ...row, rdev, dev });
    // An unconnected socket (no peer inode) has nothing outside; a pty slave's master has no inode here.
    const outside = peer !== undefined && !peer.inTree && (peer.inode !== undefined || row.type === 'tty');
    // Left out, a resource is found at restore by its external key (a unix socket by its inode).
    const keyIf = (out: boolean) => (out && ext && row.type !== 'unix' ? ext : inheritKey(row));
    const asIs: FdEntry = { ...row, peer, key: keyIf(outside), externalKey: ext, leftOut: outside };
    const leftOut = outside || (leaveOut?.(asIs) ?? false);
    return { ...asIs, key: keyIf(leftOut), leftOut };
  });
}
