// Finds the process listening on a TCP port, from /proc: CRIU's daemon page server reports pid 0.
import { readdir, readFile, readlink } from 'node:fs/promises';

const TCP_LISTEN = '0A';

/** Inodes of sockets listening on `port` (IPv4 and IPv6). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== TCP_LISTEN) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The pid holding a socket listening on `port`, or undefined. Async: it walks all of /proc. */
export async function listenerPid(port: number): Promise<number | undefined> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${entry}/fd/${fd}`));
        if (m?.[1] && inodes.has(m[1])) return Number(entry);
      } catch {
        // The fd closed while we looked.
      }
    }
  }
  return undefined;
}
