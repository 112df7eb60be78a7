// Checkpoint concern: incremental checkpoints (CheckpointOptions.parent). The new checkpoint is
// made on an earlier one: once CRIU has dumped every page, each page equal to the one the chain
// has at the same address becomes a reference to it, and the images dir is linked to its parent.
import { resolve } from 'node:path';
import { CriuError } from '../errors.js';
import { readManifest } from '../integrity/manifest.js';
import type { CheckpointConcern } from '../pipeline/checkpoint-phases.js';
import { linkParent, manifestDigest, parentOf } from '../series/parent-link.js';
import type { ParentSection } from '../series/parent-section.js';
import { referToParent } from '../series/refer-to-parent.js';

function invalidParent(parent: string, why: string): CriuError {
  return new CriuError('INVALID_IMAGES', `Option 'parent' (${parent}) ${why}.`, { operation: 'checkpoint' });
}

export const parentCheckpoint: CheckpointConcern = {
  name: 'incremental checkpoint',
  async begin({ options }) {
    if (options.parent === undefined) return undefined;
    const parentDir = resolve(options.parent);
    // Any complete checkpoint will do: pages are compared byte for byte, so a parent of another
    // process only saves less. One in progress or damaged is no base for anything.
    const manifest = await readManifest(parentDir).catch(() => undefined);
    if (!manifest) throw invalidParent(options.parent, 'is not a complete node-criu checkpoint (it has no manifest)');
    if (options.imagesDir !== undefined && resolve(options.imagesDir) === parentDir)
      throw invalidParent(options.parent, 'is the images dir of this checkpoint itself');
    let section: ParentSection | undefined;
    return {
      rewritesPages: true,
      finishImages: async (imagesDir) => {
        const { dumped, inParent } = await referToParent(imagesDir, parentDir, parentOf);
        const link = linkParent(imagesDir, parentDir);
        section = { link, manifest: await manifestDigest(parentDir), pagesInParent: inParent, pagesDumped: dumped };
      },
      record: async () => (section ? { parent: section } : {}),
    };
  },
};
