// Turns a restore's fd substitution table into CRIU inherit-fd entries, checked against the
// checkpoint's fd table first: CRIU silently ignores a key that matches nothing.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import tty from 'node:tty';
import { CriuError } from '../errors.js';
import { loadNative } from '../native.js';
import type { AccessMode, FdEntry } from './fd-entry.js';
import { accessOf } from './proc-fds.js';
import {
  assertFdSubstitutions,
  type FdSubstitute,
  type FdSubstitutions,
  isSubstitute,
  sameSubstitute,
  streamFd,
  substitutePath,
} from './substitute-form.js';

export type { FdSubstitute, FdSubstitutions } from './substitute-form.js';

export interface SubstitutionPlan {
  /** CRIU key -> our fd, for restore's inheritFds. */
  inheritFds: Record<string, number>;
  /** Our ends of 'pipe' substitutes, by the restored root's fd number. */
  streams: Map<number, Socket>;
  /** Fds opened for the restore; closed once CRIU has its copies. */
  opened: number[];
  /**
   * A new pipe stands in for a left-out file or FIFO: CRIU reopens it and would compare its
   * permission bits (0600) with the original's, so that check must be relaxed.
   */
  relaxRwxCheck: boolean;
  /** The root's pipes replaced by new ones, to replay what was buffered in them. */
  newPipes: { entry: FdEntry; stream: Socket }[];
  /** Left-out files whose substitute has another size than the dumped file (CRIU checks it). */
  sizeChanges: { entry: FdEntry; size: number }[];
}

/** INVALID_SUBSTITUTION, the error of every substitute that cannot be honoured. */
export function invalid(message: string, pid?: number): CriuError {
  return new CriuError('INVALID_SUBSTITUTION', message, { operation: 'restore', pid });
}

/** Normalises both table shapes into [pid, fd, substitute] triples. */
export function flatten(
  root: number,
  subs: FdSubstitutions,
  pids: ReadonlySet<number>,
): [number, number, FdSubstitute][] {
  // Checked here too, not only by the options: a backend may be called directly.
  assertFdSubstitutions(subs, 'fds');
  const out: [number, number, FdSubstitute][] = [];
  for (const [k, v] of Object.entries(subs)) {
    const n = Number(k);
    if (isSubstitute(v)) out.push([root, n, v]);
    else if (typeof v === 'object' && v !== null && pids.has(n)) {
      for (const [fd, sub] of Object.entries(v)) out.push([n, Number(fd), sub as FdSubstitute]);
    } else {
      throw invalid(`fds[${k}] is neither a substitute for fd ${k} nor a table for a pid of the checkpoint.`);
    }
  }
  return out;
}

/**
 * Access mode of one of our fds, from /proc/self/fdinfo. Where there is no /proc (the simulator
 * on macOS), only that the fd is open can be checked, and its access is taken as read-write.
 */
function accessOfOurFd(fd: number): AccessMode {
  if (process.platform !== 'linux') {
    fstatSync(fd);
    return 'rw';
  }
  const flags = /^flags:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  return accessOf(Number.parseInt(flags ?? '2', 8));
}

const covers = (have: AccessMode, need: AccessMode) => have === 'rw' || have === need;

function openFlags(access: AccessMode, create: boolean): number {
  const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_APPEND } = constants;
  if (access === 'r') return O_RDONLY;
  // Appending: a substituted log must not overwrite what is already there.
  return (access === 'w' ? O_WRONLY | O_APPEND : O_RDWR) | (create ? O_CREAT : 0);
}

/**
 * Plans the substitutions. Throws INVALID_SUBSTITUTION, before anything is restored, for an
 * unknown pid or fd, a left-out fd without a substitute (`subs` already holds the defaults of
 * defaultOutsideFds; `criuRecreates` the keys CRIU restores itself), a conflicting pair, or a
 * substitute that cannot serve the fd (a read-only file where the process writes).
 */
export function planSubstitutions(
  table: readonly FdEntry[],
  root: number,
  subs: FdSubstitutions = {},
  criuRecreates: ReadonlySet<string> = new Set(),
): SubstitutionPlan {
  const plan: SubstitutionPlan = {
    inheritFds: {},
    streams: new Map(),
    opened: [],
    relaxRwxCheck: false,
    newPipes: [],
    sizeChanges: [],
  };
  const pids = new Set(table.map((e) => e.pid));
  const given = flatten(root, subs, pids);
  const byKey = new Map<string, { sub: FdSubstitute; fd: number; stream: Socket | undefined }>();
  try {
    for (const [pid, fd, sub] of given) {
      const entry = table.find((e) => e.pid === pid && e.fd === fd);
      if (!entry) {
        throw invalid(
          pids.has(pid)
            ? `pid ${pid} had no fd ${fd} at checkpoint (it had ${table
                .filter((e) => e.pid === pid)
                .map((e) => e.fd)
                .join(', ')}).`
            : `pid ${pid} is not part of the checkpoint.`,
          pid,
        );
      }
      if (sub === 'pipe' && pid !== root) {
        throw invalid(
          `'pipe' substitutes are exposed as streams for the root only: give fd ${fd} of pid ${pid} an fd or a path.`,
          pid,
        );
      }
      // fds sharing one resource (0, 1 and 2 on one terminal) share one substitute, if they were given the same.
      const earlier = byKey.get(entry.key);
      if (earlier && !sameSubstitute(earlier.sub, sub)) {
        throw invalid(
          `fd ${fd} of pid ${pid} shares ${entry.key} with another substituted fd, but was given a different substitute.`,
          pid,
        );
      }
      const ours = earlier ? earlier.fd : resolve(entry, sub, plan);
      const stream = earlier ? earlier.stream : plan.streams.get(entry.fd);
      if (stream) plan.streams.set(entry.fd, stream);
      byKey.set(entry.key, { sub, fd: ours, stream });
      plan.inheritFds[entry.key] = ours;
    }
    const missing = table.filter((e) => e.leftOut && plan.inheritFds[e.key] === undefined && !criuRecreates.has(e.key));
    if (missing.length > 0) {
      const list = missing.map((e) => `fd ${e.fd} of pid ${e.pid} (${e.type} ${e.key})`).join(', ');
      throw invalid(
        `These fds were left out of the checkpoint by its leaveOut advice and need a substitute (fds option): ${list}.`,
        missing[0]?.pid,
      );
    }
    return plan;
  } catch (error) {
    releasePlan(plan, true);
    throw error;
  }
}

