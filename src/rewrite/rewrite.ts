// Edits a checkpoint without touching it: images are decoded on demand, changed ones are
// re-encoded into a linked copy, and page data is never read or copied.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DecodedImage, decodeImage, encodeImage } from '../images/codec.js';
import type { Manifest } from '../integrity/manifest.js';
import { createLinkedCopy, type LinkedCopy } from './linked-copy.js';

/** The images of a checkpoint as an edit sees them: decoded when first asked for. */
export class ImageSet {
  /** The images dir being edited (never written to). */
  readonly dir: string;
  readonly #loaded = new Map<string, { original: Uint8Array; image: DecodedImage }>();
  readonly #renames = new Map<string, string>();
  readonly #manifestEdits: ((manifest: Manifest) => Manifest)[] = [];

  /** The images of `dir`; nothing is read until an image is asked for. */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The decoded image `name` (e.g. `files.img`); edit its entries' messages in place. */
  async get(name: string): Promise<DecodedImage> {
    let loaded = this.#loaded.get(name);
    if (!loaded) {
      // Metadata images, a few KiB each: read at once (a thread-pool round trip cost more here).
      const original = readFileSync(join(this.dir, name));
      loaded = { original, image: decodeImage(join(this.dir, name), original) };
      this.#loaded.set(name, loaded);
    }
    return loaded.image;
  }

  /** The names of the files in the dir. */
  async names(): Promise<string[]> {
    return readdirSync(this.dir);
  }

  /** Gives image `from` the name `to` in the rewritten copy (e.g. a renumbered pagemap-shmem). */
  rename(from: string, to: string): void {
    this.#renames.set(from, to);
  }

  /** The renames asked for so far: original name -> name in the copy. */
  get renames(): ReadonlyMap<string, string> {
    return this.#renames;
  }

  /** Changes the copy's manifest too (an edit that renumbers what the manifest records). */
  editManifest(edit: (manifest: Manifest) => Manifest): void {
    this.#manifestEdits.push(edit);
  }

  /** The manifest as the edits leave it. */
  applyManifestEdits(manifest: Manifest): Manifest {
    return this.#manifestEdits.reduce((m, edit) => edit(m), manifest);
  }

  /** The images whose encoding differs from their original bytes. */
  changed(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [name, { original, image }] of this.#loaded) {
      const bytes = encodeImage(image);
      if (!Buffer.from(bytes).equals(original)) out.set(name, bytes);
    }
    return out;
  }
}

/** rewriteImages()'s copy: its dir, the images written anew, how many were linked. */
export interface RewriteResult extends LinkedCopy {}

/**
 * Applies `edit` to the images of `srcDir` and returns a restore-ready copy in which only the
 * images the edit changed are new files; everything else (pages above all) is linked. The
 * original directory is never modified. The cost depends on the metadata images touched, not on
 * the checkpoint's memory size. `manifest: false` leaves the manifest out (a copy only CRIU reads).
 */
export async function rewriteImages(
  srcDir: string,
  edit: (images: ImageSet) => void | Promise<void>,
  options: { parent?: string; manifest?: boolean } = {},
): Promise<RewriteResult> {
  const images = new ImageSet(srcDir);
  await edit(images);
  return copyWithEdits(srcDir, images, images.changed(), options);
}

/**
 * rewriteImages(), but nothing is created when `edit` changes nothing (undefined then): a restore
 * that substitutes nothing reads the checkpoint itself, which saves linking and removing every
 * image (a tree of 100 has 700: ~17 ms). CRIU writes nothing into the images dir it restores
 * from once it has a work dir of its own (stats-restore goes there, measured).
 */
export async function rewriteIfEdited(
  srcDir: string,
  edit: (images: ImageSet) => void | Promise<void>,
  options: { manifest?: boolean } = {},
): Promise<RewriteResult | undefined> {
  const images = new ImageSet(srcDir);
  await edit(images);
  const changed = images.changed();
  if (images.renames.size === 0 && changed.size === 0) return undefined;
  return copyWithEdits(srcDir, images, changed, options);
}

function copyWithEdits(
  srcDir: string,
  images: ImageSet,
  changed: Map<string, Uint8Array>,
  options: { parent?: string; manifest?: boolean },
): Promise<RewriteResult> {
  return createLinkedCopy(srcDir, changed, options.parent, images.renames, (m) => images.applyManifestEdits(m), {
    manifest: options.manifest ?? true,
  });
}
