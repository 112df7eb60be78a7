// Waits for the pids a restore needs to be free, and says who holds one that is not.
import { readFileSync } from 'node:fs';
import { procStatFields, STAT } from '../fs/proc-stat.js';

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
 * When `pid` started (clock ticks since boot, /proc/PID/stat field 22), or undefined if it is
 * gone: with the pid, it names one process, never a later one that reused the pid.
 */
export function startTime(pid: number): string | undefined {
  return procStatFields(pid)?.[STAT.starttime];
}
