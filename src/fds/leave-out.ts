// Turns leave-out advice into CRIU externals, and refuses what cannot be left out or dumped.
import { CriuError } from '../errors.js';
import type { FdEntry } from './fd-entry.js';
import type { LeaveOutRule } from './proc-fds.js';

/** Root fds by number, `{ pid, fd }` pairs, or a predicate over the fd table's rows. */
export type LeaveOutAdvice = readonly (number | { pid: number; fd: number })[] | ((entry: FdEntry) => boolean);

export function leaveOutRule(root: number, advice: LeaveOutAdvice | undefined): LeaveOutRule | undefined {
  if (advice === undefined) return undefined;
  if (typeof advice === 'function') return advice;
  const wanted = new Set(advice.map((a) => (typeof a === 'number' ? `${root}:${a}` : `${a.pid}:${a.fd}`)));
  return (e) => wanted.has(`${e.pid}:${e.fd}`);
}

/** Advice naming fds the tree does not have is a mistake, not something to ignore. */
export function assertAdviceMatches(root: number, advice: LeaveOutAdvice | undefined, table: readonly FdEntry[]): void {
  if (advice === undefined || typeof advice === 'function') return;
  for (const a of advice) {
    const { pid, fd } = typeof a === 'number' ? { pid: root, fd: a } : a;
    if (!table.some((e) => e.pid === pid && e.fd === fd)) {
      throw new CriuError(
        'INVALID_SUBSTITUTION',
        `leaveOut names fd ${fd} of pid ${pid}, which the tree does not have.`,
        {
          operation: 'checkpoint',
          pid,
        },
      );
    }
  }
}

/** CRIU cannot dump these at all; say so before it freezes anything. */
export function assertDumpable(table: readonly FdEntry[]): void {
  const bad = table.find((e) => e.type === 'io_uring');
  if (bad) {
    throw new CriuError(
      'UNSUPPORTED',
      `pid ${bad.pid} has an io_uring instance at fd ${bad.fd} (${bad.target}), which CRIU cannot checkpoint. ` +
        'Node >= 22 opens io_uring rings in every event loop, whatever its environment says. ' +
        "Start the process with node-criu's spawn() or fork(), which block io_uring in the child so that libuv uses epoll, " +
        'or disable io_uring on the whole machine with `sysctl kernel.io_uring_disabled=2`.',
      { operation: 'checkpoint', pid: bad.pid },
    );
  }
}

/** The --external keys for the left-out fds; an fd kind CRIU cannot treat as external is refused. */
export function externalsFor(table: readonly FdEntry[]): string[] {
  const keys = new Set<string>();
  for (const e of table) {
    if (!e.leftOut || e.type === 'pipe') continue; // a pipe needs nothing at dump, only a substitute at restore
    if (!e.externalKey) {
      throw new CriuError(
        'UNSUPPORTED',
        `fd ${e.fd} of pid ${e.pid} (${e.type}) cannot be left out: CRIU has no external form for it.`,
        { operation: 'checkpoint', pid: e.pid },
      );
    }
    keys.add(e.externalKey);
  }
  return [...keys];
}
