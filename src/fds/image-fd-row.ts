// The shapes an fd row of the images' fd table (images-fd-table.ts) goes through before it is an
// FdEntry: what its file object says, then the row of one fd before the tree-wide facts.
import type { FdEntry } from './fd-entry.js';

/** One row before the tree-wide facts (peers, left out, keys) are known. */
export interface RawRow extends Omit<FdEntry, 'peer' | 'key' | 'externalKey' | 'leftOut'> {
  /** The file object is recorded as external (reg `ext`, an EXT_TTY tty). */
  external: boolean;
  /** For unix sockets: the peer's inode (0: none). */
  unixPeer: number;
  rdev: number | undefined;
  dev: number | undefined;
}

/** What a file object of files.img gives a row: all but the fd's own facts (pid, number, flags). */
export type Described = Omit<
  RawRow,
  'pid' | 'fd' | 'access' | 'flags' | 'append' | 'nonblock' | 'cloexec' | 'unixPeer' | 'external'
> & { fileFlags: number; external?: boolean; unixPeer?: number };
