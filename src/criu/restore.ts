// restore() on real CRIU: wait for the pids, RESTORE as our child (rst_sibling), watch the root.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriuError } from '../errors.js';
import { defaultOutsideFds } from '../fds/outside-defaults.js';
import { readPipeData } from '../fds/pipe-data.js';
import { treePids } from '../fds/proc-fds.js';
import {
  planMappings,
  planSubstitutions,
  releasePlan,
  replayPipeData,
  type SubstitutionPlan,
} from '../fds/substitute.js';
import { removeDir } from '../fs/flat-dir.js';
import { RequestType } from '../gen/criu_rpc_pb.js';
import { ImageSet as InspectedImages } from '../inspect/image-set.js';
import { readTasks, taskState } from '../inspect/tasks.js';
import { innermostPid } from '../launch/namespace-init.js';
import { loadNative, type ProcessWatcher } from '../native.js';
import {
  assertSizeChangesAllowed,
  type CheckpointToRestore,
  fdTableToRestore,
  readCheckpointToRestore,
  waitUntilPidsFree,
} from '../restore-plan.js';
import { relaxFiles } from '../rewrite/file-edits.js';
import type { LinkedCopy } from '../rewrite/linked-copy.js';
import { ImageSet, rewriteImages } from '../rewrite/rewrite.js';
import { type CriuRpcClient, criuOptions } from '../rpc/client.js';
import { FIRST_INHERITED_FD } from '../rpc/swrk.js';
import { readIpcNamespaceImages } from '../sysv/ipcns-images.js';
import { planIpcNamespaceRestore } from '../sysv/ipcns-restore.js';
import { sysvSection } from '../sysv/manifest-section.js';
import { attachRestored, resumeTree } from '../sysv/restore-attach.js';
import { type CreatedObject, createPlanned, planSysvRestore, removeObjects } from '../sysv/restore-objects.js';
import type { RestoredProcess, RestoreOptions } from '../types.js';
import { LOG_LEVEL } from './checkpoint.js';
import { explainFailure } from './explain.js';
import { pidHolder } from './pids.js';
import { CriuRestoredProcess, signalNumber } from './restored-process.js';
import { criuClient } from './runtime.js';

const LOG_FILE = 'restore.log';
const DEFAULT_PID_WAIT_MS = 5000;
/** A freed pid stays unusable for 1-2 s on this kernel: CRIU fails with EEXIST meanwhile. */
const PID_RETRY_MS = 150;

export async function criuRestore(imagesDir: string, options: RestoreOptions): Promise<RestoredProcess> {
  const client = await criuClient(options.criuPath, 'restore');
  // Page data is verified while CRIU restores the tree, stopped; it resumes only on the verdict.
  const checkpoint = await readCheckpointToRestore(imagesDir, { ...options, deferPages: true });
  try {
    return await restoreTree(client, imagesDir, options, checkpoint);
  } catch (error) {
    // An altered checkpoint is reported as such, whatever failed meanwhile (its pids taken, CRIU).
    throw (
      (await checkpoint.pagesVerified?.then(
        () => undefined,
        (verdict: unknown) => verdict,
      )) ?? error
    );
  }
}

