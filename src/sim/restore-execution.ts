// How the simulator makes, resumes and ends a restored tree, for the restore runner: its own
// programs recreated from the images, each fd wired to the image's file or the planned substitute,
// with CRIU's notifications (hooks, abort, timeout) at the same points.

import { CriuError } from '../errors.js';
import { streamFd } from '../fds/substitute-form.js';
import { mergeCriu } from '../pipeline/criu-contribution.js';
import type { RestoreContext, RestoredTree, RestoreStep } from '../pipeline/restore-phases.js';
import type { RestoreExecution } from '../pipeline/run-restore.js';
import { type FdStep, fdStepOf } from '../restore/fd-substitution.js';
import { OperationGuard } from './guard.js';
import { hostFile } from './host-file.js';
import type { SimFile, SimRegion } from './model.js';
import type { SimPipes } from './pipe-pairs.js';
import { SimProcess } from './process.js';
import { findProgram } from './programs/registry.js';
import { callerStreamsOf, fileFromImage } from './restore-files.js';
import type { SimTasksStep } from './restore-tasks.js';
import { SimRestoredProcess } from './restored-process.js';
import type { SimWorld } from './world.js';

interface SimTree extends RestoredTree {
  readonly processes: readonly SimProcess[];
}

const isTasksStep = (step: RestoreStep): step is SimTasksStep => 'tasks' in step;

export function simExecution(world: SimWorld, context: RestoreContext, pipes: SimPipes): RestoreExecution<SimTree> {
  const { options, checkpoint } = context;
  const guard = new OperationGuard({ operation: 'restore', ...options, pid: undefined });
  const created: SimProcess[] = [];
  const root = checkpoint.tableRoot;
  let stoppedInImages: number[] = [];
  const resume = async (tree: SimTree, keepStopped: readonly number[]) => {
    await guard.notify('pre-resume', root);
    for (const proc of tree.processes) {
      proc.start(false);
      if (keepStopped.includes(proc.pid)) proc.stop();
    }
    await guard.notify('post-resume', root);
  };
  return {
    async start(steps, stopped) {
      const { tasks, regions } = steps.find(isTasksStep) as SimTasksStep;
      const plan = (fdStepOf(steps) as FdStep).substitution;
      const { inheritFds } = mergeCriu(steps);
      const table = checkpoint.manifest?.fds ?? [];
      await guard.notify('pre-restore', undefined);
      const substitutes = new Map<string, SimFile>();
      const theirsByFd = pipes.theirs();
      // The caller's streams are read and written through Node, like the process would its dup.
      const callerStreams = new Map(callerStreamsOf(options.fds).map((s) => [streamFd(s), s] as const));
      const keyOf = (pid: number, fd: number) => table.find((e) => e.pid === pid && e.fd === fd)?.key;
      const byFileId = new Map<number, SimFile>();
      for (const [index, task] of tasks.entries()) {
        const fds = new Map<number, SimFile>();
        for (const { fd, fileId, file } of task.fds) {
          const key = keyOf(task.pid, fd);
          const ours = key === undefined ? undefined : inheritFds[key];
          let sim: SimFile | undefined;
          if (ours !== undefined && key !== undefined) {
            sim = substitutes.get(key);
            if (!sim) {
              const socket = theirsByFd.get(ours);
              const owned = plan.opened.includes(ours) || socket !== undefined;
              const entry = table.find((e) => e.key === key);
              sim = hostFile(ours, owned, entry?.flags ?? 2);
              if (socket) sim.host = { stream: socket, owned: true };
              const given = callerStreams.get(ours);
              if (given) sim.host = { stream: given, owned: false };
              // Its other end is outside the simulator: a later checkpoint leaves it out again.
              if (sim.kind === 'unix' || sim.kind === 'pipe') sim.peer = world.nextInode();
              if (owned) plan.opened = plan.opened.filter((o) => o !== ours);
              substitutes.set(key, sim);
            }
          } else {
            sim = byFileId.get(fileId);
            if (!sim) {
              if (!file) {
                throw new CriuError('INVALID_IMAGES', `fd ${fd} of pid ${task.pid} names no file of files.img.`, {
                  operation: 'restore',
                });
              }
              sim = await fileFromImage(file, world);
              byFileId.set(fileId, sim);
            }
          }
          sim.refs++;
          fds.set(fd, sim);
        }
        const proc = new SimProcess(world, {
          pid: task.pid,
          ppid: index === 0 ? process.pid : task.ppid,
          pgid: task.pgid,
          sid: task.sid,
          threads: task.threads.length > 0 ? [...task.threads] : [task.pid],
          program: findProgram(task.comm, 'restore'),
          args: task.args,
          regions: regions[index] as SimRegion[],
          fds,
        });
        world.add(proc);
        created.push(proc);
      }
      await guard.notify('post-restore', root);
      stoppedInImages = tasks.filter((task) => task.stopped).map((task) => task.pid);
      const tree: SimTree = { root, pids: created.map((p) => p.pid), processes: [...created] };
      if (!stopped) await resume(tree, stoppedInImages);
      return tree;
    },
    stoppedAtCheckpoint: async () => stoppedInImages,
    resume,
    async end() {
      for (const proc of [...created].reverse()) proc.kill('SIGKILL');
    },
    handle(tree, { streams, defaultedFds }) {
      return new SimRestoredProcess(tree.processes[0] as SimProcess, [...tree.pids], streams, defaultedFds);
    },
    async finish(succeeded) {
      guard.dispose();
      // Nothing restored lives on.
      if (!succeeded) for (const proc of [...created].reverse()) proc.kill('SIGKILL');
    },
  };
}
