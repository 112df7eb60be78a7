// Victims for the inspect test, started with the library's spawn(), and what /proc says about a
// process tree just before it is checkpointed (to compare with what inspect() reads back).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { treePids } from '../../src/fds/proc-fds.js';
import type { VmaKind } from '../../src/inspect/types.js';
import { spawn } from '../../src/launch/spawn.js';

/**
 * Starts `program args` with spawn() (a session leader, no stray fds) and `stdio`, and waits until
 * `readyFile` exists. Returns its pid, which is also its process group's.
 */
export async function startReady(
  program: string,
  args: string[],
  readyFile: string,
  stdio: 'ignore' | ['ignore', 'pipe', 'pipe'] = 'ignore',
): Promise<number> {
  const child = spawn(program, args, { stdio });
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.unref();
  // Our ends of 'pipe' stdio stay open (never read: the victims write nothing) until killed.
  for (const stream of child.stdio) (stream as { unref?: () => void } | null)?.unref?.();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${program} did not start`);
  const deadline = Date.now() + 10_000;
  while (!existsSync(readyFile)) {
    if (exited || Date.now() > deadline) {
      killGroup(pid);
      throw new Error(`${program} ${args.join(' ')} ${exited ?? 'was not ready within 10 s'}`);
    }
    await sleep(10);
  }
  return pid;
}

/** Kills the process group of `pid` (the victim and its children); a group already gone is fine. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** One line of /proc/PID/maps. */
export interface ProcMap {
  start: bigint;
  end: bigint;
  /** `rw-p` and the like. */
  perms: string;
  /** The pathname column ('' for anonymous areas). */
  path: string;
}

/** What /proc says about one process. */
export interface ProcTask {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
  comm: string;
  tids: number[];
  maps: ProcMap[];
  fds: number[];
}

export function parseMaps(text: string): ProcMap[] {
  const out: ProcMap[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (!m?.[1] || !m[2] || !m[3]) continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3], path: (m[4] ?? '').trim() });
  }
  return out;
}

/** The VmaKind an area of /proc/PID/maps is, by its name and sharing (how inspect should see it). */
export function procMapKind(map: ProcMap): VmaKind {
  const shared = map.perms[3] === 's';
  const path = map.path;
  if (path === '[heap]') return 'heap';
  if (path === '[stack]') return 'stack';
  if (path === '[vdso]') return 'vdso';
  if (path === '[vvar]' || path === '[vvar_vclock]') return 'vvar';
  if (path === '[vsyscall]') return 'vsyscall';
  if (path.startsWith('/SYSV')) return 'sysv';
  if (path.startsWith('/memfd:')) return 'memfd';
  if (path === '/dev/zero (deleted)' && shared) return 'anon-shared';
  if (path.startsWith('/')) return shared ? 'file-shared' : 'file-private';
  if (path === '' || path.startsWith('[anon:')) return shared ? 'anon-shared' : 'anon-private';
  return 'other';
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** /proc's view of every process of the tree rooted at `root`, read now. */
export async function procTree(root: number): Promise<ProcTask[]> {
  const out: ProcTask[] = [];
  for (const pid of await treePids(root)) {
    const fields = statFields(pid);
    const numbers = (dir: string) =>
      readdirSync(dir)
        .map(Number)
        .sort((a, b) => a - b);
    const state = fields[0] ?? '?';
    out.push({
      pid,
      state,
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      sid: Number(fields[3]),
      comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd(),
      tids: numbers(`/proc/${pid}/task`),
      maps: parseMaps(readFileSync(`/proc/${pid}/maps`, 'utf8')),
      fds: state === 'Z' ? [] : numbers(`/proc/${pid}/fd`),
    });
  }
  return out;
}
