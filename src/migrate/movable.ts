// What cannot move with a tree, found before anything is frozen: the fds whose other ends stay
// behind (read from /proc by the same rules the checkpoint's fd table uses).
import { CriuError } from '../errors.js';
import { assertDumpable, leaveOutRule } from '../fds/leave-out.js';
import { readTreeFds, treePids } from '../fds/proc-fds.js';
import { type FdNeed, restoreNeeds } from '../restore-needs.js';
import type { MigrateOptions } from './types.js';

/**
 * The fds of the tree of `root` that the destination must give substitutes or defaults; with
 * `leftBehind: 'refuse'` a tree that has any is refused (MIGRATION_REFUSED), listing them.
 */
export async function whatStaysBehind(root: number, options: MigrateOptions): Promise<FdNeed[]> {
  const fds = await readTreeFds(root, leaveOutRule(root, options.leaveOut), await treePids(root));
  assertDumpable(fds);
  const needs = restoreNeeds(root, fds, []).filter((need): need is FdNeed => need.kind === 'fd');
  if (needs.length > 0 && (options.leftBehind ?? 'refuse') === 'refuse') {
    const list = needs.map((n) => `${n.root ? '' : `pid ${n.pid} `}fd ${n.fd} (${n.type} ${n.key})`).join(', ');
    throw new CriuError(
      'MIGRATION_REFUSED',
      `Cannot migrate pid ${root}: ${list} ${needs.length === 1 ? 'has its' : 'have their'} other end outside the tree, which stays here. Pass leftBehind: 'replace' to let the destination give ${needs.length === 1 ? 'it a substitute' : 'them substitutes'} (serve()'s fds, else new pipes), or migrate the tree with its peers. Nothing was frozen.`,
      { operation: 'migrate', pid: root },
    );
  }
  return needs;
}
