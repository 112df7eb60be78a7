// exportCheckpoint(): one file holding a verified checkpoint (its whole chain, for an incremental
// one), laid out as checkpointctl reads container checkpoints.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MANIFEST_NAME, NOT_IMAGES } from '../integrity/manifest.js';
import { verifyImages } from '../integrity/verify.js';
import { type ChainMember, readChain } from './chain.js';
import { type ArchiveCompression, compressionOf, zstdCompressor } from './compression.js';
import { configDump, specDump } from './container-metadata.js';
import {
  archiveDir,
  CHECKPOINT_DIR,
  CONFIG_DUMP,
  PARENTS_DIR,
  parentLinkPath,
  relinkedParent,
  SPEC_DUMP,
  STATS_DUMP,
} from './layout.js';
import { rootCommand } from './root-command.js';
import { TarWriter } from './tar-writer.js';

/** How exportCheckpoint() writes the archive. */
export interface ExportOptions {
  /** `'zstd'` (Node.js >= 22.15) or `'none'`; default: zstd when `file` ends in `.zst`/`.tzst`. */
  compression?: ArchiveCompression | undefined;
  /** Export a checkpoint owned by another user or writable by others (see VerifyOptions). */
  allowUntrustedImages?: boolean | undefined;
}

/** What exportCheckpoint() wrote. */
export interface ExportResult {
  /** The archive (absolute). */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** How it is compressed (from the option, or from `file`'s name). */
  compression: ArchiveCompression;
  /** How many checkpoints it holds: 1, or the length of an incremental checkpoint's chain. */
  checkpoints: number;
  /** The name checkpointctl shows for it (the root's command). */
  name: string;
}

async function writeMember(tar: TarWriter, member: ChainMember, depth: number): Promise<void> {
  const at = archiveDir(depth);
  await tar.dir(at);
  // The manifest first: import checks every later entry's name and size against it before writing.
  await tar.file(`${at}${MANIFEST_NAME}`, member.archived);
  const names = Object.keys(member.manifest.files)
    .filter((name) => !NOT_IMAGES.has(name))
    .sort();
  for (const name of names) {
    await tar.copy(`${at}${name}`, join(member.dir, name), member.manifest.files[name] ?? { size: 0 });
  }
}

async function writeArchive(tar: TarWriter, chain: ChainMember[], name: string, id: string): Promise<void> {
  const top = chain[0] as ChainMember;
  for (const [depth, member] of chain.entries()) {
    if (depth === 1) await tar.dir(`${CHECKPOINT_DIR}/${PARENTS_DIR}/`);
    await writeMember(tar, member, depth);
  }
  // The links after their targets, as `tar` itself orders them (an extractor never follows a link
  // to a dir it has yet to make).
  for (const depth of chain.keys()) {
    const relinked = chain[depth + 1] !== undefined;
    if (relinked) await tar.symlink(parentLinkPath(depth), relinkedParent(depth));
  }
  const facts = { name, id, manifest: top.manifest };
  await tar.file(CONFIG_DUMP, Buffer.from(`${JSON.stringify(configDump(facts), null, 2)}\n`));
  await tar.file(SPEC_DUMP, Buffer.from(`${JSON.stringify(specDump(facts), null, 2)}\n`));
  // checkpointctl reads CRIU's statistics at the root (where Podman's work dir puts them).
  const stats = top.manifest.files[STATS_DUMP];
  if (stats) await tar.copy(STATS_DUMP, join(top.dir, STATS_DUMP), stats);
  await tar.end();
}

/**
 * Writes the checkpoint in `imagesDir` to the archive `file` (`.tar`, or `.tar.zst` compressed with
 * zstd), after verifying it against its manifest (an altered checkpoint is never archived). An
 * incremental checkpoint is archived with its whole chain, so one file restores it. The archive is
 * written to a temp file beside `file` and renamed over it once complete.
 *
 * Layout (checkpointctl's for container checkpoints): `checkpoint/` holds the CRIU images and
 * node-criu.json, its chain in `checkpoint/parents/N/`; `config.dump`, `spec.dump` and a copy of
 * `stats-dump` at the root.
 * @throws {CriuError} IMAGE_INTEGRITY / INVALID_IMAGES when the checkpoint does not verify;
 * UNSUPPORTED for zstd on a Node.js without it.
 */
export async function exportCheckpoint(
  imagesDir: string,
  file: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  if (typeof imagesDir !== 'string' || imagesDir === '') throw new TypeError('imagesDir must be a non-empty string');
  if (typeof file !== 'string' || file === '') throw new TypeError('file must be a non-empty string');
  const compression = options.compression ?? compressionOf(file);
  if (compression !== 'none' && compression !== 'zstd')
    throw new TypeError(`Option 'compression' must be 'none' or 'zstd', not ${String(compression)}`);
  const target = resolve(file);
  // Before any work: a Node.js without zstd says so at once.
  const compressor: Transform | undefined = compression === 'zstd' ? zstdCompressor(target) : undefined;
  await verifyImages(imagesDir, { allowUntrustedImages: options.allowUntrustedImages });
  const chain = await readChain(imagesDir);
  const top = chain[0] as ChainMember;
  const name = await rootCommand(top.dir, top.manifest.pid);
  const id = createHash('sha256').update(top.archived).digest('hex');

  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  const source = new PassThrough({ highWaterMark: 1 << 20 });
  const tar = new TarWriter(source, new Date(top.manifest.createdAt));
  try {
    const written = writeArchive(tar, chain, name, id).catch((error: unknown) => {
      source.destroy(error as Error);
      throw error;
    });
    await Promise.all([written, compressor ? pipeline(source, compressor, out) : pipeline(source, out)]);
    // On disk before the rename makes it the archive.
    const handle = await open(temp, 'r');
    await handle.sync().finally(() => handle.close());
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { file: target, bytes: (await stat(target)).size, compression, checkpoints: chain.length, name };
}
