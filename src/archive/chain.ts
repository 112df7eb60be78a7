// The checkpoints an archive holds: the one exported and, for an incremental checkpoint, every
// parent it was made on, newest first, each with the manifest it gets in the archive.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { digestLike } from '../integrity/digest.js';
import { MANIFEST_NAME, type Manifest, manifestText, readManifest } from '../integrity/manifest.js';
import { checkedParent } from '../series/parent-link.js';
import { relinkedParent } from './layout.js';

/** A checkpoint of the archive's chain. */
export interface ChainMember {
  /** Its images dir. */
  dir: string;
  /** Its manifest as read. */
  manifest: Manifest;
  /**
   * Its manifest as archived: the original bytes for one without a parent; for one with a parent,
   * the link as it is in the archive (`parents/1`, `../N`) and the digest of the parent's archived
   * manifest, so the archive verifies as a series by itself.
   */
  archived: Uint8Array;
}

/**
 * The chain of `imagesDir`, newest first (verify it first: the links are only checked here, the
 * images not at all).
 */
export async function readChain(imagesDir: string): Promise<ChainMember[]> {
  const found: Omit<ChainMember, 'archived'>[] = [];
  for (let dir: string | undefined = resolve(imagesDir); dir !== undefined; ) {
    const manifest = await readManifest(dir);
    if (!manifest) throw new Error(`${dir} has no ${MANIFEST_NAME}`); // verified before: not reached
    found.push({ dir, manifest });
    dir = manifest.parent && (await checkedParent(dir, manifest.parent));
  }
  // Relinked from the oldest up: each child records its parent's manifest as archived.
  const chain: ChainMember[] = [];
  let parentArchived: Uint8Array | undefined;
  for (let depth = found.length - 1; depth >= 0; depth--) {
    const { dir, manifest } = found[depth] as Omit<ChainMember, 'archived'>;
    let archived: Uint8Array;
    if (manifest.parent && parentArchived) {
      const relinked: Manifest = {
        ...manifest,
        parent: {
          ...manifest.parent,
          link: relinkedParent(depth),
          manifest: digestLike(parentArchived, manifest.parent.manifest),
        },
      };
      archived = Buffer.from(manifestText(relinked));
    } else {
      archived = readFileSync(join(dir, MANIFEST_NAME));
    }
    chain.unshift({ dir, manifest, archived });
    parentArchived = archived;
  }
  return chain;
}
