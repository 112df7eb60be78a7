// The end of a checkpoint: the steps' records gathered into the manifest (written last: it marks
// the checkpoint complete) and into the Checkpoint returned.
import { withRemoval } from '../checkpoint-removal.js';
import { readProcessTree } from '../images/pstree.js';
import { readDumpStats } from '../images/stats.js';
import { recordedDumpOptions, recordManifest } from '../integrity/record.js';
import type { CheckpointContext, CheckpointRecord, CheckpointStep } from '../pipeline/checkpoint-phases.js';
import { restoreNeeds } from '../restore-needs.js';
import type { Checkpoint } from '../types.js';
import { verifiedVersion } from './runtime.js';

interface Where {
  imagesDir: string;
  /** node-criu made the dir: removing the checkpoint removes it. */
  created: boolean;
  logPath: string;
  criuPath: string;
}

export async function recordCheckpoint(
  { pid, options, leftRunning }: CheckpointContext,
  steps: readonly CheckpointStep[],
  { imagesDir, created, logPath, criuPath }: Where,
): Promise<Checkpoint> {
  // Each step records its own members; no two record the same one.
  const parts: CheckpointRecord = Object.assign({}, ...(await Promise.all(steps.map((step) => step.record?.()))));
  const tree = await readProcessTree(imagesDir);
  const pids = tree.map((t) => t.pid);
  const fds = parts.fds ?? [];
  const mappings = parts.mappings ?? [];
  await recordManifest(imagesDir, {
    backend: 'criu',
    criuVersion: await verifiedVersion(criuPath),
    pid,
    pids,
    leftRunning,
    dumpOptions: recordedDumpOptions(options),
    fds,
    mappings,
    ...(parts.ipc ? { ipc: parts.ipc } : {}),
    ...(parts.sysv ? { sysv: parts.sysv } : {}),
    ...(parts.parent ? { parent: parts.parent } : {}),
    digest: parts.digests !== undefined,
    followed: parts.digests?.followed,
  });
  const result = {
    imagesDir,
    pid,
    pids,
    tree,
    leftRunning,
    fds,
    mappings,
    needs: restoreNeeds(pid, fds, mappings, parts.sysvResult?.contentsLeftOut),
    stats: await readDumpStats(imagesDir),
    logPath,
    ...(parts.sysvResult ? { sysv: parts.sysvResult } : {}),
    ...(parts.parent
      ? {
          parent: {
            link: parts.parent.link,
            pagesInParent: parts.parent.pagesInParent,
            pagesDumped: parts.parent.pagesDumped,
          },
        }
      : {}),
  };
  return withRemoval(result, imagesDir, created);
}
