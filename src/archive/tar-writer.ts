// Writes a tar stream entry by entry (ustar headers from `tar`, pax where a field does not fit),
// with the backpressure of the stream it writes to.
import { once } from 'node:events';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Header, type HeaderData, Pax } from 'tar';
import { CriuError } from '../errors.js';
import { type FileDigest, recordedDigest } from '../integrity/digest.js';
import { newHasher } from '../integrity/hasher.js';

const BLOCK = 512;
const CHUNK = 1 << 20;

/** One archive being written; `end()` writes tar's end marker (two zero blocks). */
export class TarWriter {
  readonly #out: Writable;
  readonly #mtime: Date;

  /** Every entry gets `mtime` (the checkpoint's time: the same checkpoint gives the same archive). */
  constructor(out: Writable, mtime: Date) {
    this.#out = out;
    this.#mtime = mtime;
  }

  async #write(chunk: Uint8Array): Promise<void> {
    if (!this.#out.write(chunk)) await once(this.#out, 'drain');
  }

  async #header(data: HeaderData): Promise<void> {
    // Owned by root in the archive, as container engines write theirs: import owns what it writes.
    const full: HeaderData = { uid: 0, gid: 0, uname: '', gname: '', mtime: this.#mtime, ...data };
    const header = new Header(full);
    header.encode();
    // A pax header first where the ustar fields overflow (a pages file over 8 GiB).
    if (header.needPax) await this.#write(new Pax(full).encode());
    await this.#write(header.block as Buffer);
  }

  async #pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest !== 0) await this.#write(Buffer.alloc(BLOCK - rest));
  }

  /** A directory entry (`path` ends with `/`). */
  async dir(path: string): Promise<void> {
    await this.#header({ path, type: 'Directory', mode: 0o700, size: 0 });
  }

  /** A file from memory. */
  async file(path: string, bytes: Uint8Array): Promise<void> {
    await this.#header({ path, type: 'File', mode: 0o600, size: bytes.byteLength });
    await this.#write(bytes);
    await this.#pad(bytes.byteLength);
  }

  /** A symbolic link. */
  async symlink(path: string, target: string): Promise<void> {
    await this.#header({ path, type: 'SymbolicLink', mode: 0o777, size: 0, linkpath: target });
  }

  /**
   * A file copied from `source`, which must be what its manifest says (`expected`: its size and,
   * when recorded, its digest, hashed again as the bytes go by): an image changed since it was
   * verified fails the export instead of being archived.
   */
  async copy(path: string, source: string, expected: FileDigest): Promise<void> {
    const { size } = expected;
    const recorded = recordedDigest(expected);
    const hasher = recorded && newHasher(recorded.algorithm);
    // O_NOFOLLOW: the image itself, never what a symlink put in its place would point to.
    const handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await this.#header({ path, type: 'File', mode: 0o600, size });
      let done = 0;
      while (done < size) {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, done);
        if (bytesRead === 0) throw changed(source, `shrank to ${done} bytes`);
        hasher?.update(buffer.subarray(0, bytesRead));
        await this.#write(buffer.subarray(0, bytesRead));
        done += bytesRead;
      }
      if ((await handle.read(Buffer.alloc(1), 0, 1, size)).bytesRead !== 0) throw changed(source, 'grew');
      if (hasher && hasher.digest() !== recorded?.hex) throw changed(source, 'was altered');
      await this.#pad(size);
    } finally {
      await handle.close();
    }
  }

  /** tar's end marker. */
  async end(): Promise<void> {
    await this.#write(Buffer.alloc(2 * BLOCK));
    this.#out.end();
  }
}

function changed(file: string, how: string): CriuError {
  return new CriuError(
    'IMAGE_INTEGRITY',
    `${file} ${how} while it was being archived: the checkpoint changed after it was verified. Export it again once nothing writes to it.`,
    { operation: 'export', file },
  );
}
