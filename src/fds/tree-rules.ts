// The tree-wide part of an fd table, shared by every backend: which fds have their other end
// outside the tree (and so are left out), what the leave-out advice adds, and CRIU's keys.
import { externalKey, inheritKey } from './criu-keys.js';
import type { FdEntry } from './fd-entry.js';

/** Sees each row as it would be without the advice (`leftOut` true only if detected as outside). */
export type LeaveOutRule = (entry: FdEntry) => boolean;

/** A row as read from one task, before the facts that need the whole tree. */
export interface RawFdRow extends Omit<FdEntry, 'peer' | 'key' | 'externalKey' | 'leftOut'> {
  /** A tty's device numbers, for its external key. */
  rdev?: number | undefined;
  dev?: number | undefined;
}

/**
 * Completes `raw` (every fd of every task of the tree) into the fd table, in the same order.
 * `unixPeer` gives the peer inode of the unix socket `raw[index]` (0 or undefined: unconnected).
 */
export function applyTreeRules(
  raw: readonly RawFdRow[],
  unixPeer: (row: RawFdRow, index: number) => number | undefined,
  leaveOut?: LeaveOutRule,
): FdEntry[] {
  // Socket inodes only: a file's inode on another filesystem may carry the same number.
  const held = new Set(raw.filter((r) => r.type === 'unix').map((r) => r.inode));
  // A pty slave's other end is the master, reached through /dev/ptmx: held by the tree or not.
  const treeHoldsPtyMaster = raw.some((r) => r.target === '/dev/ptmx' || r.target.startsWith('/dev/pts/ptmx'));
  // The accesses the tree holds each pipe with (one lookup per pipe end, not a scan of the table).
  const pipeAccess = new Map<number, Set<string>>();
  for (const r of raw) {
    if (r.type !== 'pipe') continue;
    const seen = pipeAccess.get(r.inode) ?? new Set<string>();
    pipeAccess.set(r.inode, seen.add(r.access));
  }
  return raw.map(({ rdev, dev, ...row }, index) => {
    let peer: FdEntry['peer'];
    if (row.type === 'unix') {
      const inode = unixPeer(row, index) || undefined;
      peer = { inode, inTree: inode !== undefined && held.has(inode) };
    } else if (row.type === 'pipe') {
      // Both ends of a pipe share its inode: the tree holds the other end if it has the opposite access.
      const inTree = [...(pipeAccess.get(row.inode) ?? [])].some((access) => access !== row.access);
      peer = { inode: row.inode, inTree };
    } else if (row.type === 'tty' && row.target.startsWith('/dev/pts/')) {
      peer = { inode: undefined, inTree: treeHoldsPtyMaster };
    }
    const ext = externalKey({ ...row, ...(rdev !== undefined && dev !== undefined ? { rdev, dev } : {}) });
    // An unconnected socket (no peer inode) has nothing outside; a pty slave's master has no inode here.
    const outside = peer !== undefined && !peer.inTree && (peer.inode !== undefined || row.type === 'tty');
    // Left out, a resource is found at restore by its external key (a unix socket by its inode).
    const keyIf = (out: boolean) => (out && ext && row.type !== 'unix' ? ext : inheritKey(row));
    const asIs: FdEntry = { ...row, peer, key: keyIf(outside), externalKey: ext, leftOut: outside };
    const advised = leaveOut?.(asIs) ?? false;
    const leftOut = outside || advised;
    const by = advised ? 'advice' : outside ? 'outside' : undefined;
    return { ...asIs, key: keyIf(leftOut), leftOut, ...(by ? { leftOutBy: by } : {}) };
  });
}
