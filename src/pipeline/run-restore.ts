// The restore runner: the phases of restore-phases.ts in order, over the registered concerns, with
// failure handling and cleanup in one place. What differs between backends (how the tree is made
// and resumed) is the execution it is given.
import type { RestoredProcess } from '../types.js';
import { type MergedHandle, mergeHandle } from './criu-contribution.js';
import type { PlannedSteps, RestoreConcern, RestoreContext, RestoredTree, RestoreStep } from './restore-phases.js';

/** How one backend makes, resumes and ends a tree; the runner decides when. */
export interface RestoreExecution<Tree extends RestoredTree> {
  /** Restores the tree (stopped when `stopped`) from the images, with the steps' edits and CRIU options. */
  start(steps: readonly RestoreStep[], stopped: boolean): Promise<Tree>;
  /** The tasks the images say were stopped at checkpoint (when no step knows better). */
  stoppedAtCheckpoint(tree: Tree): Promise<readonly number[]>;
  /** Lets the stopped tree run, but for `keepStopped`. */
  resume(tree: Tree, keepStopped: readonly number[]): void | Promise<void>;
  /** Ends a tree that must not live on. */
  end(tree: Tree): Promise<void>;
  /** The caller's handle on the running tree, with what the steps contribute to it. */
  handle(tree: Tree, contributed: MergedHandle): RestoredProcess;
  /** Last, whatever happened: the execution's own cleanup (a copy of the images, a work dir). */
  finish(succeeded: boolean): Promise<void>;
}

/**
 * Restores through `concerns` (in their order): plan every step (nothing runs), prepare, start
 * the tree, the stopped phase, resume, the handle, after-resume. A failure anywhere ends what was started,
 * gets each step's explanation, and every step is released, last planned first.
 */
export async function runRestore<Tree extends RestoredTree>(
  context: RestoreContext,
  concerns: readonly RestoreConcern[],
  execution: RestoreExecution<Tree>,
): Promise<RestoredProcess> {
  const planned = new Map<RestoreConcern, RestoreStep>();
  const steps = () => [...planned.values()];
  let failed = true;
  try {
    for (const concern of concerns) {
      const step = await concern.plan(context, planned as PlannedSteps);
      if (step) planned.set(concern, step);
    }
    for (const step of steps()) await step.prepare?.();
    const stopped = steps().some((step) => step.keepsStopped);
    const tree = await execution.start(steps(), stopped);
    let handle: RestoredProcess;
    try {
      for (const step of steps()) await step.whileStopped?.(tree);
      if (stopped) await execution.resume(tree, await keptStopped(steps(), () => execution.stoppedAtCheckpoint(tree)));
      handle = execution.handle(tree, mergeHandle(steps()));
    } catch (error) {
      await execution.end(tree);
      throw error;
    }
    for (const step of steps()) step.afterResume?.(tree);
    const exited = () => {
      for (const step of steps()) step.afterExit?.();
    };
    handle.exited.then(exited, exited);
    failed = false;
    return handle;
  } catch (error) {
    let failure = error;
    for (const step of steps()) failure = (await step.explain?.(failure)) ?? failure;
    throw failure;
  } finally {
    for (const step of steps().reverse()) await step.release?.(failed);
    await execution.finish(!failed);
  }
}

/** Tasks that stay stopped on resume: as the steps that know say, else as the images say. */
async function keptStopped(steps: readonly RestoreStep[], fromImages: () => Promise<readonly number[]>) {
  const known = steps.filter((step) => step.stoppedBefore !== undefined);
  return known.length > 0 ? known.flatMap((step) => step.stoppedBefore ?? []) : fromImages();
}
