// A task's scheduler state from /proc, to resume only what we stopped.
import { procStatFields, STAT } from '../fs/proc-stat.js';

/** Whether `pid` is stopped by a signal (state T) right now. */
export function isStopped(pid: number): boolean {
  return procStatFields(pid)?.[STAT.state] === 'T';
}