function resolve(entry: FdEntry, sub: FdSubstitute, plan: SubstitutionPlan): number {
  const where = `fd ${entry.fd} of pid ${entry.pid}`;
  if (sub === 'pipe') {
    const native = loadNative();
    if (entry.type === 'tty') {
      // A terminal gets a new pty: the process keeps a terminal, we get the master side.
      const pty = native.openPty();
      plan.opened.push(pty.slave);
      plan.streams.set(entry.fd, ptyMasterStream(pty.master));
      return pty.slave;
    }
    if (entry.type === 'unix' || entry.type === 'socket') {
      const [ours, theirs] = native.streamSocketPair();
      plan.opened.push(theirs);
      plan.streams.set(entry.fd, new Socket({ fd: ours, readable: true, writable: true }));
      return theirs;
    }
    // A pipe: the process keeps its direction; we get the other end.
    if (entry.leftOut && (entry.type === 'file' || entry.type === 'fifo')) plan.relaxRwxCheck = true;
    const [readEnd, writeEnd] = native.pipePair();
    const [theirs, ours] = entry.access === 'r' ? [readEnd, writeEnd] : [writeEnd, readEnd];
    plan.opened.push(theirs);
    const stream = new Socket({ fd: ours, readable: ours === readEnd, writable: ours === writeEnd });
    plan.streams.set(entry.fd, stream);
    if (entry.type === 'pipe') plan.newPipes.push({ entry, stream });
    return theirs;
  }
  let fd: number;
  if (sub === 'inherit' || typeof sub === 'number') {
    fd = sub === 'inherit' ? entry.fd : sub;
  } else if (substitutePath(sub) !== undefined) {
    const path = substitutePath(sub) as string;
    try {
      fd = openSync(path, openFlags(entry.access, sub !== 'null'), 0o600);
    } catch (error) {
      throw Object.assign(invalid(`${where} cannot use ${path}: ${(error as Error).message}.`, entry.pid), {
        cause: error,
      });
    }
    plan.opened.push(fd);
  } else {
    const streamed = streamFd(sub);
    if (streamed === undefined) throw invalid(`The substitute for ${where} is a stream without an fd.`, entry.pid);
    fd = streamed;
  }
  let have: AccessMode;
  try {
    have = accessOfOurFd(fd);
  } catch {
    throw invalid(`The substitute for ${where} is fd ${fd}, which this process does not have open.`, entry.pid);
  }
  // CRIU compares a left-out file's size with the dumped one, unless it was opened write+append.
  if (entry.leftOut && entry.type === 'file' && !(entry.access === 'w' && entry.append)) {
    const size = fstatSync(fd).size;
    if (size !== entry.size) plan.sizeChanges.push({ entry, size });
  }
  if (!covers(have, entry.access)) {
    throw invalid(
      `${where} was opened '${entry.access}' but its substitute (fd ${fd}) is '${have}': the process could not use it.`,
      entry.pid,
    );
  }
  return fd;
}

/**
 * The master side of a pty as a duplex stream. Linux reports the last slave closing (the
 * process exited) as EIO on the master: that is the stream's end, not an error.
 */
function ptyMasterStream(fd: number): Socket {
  const stream = new tty.ReadStream(fd);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EIO') return;
    // Ours is the only listener: keep an unhandled error loud, as it would be without it.
    if (stream.listenerCount('error') === 1)
      process.nextTick(() => {
        throw error;
      });
  });
  return stream;
}

/**
 * Gives the new pipes what the process had not read yet from the old ones at checkpoint: CRIU
 * saves that data (it saves none for a pipe whose read end is outside the tree) but does not put
 * it into a pipe given by inherit-fd. Written before the caller can write anything.
 */
export function replayPipeData(plan: SubstitutionPlan, buffered: ReadonlyMap<number, Buffer>): void {
  for (const { entry, stream } of plan.newPipes) {
    const data = buffered.get(entry.inode);
    if (data && data.length > 0 && entry.access === 'r') stream.write(data);
  }
}

/** Closes the fds opened for CRIU (it has its copies), and on failure our stream ends too. */
export function releasePlan(plan: SubstitutionPlan, failed: boolean): void {
  for (const fd of plan.opened.splice(0)) {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
  if (failed) for (const stream of plan.streams.values()) stream.destroy();
}
