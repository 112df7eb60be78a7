// Finds and kills CRIU helper processes that outlive a killed `criu swrk` while holding its socket.
import { readdir, readlink, realpath } from 'node:fs/promises';

/**
 * CRIU forks short-lived helpers (kerndat probes that stop themselves to be ptraced, dump
 * workers) which inherit the swrk socket. If swrk is killed while one exists, the helper is
 * orphaned, often stopped, and keeps the socket's CRIU end open: our receive would then wait
 * forever for a reply nobody will send. Killing the helpers closes that end, so the receive ends
 * with EOF after any packet already queued (nothing CRIU sent is lost).
 *
 * Only processes that hold the socket AND run the CRIU binary are killed: the socket is private
 * to CRIU, and a restored process (whose executable is its own) is never touched here.
 */
export async function killSocketHolders(socketInode: number, criuPath: string): Promise<number[]> {
  const link = `socket:[${socketInode}]`;
  const criu = await realpath(criuPath).catch(() => criuPath);
  const killed: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (!(await holdsSocket(pid, link))) continue;
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
    if (exe !== criu) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // It exited meanwhile: its socket end is closed either way.
    }
  }
  return killed;
}

async function holdsSocket(pid: number, link: string): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === link) return true;
  }
  return false;
}