async function restoreTree(
  client: CriuRpcClient,
  imagesDir: string,
  options: RestoreOptions,
  checkpoint: CheckpointToRestore,
): Promise<RestoredProcess> {
  const { manifest, tree, pids, ownPidNamespace, tableRoot, pagesVerified } = checkpoint;
  const deadline = Date.now() + (options.pidWaitTimeout ?? DEFAULT_PID_WAIT_MS);
  await waitUntilPidsFree(pids, deadline, pidHolder, options.signal);
  const table = fdTableToRestore(imagesDir, manifest, options.fds);
  // Read (and so validated) before anything runs: nothing may fail once the tree is running.
  const buffered = (options.replayPipeData ?? true) ? await readPipeData(imagesDir) : new Map<number, Buffer>();
  // Host-mode SysV: every substitute is found and checked now; the tree is restored stopped.
  const sysv = sysvSection(manifest, imagesDir);
  // A tree with an IPC namespace of its own: options.sysv speaks of that namespace's objects.
  const ownNamespace = await readIpcNamespaceImages(new ImageSet(imagesDir));
  const ipcns = await planIpcNamespaceRestore(ownNamespace, sysv, options.sysv, options.joinNs, imagesDir);
  // Segments, sets and queues to recreate from snapshots are checked now, created before CRIU runs.
  const sysvPlan = await planSysvRestore(sysv, ownNamespace ? undefined : options.sysv, imagesDir);
  // Host attachments, refills and joined-namespace attachments are made before the tree runs.
  const attaching = sysv !== undefined || ipcns !== undefined;
  const stopped = attaching || pagesVerified !== undefined;
  if (attaching && ownPidNamespace) {
    // Attachments and stopped tasks are named by pids that mean nothing in the new namespace.
    throw new CriuError(
      'UNSUPPORTED',
      `${imagesDir} is a tree with a pid namespace of its own: its SysV segments cannot yet be attached, refilled or renumbered at restore. Restore it with its IPC namespace as CRIU saved it (no sysv or joinNs options), or checkpoint it without namespaces: ['pid'].`,
      { operation: 'restore' },
    );
  }
  // Everything is checked against the table before CRIU runs: a wrong key would be ignored by it.
  // Planned last of the checks: it opens the substitutes ('pipe' ends), which the finally below releases.
  const outside = defaultOutsideFds(table, tableRoot, options.fds, options.outsideFds);
  const plan = planSubstitutions(table, tableRoot, outside.fds, outside.criuRecreates);
  let created: CreatedObject[] = [];
  const dumped = manifest?.dumpOptions;
  let failed = true;
  let copy: LinkedCopy | undefined;
  let workDir: string | undefined;
  let criuSucceeded = false;
  let criuExit: Promise<void> | undefined;
  try {
    planMappings(manifest?.mappings ?? [], options.mappings, plan, options.skipFileRwxCheck);
    const restoreOptions: RestoreOptions = {
      ...options,
      // A checkpoint restores with the options it was dumped with, unless told otherwise.
      shellJob: options.shellJob ?? dumped?.shellJob,
      tcpEstablished: options.tcpEstablished ?? dumped?.tcpEstablished,
      fileLocks: options.fileLocks ?? dumped?.fileLocks,
      extUnixSk: options.extUnixSk ?? dumped?.extUnixSk,
      skipFileRwxCheck: options.skipFileRwxCheck || plan.relaxRwxCheck,
    };
    const inheritFds = { ...plan.inheritFds, ...options.inheritFds };
    copy = await restorableCopy(imagesDir, plan, options.allowSizeChange ?? false, ipcns?.edit);
    workDir = await restoreWorkDir(options.workDir);
    const made = await createPlanned(sysvPlan);
    created = made.created;
    const shmIds = made.shmIds;
    const { root, criuGone } = await runRestore(
      client,
      copy.dir,
      restoreOptions,
      inheritFds,
      pids,
      deadline,
      stopped,
      workDir,
    ).catch(async (error: unknown) => {
      // A failure CRIU cleaned up after leaves nothing; a stopped or killed CRIU may not have.
      await endLeftovers(pids);
      throw error;
    });
    criuSucceeded = true;
    criuExit = criuGone;
    let watcher: ProcessWatcher | undefined;
    // The restored tree's host pids: the image's own, or, in a new pid namespace, the root's tree there.
    const all = ownPidNamespace ? await treePids(root) : [root, ...tree.slice(1).map((t) => t.pid)];
    try {
      watcher = loadNative().watchProcess(root);
      await pagesVerified;
      // Nothing runs before every segment is attached: a failure ends the still-stopped tree.
      if (sysv) await attachRestored(sysv, shmIds);
      await ipcns?.complete(root);
      if (stopped) {
        const before = attaching
          ? [...(sysv?.stoppedBefore ?? []), ...(ipcns?.stoppedBefore ?? [])]
          : await stoppedAtCheckpoint(imagesDir, all, ownPidNamespace);
        resumeTree(all, before);
      }
      replayPipeData(plan, buffered);
    } catch (error) {
      watcher?.close();
      await endTree(root, all);
      throw error;
    }
    failed = false;
    return new CriuRestoredProcess(watcher, all, plan.streams, outside.defaulted);
  } finally {
    // CRIU has its copies of the substitutes; our stream ends live on only if the restore did.
    releasePlan(plan, failed);
    // Objects recreated for a restore that failed would outlive it: nothing is left behind.
    if (failed) removeObjects(created);
    // CRIU's log stays after CRIU failed (the error names it); otherwise it goes with the copy.
    const ownWorkDir = options.workDir === undefined && criuSucceeded ? workDir : undefined;
    await Promise.all([copy?.dir, ownWorkDir].map((dir) => dir && removeDir(dir)));
    // CRIU exited while the above ran; nothing returns with it still around.
    await criuExit;
  }
}

