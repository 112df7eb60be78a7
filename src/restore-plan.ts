// The backend-neutral half of restore: reading and verifying a checkpoint, waiting for its pids,
// and the checks on the fd table every backend makes before anything is restored.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertCheckpointDir } from './criu/images-dir.js';
import { CriuError } from './errors.js';
import type { FdEntry } from './fds/fd-entry.js';
import type { FdSubstitutions, SubstitutionPlan } from './fds/substitute.js';
import { readProcessTree, type TreeTask } from './images/pstree.js';
import { type Manifest, readManifest } from './integrity/manifest.js';
import { assertTrustedImagesDir } from './integrity/trust.js';
import { verifyImages } from './integrity/verify.js';

export interface CheckpointToRestore {
  manifest: Manifest | undefined;
  tree: TreeTask[];
  /**
   * The host pids the restore needs free: every pid and thread id of the image, or none when the
   * tree has a pid namespace of its own (it is restored into a new one, where they are all free).
   */
  pids: number[];
  /** Whether the root is pid 1 of its own pid namespace (e.g. spawn(..., { namespaces: ['pid'] })). */
  ownPidNamespace: boolean;
  /**
   * The root's pid in the fd table: the host pid it had at checkpoint (the table was read from
   * the host's /proc), which in its own pid namespace is not pstree's 1.
   */
  tableRoot: number;
  /**
   * Asked for with `deferPages`: the verdict on the page data, still being hashed (every other
   * image was verified already). Nothing of the tree may run before it resolves.
   */
  pagesVerified: Promise<void> | undefined;
}

/**
 * The checkpoint in `imagesDir`, verified against its manifest first unless `verify` is false.
 * Whether its dir can be trusted (owner, permissions, no symlinks) is checked either way, unless
 * `allowUntrustedImages`: restoring images executes them.
 */
export async function readCheckpointToRestore(
  imagesDir: string,
  options: {
    verify?: boolean | undefined;
    allowUntrustedImages?: boolean | undefined;
    deferPages?: boolean;
    /** Its manifest, when the caller has just read it. */
    manifest?: Manifest | undefined;
  } = {},
): Promise<CheckpointToRestore> {
  await assertCheckpointDir(imagesDir);
  const allowUntrustedImages = options.allowUntrustedImages ?? false;
  // Verification reads the manifest anyway; without it, it is read as it is.
  let manifest: Manifest | undefined;
  let pagesVerified: Promise<void> | undefined;
  if (options.verify ?? true) {
    ({ manifest, pagesVerified } = await verifyImages(imagesDir, {
      allowUntrustedImages,
      deferPages: options.deferPages,
      manifest: options.manifest,
      // A restore trusts page data that is still the very file hashed at checkpoint.
      trustUnchanged: true,
    }));
  } else {
    await assertTrustedImagesDir(imagesDir, { allowUntrusted: allowUntrustedImages });
    manifest = options.manifest ?? (await readManifest(imagesDir));
  }
  const tree = await readProcessTree(imagesDir);
  // pstree.img holds the pids the tree's own namespace sees: only a namespace's init is pid 1
  // (the host's init is never dumped), and its tree's pids mean nothing on the host.
  const ownPidNamespace = tree[0]?.pid === 1;
  const pids = ownPidNamespace ? [] : [...new Set(tree.flatMap((t) => [t.pid, ...t.threads]))];
  const tableRoot = manifest?.pid ?? tree[0]?.pid ?? 0;
  return { manifest, tree, pids, ownPidNamespace, tableRoot, pagesVerified };
}

/** The fd table substitutions are checked against; `fds` needs one (plain `criu dump` images have none). */
export function fdTableToRestore(imagesDir: string, manifest: Manifest | undefined, fds?: FdSubstitutions): FdEntry[] {
  const table = manifest?.fds ?? [];
  if (fds && table.length === 0) {
    const why = `${imagesDir} has no fd table (not made by node-criu): use inheritFds with CRIU keys instead of fds.`;
    throw new CriuError('INVALID_SUBSTITUTION', why, { operation: 'restore' });
  }
  return table;
}

/** A left-out file's substitute of another size is refused unless the caller accepts it. */
export function assertSizeChangesAllowed(plan: SubstitutionPlan, allowSizeChange: boolean): void {
  const change = plan.sizeChanges[0];
  if (change === undefined || allowSizeChange) return;
  const { entry, size } = change;
  throw new CriuError(
    'INVALID_SUBSTITUTION',
    `The substitute of fd ${entry.fd} of pid ${entry.pid} has ${size} bytes but ${entry.path} had ${entry.size}: CRIU would refuse it. Pass allowSizeChange: true to accept the new size.`,
    { operation: 'restore', pid: entry.pid },
  );
}

const POLL_MS = 25;

/**
 * Resolves once `holder` says nothing holds any of `pids`, or fails with PID_IN_USE naming the
 * pid and what holds it at `deadline`; ABORTED if `signal` fires meanwhile.
 */
export async function waitUntilPidsFree(
  pids: readonly number[],
  deadline: number,
  holder: (pid: number) => string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    const taken = pids.find((pid) => holder(pid) !== undefined);
    if (taken === undefined) return;
    if (Date.now() >= deadline) {
      const who = holder(taken);
      if (who === undefined) continue;
      throw new CriuError(
        'PID_IN_USE',
        `Cannot restore: pid ${taken} of the image is in use by '${who}'. Stop that process first; to restore a process any number of times at once, start it with spawn(..., { namespaces: ['pid'] }): each restore of its checkpoint then gets a pid namespace of its own.`,
        { operation: 'restore', pid: taken },
      );
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => {
      throw new CriuError('ABORTED', 'The restore was aborted while waiting for its pids to be free.', {
        operation: 'restore',
        cause: signal?.reason,
      });
    });
  }
}

/** A restored process's `stdio`: the 'pipe' substitutes' ends by fd, at least 0-2. */
export function stdioArray(streams: ReadonlyMap<number, Socket>): (Socket | undefined)[] {
  return Array.from({ length: Math.max(3, ...[...streams.keys()].map((fd) => fd + 1)) }, (_, fd) => streams.get(fd));
}
