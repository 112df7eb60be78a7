// The keys CRIU matches resources by (compared with strcmp: a wrong key is silently ignored).
import type { FdEntry } from './fd-entry.js';

const hex = (n: number) => n.toString(16);

/** The inherit-fd key of a resource, as CRIU prints it in its images and log. */
export function inheritKey(e: Pick<FdEntry, 'type' | 'inode' | 'path' | 'target'>): string {
  switch (e.type) {
    case 'pipe':
      return `pipe:[${e.inode}]`;
    case 'unix':
    case 'inet':
    case 'socket':
      return `socket:[${e.inode}]`;
    case 'memfd':
      return `/memfd:${(e.path ?? '').replace(/^\/memfd:/, '').replace(/ \(deleted\)$/, '')}`;
    case 'file':
    case 'dir':
    case 'fifo':
    case 'tty':
      // A path is matched without its leading slash.
      return (e.path ?? e.target).replace(/^\//, '');
    default:
      return e.target;
  }
}

/** The key that makes CRIU leave the resource out of the dump (`--external`), if any. */
export function externalKey(
  e: Pick<FdEntry, 'type' | 'inode' | 'mountId'> & { rdev?: number; dev?: number },
): string | undefined {
  switch (e.type) {
    case 'unix':
      return `unix[${e.inode}]`;
    case 'file':
    case 'fifo':
      return `file[${hex(e.mountId)}:${hex(e.inode)}]`;
    case 'tty':
      return e.rdev !== undefined && e.dev !== undefined ? `tty[${hex(e.rdev)}:${hex(e.dev)}]` : undefined;
    default:
      return undefined;
  }
}
