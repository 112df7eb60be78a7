// TCP connections of a migration: to the destination, and to CRIU's page server on loopback.
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import type { Endpoint } from './address.js';

/** Connects, or rejects after `timeoutMs` (no destination answering must not hang migrate()). */
export async function connectTo({ host, port }: Endpoint, timeoutMs: number): Promise<Socket> {
  const socket = connect({ host, port, noDelay: true });
  const timer = setTimeout(
    () => socket.destroy(new Error(`no connection to ${host} port ${port} within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await once(socket, 'connect');
    return socket;
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A TCP port free on loopback now, for CRIU's page server. Over RPC a lazy dump's page server
 * takes only a port (cr-service.c ignores the address and fd of `ps` with lazy_pages) and listens
 * on every IPv4 address of the source's network namespace; node-criu connects to it on loopback
 * at once (status-ready) and relays its protocol to the destination, so it serves no one else.
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || address === null) throw new Error('no loopback port could be found');
  return address.port;
}
