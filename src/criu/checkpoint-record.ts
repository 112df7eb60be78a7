// The end of a checkpoint: the steps' records gathered into the manifest (written last: it marks
// the checkpoint complete) and into the Checkpoint returned.
import { readProcessTree } from '../images/pstree.js';
import { readDumpStats } from '../images/stats.js';
import { recordedDumpOptions, recordManifest } from '../integrity/record.js';
import type { CheckpointContext, CheckpointRecord, CheckpointStep } from '../pipeline/checkpoint-phases.js';
import type { Checkpoint } from '../types.js';
import { verifiedVersion } from './runtime.js';

interface Where {
  imagesDir: string;
  logPath: string;
  criuPath: string;
}

export async function recordCheckpoint(
  { pid, options, leftRunning }: CheckpointContext,
  steps: readonly CheckpointStep[],
  { imagesDir, logPath, criuPath }: Where,
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
    ...(parts.sysv ? { sysv: parts.sysv } : {}),
    digest: parts.digests !== undefined,
    followed: parts.digests?.followed,
  });
  return {
    imagesDir,
    pid,
    pids,
    tree,
    leftRunning,
    fds,
    mappings,
    stats: await readDumpStats(imagesDir),
    logPath,
    ...(parts.sysvResult ? { sysv: parts.sysvResult } : {}),
  };
}
