// The CRIU processes a test left behind: children of this test process (swrk, lazy-pages daemons,
// page servers), found in /proc, and a wait until there are none.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Pids of `criu` children of this process whose command line has `arg` (any, when not given). */
export function criuChildren(arg?: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid || !stat.includes('(criu)')) continue;
      if (arg === undefined || readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(arg)) {
        found.push(Number(name));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Waits up to 5 s for the criuChildren(arg) to be gone; fails naming `what` otherwise. */
export async function noCriuChildLeft(what: string, arg?: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (criuChildren(arg).length > 0 && Date.now() < deadline) await sleep(20);
  assert.deepEqual(criuChildren(arg), [], what);
}
