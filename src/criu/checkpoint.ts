// checkpoint() on real CRIU: a DUMP request, then the tree and CRIU's stats read back.
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import type { FdEntry } from '../fds/fd-entry.js';
import { assertAdviceMatches, assertDumpable, externalsFor, leaveOutRule } from '../fds/leave-out.js';
import { readTreeFds, treePids } from '../fds/proc-fds.js';
import { assertMappingAdviceMatches, type MappingEntry, mappingRule, readTreeMappings } from '../fds/proc-maps.js';
import { RequestType } from '../gen/criu_rpc_pb.js';
import { readProcessTree } from '../images/pstree.js';
import { readDumpStats } from '../images/stats.js';
import { followImages, type ImagesFollower } from '../integrity/follow-images.js';
import { type RecordInput, recordManifest } from '../integrity/record.js';
import { checkpointRoot } from '../launch/namespace-init.js';
import { criuOptions } from '../rpc/client.js';
import type { Hooks } from '../rpc/hooks.js';
import { inHostIpcNamespace } from '../sysv/attachments.js';
import { type DetachedSegments, detachSegments, reattachSegments } from '../sysv/host-detach.js';
import { ipcNamespaceOf } from '../sysv/ipc-namespace.js';
import { contentsToLeaveOut, dropContents } from '../sysv/ipcns-contents.js';
import { snapshotSysv } from '../sysv/snapshot.js';
import type { SnapshotObject } from '../sysv/snapshot-format.js';
import type { Checkpoint, CheckpointOptions } from '../types.js';
import { explainFailure } from './explain.js';
import { discardImages, prepareImagesDir } from './images-dir.js';
import { processExists, startTime } from './pids.js';
import { criuClient, verifiedVersion } from './runtime.js';

const LOG_FILE = 'dump.log';
/** CRIU's own default: errors and warnings, all that explain.ts reads (see OperationOptions.logLevel). */
export const LOG_LEVEL = 2;

