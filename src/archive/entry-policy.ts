// What an archive entry may be, decided from its header alone before a byte of it is written:
// where it goes (a checkpoint of the chain, or a root file for checkpointctl) or why it is refused.
import { CriuError } from '../errors.js';
import { isPlainName } from '../integrity/manifest.js';
import { PARENT_LINK } from '../series/parent-section.js';
import { CHECKPOINT_DIR, PARENTS_DIR, ROOT_FILES } from './layout.js';

/** Where an entry goes: `depth` 0 is the checkpoint itself, N its `parents/N`. */
export type Placement =
  | { kind: 'member-dir'; depth: number }
  | { kind: 'parents-dir' }
  | { kind: 'file'; depth: number; name: string }
  | { kind: 'parent-link'; depth: number; target: string }
  | { kind: 'root-file'; name: string };

/** The header facts the policy reads (a `tar` ReadEntry has them). */
export interface EntryHeader {
  path: string;
  type: string;
  size: number;
  linkpath?: string | undefined;
}

const FILE_TYPES: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile']);

/** IMAGE_INTEGRITY for an archive that is not what export writes: altered, or crafted. */
export function refused(archive: string, path: string, why: string): CriuError {
  return new CriuError(
    'IMAGE_INTEGRITY',
    `Refusing the archive ${archive}: its entry '${path}' ${why}. The archive was altered or damaged, or was not written by exportCheckpoint(); nothing was imported.`,
    { operation: 'import', file: archive },
  );
}

/** The entry's path split into names: no absolute path, no `.`/`..`, nothing but plain names. */
function segments(archive: string, raw: string): string[] {
  // `./checkpoint/...` is how `tar -C dir .` names entries; one trailing slash is how it names dirs.
  const path = raw.replace(/^(\.\/)+/, '').replace(/\/$/, '');
  if (raw.startsWith('/')) throw refused(archive, raw, 'has an absolute path');
  const parts = path.split('/');
  if (parts.some((part) => part === '..')) throw refused(archive, raw, 'would leave the target dir (..)');
  if (path === '' || parts.some((part) => !isPlainName(part) || part.includes('\\')))
    throw refused(archive, raw, 'has a malformed path');
  return parts;
}

/** The depth of `parents/N` (N a positive decimal without leading zeros), or undefined. */
function parentDepth(parts: readonly string[]): number | undefined {
  if (parts[0] !== PARENTS_DIR || parts.length < 2 || !/^[1-9][0-9]{0,5}$/.test(parts[1] ?? '')) return undefined;
  return Number(parts[1]);
}

/** Where `header` goes, or a CriuError saying why it may not be imported at all. */
export function placeEntry(archive: string, header: EntryHeader): Placement {
  const parts = segments(archive, header.path);
  const { type, path } = header;
  const isDir = type === 'Directory';
  const isFile = FILE_TYPES.has(type);
  const isLink = type === 'SymbolicLink';
  if (!isDir && !isFile && !isLink) {
    const what = /Device|FIFO/.test(type) ? `is a ${type} (a device node or fifo)` : `is a ${type} entry`;
    throw refused(archive, path, `${what}: a checkpoint archive holds only files, dirs and parent links`);
  }
  if (parts.length === 1 && parts[0] !== CHECKPOINT_DIR) {
    if (isFile && ROOT_FILES.has(parts[0] as string)) return { kind: 'root-file', name: parts[0] as string };
    throw refused(archive, path, 'is not part of a checkpoint archive');
  }
  if (parts[0] !== CHECKPOINT_DIR) throw refused(archive, path, 'is not part of a checkpoint archive');
  const inside = parts.slice(1);
  const depth = inside.length === 0 ? 0 : parentDepth(inside);
  if (isDir) {
    if (inside.length === 0) return { kind: 'member-dir', depth: 0 };
    if (inside.length === 1 && inside[0] === PARENTS_DIR) return { kind: 'parents-dir' };
    if (inside.length === 2 && depth !== undefined) return { kind: 'member-dir', depth };
    throw refused(archive, path, 'is a dir no checkpoint has');
  }
  // A file or link: `checkpoint/NAME` or `checkpoint/parents/N/NAME`.
  const [memberDepth, name] =
    inside.length === 1 ? [0, inside[0]] : inside.length === 3 && depth !== undefined ? [depth, inside[2]] : [];
  if (memberDepth === undefined || name === undefined || name === PARENTS_DIR)
    throw refused(archive, path, 'is not where a checkpoint keeps its images');
  if (isLink) {
    if (name !== PARENT_LINK)
      throw refused(
        archive,
        path,
        `is a symlink (to ${header.linkpath}): images must be files, only '${PARENT_LINK}' links`,
      );
    return { kind: 'parent-link', depth: memberDepth, target: header.linkpath ?? '' };
  }
  if (name === PARENT_LINK) throw refused(archive, path, `is a file where the ${PARENT_LINK} link belongs`);
  return { kind: 'file', depth: memberDepth, name };
}
