// How a checkpoint of a series names its parent: a `parent` symlink in its images dir, the link
// CRIU's restore follows for pages flagged PE_PARENT; and, in node-criu's manifest, the parent's
// manifest digest, which ties the child to exactly that parent (whose own manifest covers its
// images and, in turn, its parent).
import { lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CriuError } from '../errors.js';
import { digestFile, type FileDigest, recordedDigest } from '../integrity/digest.js';
import { MANIFEST_NAME } from '../integrity/manifest.js';
import { PARENT_LINK, type ParentSection } from './parent-section.js';

/** The dir `dir`'s parent link points to, or undefined when it has none. */
export function parentOf(dir: string): string | undefined {
  const link = join(dir, PARENT_LINK);
  if (!lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
  return resolve(dir, readlinkSync(link));
}

/**
 * Links `dir` to `parentDir`, relatively (as CRIU's --prev-images-dir does): a series moved as a
 * whole keeps its links.
 */
export function linkParent(dir: string, parentDir: string): string {
  const link = relative(resolve(dir), resolve(parentDir));
  symlinkSync(link, join(dir, PARENT_LINK));
  return link;
}

/** The digest of `dir`'s manifest, to be recorded by its children. */
export function manifestDigest(dir: string): Promise<FileDigest> {
  return digestFile(join(dir, MANIFEST_NAME));
}

/** IMAGE_INTEGRITY for a checkpoint whose parent link leads nowhere. */
export function missingParent(dir: string, parentDir: string): CriuError {
  return broken(dir, `${parentDir} is missing (or has no manifest)`);
}

function broken(dir: string, why: string): CriuError {
  return new CriuError(
    'IMAGE_INTEGRITY',
    `${dir} is an incremental checkpoint whose parent ${why}: its unchanged pages are only there. Restore needs the whole series as it was made (keep every checkpoint a later one was made on).`,
    { operation: 'read-images', file: join(dir, PARENT_LINK) },
  );
}

/**
 * The parent dir `section` names, checked: the link is there, unchanged, and the parent's
 * manifest is the one recorded. Throws IMAGE_INTEGRITY naming what is wrong.
 */
export async function checkedParent(dir: string, section: ParentSection): Promise<string> {
  const link = join(dir, PARENT_LINK);
  const info = lstatSync(link, { throwIfNoEntry: false });
  if (!info?.isSymbolicLink()) throw broken(dir, `link (${PARENT_LINK} -> ${section.link}) is gone`);
  if (readlinkSync(link) !== section.link) throw broken(dir, `link was changed to ${readlinkSync(link)}`);
  const parentDir = resolve(dir, section.link);
  const expected = recordedDigest(section.manifest);
  const actual = await digestFile(join(parentDir, MANIFEST_NAME), expected?.algorithm).catch(() => undefined);
  if (!actual) throw missingParent(dir, parentDir);
  if (!expected || actual[expected.algorithm] !== expected.hex || actual.size !== section.manifest.size)
    throw broken(dir, `${parentDir} is not the checkpoint it was made on (its manifest differs)`);
  return parentDir;
}
