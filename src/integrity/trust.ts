// Refuses images dirs that someone other than us (or root) could have written: restoring runs them.
import { readlinkSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CriuError } from '../errors.js';
import { type DirListing, listDir } from '../fs/flat-dir.js';
import { missingParent } from '../series/parent-link.js';
import { PARENT_LINK } from '../series/parent-section.js';

export interface TrustOptions {
  /** Accept a dir or files owned by another user or writable by group/others (default false). */
  allowUntrusted?: boolean | undefined;
  /** The uid whose files are trusted besides root's (default: our effective uid). */
  uid?: number | undefined;
  /** The checkpoints of a series checked so far, from the newest (a parent link loop is refused). */
  seen?: readonly string[];
}

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function untrusted(dir: string, path: string, why: string): CriuError {
  return new CriuError(
    'IMAGE_INTEGRITY',
    `Refusing ${dir}: ${path} ${why}. Restoring images executes them, so only images nobody else could write are restored; fix the ownership and mode (chmod go-w, chown), or pass allowUntrustedImages: true if you trust whoever could.`,
    { operation: 'read-images', file: path },
  );
}

/**
 * Throws IMAGE_INTEGRITY unless `dir`, every entry in it and every directory above it is owned by
 * `uid` or root and not writable by group or others (a sticky dir such as /tmp is fine above it:
 * others cannot rename what is ours there). Symlinks inside the dir are refused: an image must be
 * the file it claims to be, not a pointer to something outside; but for an incremental
 * checkpoint's `parent` link, whose target is checked the same way. Returns the dir's listing
 * (undefined when `allowUntrusted` skipped the check).
 */
export async function assertTrustedImagesDir(dir: string, options: TrustOptions = {}): Promise<DirListing | undefined> {
  if (options.allowUntrusted) return undefined;
  const seen = options.seen ?? [];
  if (seen.includes(resolve(dir))) throw untrusted(dir, join(resolve(dir), PARENT_LINK), 'makes the series a loop');
  const uid = options.uid ?? process.geteuid?.() ?? 0;
  const trustedOwner = (owner: number) => owner === uid || owner === 0;
  const absolute = resolve(dir);
  // stat answers in microseconds: synchronous calls spare a thread-pool round trip per level.
  const info = statSync(absolute, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    throw new CriuError('INVALID_IMAGES', `Images dir ${dir} does not exist or is not a directory.`, {
      operation: 'read-images',
    });
  }
  if (!trustedOwner(info.uid)) throw untrusted(dir, absolute, `is owned by uid ${info.uid}`);
  if (info.mode & GROUP_OR_OTHER_WRITE)
    throw untrusted(dir, absolute, `is writable by group or others (mode ${octal(info.mode)})`);
  for (let parent = dirname(absolute); ; parent = dirname(parent)) {
    const p = statSync(parent);
    if (!trustedOwner(p.uid)) throw untrusted(dir, parent, `(a parent) is owned by uid ${p.uid}`);
    if (p.mode & GROUP_OR_OTHER_WRITE && !(p.mode & STICKY))
      throw untrusted(
        dir,
        parent,
        `(a parent) is writable by group or others without the sticky bit (mode ${octal(p.mode)})`,
      );
    if (parent === dirname(parent)) break;
  }
  const listing = await listDir(absolute);
  for (const [name, entry] of listing.stats) {
    const path = join(absolute, name);
    if (!entry) continue; // Removed meanwhile: verification reports a missing image itself.
    if (entry.isSymbolicLink() && name === PARENT_LINK) {
      // An incremental checkpoint's parent: CRIU reads pages there too, so it must be as trusted.
      const parentDir = resolve(absolute, readlinkSync(path));
      if (!statSync(parentDir, { throwIfNoEntry: false })?.isDirectory()) throw missingParent(dir, parentDir);
      await assertTrustedImagesDir(parentDir, { ...options, seen: [...seen, absolute] });
      continue;
    }
    if (entry.isSymbolicLink()) throw untrusted(dir, path, 'is a symlink (images must be files inside the dir)');
    if (!trustedOwner(entry.uid)) throw untrusted(dir, path, `is owned by uid ${entry.uid}`);
    if (entry.mode & GROUP_OR_OTHER_WRITE)
      throw untrusted(dir, path, `is writable by group or others (mode ${octal(entry.mode)})`);
  }
  return listing;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
