// Checks an images dir against its manifest: every image present, same size, same digest.
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { listDir } from '../fs/flat-dir.js';
import { checkedParent } from '../series/parent-link.js';
import { PARENT_LINK, PARENTS_DIR } from '../series/parent-section.js';
import { digestFiles, type FileDigest, PAGES_FILE, recordedDigest } from './digest.js';
import { pathStamp, sameStamp } from './file-stamp.js';
import { ALGORITHM_NAMES } from './hasher.js';
import { INCOMPLETE_MARKER, incompleteError } from './incomplete.js';
import { MANIFEST_NAME, type Manifest, NOT_IMAGES, readManifest } from './manifest.js';
import { assertTrustedImagesDir } from './trust.js';

/** Page data from this size on is worth verifying while CRIU restores (tiny: hashed at once). */
const DEFER_FROM = 16 << 20;

/** How verifyImages() checks a checkpoint. */
export interface VerifyOptions {
  /**
   * Verify the page data (`pages-*.img`: memory contents, which CRIU copies without parsing) in
   * the background when there is enough of it (16 MiB): `pagesVerified` settles with its
   * verdict. Every other image is verified before the call returns. For a restore that runs
   * nothing of the tree before the verdict.
   */
  deferPages?: boolean | undefined;
  /**
   * Take an image's digest as it stands when its file is still the one that was hashed at
   * checkpoint: the same device, inode and change time (which every write, truncation, link or
   * rename moves, and which no system call sets). A restore on the host that made the checkpoint
   * then hashes nothing, page data included. Changes that bypass the filesystem (its device, its
   * medium) are not seen this way: without this option (`node-criu verify`), everything is hashed.
   */
  trustUnchanged?: boolean | undefined;
  /** The dir's manifest, when the caller has just read it (readManifest): not read again. */
  manifest?: Manifest | undefined;
  /**
   * Accept an images dir (or files in it) owned by another user or writable by group/others.
   * Restoring images executes them: only set this when whoever could write them is trusted.
   */
  allowUntrustedImages?: boolean | undefined;
}

/** What verifyImages() found: the images match their manifest (it throws otherwise). */
export interface VerifyResult {
  /** The checkpoint's manifest, as read and checked. */
  manifest: Manifest;
  /** With `deferPages`, the page data's verdict (IMAGE_INTEGRITY on a mismatch); else undefined. */
  pagesVerified?: Promise<void> | undefined;
  /** How many files had their digest compared (0 when the checkpoint was made without digests). */
  digestsChecked: number;
  /** How many bytes were hashed to compare them (with `deferPages`, not counting the page data still being hashed). */
  bytesHashed: number;
  /** With `trustUnchanged`: how many images were taken as verified, unchanged since they were hashed. */
  filesUnchanged: number;
}

function tampered(dir: string, file: string, why: string): CriuError {
  return new CriuError(
    'IMAGE_INTEGRITY',
    `Refusing ${dir}: ${file} ${why}. The checkpoint was altered or damaged after it was made; restore it only if you trust it (verify: false).`,
    { operation: 'read-images', file: join(dir, file) },
  );
}

/**
 * Verifies `dir` against its manifest. Fails with IMAGE_INTEGRITY naming the first bad file:
 * missing, truncated or grown, altered, replaced by a symlink, or an image the manifest lacks;
 * first of all, a dir or file that another user could have written (see trust.ts), and with
 * INVALID_IMAGES a checkpoint that never completed. An incremental checkpoint is verified with its
 * parents (each must be the very checkpoint it was made on).
 */
