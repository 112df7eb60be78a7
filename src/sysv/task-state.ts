// A task's scheduler state from /proc, to resume only what we stopped.
import { readFileSync } from 'node:fs';

/** Whether `pid` is stopped by a signal (state T) right now. */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
}
