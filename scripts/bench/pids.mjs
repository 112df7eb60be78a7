// Waiting for a victim tree to be gone and for its pids to be usable again: restore needs the
// image's own pids, and a just-freed pid is refused for a while (see criu-facts), so this happens
// before the timed part of every restore, on both sides alike.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** SIGKILL to the whole process group of a session-leader victim (the root and its children). */
export function killGroup(pid) {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Whether the pid has a live (not zombie) process. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once no pid of `pids` has a process (reaped, not just dead). */
export async function waitGone(pids, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((p) => existsSync(`/proc/${p}`))) {
    if (Date.now() > deadline) {
      const left = pids.filter((p) => existsSync(`/proc/${p}`));
      throw new Error(`pids still present after ${timeoutMs} ms: ${left.join(',')} (alive: ${left.filter(alive)})`);
    }
    await sleep(5);
  }
}

/** Resolves once a new process could get every pid of `pids` (the probe creates and reaps one). */
export async function waitUsable(probe, pids, timeoutMs = 20_000) {
  await waitGone(pids, timeoutMs);
  await run(probe, [pids.join(','), String(timeoutMs)]).catch((error) => {
    throw new Error(`pids ${pids.join(',')} not usable again after ${timeoutMs} ms`, { cause: error });
  });
}
