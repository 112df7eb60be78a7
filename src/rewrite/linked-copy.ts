// A restore-ready copy of an images dir that costs O(files), not O(memory): every image is
// linked (hard link, or a symlink across filesystems), only the images given are new files.
import { createHash } from 'node:crypto';
import { link, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DIGEST_ALGORITHM } from '../integrity/digest.js';
import { type Manifest, NOT_IMAGES, readManifest, writeManifest } from '../integrity/manifest.js';

export interface LinkedCopy {
  dir: string;
  /** Images written anew (changed metadata). */
  written: string[];
  /** Images linked to the original's files. */
  linked: number;
}

/**
 * Links `srcDir`'s images into a new private dir (under `parent`, default the system temp dir),
 * writing `replaced` instead of linking where given. The original is never written to: a changed
 * image is a new file, never a write through a link. The manifest, if any, is carried over with
 * the new images' sizes and digests, so the copy verifies like the original.
 */
export async function createLinkedCopy(
  srcDir: string,
  replaced: ReadonlyMap<string, Uint8Array> = new Map(),
  parent = tmpdir(),
  renames: ReadonlyMap<string, string> = new Map(),
  editManifest: (manifest: Manifest) => Manifest = (m) => m,
): Promise<LinkedCopy> {
  const source = resolve(srcDir);
  const dir = await mkdtemp(join(parent, 'node-criu-images-'));
  const names = (await readdir(source)).filter((n) => !NOT_IMAGES.has(n));
  let linked = 0;
  for (const name of names) {
    const target = join(dir, renames.get(name) ?? name);
    const bytes = replaced.get(name);
    if (bytes) {
      await writeFile(target, bytes, { mode: 0o600, flag: 'wx' });
      continue;
    }
    try {
      await link(join(source, name), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await symlink(join(source, name), target);
    }
    linked++;
  }
  const manifest = await readManifest(source);
  if (manifest) {
    const files = { ...manifest.files };
    for (const [name, bytes] of replaced) {
      const digest = createHash(DIGEST_ALGORITHM).update(bytes).digest('hex');
      files[name] =
        'sha256' in (manifest.files[name] ?? {})
          ? { size: bytes.byteLength, sha256: digest }
          : { size: bytes.byteLength };
    }
    for (const [from, to] of renames) {
      const entry = files[from];
      if (!entry) continue;
      delete files[from];
      files[to] = entry;
    }
    await writeManifest(dir, editManifest({ ...manifest, files }));
  }
  return { dir, written: [...replaced.keys()].filter((n) => names.includes(n)), linked };
}
