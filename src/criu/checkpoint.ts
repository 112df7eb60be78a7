// checkpoint() on real CRIU: the runner over the registered concerns (checkpoint/concerns.ts)
// around one DUMP request; the manifest, written last, marks the checkpoint complete.
import { join } from 'node:path';
import { CHECKPOINT_CONCERNS } from '../checkpoint/concerns.js';
import { CriuError } from '../errors.js';
import { checkpointRoot } from '../launch/namespace-init.js';
import type { CheckpointConcern, CheckpointContext, CheckpointStep } from '../pipeline/checkpoint-phases.js';
import { criuOptions, type OptionsInit } from '../rpc/client.js';
import type { Hooks } from '../rpc/hooks.js';
import type { Checkpoint, CheckpointOptions } from '../types.js';
import { dumpHooks } from './checkpoint-hooks.js';
import { recordCheckpoint } from './checkpoint-record.js';
import { assertCheckpointable } from './checkpoint-target.js';
import { callDump, dumpFailure } from './dump-call.js';
import { discardImages, prepareImagesDir } from './images-dir.js';
import { LOG_LEVEL } from './log.js';
import { criuClient } from './runtime.js';

const DUMP_LOG = 'dump.log';

/**
 * A dump that goes on after its images are written (live migration: CRIU then serves the lazy
 * pages from the frozen tree). The checkpoint is recorded at post-dump, when every image the
 * restore reads is final, and handed to `recorded` while CRIU waits; the DUMP answer comes only
 * once CRIU's work after post-dump is done.
 */
export interface DumpExtension {
  /** CRIU options added to the dump's own (lazy_pages, the page server's port). */
  criu: OptionsInit;
  /** Hooks of CRIU's later notifications (status-ready); the caller's own run as well. */
  hooks?: Hooks;
  /**
   * The recorded checkpoint, the tree frozen. A throw makes CRIU roll the dump back (the tree
   * resumes); for a lazy dump, only after CRIU has started its page server and asked status-ready.
   */
  recorded(checkpoint: Checkpoint): Promise<void>;
  /**
   * Whether the tree is done with if CRIU dies after post-dump: then it is ended, as CRIU would
   * have (calls without an extension: always). A migration says so only once the tree runs at
   * the destination; before, a dead CRIU's tree runs on here.
   */
  treeIsDone(): boolean;
}

/**
 * Begins every concern (checks, nothing created), prepares the images dir, runs the steps'
 * phases around CRIU's DUMP, and records. On a failure the tree lives on as it was (steps' afterDump),
 * the images are discarded but for CRIU's log, and every step is released.
 */
export async function criuCheckpoint(
  requested: number,
  options: CheckpointOptions,
  extension?: DumpExtension,
): Promise<Checkpoint> {
  const client = await criuClient(options.criuPath, 'checkpoint');
  // CRIU loads while the target is checked and the images dir made; it touches nothing before
  // its request, and is killed if none is sent.
  const ahead = client.startAhead();
  const begun = new Map<CheckpointConcern, CheckpointStep>();
  const steps = () => [...begun.values()];
  // Once: before the images of a failed dump are discarded (nothing may still read them), else last.
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (const step of steps()) await step.release?.();
  };
  let criuGone: Promise<void> = Promise.resolve();
  try {
    const pid = await checkpointRoot(requested);
    await assertCheckpointable(pid);
    const context: CheckpointContext = { pid, options, leftRunning: options.leaveRunning ?? false };
    for (const concern of CHECKPOINT_CONCERNS) {
      const step = await concern.begin(context, begun);
      if (step) begun.set(concern, step);
    }
    if (extension && steps().some((step) => step.rewritesPages)) {
      throw new CriuError(
        'UNSUPPORTED',
        `The tree of pid ${pid} needs its images edited after the dump (SysV contents left out, or a parent checkpoint), which a migration cannot wait for. Migrate without those options.`,
        { operation: 'checkpoint', pid },
      );
    }
    const { path: imagesDir, created } = await prepareImagesDir(options.imagesDir);
    const logPath = join(imagesDir, DUMP_LOG);
    const where = { imagesDir, created, logPath, criuPath: client.criuPath };
    let early: Checkpoint | undefined;
    let failure: CriuError | undefined;
    try {
      for (const step of steps()) await step.beforeDump?.(imagesDir);
      const afterWritten = extension
        ? async () => {
            early = await recordCheckpoint(context, steps(), where);
            await extension.recorded(early);
          }
        : undefined;
      const hooks = dumpHooks(
        pid,
        { ...options, hooks: { ...options.hooks, ...extension?.hooks } },
        steps(),
        afterWritten,
        extension?.treeIsDone,
      );
      const opts = dumpOptions(context, imagesDir, extension?.criu);
      ({ failure, criuGone } = await callDump({ client, ahead, pid, opts, options, hooks, logPath }));
    } catch (error) {
      failure = dumpFailure(error, pid);
    }
    const livesOn = Promise.all(steps().map((step) => step.afterDump?.(failure !== undefined)));
    if (failure) {
      await release();
      await discardImages(imagesDir, DUMP_LOG);
      await livesOn.catch((error: unknown) => {
        const message = `${failure.message} ${error instanceof Error ? error.message : ''}`;
        throw new CriuError('DUMP_FAILED', message, { operation: 'checkpoint', pid, logPath, cause: failure });
      });
      throw failure;
    }
    await livesOn;
    if (early) return early;
    for (const step of steps()) await step.finishImages?.(imagesDir);
    return await recordCheckpoint(context, steps(), where);
  } finally {
    // Nothing returns with CRIU still around, or with a step still holding anything.
    await release();
    await Promise.all([criuGone, ahead.dismiss()]);
  }
}

/** CRIU's options for the dump. */
function dumpOptions({ pid, options, leftRunning }: CheckpointContext, imagesDir: string, extra: OptionsInit = {}) {
  return criuOptions({
    imagesDir,
    pid,
    leaveRunning: leftRunning,
    shellJob: options.shellJob ?? false,
    tcpEstablished: options.tcpEstablished ?? false,
    fileLocks: options.fileLocks ?? false,
    extUnixSk: options.extUnixSk ?? false,
    external: [...(options.external ?? [])],
    logLevel: options.logLevel ?? LOG_LEVEL,
    logFile: DUMP_LOG,
    // Notifications are the points where an abort rolls the dump back cleanly.
    notifyScripts: true,
    ...(options.ghostLimit === undefined ? {} : { ghostLimit: options.ghostLimit }),
    ...extra,
  });
}
