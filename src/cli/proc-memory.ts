// What /proc says about the memory of a process tree, for the progress of a dump (how much CRIU
// will write) and of a restore (how much the restored tasks hold already). Estimates only: every
// reader returns 0 for what it cannot read.
import { readdirSync, readFileSync } from 'node:fs';
import { procStatFields, STAT } from '../fs/proc-stat.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pid` and its descendants, from /proc/PID/task/TID/children (children of every thread). */
function treePids(pid: number): number[] {
  const pids: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (pids.includes(next)) continue;
    pids.push(next);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${next}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      for (const child of (read(`/proc/${next}/task/${tid}/children`) ?? '').split(' ')) {
        if (/^\d+$/.test(child)) queue.push(Number(child));
      }
    }
  }
  return pids;
}

/** A `Name:  N kB` field of /proc/PID/smaps_rollup, in bytes. */
function kbField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) * 1024 : 0;
}

/**
 * Roughly what CRIU writes of `pid`'s memory: its anonymous memory (private pages, copies of
 * written file pages), what is swapped out, and its share of shared memory. From smaps_rollup,
 * else statm (resident minus file-backed).
 */
export function dumpableBytes(pid: number): number {
  const rollup = read(`/proc/${pid}/smaps_rollup`);
  if (rollup !== undefined)
    return kbField(rollup, 'Anonymous') + kbField(rollup, 'Swap') + kbField(rollup, 'Pss_Shmem');
  const statm = read(`/proc/${pid}/statm`)?.trim().split(/\s+/).map(Number);
  if (!statm || statm.length < 3) return 0;
  return Math.max(0, (statm[1] ?? 0) - (statm[2] ?? 0)) * 4096;
}

/** The memory CRIU will write of the tree rooted at `pid` (0 when /proc cannot tell). */
export function treeDumpableBytes(pid: number): number {
  return treePids(pid).reduce((sum, p) => sum + dumpableBytes(p), 0);
}

/** When `pid` started, in clock ticks since boot (/proc/PID/stat field 22), or undefined. */
export function startTicks(pid: number): number | undefined {
  const start = procStatFields(pid)?.[STAT.starttime];
  return start === undefined ? undefined : Number(start);
}

/** Now, in clock ticks since boot (USER_HZ, 100 on Linux). */
export function nowTicks(): number {
  const uptime = read('/proc/uptime')?.split(' ')[0];
  return uptime === undefined ? 0 : Math.floor(Number(uptime) * 100);
}
