// CRIU's dump notifications as the checkpoint phases: query-ext-files (the tree frozen) runs every
// step's whileFrozen, post-dump their imagesWritten; the caller's own hooks run as well.
import { treePids } from '../fds/proc-fds.js';
import type { CheckpointStep } from '../pipeline/checkpoint-phases.js';
import type { Hooks } from '../rpc/hooks.js';
import type { CheckpointOptions } from '../types.js';
import { startTime } from './pids.js';

export interface DumpHooks {
  hooks: Hooks;
  /**
   * CRIU's answers given ahead (rpc/conversation.ts): pre-dump at once, post-dump once every step
   * has settled with what it read while frozen, each unless a hook of the caller's or an extension
   * may refuse there. Undefined with a signal or timeout: a stop must find CRIU at each of them.
   */
  answerAhead: ((answer: () => void) => void) | undefined;
  /** Whether CRIU had written every image (post-dump answered). */
  imagesWritten(): boolean;
  /** Who the tree's processes were (pid and start time) while CRIU had them frozen. */
  frozen(): ReadonlyMap<number, string | undefined>;
}

/**
 * `afterWritten` runs at post-dump after the steps' imagesWritten; its throw rolls the dump back.
 * `treeIsDone`: whether, CRIU dying after post-dump, its tree is to be ended (default: yes).
 */
export function dumpHooks(
  pid: number,
  options: CheckpointOptions,
  steps: readonly CheckpointStep[],
  afterWritten?: () => Promise<void>,
  treeIsDone: () => boolean = () => true,
): DumpHooks {
  let written = false;
  let frozen = new Map<number, string | undefined>();
  let answerNext: (() => void) | undefined;
  let postDumpCame = false;
  // Post-dump ahead, from query-ext-files on: once every step that waits for it has nothing left to
  // refuse, unless post-dump came first (then it was answered as it came).
  const answerPostDumpWhenSettled = () => {
    if (!answerNext || options.hooks?.postDump || afterWritten) return;
    const settled = steps.map((step) => (step.imagesWritten ? (step.settledEarly?.() ?? false) : true));
    Promise.all(settled).then(
      (all) => all.every(Boolean) && !postDumpCame && answerNext?.(),
      () => {},
    );
  };
  const hooks: Hooks = {
    ...options.hooks,
    postDump: async (notification) => {
      postDumpCame = true;
      const answer = await options.hooks?.postDump?.(notification);
      written = answer !== false;
      try {
        if (written) await Promise.all(steps.map((step) => step.imagesWritten?.()));
        if (written) await afterWritten?.();
      } catch (error) {
        // Refused: CRIU rolls back, and a CRIU that dies now must not have the tree killed for it.
        written = false;
        throw error;
      }
      return answer;
    },
    // A step's throw here rolls the dump back: the tree runs on.
    queryExtFiles: async (notification) => {
      const pids = await treePids(pid);
      // Read once CRIU has its answer (a tree of 100 took ~2 ms, CRIU waiting): it dumps memory
      // next, the tree still frozen, and only a CRIU that dies after post-dump needs them.
      setImmediate(() => {
        frozen = new Map(pids.map((p) => [p, startTime(p)]));
      });
      const keys: string[] = [];
      for (const step of steps) keys.push(...((await step.whileFrozen?.(pids)) ?? []));
      const extra = await options.hooks?.queryExtFiles?.(notification);
      if (extra === false) return false;
      answerPostDumpWhenSettled();
      return [...keys, ...(Array.isArray(extra) ? extra : [])];
    },
  };
  const stoppable = options.signal !== undefined || options.timeout !== undefined;
  const answerAhead = stoppable
    ? undefined
    : (given: () => void) => {
        answerNext = given;
        if (!options.hooks?.preDump) given();
      };
  return { hooks, answerAhead, imagesWritten: () => written && treeIsDone(), frozen: () => frozen };
}
