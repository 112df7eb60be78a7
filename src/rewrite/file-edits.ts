// Edits of files.img: make CRIU accept an external file whose size or mode changed since the dump.
import { FileEntrySchema } from '../gen/criu_images_files_pb.js';
import type { ImageSet } from './rewrite.js';

/** What relaxFiles() changes for one file of files.img: the size and mode CRIU checks at restore. */
export interface FileRelaxation {
  /**
   * The file's name in files.img: its path, or for a left-out (external) file its external key
   * (`file[mnt:ino]`, as the fd table's `key` says).
   */
  name: string;
  /** The size CRIU should expect now. */
  size?: number;
  /** The mode (permission bits included) CRIU should expect now. */
  mode?: number;
}

/**
 * Rewrites the regular-file entries of files.img that match each relaxation. Returns how many
 * entries changed; a relaxation that matches nothing is an error, not a silent no-op.
 */
export async function relaxFiles(images: ImageSet, relaxations: readonly FileRelaxation[]): Promise<number> {
  const files = await images.get('files.img');
  let changed = 0;
  for (const r of relaxations) {
    let matched = false;
    for (const entry of files.entries) {
      const reg = entry.as(FileEntrySchema).reg;
      if (!reg || reg.name !== r.name) continue;
      matched = true;
      if (r.size !== undefined) reg.size = BigInt(r.size);
      if (r.mode !== undefined) reg.mode = r.mode;
      // Edited in place: the entry notices its message no longer encodes to the original bytes.
      changed++;
    }
    if (!matched) throw new Error(`files.img has no regular file named ${r.name}`);
  }
  return changed;
}
