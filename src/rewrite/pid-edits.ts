// Edits that give tasks of a checkpoint new pids, so that a copy can be restored while the
// original pids are taken (the original still running after a leave-running checkpoint, say).
import { readFile } from 'node:fs/promises';
import { CriuError } from '../errors.js';
import { PstreeEntrySchema } from '../gen/criu_images_pb.js';
import { resolveImageName } from '../images/codec.js';
import type { Manifest } from '../integrity/manifest.js';
import type { ImageSet } from './rewrite.js';

/** Image kinds CRIU names after a task's pid (or, for core and signal-p, a thread id). */
const PER_TASK_KINDS: ReadonlySet<string> = new Set([
  'core',
  'ids',
  'mm',
  'vmas',
  'pagemap',
  'fs',
  'sigacts',
  'itimers',
  'posix-timers',
  'creds',
  'rlimit',
  'signal-s',
  'signal-p',
]);

/** Kinds that hold no pid and can be large: not decoded. */
const NO_PIDS_INSIDE: ReadonlySet<string> = new Set(['pagemap', 'pagemap-shmem', 'pages', 'mm', 'vmas', 'stats']);

/**
 * Message fields that name a task by pid, per message type. A pid outside the map (the session
 * leader of a shell job, say) is left as it is.
 */
const PID_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // threads: a single-threaded task's one thread id is its pid.
  'nodecriu.images.PstreeEntry': ['pid', 'ppid', 'pgid', 'sid', 'threads'],
  'nodecriu.images.FownEntry': ['pid'],
  'nodecriu.images.TtyInfoEntry': ['sid', 'pgrp'],
  'nodecriu.images.FileLockEntry': ['pid'],
  'nodecriu.images.PidfdEntry': ['nspid'],
  'nodecriu.images.PosixTimerEntry': ['notifyThreadId'],
};

function unsafe(pid: number, why: string): CriuError {
  return new CriuError('UNSUPPORTED', `Cannot give task ${pid} a new pid: ${why}.`, {
    operation: 'read-images',
    pid,
  });
}

async function pidMax(): Promise<number> {
  const text = await readFile('/proc/sys/kernel/pid_max', 'utf8').catch(() => '4194304');
  return Number(text.trim());
}

/** Rewrites every pid-valued field of `value` (a decoded message, recursively) through `map`. */
function renumberFields(value: unknown, map: ReadonlyMap<number, number>): void {
  if (Array.isArray(value)) {
    for (const item of value) renumberFields(item, map);
    return;
  }
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  const record = value as Record<string, unknown>;
  const fields = PID_FIELDS[String(record.$typeName)] ?? [];
  for (const [key, field] of Object.entries(record)) {
    if (fields.includes(key) && typeof field === 'number') {
      const to = map.get(field);
      if (to !== undefined) record[key] = to;
    } else if (fields.includes(key) && Array.isArray(field)) {
      record[key] = field.map((id: number) => map.get(id) ?? id);
    } else {
      renumberFields(field, map);
    }
  }
}

/**
 * Gives the tasks of the checkpoint new pids: `map` from a task's pid to its new one. Updated:
 * pstree (pids, parents, process groups, sessions), the per-task images' names, and every pid
 * the images hold (file owners, terminal sessions and process groups, file locks, pidfds, POSIX
 * timer targets), and the manifest. Pages are not touched.
 *
 * "Where safe": only single-threaded tasks, since glibc keeps a thread's id in its thread
 * descriptor (pthread_kill, PI and robust mutexes use it) and the kernel keeps no record of it
 * to fix; and not pid 1 of a pid namespace. A program that wrote its pid somewhere itself (a
 * pidfile, a peer) keeps the old one there. Throws RangeError for a pid that is not a task of
 * the checkpoint, a new pid that is taken in the images or out of range, and CriuError
 * UNSUPPORTED where a change would not be safe.
 */
export async function renumberPids(images: ImageSet, map: ReadonlyMap<number, number>): Promise<void> {
  const pstree = await images.get('pstree.img');
  const tasks = pstree.entries.map((e) => e.as(PstreeEntrySchema));
  const max = await pidMax();
  const taken = new Set(tasks.flatMap((t) => [t.pid, ...t.threads]));
  const targets = new Set<number>();
  for (const [from, to] of map) {
    const task = tasks.find((t) => t.pid === from);
    if (!task) throw new RangeError(`Pid ${from} is not a task of the checkpoint in ${images.dir}`);
    if (!Number.isInteger(to) || to < 2 || to >= max) throw new RangeError(`New pid ${to} is not in 2..${max - 1}`);
    if ((taken.has(to) && !map.has(to)) || targets.has(to)) {
      throw new RangeError(`New pid ${to} for ${from} is already a pid or thread id in the checkpoint`);
    }
    targets.add(to);
    if (from === 1) throw unsafe(from, 'it is the init of its pid namespace');
    if (task.threads.length > 1) {
      throw unsafe(from, `it has ${task.threads.length} threads, and glibc keeps thread ids in the task's memory`);
    }
  }

  for (const name of await images.names()) {
    const parsed = resolveImageName(name);
    if (!parsed || parsed.type.header === 'none' || NO_PIDS_INSIDE.has(parsed.type.name)) continue;
    for (const entry of (await images.get(name)).entries) renumberFields(entry.message, map);
  }
  // Renamed after the loop: names() lists the original dir, so each image is visited once.
  for (const name of await images.names()) {
    const parsed = resolveImageName(name);
    const to = parsed && PER_TASK_KINDS.has(parsed.type.name) ? map.get(Number(parsed.id)) : undefined;
    if (parsed && to !== undefined) images.rename(name, name.replace(`-${parsed.id}.`, `-${to}.`));
  }
  images.editManifest((manifest) => renumberManifest(manifest, map));
}

function renumberManifest(manifest: Manifest, map: ReadonlyMap<number, number>): Manifest {
  const pid = (p: number): number => map.get(p) ?? p;
  return {
    ...manifest,
    pid: pid(manifest.pid),
    pids: manifest.pids.map(pid),
    fds: manifest.fds.map((fd) => ({ ...fd, pid: pid(fd.pid) })),
    mappings: manifest.mappings.map((m) => ({ ...m, pid: pid(m.pid) })),
  };
}
