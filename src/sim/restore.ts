// restore() in the simulator: the CRIU backend's checks (integrity, pids, substitutions, sizes)
// through the same shared code, then the tree recreated from its images with its fds wired to
// the substitutes, and resumed.
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { Duplex, Readable, Writable } from 'node:stream';
import { CriuError } from '../errors.js';
import { O_ACCMODE, O_APPEND } from '../fds/linux-constants.js';
import { defaultOutsideFds } from '../fds/outside-defaults.js';
import { readPipeData } from '../fds/pipe-data.js';
import {
  type FdSubstitutions,
  planMappings,
  planSubstitutions,
  releasePlan,
  replayPipeData,
  type SubstitutionPlan,
} from '../fds/substitute.js';
import { FdType, type FileEntry } from '../gen/criu_images_files_pb.js';
import {
  assertSizeChangesAllowed,
  fdTableToRestore,
  readCheckpointToRestore,
  waitUntilPidsFree,
} from '../restore-plan.js';
import type { RestoredProcess, RestoreOptions } from '../types.js';
import { OperationGuard } from './guard.js';
import { hostFile } from './host-file.js';
import { hostSocketPair, socketFd } from './host-socket-pair.js';
import type { SimFile, SimRegion } from './model.js';
import { SimProcess } from './process.js';
import { findProgram } from './programs/registry.js';
import { type ImageTask, readImageTasks } from './read-images.js';
import { SimRestoredProcess } from './restored-process.js';
import { programRegions } from './spawn.js';
import { resolveSegment, type SimShmSubstitute } from './sysv.js';
import { type SimWorld, simWorld } from './world.js';

const DEFAULT_PID_WAIT_MS = 5000;

