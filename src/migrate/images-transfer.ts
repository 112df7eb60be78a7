// The images of a migration, sent over the control connection (hosts share no disk): a header
// message per file, then its bytes in data frames. Page data served lazily is not among them.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { listDir } from '../fs/flat-dir.js';
import { encodeFrame, FrameKind, type FrameReader, messageFrame } from './frames.js';
import type { FileHeader } from './protocol.js';

/** CRIU's log of the dump is written on while the pages are served, and no image. */
const NOT_SENT = new Set(['dump.log']);
const CHUNK = 1 << 20;
/** An image's name: a plain file name, never a path. */
const IMAGE_NAME = /^[A-Za-z0-9._-]+$/;

/** Writes, waiting for the socket to drain: a slow destination must not make us buffer every image. */
async function write(socket: Socket, bytes: Buffer): Promise<void> {
  if (!socket.write(bytes)) await once(socket, 'drain');
}

/** Sends every image of `dir`; returns the bytes of images sent. */
export async function sendImages(socket: Socket, dir: string): Promise<number> {
  let total = 0;
  const { names, stats } = await listDir(dir);
  for (const name of names.sort()) {
    const info = stats.get(name);
    if (NOT_SENT.has(name) || !info?.isFile()) continue;
    const path = join(dir, name);
    await write(socket, messageFrame({ type: 'file', name, size: info.size } satisfies FileHeader));
    let sent = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
      await write(socket, encodeFrame(FrameKind.data, chunk as Buffer));
      sent += (chunk as Buffer).length;
    }
    if (sent !== info.size) throw new Error(`${path} changed size while it was sent`);
    total += sent;
  }
  return total;
}

/** Receives one file announced by `header` into `dir`; returns its size. */
export async function receiveImage(reader: FrameReader, dir: string, header: FileHeader): Promise<number> {
  if (!IMAGE_NAME.test(header.name) || header.name.startsWith('.')) {
    throw new Error(`the source sent an image named ${JSON.stringify(header.name)}, which is not a file name`);
  }
  if (!Number.isSafeInteger(header.size) || header.size < 0) throw new Error(`bad size for ${header.name}`);
  const out = createWriteStream(join(dir, header.name), { flags: 'wx', mode: 0o600 });
  try {
    let left = header.size;
    while (left > 0) {
      const frame = await reader.next();
      if (frame.kind !== FrameKind.data || frame.payload.length > left) {
        throw new Error(`the source sent something else than the ${header.size} bytes of ${header.name}`);
      }
      left -= frame.payload.length;
      if (!out.write(frame.payload)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return header.size;
}
