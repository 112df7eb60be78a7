// What every case gets: run counts, scratch space, compiled fixtures, and the helpers that start
// a victim and bring its tree down again.
import { join } from 'node:path';
import { startVictim, VICTIMS } from './fixtures.mjs';
import { killGroup, waitGone, waitUsable } from './pids.mjs';

export function makeContext({ runs, smallRuns = runs, largeRuns = runs, quick, scratch, bins, log }) {
  return {
    runs,
    /** Rounds for case 1's small victims. */
    smallRuns,
    /** Rounds for case 1's 100 MiB and 1 GiB victims. */
    largeRuns,
    quick,
    scratch,
    bins,
    log,
    /** Starts a victim of VICTIMS by name; returns `{ pid, child, ready }`. */
    start: (name, options) => {
      const ready = join(scratch.root, `ready-${Math.random().toString(36).slice(2)}`);
      const [command, args] = VICTIMS[name](bins, ready);
      return startVictim(command, args, ready, options);
    },
    startCommand: (command, args, options) => {
      const ready = join(scratch.root, `ready-${Math.random().toString(36).slice(2)}`);
      return startVictim(command, args(ready), ready, options);
    },
    /** Kills a victim tree rooted at `pid` and waits for every one of `pids` to be reaped. */
    end: async (pid, pids = [pid]) => {
      killGroup(pid);
      await waitGone(pids);
    },
    waitUsable: (pids) => waitUsable(bins.pidFree, pids),
  };
}
