// The manifest's record of an incremental checkpoint's parent (kept apart from parent-link.ts,
// which reads manifests: the manifest module checks this section when it reads one).
import { type FileDigest, isFileDigest } from '../integrity/digest.js';

/** The link's name: CRIU's (criu/include/image.h CR_PARENT_LINK), which its restore follows. */
export const PARENT_LINK = 'parent';

/**
 * Where an imported series keeps its parents, inside the newest checkpoint's dir (`parents/1`,
 * `parents/2`, ...: see archive/layout.ts): reached only through the parent link, which is verified.
 */
export const PARENTS_DIR = 'parents';

/** The manifest's `parent` section. */
export interface ParentSection {
  /** The link as written (relative to the images dir). */
  link: string;
  /** The parent's manifest: its size and digest. */
  manifest: FileDigest;
  /** Pages of this checkpoint that are references to the chain instead of data. */
  pagesInParent: number;
  /** Pages CRIU dumped, every task together. */
  pagesDumped: number;
}

export function isParentSection(value: unknown): value is ParentSection {
  const s = value as Partial<ParentSection> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.link === 'string' &&
    s.link.length > 0 &&
    isFileDigest(s.manifest) &&
    Number.isSafeInteger(s.pagesInParent) &&
    Number.isSafeInteger(s.pagesDumped)
  );
}
