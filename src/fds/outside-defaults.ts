// What the fds left out only because their other end was outside the tree become when a restore
// names no substitute for them: raw `criu restore` restores such a process without flags, so must we.
import { type FdEntry, leftOutBy } from './fd-entry.js';
import { flatten } from './substitute.js';
import { type FdSubstitute, type FdSubstitutions, isSubstitute } from './substitute-form.js';

/**
 * - `'pipe'` (default): the root's fds get a new pipe (a socketpair for a socket, a pty for a
 *   terminal) whose other end is ours, exposed as `stdio[fd]`, as child_process.spawn's default
 *   stdio; other tasks' fds are treated as with `'criu'`.
 * - `'criu'`: what raw CRIU gives: a pipe is recreated by CRIU with its other end closed (reads
 *   see EOF, writes EPIPE); a socket or terminal, which raw CRIU cannot dump at all, gets
 *   /dev/null.
 */
export type OutsideFdsMode = 'pipe' | 'criu';

export const OUTSIDE_FDS_MODES: readonly OutsideFdsMode[] = ['pipe', 'criu'];

/** One fd that got a default, as the restore reports it. */
export interface DefaultedFd {
  /** The task's pid in the checkpoint's fd table (the host pid it had at checkpoint). */
  pid: number;
  /** Its number in that task. */
  fd: number;
  /** Whether it is the root's fd (substituted by `fds: { [fd]: sub }`). */
  root: boolean;
  /** What it was at checkpoint (a unix socket, a pipe, a tty, ...). */
  type: FdEntry['type'];
  /** CRIU's key of the resource (e.g. `pipe:[123]`). */
  key: string;
  /** `'pipe'`: a new one, ours exposed as a stream; `'criu'`: CRIU's own pipe; `'null'`: /dev/null. */
  became: 'pipe' | 'criu' | 'null';
}

export interface OutsideDefaults {
  /** The caller's substitutions plus the defaults, in the root's shape for the root. */
  fds: FdSubstitutions;
  /** Keys CRIU restores itself: no substitute is missing for them. */
  criuRecreates: Set<string>;
  defaulted: DefaultedFd[];
}

/**
 * Adds a default for every fd of `table` left out because its other end was outside the tree
 * that `subs` gives no substitute (fds the checkpoint's advice left out are not touched: their
 * missing substitute stays an error). Fds sharing one resource get one default.
 */
export function defaultOutsideFds(
  table: readonly FdEntry[],
  root: number,
  subs: FdSubstitutions = {},
  mode: OutsideFdsMode = 'pipe',
): OutsideDefaults {
  // The caller's (pid, fd) pairs, read as planSubstitutions reads them (a misshapen table fails there the same way).
  const pairs = new Set(flatten(root, subs, new Set(table.map((e) => e.pid))).map(([pid, fd]) => `${pid}:${fd}`));
  const given = new Set(table.filter((e) => pairs.has(`${e.pid}:${e.fd}`)).map((e) => e.key));
  const rootAdds: Record<number, FdSubstitute> = {};
  const taskAdds = new Map<number, Record<number, FdSubstitute>>();
  const criuRecreates = new Set<string>();
  const defaulted: DefaultedFd[] = [];
  const chosen = new Map<string, DefaultedFd['became']>();
  // The root's first: a resource it shares with a child (inherited stdio) becomes what the root's
  // fd becomes. CRIU substitutes by key, so one entry per resource serves every fd of it.
  const rootFirst = [...table].sort((a, b) => Number(b.pid === root) - Number(a.pid === root));
  for (const e of rootFirst) {
    if (leftOutBy(e) !== 'outside' || given.has(e.key)) continue;
    const shared = chosen.get(e.key);
    const became = shared ?? (mode === 'pipe' && e.pid === root ? 'pipe' : e.type === 'pipe' ? 'criu' : 'null');
    chosen.set(e.key, became);
    defaulted.push({ pid: e.pid, fd: e.fd, root: e.pid === root, type: e.type, key: e.key, became });
    if (shared !== undefined) continue;
    if (became === 'criu') criuRecreates.add(e.key);
    else if (e.pid === root) rootAdds[e.fd] = became;
    else taskAdds.set(e.pid, { ...taskAdds.get(e.pid), [e.fd]: became });
  }
  if (defaulted.length === 0) return { fds: subs, criuRecreates, defaulted };
  const fds: Record<number, unknown> = { ...subs, ...rootAdds };
  for (const [pid, adds] of taskAdds) {
    const existing = subs[pid];
    const before = existing !== undefined && !isSubstitute(existing) ? (existing as Record<number, FdSubstitute>) : {};
    fds[pid] = { ...before, ...adds };
  }
  return { fds: fds as FdSubstitutions, criuRecreates, defaulted };
}
