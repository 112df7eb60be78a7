// Peers of unix sockets, from `ss` (sock_diag): /proc/net/unix does not show who is connected.
import { execa } from 'execa';
import { CriuError } from '../errors.js';

/**
 * Maps every unix socket inode to its peer's inode (0 when unconnected). Lines look like
 * `u_str ESTAB 0 0 * 1174 * 1175`; read from the end so that paths with spaces do not matter.
 */
export function parseSsUnix(text: string): Map<number, number> {
  const peers = new Map<number, number>();
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8 || !cols[0]?.startsWith('u_')) continue;
    const peer = Number(cols.at(-1));
    const local = Number(cols.at(-3));
    if (Number.isInteger(local) && Number.isInteger(peer)) peers.set(local, peer);
  }
  return peers;
}

/** Unix socket peers of the whole system. Without them a parent's stdio socketpairs would go unnoticed. */
export async function unixPeers(): Promise<Map<number, number>> {
  try {
    const { stdout } = await execa('ss', ['-x', '-a', '-n', '-H'], { maxBuffer: 64 << 20 });
    return parseSsUnix(stdout);
  } catch (cause) {
    throw new CriuError(
      'UNSUPPORTED',
      "Cannot tell where the tree's unix sockets lead: 'ss' (iproute2) failed or is missing. Install iproute2.",
      { operation: 'checkpoint', cause },
    );
  }
}
