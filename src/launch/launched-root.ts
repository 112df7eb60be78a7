// Which process checkpoint(pid) means when pid is a launcher that waits for a pid namespace's init.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { launcherPath } from './launcher-path.js';

/** How long a launcher may take to fork the command (it does so at once; this is slack). */
const FORK_WAIT_MS = 1000;

function launcherExe(): string | undefined {
  try {
    return realpathSync(launcherPath());
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * spawn(..., { namespaces: ['pid'] }) hands back the launcher, which stays outside the namespace
 * as the command's parent: the tree to checkpoint is its one child, pid 1 in there (CRIU cannot
 * dump a tree that spans two pid namespaces). Any other pid is itself.
 */
export async function checkpointRoot(pid: number): Promise<number> {
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return pid;
  }
  if (exe !== launcherExe()) return pid;
  const deadline = Date.now() + FORK_WAIT_MS;
  for (;;) {
    const [child, ...more] = childrenOf(pid);
    if (child !== undefined && more.length === 0) return child;
    if (Date.now() >= deadline) return pid;
    await sleep(5);
  }
}
