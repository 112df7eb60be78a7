// Simulator restore concern: what only the simulator checks before a task exists. Images it can
// restore (its own programs, not real CRIU's), no namespaces or CRIU externals, every task's
// program known, and every task's memory resolved (SysV segments by original shmid).

import { CriuError } from '../errors.js';
import type { RestoreConcern, RestoreStep } from '../pipeline/restore-phases.js';
import type { RestoreOptions } from '../types.js';
import { SIM_NOT_LAZY } from './check.js';
import type { SimRegion } from './model.js';
import { findProgram } from './programs/registry.js';
import { type ImageTask, readImageTasks } from './read-images.js';
import { programRegions } from './spawn.js';
import { resolveSegment, type SimShmSubstitute } from './sysv.js';
import type { SimWorld } from './world.js';

/** The tasks to recreate, each with its memory, for the simulator's execution. */
export interface SimTasksStep extends RestoreStep {
  readonly tasks: readonly ImageTask[];
  readonly regions: readonly SimRegion[][];
}

type SimRestoreOptions = RestoreOptions;

function regionsOf(task: ImageTask, world: SimWorld, options: SimRestoreOptions): SimRegion[] {
  const program = findProgram(task.comm, 'restore');
  const layout = programRegions(program.regions, []);
  return task.regions.map((r) => {
    if (r.shmid === undefined) {
      const name =
        r.start === task.argStart
          ? 'args'
          : (layout.find((l) => l.start === r.start)?.name ?? `anon@${r.start.toString(16)}`);
      return { name, start: r.start, data: r.data, shared: r.shared, writable: r.writable };
    }
    const segment = resolveSegment(
      world.sysv,
      r.shmid,
      r.data.byteLength,
      r.writable,
      options.sysv?.shm?.[String(r.shmid)] as SimShmSubstitute | undefined,
    );
    return { name: 'sysv', start: r.start, data: segment.data, shared: true, writable: r.writable, shmid: r.shmid };
  });
}

/** A `sysv.shm` substitute for a segment the checkpoint never attached would be silently ignored. */
function assertShmNamesKnown(images: readonly ImageTask[], options: SimRestoreOptions): void {
  const attached = new Set(
    images.flatMap((t) => t.regions.flatMap((r) => (r.shmid === undefined ? [] : [String(r.shmid)]))),
  );
  const name = Object.keys(options.sysv?.shm ?? {}).find((n) => !attached.has(n));
  if (name === undefined) return;
  throw new CriuError(
    'INVALID_SUBSTITUTION',
    `sysv.shm names '${name}', but the checkpoint has no SysV attachment with that shmid (it has: ${[...attached].join(', ') || 'none'}).`,
    { operation: 'restore' },
  );
}

/** The simulator's checks, and the tasks it will recreate. */
export function simTasks(world: SimWorld): RestoreConcern {
  return {
    name: 'simulated tasks',
    async plan({ imagesDir, options, checkpoint: { manifest, tree } }) {
      if (manifest?.backend === 'criu') {
        throw new CriuError(
          'INVALID_IMAGES',
          `${imagesDir} was written by real CRIU: the simulator runs only its own programs. Restore it with backend 'criu'.`,
          { operation: 'restore' },
        );
      }
      if (options.joinNs?.length || options.external?.length) {
        throw new CriuError(
          'UNSUPPORTED',
          'The simulator has no namespaces to join and no CRIU externals (joinNs, external).',
          {
            operation: 'restore',
          },
        );
      }
      if (options.lazyPages) {
        throw new CriuError('UNSUPPORTED', SIM_NOT_LAZY.message, {
          operation: 'restore',
        });
      }
      const tasks = await readImageTasks(imagesDir, tree);
      for (const task of tasks) findProgram(task.comm, 'restore');
      assertShmNamesKnown(tasks, options);
      // Every task's memory and SysV attachments are checked before any task exists.
      const step: SimTasksStep = { tasks, regions: tasks.map((task) => regionsOf(task, world, options)) };
      return step;
    },
  };
}
