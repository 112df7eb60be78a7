// Compression of archives: zstd from Node's own zlib (22.15 / 23.8 on), or none.
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { CriuError } from '../errors.js';

/** How an archive is compressed. */
export type ArchiveCompression = 'none' | 'zstd';

/** zstd's frame magic (RFC 8878), how import recognizes a compressed archive whatever its name. */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The Node versions whose zlib has zstd. */
const ZSTD_NODE = 'Node.js >= 22.15 (or >= 23.8)';

interface ZstdZlib {
  createZstdCompress(options?: object): Transform;
  createZstdDecompress(options?: object): Transform;
}

function zstdZlib(): ZstdZlib | undefined {
  const z = zlib as unknown as Partial<ZstdZlib>;
  return typeof z.createZstdCompress === 'function' && typeof z.createZstdDecompress === 'function'
    ? (z as ZstdZlib)
    : undefined;
}

/** The compression a file name asks for: `.zst` (`.tar.zst`, `.tzst`) zstd, anything else none. */
export function compressionOf(file: string): ArchiveCompression {
  return /\.(zst|tzst)$/.test(file) ? 'zstd' : 'none';
}

/** Whether `head` (the file's first bytes) starts a zstd frame. */
export function isZstd(head: Uint8Array): boolean {
  return head.length >= ZSTD_MAGIC.length && ZSTD_MAGIC.every((byte, i) => head[i] === byte);
}

function unsupported(operation: 'export' | 'import', file: string): CriuError {
  return new CriuError(
    'UNSUPPORTED',
    `${file} is zstd-compressed, and this Node.js (${process.version}) has no zstd in zlib: it came with ${ZSTD_NODE}. Run node-criu on such a Node, or use a plain .tar archive.`,
    { operation },
  );
}

/** A zstd compressor (level 3, zstd's default: fast, and pages compress well already). */
export function zstdCompressor(file: string): Transform {
  const z = zstdZlib();
  if (!z) throw unsupported('export', file);
  return z.createZstdCompress();
}

/** A zstd decompressor. */
export function zstdDecompressor(file: string): Transform {
  const z = zstdZlib();
  if (!z) throw unsupported('import', file);
  return z.createZstdDecompress();
}
