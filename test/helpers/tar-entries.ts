// Archives as lists of entries, to read what export wrote and to write altered or crafted ones.
import { createReadStream, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Header, type HeaderData, Parser, type ReadEntry } from 'tar';

export interface TarEntry {
  path: string;
  type: NonNullable<HeaderData['type']>;
  linkpath?: string | undefined;
  data: Buffer;
}

/** Every entry of the plain tar `file`, with its data. */
export function readEntries(file: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const parser = new Parser({ strict: true });
  parser.on('entry', (entry: ReadEntry) => {
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () =>
      entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath, data: Buffer.concat(chunks) }),
    );
  });
  return new Promise((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve(entries));
    createReadStream(file).pipe(parser as unknown as Writable);
  });
}

/** Writes `entries` as a plain tar (ustar headers, any type, paths as given). */
export function writeEntries(file: string, entries: readonly TarEntry[]): void {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const header = new Header({
      path: e.path,
      type: e.type,
      linkpath: e.linkpath,
      size: e.type === 'File' ? e.data.length : 0,
      mode: e.type === 'Directory' ? 0o700 : 0o600,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
    });
    header.encode();
    blocks.push(header.block as Buffer);
    if (e.type === 'File') {
      blocks.push(e.data);
      if (e.data.length % 512) blocks.push(Buffer.alloc(512 - (e.data.length % 512)));
    }
  }
  blocks.push(Buffer.alloc(1024));
  writeFileSync(file, Buffer.concat(blocks));
}
