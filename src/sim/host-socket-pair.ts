// A connected pair of real stream sockets (net.Socket, each with an fd) made with Node's own
// net module, so that the simulator's 'pipe' substitutes are real Sockets like the CRIU
// backend's, without the native addon.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** [ours, theirs]: two connected Sockets. The listening socket is gone once they are. */
export async function hostSocketPair(): Promise<[Socket, Socket]> {
  const dir = await mkdtemp(join(tmpdir(), 'node-criu-sim-'));
  const path = join(dir, 's');
  const server = createServer();
  try {
    const accepted = new Promise<Socket>((resolve, reject) => {
      server.once('connection', resolve);
      server.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    const ours = connect(path);
    await new Promise<void>((resolve, reject) => {
      ours.once('connect', resolve);
      ours.once('error', reject);
    });
    return [ours, await accepted];
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The fd behind a Socket (Unix only), as planSubstitutions reads it from a stream. */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
