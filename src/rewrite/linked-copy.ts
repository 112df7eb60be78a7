// A restore-ready copy of an images dir that costs O(files), not O(memory): every image is
// linked (hard link, or a symlink across filesystems), only the images given are new files.
import { linkSync, readdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inBatches } from '../fs/flat-dir.js';
import { digestLike } from '../integrity/digest.js';
import { type Manifest, NOT_IMAGES, readManifest, writeManifest } from '../integrity/manifest.js';
import { parentOf } from '../series/parent-link.js';
import { PARENT_LINK } from '../series/parent-section.js';

/** A restore-ready copy of an images dir in which only changed images are new files. */
export interface LinkedCopy {
  /** The copy's dir (new, private). */
  dir: string;
  /** Images written anew (changed metadata). */
  written: string[];
  /** Images linked to the original's files. */
  linked: number;
}

/**
 * A new private dir for the copy: under `parent` if given, else beside the images (same
 * filesystem, so hard links work: symlinks across filesystems cost ~0.45 ms a file), else, where
 * that is not writable, in the system temp dir.
 */
async function makeCopyDir(source: string, parent: string | undefined): Promise<string> {
  const prefix = 'node-criu-images-';
  if (parent !== undefined) return mkdtemp(join(parent, prefix));
  try {
    return await mkdtemp(join(dirname(source), prefix));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
    return mkdtemp(join(tmpdir(), prefix));
  }
}

/**
 * Links `srcDir`'s images into a new private dir (under `parent`, default beside `srcDir`),
 * writing `replaced` instead of linking where given. The original is never written to: a changed
 * image is a new file, never a write through a link. The manifest, if any, is carried over with
 * the new images' sizes and digests, so the copy verifies like the original (unless
 * `options.manifest` is false: a copy only CRIU reads needs none).
 */
export async function createLinkedCopy(
  srcDir: string,
  replaced: ReadonlyMap<string, Uint8Array> = new Map(),
  parent?: string,
  renames: ReadonlyMap<string, string> = new Map(),
  editManifest: (manifest: Manifest) => Manifest = (m) => m,
  options: { manifest: boolean } = { manifest: true },
): Promise<LinkedCopy> {
  const source = resolve(srcDir);
  const dir = await makeCopyDir(source, parent);
  const names = readdirSync(source).filter((n) => !NOT_IMAGES.has(n));
  let linked = 0;
  let crossDevice = false; // after one EXDEV, every link would fail the same way
  // Only images the dir has are written anew; the rest are linked.
  const written = [...replaced.keys()].filter((n) => names.includes(n));
  for (const name of written) {
    await writeFile(join(dir, renames.get(name) ?? name), replaced.get(name) as Uint8Array, {
      mode: 0o600,
      flag: 'wx',
    });
  }
  await inBatches(
    names.filter((n) => !replaced.has(n)),
    (name) => {
      const target = join(dir, renames.get(name) ?? name);
      linked++;
      if (!crossDevice) {
        try {
          return linkSync(join(source, name), target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
          crossDevice = true;
        }
      }
      symlinkSync(join(source, name), target);
    },
  );
  // An incremental checkpoint's link to its parent, which may be relative: absolute in the copy,
  // which lives elsewhere.
  const parentDir = parentOf(source);
  if (parentDir !== undefined) symlinkSync(parentDir, join(dir, PARENT_LINK));
  if (!options.manifest) return { dir, written, linked };
  const manifest = await readManifest(source);
  if (manifest) {
    const files = { ...manifest.files };
    // Hashed again only where the original was, with the algorithm it was hashed with.
    for (const [name, bytes] of replaced) files[name] = digestLike(bytes, manifest.files[name] ?? { size: 0 });
    for (const [from, to] of renames) {
      const entry = files[from];
      if (!entry) continue;
      delete files[from];
      files[to] = entry;
    }
    const parent = manifest.parent && parentDir !== undefined ? { ...manifest.parent, link: parentDir } : undefined;
    await writeManifest(dir, editManifest({ ...manifest, files, ...(parent ? { parent } : {}) }));
  }
  return { dir, written, linked };
}
