// Relays CRIU's page-server protocol between a local socket (CRIU's) and the page connection,
// counting bytes; how it ends decides the source tree's fate (see `end`).
import type { Socket } from 'node:net';

/** A relay between CRIU's socket and the remote page connection. */
export interface PageRelay {
  /** Resets CRIU's socket now (a failure before the tree runs at the destination). */
  reset(): void;
  /** Bytes relayed, both ways. */
  readonly bytes: number;
  /** Settles once both sockets are closed. */
  readonly closed: Promise<void>;
}

/**
 * Pipes `local` and `remote` both ways. When `remote` ends or fails, `local` is ended cleanly once
 * `committed` resolves true (CRIU's page server then counts the transfer as done: at the source it
 * kills the tree) or reset if it resolves false (the page server fails: at the source CRIU rolls
 * back and the tree resumes). The verdict is awaited because the page connection may end before
 * the control connection's `running` arrives (a tree with few lazy pages). `local` ending ends
 * `remote`. `initial` is what arrived on `remote` before the relay.
 */
export function relayPages(local: Socket, remote: Socket, committed: Promise<boolean>, initial?: Buffer): PageRelay {
  let bytes = 0;
  const count = (chunk: Buffer) => {
    bytes += chunk.length;
  };
  local.on('data', count);
  remote.on('data', count);
  if (initial && initial.length > 0) {
    bytes += initial.length;
    local.write(initial);
  }
  local.pipe(remote, { end: false });
  remote.pipe(local, { end: false });
  remote.resume();
  let settled = false;
  const finishLocal = () => {
    if (settled) return;
    settled = true;
    void committed.then((yes) => {
      if (yes) local.end();
      // A reset makes CRIU's recv() fail (ECONNRESET): an error, never a clean end of the transfer.
      else if (!local.destroyed) local.resetAndDestroy();
    });
  };
  remote.on('end', finishLocal).on('error', finishLocal).on('close', finishLocal);
  local.on('end', () => remote.end());
  local.on('error', () => remote.destroy());
  const closed = Promise.all([
    new Promise<void>((resolve) => (local.destroyed ? resolve() : local.once('close', () => resolve()))),
    new Promise<void>((resolve) => (remote.destroyed ? resolve() : remote.once('close', () => resolve()))),
  ]).then(() => undefined);
  return {
    reset() {
      settled = true;
      if (!local.destroyed) local.resetAndDestroy();
      remote.destroy();
    },
    get bytes() {
      return bytes;
    },
    closed,
  };
}
