// Where things go in a checkpoint archive: checkpointctl's container layout (a `checkpoint/` dir of
// CRIU images, config.dump, spec.dump and stats-dump at the root), with node-criu's manifest in
// `checkpoint/` and an incremental checkpoint's parents nested under `checkpoint/parents/N/`.
import { PARENT_LINK, PARENTS_DIR } from '../series/parent-section.js';

export { PARENTS_DIR };

/** The images dir's entry (checkpointctl's metadata.CheckpointDirectory). */
export const CHECKPOINT_DIR = 'checkpoint';
/** Podman's container config, the file `checkpointctl show` needs for name, id and creation time. */
export const CONFIG_DUMP = 'config.dump';
/** The OCI runtime spec, the other file `checkpointctl show` needs (its annotations say which engine). */
export const SPEC_DUMP = 'spec.dump';
/** CRIU's dump statistics, read from the archive's root by `checkpointctl inspect --stats`. */
export const STATS_DUMP = 'stats-dump';
/** The files at the archive's root, for checkpointctl only: import checks them and leaves them out. */
export const ROOT_FILES: ReadonlySet<string> = new Set([CONFIG_DUMP, SPEC_DUMP, STATS_DUMP]);
/** The most a root file may hold (Podman's config.dump and spec.dump are a few KiB). */
export const ROOT_FILE_LIMIT = 1 << 20;

/**
 * The dir of the chain's `depth`-th checkpoint relative to the imported images dir: '' for the
 * checkpoint itself (depth 0), `parents/1` for its parent, `parents/2` for the parent's parent...
 */
export function memberDir(depth: number): string {
  return depth === 0 ? '' : `${PARENTS_DIR}/${depth}`;
}

/** The archive path of a member's dir (with a trailing slash, as tar writes dirs). */
export function archiveDir(depth: number): string {
  return depth === 0 ? `${CHECKPOINT_DIR}/` : `${CHECKPOINT_DIR}/${memberDir(depth)}/`;
}

/**
 * The text of the `depth`-th member's parent link in the archive (relative, so the chain survives
 * the rename of the import's temp dir to its target): `parents/1` from the checkpoint itself,
 * `../N+1` from `parents/N`.
 */
export function relinkedParent(depth: number): string {
  return depth === 0 ? `${PARENTS_DIR}/1` : `../${depth + 1}`;
}

/** A member's parent link's archive path. */
export function parentLinkPath(depth: number): string {
  return `${archiveDir(depth)}${PARENT_LINK}`;
}