/**
 * The host pids (of `all`, the restored tree) of the tasks the images say were stopped at
 * checkpoint: resuming the tree leaves them stopped. In its own pid namespace the images name
 * tasks by their pids in there.
 */
async function stoppedAtCheckpoint(imagesDir: string, all: readonly number[], ownPidNamespace: boolean) {
  const tasks = await readTasks(await InspectedImages.open(imagesDir));
  const stopped = new Set(tasks.filter((t) => taskState(t.stateCode) === 'stopped').map((t) => t.pid));
  return all.filter((pid) => stopped.has(ownPidNamespace ? (innermostPid(pid) ?? 0) : pid));
}

/** Where CRIU writes its restore log: the caller's dir, or a new private one. */
async function restoreWorkDir(requested: string | undefined): Promise<string> {
  if (requested === undefined) return mkdtemp(join(tmpdir(), 'node-criu-restore-'));
  await mkdir(requested, { recursive: true, mode: 0o700 });
  return requested;
}

/**
 * CRIU restores from a linked copy of the images: it writes stats-restore into the dir it reads,
 * and the original must stay as it was. Substitutes of another size get files.img rewritten in
 * the copy (allowSizeChange), IPC-namespace choices their edits; pages are never copied.
 */
async function restorableCopy(
  imagesDir: string,
  plan: SubstitutionPlan,
  allowSizeChange: boolean,
  sysvEdit: ((images: ImageSet) => Promise<void>) | undefined,
): Promise<LinkedCopy> {
  assertSizeChangesAllowed(plan, allowSizeChange);
  const changes = plan.sizeChanges;
  // CRIU reads the copy, never its manifest: none is written.
  return rewriteImages(
    imagesDir,
    async (images) => {
      await sysvEdit?.(images);
      if (changes.length === 0) return;
      await relaxFiles(
        images,
        changes.map(({ entry, size }) => ({ name: entry.key, size })),
      );
    },
    { manifest: false },
  );
}

/**
 * After a failed restore, ends whatever of the image is still our child: a tree a stopped or
 * killed CRIU left behind, or the zombie of a root CRIU itself gave up on (it would hold the pid
 * against the next attempt). The pids were free before CRIU ran, so a child of ours holding one
 * now is CRIU's work.
 */
async function endLeftovers(pids: readonly number[]): Promise<void> {
  for (const pid of pids) if (isOurChild(pid)) await endTree(pid, pids);
}

/** Whether `pid` is a child of this process (a restored root is one, through rst_sibling). */
function isOurChild(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
  } catch {
    return false;
  }
}

/**
 * Ends a restored tree that must not live on: every pid of the image that is `root` or one of
 * its descendants (a pid reused by someone else since is not touched). The root, our child, is
 * reaped; its children go to init.
 */
