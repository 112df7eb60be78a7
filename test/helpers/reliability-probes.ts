// What the reliability tests measure about this process and its children: CRIU children, fds, RSS, zombies, image digests.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcStat[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((e) => procStat(Number(e)))
    .filter((s): s is ProcStat => s !== undefined);
}

/** Our `criu swrk` children and any CRIU process they forked (one swrk per running request). */
export function criuChildren(): number[] {
  const procs = allProcs();
  const ours = new Set([process.pid]);
  // Parents come before children only by chance: repeat until no new descendant appears.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  return procs
    .filter((p) => p.pid !== process.pid && ours.has(p.pid) && p.comm === 'criu' && p.state !== 'Z')
    .map((p) => p.pid);
}

/** SIGKILLs every running CRIU child of ours; returns how many there were. */
export function killCriu(): number {
  const pids = criuChildren();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  return pids.length;
}

/** Our children that have exited but were never reaped. */
export function zombieChildren(): number[] {
  return allProcs()
    .filter((p) => p.ppid === process.pid && p.state === 'Z')
    .map((p) => p.pid);
}

/** Live processes (not zombies) among `pids`. */
export function livePids(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    const s = procStat(pid);
    return s !== undefined && s.state !== 'Z';
  });
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export interface ProcessFigures {
  fds: number;
  rssKiB: number;
  zombies: number;
}

export function processFigures(): ProcessFigures {
  return {
    fds: openFdCount(),
    rssKiB: Math.round(process.memoryUsage().rss / 1024),
    zombies: zombieChildren().length,
  };
}

/** SHA-256 of every file of a dir by name: equal before and after means nothing was written. */
export function digestDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    out[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  }
  return out;
}
