// /proc/PID/stat, read once for everyone who needs a field of it (state, parent, start time).
import { readFileSync } from 'node:fs';

/** Indexes into procStatFields(): the stat fields after the command, from field 3 on (man 5 proc). */
export const STAT = { state: 0, ppid: 1, starttime: 19 } as const;

/**
 * The fields of /proc/PID/stat after the command, or undefined when the process is gone. The
 * command may hold spaces and parentheses, so the fields are read after its last ')'.
 */
export function procStatFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