export async function verifyImages(dir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const { names, stats } =
    (await assertTrustedImagesDir(dir, { allowUntrusted: options.allowUntrustedImages })) ?? (await listDir(dir));
  if (names.includes(INCOMPLETE_MARKER)) throw incompleteError(dir, 'read-images');
  const manifest = options.manifest ?? (await readManifest(dir));
  if (!manifest) {
    throw new CriuError(
      'IMAGE_INTEGRITY',
      `${dir} has no ${MANIFEST_NAME}: it was not made by node-criu, or its checkpoint did not complete. Pass verify: false to restore it without verification.`,
      { operation: 'read-images', file: join(dir, MANIFEST_NAME) },
    );
  }
  const listed = Object.entries(manifest.files);
  for (const name of names) {
    // A parent link the manifest does not record would send CRIU to pages nobody checked.
    const recordedLink = name === PARENT_LINK && manifest.parent !== undefined;
    // An imported series' parents dir is only there for the link that leads into it.
    const linkedParents = name === PARENTS_DIR && manifest.parent?.link.startsWith(`${PARENTS_DIR}/`) === true;
    const special = name === PARENT_LINK || name === PARENTS_DIR;
    if ((!NOT_IMAGES.has(name) || special) && !recordedLink && !linkedParents && !Object.hasOwn(manifest.files, name))
      throw tampered(dir, name, 'is not part of the checkpoint');
  }
  // An incremental checkpoint is verified with its whole chain: its unchanged pages are there.
  const parent =
    manifest.parent &&
    (await verifyImages(await checkedParent(dir, manifest.parent), { ...options, manifest: undefined }));
  // Presence, kind and size first: a cheap refusal before any byte is hashed.
  for (const [name, expected] of listed) {
    const info = stats.get(name);
    if (!info) throw tampered(dir, name, 'is missing');
    if (!info.isFile()) throw tampered(dir, name, 'is not a regular file');
    if (info.size !== expected.size) throw tampered(dir, name, `has ${info.size} bytes, ${expected.size} were written`);
  }
  // The files with a digest, each hashed again with the algorithm its entry names.
  const recorded = new Map(
    listed.flatMap(([name, entry]) => {
      const digest = recordedDigest(entry);
      return digest ? [[name, { ...digest, size: entry.size }] as const] : [];
    }),
  );
  const unchanged = new Set(
    options.trustUnchanged
      ? [...recorded.keys()].filter((name) => sameStamp(manifest.files[name]?.stamp, pathStamp(join(dir, name))))
      : [],
  );
  const hashed = [...recorded.keys()].filter((name) => !unchanged.has(name));
  const pages = hashed.filter((name) => PAGES_FILE.test(name));
  // Small page data is hashed at once (a millisecond): deferring costs a stopped restore more.
  const worthDeferring = pages.reduce((total, name) => total + (stats.get(name)?.size ?? 0), 0) > DEFER_FROM;
  const deferred = options.deferPages && worthDeferring ? pages : [];
  const now = hashed.filter((name) => !deferred.includes(name));
  const sizeOf = (name: string) => stats.get(name)?.size ?? 0;
  const algorithmOf = (name: string) => recorded.get(name)?.algorithm ?? 'blake3';
  const compare = (digests: Map<string, FileDigest>): number => {
    let bytes = 0;
    for (const [name, actual] of digests) {
      const expected = recorded.get(name);
      bytes += actual.size;
      if (!expected || actual.size !== expected.size || actual[expected.algorithm] !== expected.hex) {
        throw tampered(dir, name, `does not match its ${ALGORITHM_NAMES[expected?.algorithm ?? 'blake3']} digest`);
      }
    }
    return bytes;
  };
  const bytesHashed = compare(await digestFiles(dir, now, sizeOf, algorithmOf));
  let pagesVerified: Promise<void> | undefined;
  if (deferred.length > 0) {
    pagesVerified = digestFiles(dir, deferred, sizeOf, algorithmOf).then((digests) => void compare(digests));
    // Its verdict is awaited by the caller, unless the caller failed first: never unhandled.
    pagesVerified.catch(() => {});
  }
  if (parent?.pagesVerified) {
    const own = pagesVerified;
    pagesVerified = Promise.all([own, parent.pagesVerified]).then(() => undefined);
    pagesVerified.catch(() => {});
  }
  return {
    manifest,
    digestsChecked: hashed.length + (parent?.digestsChecked ?? 0),
    bytesHashed: bytesHashed + (parent?.bytesHashed ?? 0),
    filesUnchanged: unchanged.size + (parent?.filesUnchanged ?? 0),
    pagesVerified,
  };
}