/** The fd behind a Node stream, as planSubstitutions finds it. */
function streamFd(stream: Duplex): number | undefined {
  const s = stream as unknown as { fd?: unknown; _handle?: { fd?: unknown } };
  const fd = typeof s.fd === 'number' ? s.fd : s._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** The duplex streams among the caller's substitutes (root table and per-pid tables). */
function callerStreamsOf(subs: FdSubstitutions | undefined): Duplex[] {
  const out: Duplex[] = [];
  const visit = (v: unknown) => {
    if (v instanceof Duplex) out.push(v);
    else if (typeof v === 'object' && v !== null && !(v instanceof Readable) && !(v instanceof Writable)) {
      for (const inner of Object.values(v)) visit(inner);
    }
  };
  for (const v of Object.values(subs ?? {})) visit(v);
  return out.filter((s) => streamFd(s) !== undefined);
}
const S_IFSOCK = 0o140000;

/** restore()'s options; `sysv.shm` substitutes segments by original shmid, as for CRIU's host mode. */
export type SimRestoreOptions = RestoreOptions;

/** 'pipe' substitutes of the root become real socket pairs first: [ours, theirs] by fd. */
async function pairsForPipes(
  subs: FdSubstitutions | undefined,
  table: readonly { pid: number; fd: number; key: string }[],
  root: number,
): Promise<{ subs: FdSubstitutions | undefined; pairs: Map<number, [Socket, Socket]> }> {
  const pairs = new Map<number, [Socket, Socket]>();
  if (!subs) return { subs, pairs };
  const byKey = new Map<string, [Socket, Socket]>();
  const out: Record<number, unknown> = {};
  for (const [k, sub] of Object.entries(subs)) {
    const fd = Number(k);
    const entry = table.find((e) => e.pid === root && e.fd === fd);
    if (sub !== 'pipe' || !entry) {
      out[fd] = sub;
      continue;
    }
    // fds sharing one resource share one new pipe, as planSubstitutions gives them.
    const pair = byKey.get(entry.key) ?? (await hostSocketPair());
    byKey.set(entry.key, pair);
    pairs.set(fd, pair);
    out[fd] = pair[1];
  }
  return { subs: out as FdSubstitutions, pairs };
}

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

/** A file of the image that nothing substitutes: reopened by path, or an end with nothing behind it. */
async function fileFromImage(file: FileEntry, world: SimWorld): Promise<SimFile> {
  const base = { position: 0, uid: 0, gid: 0, refs: 0, host: undefined, mountId: 0, size: 0 } as const;
  if (file.type === FdType.PIPE && file.pipe) {
    return {
      ...base,
      kind: 'pipe',
      inode: file.pipe.pipeId,
      path: undefined,
      flags: file.pipe.flags,
      mode: 0o10600,
      peer: file.pipe.pipeId,
    };
  }
  if (file.type === FdType.UNIXSK && file.usk) {
    return {
      ...base,
      kind: 'unix',
      inode: file.usk.ino,
      path: undefined,
      flags: file.usk.flags,
      mode: S_IFSOCK | 0o777,
      peer: file.usk.peer,
    };
  }
  const reg = file.reg;
  if (file.type === FdType.REG && reg && !reg.ext) {
    const handle = await open(reg.name, reg.flags & (O_ACCMODE | O_APPEND)).catch((error: Error) => {
      throw new CriuError('RESTORE_FAILED', `The simulator cannot reopen ${reg.name}: ${error.message}.`, {
        operation: 'restore',
        cause: error,
      });
    });
    const described = hostFile(handle.fd, true, reg.flags);
    return {
      ...described,
      path: reg.name,
      flags: reg.flags,
      position: Number(reg.pos),
      inode: described.inode || world.nextInode(),
    };
  }
  throw new CriuError(
    'INVALID_IMAGES',
    `files.img entry ${file.id} (type ${file.type}) is not one the simulator restores.`,
    {
      operation: 'restore',
    },
  );
}

export async function simRestore(
  imagesDir: string,
  options: SimRestoreOptions,
  world: SimWorld = simWorld(),
): Promise<RestoredProcess> {
  const { manifest, tree, pids, tableRoot: rootPid } = await readCheckpointToRestore(imagesDir, options);
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
  const deadline = Date.now() + (options.pidWaitTimeout ?? DEFAULT_PID_WAIT_MS);
  const holder = (pid: number) => {
    const p = world.holder(pid);
    return p ? `${p.program.name} ${p.args.join(' ')}`.trim() : undefined;
  };
  await waitUntilPidsFree(pids, deadline, holder, options.signal);
  const table = fdTableToRestore(imagesDir, manifest, options.fds);
  const buffered = (options.replayPipeData ?? true) ? await readPipeData(imagesDir) : new Map<number, Buffer>();
  const images = await readImageTasks(imagesDir, tree);
  for (const task of images) findProgram(task.comm, 'restore');
  assertShmNamesKnown(images, options);
  const outside = defaultOutsideFds(table, rootPid, options.fds, options.outsideFds);
  const { subs, pairs } = await pairsForPipes(outside.fds, table, rootPid);
  let plan: SubstitutionPlan | undefined;
  const created: SimProcess[] = [];
  const guard = new OperationGuard({ operation: 'restore', ...options, pid: undefined });
  let failed = true;
  try {
    plan = planSubstitutions(table, rootPid, subs, outside.criuRecreates);
    planMappings(manifest?.mappings ?? [], options.mappings, plan, options.skipFileRwxCheck);
    assertSizeChangesAllowed(plan, options.allowSizeChange ?? false);
    for (const [fd, [ours]] of pairs) {
      plan.streams.set(fd, ours);
      const entry = table.find((e) => e.pid === rootPid && e.fd === fd);
      if (entry?.type === 'pipe') plan.newPipes.push({ entry, stream: ours });
    }
    const inheritFds = { ...plan.inheritFds, ...options.inheritFds };
    // Every task's memory and SysV attachments are checked before any task exists.
    const regions = images.map((task) => regionsOf(task, world, options));
    await guard.notify('pre-restore', undefined);
    const substitutes = new Map<string, SimFile>();
    const theirsByFd = new Map([...pairs.values()].map(([, theirs]) => [socketFd(theirs), theirs] as const));
    // The caller's streams are read and written through Node, like the process would its dup.
    const callerStreams = new Map(callerStreamsOf(options.fds).map((s) => [streamFd(s), s] as const));
    const keyOf = (pid: number, fd: number) => table.find((e) => e.pid === pid && e.fd === fd)?.key;
    const byFileId = new Map<number, SimFile>();
    for (const [index, task] of images.entries()) {
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
            if (!file)
              throw new CriuError('INVALID_IMAGES', `fd ${fd} of pid ${task.pid} names no file of files.img.`, {
                operation: 'restore',
              });
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
    await guard.notify('post-restore', rootPid);
    await guard.notify('pre-resume', rootPid);
    for (const [index, proc] of created.entries()) {
      proc.start(false);
      if (images[index]?.stopped) proc.stop();
    }
    replayPipeData(plan, buffered);
    await guard.notify('post-resume', rootPid);
    failed = false;
    const root = created[0] as SimProcess;
    return new SimRestoredProcess(
      root,
      created.map((p) => p.pid),
      plan.streams,
      outside.defaulted,
    );
  } finally {
    guard.dispose();
    if (failed) {
      // Nothing restored lives on, and every new end is closed.
      for (const proc of created.reverse()) {
        proc.kill('SIGKILL');
      }
      for (const [ours, theirs] of pairs.values()) {
        ours.destroy();
        theirs.destroy();
      }
    }
    if (plan) releasePlan(plan, failed);
  }
}
