// Waits for the pids a restore needs to be free, and says who holds one that is not.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriuError } from '../errors.js';

const POLL_MS = 25;

/** The command line of the process holding `pid`, or undefined if nothing holds it. */
export function pidHolder(pid: number): string | undefined {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    if (cmdline) return cmdline;
    return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return undefined;
  }
}

export function processExists(pid: number): boolean {
  return pidHolder(pid) !== undefined;
}

/**
 * Resolves once no process holds any of `pids` (a killed tree's orphans are reaped late),
 * or fails with PID_IN_USE naming the pid and its command at `deadline`.
 */
export async function waitForPidsFree(pids: readonly number[], deadline: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const taken = pids.find((pid) => pidHolder(pid) !== undefined);
    if (taken === undefined) return;
    if (Date.now() >= deadline) {
      const holder = pidHolder(taken);
      if (holder === undefined) continue;
      throw new CriuError(
        'PID_IN_USE',
        `Cannot restore: pid ${taken} of the image is in use by '${holder}'. Stop that process, or restore into a new pid namespace.`,
        { operation: 'restore', pid: taken },
      );
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => {
      throw new CriuError('ABORTED', 'The restore was aborted while waiting for its pids to be free.', {
        operation: 'restore',
        cause: signal?.reason,
      });
    });
  }
}

/**
 * When `pid` started (clock ticks since boot, /proc/PID/stat field 22), or undefined if it is
 * gone: with the pid, it names one process, never a later one that reused the pid.
 */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