export async function criuCheckpoint(requested: number, options: CheckpointOptions): Promise<Checkpoint> {
  const client = await criuClient(options.criuPath, 'checkpoint');
  const pid = await checkpointRoot(requested);
  if (!processExists(pid)) {
    throw new CriuError('NO_SUCH_PROCESS', `Cannot checkpoint pid ${pid}: no such process.`, {
      operation: 'checkpoint',
      pid,
    });
  }
  // CRIU would freeze this very process, which then could never answer it.
  const treeBefore = await treePids(pid);
  if (treeBefore.includes(process.pid)) {
    throw new CriuError(
      'UNSUPPORTED',
      `pid ${pid} is this process or one of its ancestors: a process cannot checkpoint a tree it is part of.`,
      {
        operation: 'checkpoint',
        pid,
      },
    );
  }
  const rule = leaveOutRule(pid, options.leaveOut);
  const mapRule = mappingRule(options.leaveOutMappings);
  // The fd table and the shared mappings, read once, while CRIU has the tree frozen (below).
  let fds: FdEntry[] = [];
  let mappings: MappingEntry[] = [];
  // IPC-namespace mode: segments whose contents stay out of the images, checked now.
  const contentsLeftOut = contentsToLeaveOut(pid, options.sysv?.leaveOutContents);
  // CRIU has written every image once post-dump is answered; what it still does is end (or
  // release) the tree, write stats-dump and answer. If it dies in between, the checkpoint is kept.
  let imagesWritten = false;
  // Who the tree's processes are (pid and start time), read while CRIU has them frozen.
  let frozen = new Map<number, string | undefined>();
  // Hashes the images as CRIU writes them (IPC-namespace mode rewrites pages files afterwards).
  let follower: ImagesFollower | undefined;
  const hooks: Hooks = {
    ...options.hooks,
    postDump: async (context) => {
      const answer = await options.hooks?.postDump?.(context);
      imagesWritten = answer !== false;
      if (imagesWritten) follower?.imagesWritten();
      return answer;
    },
    // CRIU asks here with the tree frozen: the table read now is exactly what gets dumped. What
    // CRIU cannot dump and advice naming nothing throw here: CRIU rolls back, the tree runs on.
    // (Read once, here only: a read before the dump as well cost ~30 ms for a tree of 100.)
    queryExtFiles: async (context) => {
      const tree = await treePids(pid);
      frozen = new Map(tree.map((p) => [p, startTime(p)]));
      fds = await readTreeFds(pid, rule, tree);
      mappings = await readTreeMappings(tree, mapRule);
      assertMappingAdviceMatches(options.leaveOutMappings, mappings);
      assertDumpable(fds);
      assertAdviceMatches(pid, options.leaveOut, fds);
      const extra = await options.hooks?.queryExtFiles?.(context);
      if (extra === false) return false;
      const mapped = mappings.filter((m) => m.leftOut).map((m) => m.key);
      // CRIU dumps the tasks' memory next.
      follower?.memoryDumpStarts();
      return [...externalsFor(fds), ...mapped, ...(Array.isArray(extra) ? extra : [])];
    },
  };
  const imagesDir = await prepareImagesDir(options.imagesDir);
  const logPath = join(imagesDir, LOG_FILE);
  const leftRunning = options.leaveRunning ?? false;
  const opts = criuOptions({
    imagesDir,
    pid,
    leaveRunning: options.leaveRunning ?? false,
    shellJob: options.shellJob ?? false,
    tcpEstablished: options.tcpEstablished ?? false,
    fileLocks: options.fileLocks ?? false,
    extUnixSk: options.extUnixSk ?? false,
    external: [...(options.external ?? [])],
    logLevel: options.logLevel ?? LOG_LEVEL,
    logFile: LOG_FILE,
    // Notifications are the points where an abort rolls the dump back cleanly.
    notifyScripts: true,
    ...(options.ghostLimit === undefined ? {} : { ghostLimit: options.ghostLimit }),
  });
  let failure: CriuError | undefined;
  // Host-namespace SysV segments, which CRIU refuses, are detached last: the tasks that had them
  // stay stopped from here until CRIU is done (no segment contents are read or written).
  let sysv: DetachedSegments | undefined;
  let snapshot: SnapshotObject[] | undefined;
  // CRIU's exit after a success, awaited once the checkpoint is recorded (the two overlap).
  let criuExit: Promise<void> = Promise.resolve();
  try {
    sysv = await detachSegments(await treePids(pid));
    // Taken while the tasks that attach segments are stopped; the files become images of the
    // checkpoint (in its manifest, digested with the rest).
    if (options.sysv?.snapshot) {
      // A tree with an IPC namespace of its own has its ids there.
      const where = inHostIpcNamespace(pid) ? {} : { ipcNamespace: ipcNamespaceOf(pid) };
      snapshot = (await snapshotSysv(options.sysv.snapshot, imagesDir, where)).objects;
    }
    if ((options.digest ?? true) && contentsLeftOut.length === 0) follower = followImages(imagesDir);
    const { response, refusal, criuGone } = await client.call(RequestType.DUMP, opts, {
      operation: 'checkpoint',
      hooks,
      signal: options.signal,
      timeout: options.timeout,
      logPath,
      overlapExit: true,
    });
    criuExit = criuGone;
    if (refusal && refusal.error instanceof CriuError) {
      // Our own checks in query-ext-files (io_uring appeared, an fd that cannot be left out).
      failure = refusal.error;
    } else if (refusal) {
      failure = new CriuError(
        'ABORTED',
        `The checkpoint of pid ${pid} was stopped by the ${refusal.notification} hook.`,
        {
          operation: 'checkpoint',
          pid,
          logPath,
          cause: refusal.error,
        },
      );
    } else if (!response.success) {
      failure = await explainFailure(response, { operation: 'checkpoint', pid, logPath, fallback: 'DUMP_FAILED' });
    }
  } catch (error) {
    failure =
      error instanceof CriuError
        ? error
        : new CriuError('DUMP_FAILED', String(error), { operation: 'checkpoint', pid, cause: error });
  }
  if (failure?.code === 'PROTOCOL' && imagesWritten) failure = finishForDeadCriu(frozen, leftRunning);
  // A tree that lives on gets its segments back in place and runs (or stays stopped) as before.
  const restored = sysv && (failure || leftRunning) ? reattachSegments(sysv) : Promise.resolve();
  if (failure) {
    await follower?.stop();
    await discardImages(imagesDir, LOG_FILE);
    await restored.catch((error: unknown) => {
      throw new CriuError('DUMP_FAILED', `${failure.message} ${error instanceof Error ? error.message : ''}`, {
        operation: 'checkpoint',
        pid,
        logPath,
        cause: failure,
      });
    });
    throw failure;
  }
  try {
    await restored;
    await dropContents(imagesDir, contentsLeftOut);
    const tree = await readProcessTree(imagesDir);
    const pids = tree.map((t) => t.pid);
    // Last: the manifest marks the checkpoint complete, so nothing before it can pass for one.
    await recordManifest(imagesDir, {
      backend: 'criu',
      criuVersion: await verifiedVersion(client.criuPath),
      pid,
      pids,
      leftRunning,
      dumpOptions: {
        shellJob: opts.shellJob,
        tcpEstablished: opts.tcpEstablished,
        fileLocks: opts.fileLocks,
        extUnixSk: opts.extUnixSk,
      },
      fds,
      mappings,
      ...(sysv?.attachments.length || snapshot || contentsLeftOut.length
        ? {
            sysv: {
              attachments: sysv?.attachments ?? [],
              stoppedBefore: sysv?.stoppedBefore ?? [],
              ...(snapshot ? { snapshot: snapshot.map(({ kind, id }) => ({ kind, id })) } : {}),
              ...(contentsLeftOut.length ? { contentsLeftOut } : {}),
            },
          }
        : {}),
      digest: options.digest ?? true,
      followed: await follower?.finish(),
    } as RecordInput);
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
      ...(sysv?.attachments.length || snapshot || contentsLeftOut.length
        ? {
            sysv: {
              attachments: sysv?.attachments ?? [],
              ...(snapshot ? { snapshot } : {}),
              ...(contentsLeftOut.length ? { contentsLeftOut } : {}),
            },
          }
        : {}),
    };
  } finally {
    // Nothing returns with CRIU still around, or with the pages still followed (a failure above).
    await follower?.stop();
    await criuExit;
  }
}

/**
 * CRIU died after writing every image (post-dump answered) but before answering the dump. Its
 * remaining job was to kill the tree (or, leaving it running, release it, which its death did):
 * finishing that job keeps a complete checkpoint instead of losing it with the tree half-killed.
 */
function finishForDeadCriu(tree: ReadonlyMap<number, string | undefined>, leftRunning: boolean): undefined {
  if (!leftRunning) {
    for (const [pid, started] of tree) {
      // Only the process CRIU had frozen, never one that took its pid since.
      if (started === undefined || startTime(pid) !== started) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // killed by CRIU meanwhile
      }
    }
  }
  return undefined;
}
