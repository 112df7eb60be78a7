// The tree-wide facts of the images' fd table (peers, left out, keys), found once every task's
// rows are read, by the same rules as the table read from /proc (src/fds/proc-fds.ts readTreeFds).
import { externalKey, inheritKey } from './criu-keys.js';
import type { FdEntry } from './fd-entry.js';
import type { RawRow } from './image-fd-row.js';

/** The rows of every task of the tree, completed with what only the whole tree tells. */
export function withTreeFacts(raw: readonly RawRow[]): FdEntry[] {
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
