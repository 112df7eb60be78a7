// Two connected in-memory Duplex streams: what one writes, the other reads. The simulator's
// stand-in for the socketpair a Node parent gives its child's stdio (no fds, no native code).
import { Duplex } from 'node:stream';

class End extends Duplex {
  other: End | undefined;
  override _read(): void {
    // Data is pushed by the other end's writes.
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.other?.push(chunk);
    callback();
  }
  override _final(callback: (error?: Error | null) => void): void {
    this.other?.push(null);
    callback();
  }
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The other side sees the end of the stream, as a reader does when a process exits.
    const other = this.other;
    this.other = undefined;
    if (other && !other.readableEnded) other.push(null);
    callback(error);
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return [a, b];
}
