// Restore concern: what each fd of the tree becomes. The caller's `fds` table (and defaults for
// fds whose peer was outside the tree) is checked against the checkpoint's fd table and turned
// into CRIU's inherit-fds; substitutes of another size get files.img relaxed in the linked copy.
import type { FdEntry } from '../fds/fd-entry.js';
import { defaultOutsideFds } from '../fds/outside-defaults.js';
import { type FdSubstitutions, planSubstitutions, releasePlan, type SubstitutionPlan } from '../fds/substitute.js';
import type { PlannedSteps, RestoreConcern, RestoreStep } from '../pipeline/restore-phases.js';
import { assertSizeChangesAllowed, fdTableToRestore } from '../restore-plan.js';
import { relaxFiles } from '../rewrite/file-edits.js';

/** The fd step, whose plan the mappings concern adds to and the pipe-data concern replays into. */
export interface FdStep extends RestoreStep {
  readonly substitution: SubstitutionPlan;
}

/** The fd step among the planned ones (there is one in every restore). */
export function fdStepOf(planned: PlannedSteps | readonly RestoreStep[]): FdStep | undefined {
  return [...planned.values()].find((step): step is FdStep => 'substitution' in step);
}

/**
 * 'pipe' substitutes made before planning, by a backend that cannot use the addon's pipes (the
 * simulator's Node socket pairs); planSubstitutions then sees them as streams.
 */
export interface PipeMaker {
  make(subs: FdSubstitutions | undefined, table: readonly FdEntry[], root: number): Promise<MadePipes>;
}

export interface MadePipes {
  subs: FdSubstitutions | undefined;
  /** Registers our ends in the plan (the handle's streams, the pipes to replay data into). */
  adopt(plan: SubstitutionPlan): void;
  release(failed: boolean): void;
}

/** The fd concern; with `pipes`, 'pipe' substitutes come from it. */
export function fdSubstitutionWith(pipes?: PipeMaker): RestoreConcern {
  return {
    name: 'fd substitution',
    async plan({ imagesDir, options, checkpoint: { manifest, tableRoot } }) {
      const table = fdTableToRestore(imagesDir, manifest, options.fds);
      const outside = defaultOutsideFds(table, tableRoot, options.fds, options.outsideFds);
      const made = await pipes?.make(outside.fds, table, tableRoot);
      let plan: SubstitutionPlan;
      try {
        // Opens the substitutes ('pipe' ends): from here on the step's release closes them.
        plan = planSubstitutions(table, tableRoot, made ? made.subs : outside.fds, outside.criuRecreates);
      } catch (error) {
        made?.release(true);
        throw error;
      }
      made?.adopt(plan);
      const step: FdStep = {
        substitution: plan,
        // Read when CRIU is called: the mappings concern adds to the plan after this one.
        get criu() {
          return { inheritFds: plan.inheritFds, skipFileRwxCheck: plan.relaxRwxCheck };
        },
        handle: { streams: plan.streams, defaultedFds: outside.defaulted },
        // Every substitute is planned by now (fds and mappings).
        prepare: async () => assertSizeChangesAllowed(plan, options.allowSizeChange ?? false),
        editImages: async (images) => {
          if (plan.sizeChanges.length === 0) return;
          await relaxFiles(
            images,
            plan.sizeChanges.map(({ entry, size }) => ({ name: entry.key, size })),
          );
        },
        // CRIU has its copies of the substitutes; our stream ends live on only if the restore did.
        release: (failed) => {
          releasePlan(plan, failed);
          made?.release(failed);
        },
      };
      return step;
    },
  };
}

/** CRIU's restore: 'pipe' substitutes are the addon's pipes and socket pairs. */
export const fdSubstitution = fdSubstitutionWith();