async function endTree(root: number, imagePids: readonly number[]): Promise<void> {
  if (!isOurChild(root)) return;
  const watcher = loadNative().watchProcess(root);
  const image = new Set(imagePids);
  for (const pid of (await treePids(root)).filter((p) => image.has(p)).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  watcher.kill(signalNumber('SIGKILL'));
  await watcher.exited;
}

/**
 * Runs CRIU's RESTORE (again while a just-freed pid is still unusable); returns the root pid and
 * CRIU's exit, which the caller awaits after its own work.
 */
async function runRestore(
  client: CriuRpcClient,
  imagesDir: string,
  options: RestoreOptions,
  inheritFds: Record<string, number>,
  pids: readonly number[],
  deadline: number,
  leaveStopped: boolean,
  workDir: string,
): Promise<{ root: number; criuGone: Promise<void> }> {
  const inherit = Object.entries(inheritFds);
  const logPath = join(workDir, LOG_FILE);
  // CRIU opens work_dir_fd through /proc/<our pid>/fd, so it must stay open during the call.
  const workDirFd = openSync(workDir, 'r');
  const opts = criuOptions({
    imagesDir,
    workDirFd,
    rstSibling: true,
    // Host-mode SysV attachments are made in the stopped tree before it runs.
    leaveStopped,
    shellJob: options.shellJob ?? false,
    tcpEstablished: options.tcpEstablished ?? false,
    fileLocks: options.fileLocks ?? false,
    extUnixSk: options.extUnixSk ?? false,
    skipFileRwxCheck: options.skipFileRwxCheck ?? false,
    logLevel: options.logLevel ?? LOG_LEVEL,
    logFile: LOG_FILE,
    // Notifications are where hooks run and where an abort or timeout stops CRIU; without any of
    // them each would only cost a round trip (a plain restore had six, ~3 ms).
    notifyScripts: options.hooks !== undefined || options.signal !== undefined || options.timeout !== undefined,
    external: [...(options.external ?? [])],
    inheritFd: inherit.map(([key], i) => ({ key, fd: FIRST_INHERITED_FD + i })),
    joinNs: (options.joinNs ?? []).map((j) => ({
      ns: j.ns,
      nsFile: j.nsFile,
      ...(j.extraOpt ? { extraOpt: j.extraOpt } : {}),
    })),
  });
  let restored: { root: number; criuGone: Promise<void> };
  try {
    for (;;) {
      const { response, refusal, criuGone } = await client.call(RequestType.RESTORE, opts, {
        operation: 'restore',
        hooks: options.hooks,
        signal: options.signal,
        timeout: options.timeout,
        inheritFds: inherit.map(([, fd]) => fd),
        logPath,
        overlapExit: true,
      });
      // Even when CRIU went on (a refused post-resume), the caller asked to stop: the tree is ended.
      if (refusal) {
        throw new CriuError('ABORTED', `The restore of ${imagesDir} was stopped by the ${refusal.notification} hook.`, {
          operation: 'restore',
          logPath,
          cause: refusal.error,
        });
      }
      if (response.success && response.restore) {
        restored = { root: response.restore.pid, criuGone };
        break;
      }
      const error = await explainFailure(response, { operation: 'restore', logPath, fallback: 'RESTORE_FAILED' });
      if (error.code === 'PID_IN_USE' && Date.now() < deadline && pids.every((p) => pidHolder(p) === undefined)) {
        await endLeftovers(pids);
        await sleep(PID_RETRY_MS, undefined, { signal: options.signal }).catch((cause: unknown) => {
          throw new CriuError('ABORTED', 'The restore was aborted while waiting for a pid to be usable.', {
            operation: 'restore',
            cause,
          });
        });
        continue;
      }
      throw error;
    }
  } finally {
    closeSync(workDirFd);
  }
  return restored;
}
