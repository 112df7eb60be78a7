// importCheckpoint(): an archive written by exportCheckpoint() back into an images dir, every entry
// checked as it is read, the result verified as a whole, and only then renamed into place.
import {
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable, Transform, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { CriuError } from '../errors.js';
import { type FileDigest, isFileDigest } from '../integrity/digest.js';
import { isPlainName, MANIFEST_NAME, type Manifest } from '../integrity/manifest.js';
import { verifyImages } from '../integrity/verify.js';
import { isParentSection, PARENTS_DIR, type ParentSection } from '../series/parent-section.js';
import { isZstd, zstdDecompressor } from './compression.js';
import { type EntryHeader, placeEntry, refused } from './entry-policy.js';
import { memberDir, ROOT_FILE_LIMIT, relinkedParent } from './layout.js';

/** The most a manifest may hold (a tree of thousands of fds and mappings stays far below). */
const MANIFEST_LIMIT = 64 << 20;

/** How importCheckpoint() checks what it imports. */
export interface ImportOptions {
  /**
   * Accept a target whose parent dirs others could write (see VerifyOptions): the imported files
   * themselves are always ours, 0600 in 0700 dirs.
   */
  allowUntrustedImages?: boolean | undefined;
}

/** What importCheckpoint() made. */
export interface ImportResult {
  /** The images dir (absolute), ready for restore(). */
  imagesDir: string;
  /** The imported checkpoint's manifest (for an incremental one: the newest's, relinked to its imported parent). */
  manifest: Manifest;
  /** How many checkpoints the archive held: 1, or the length of an incremental checkpoint's chain. */
  checkpoints: number;
  /** How many files had their digest compared, over the whole chain. */
  digestsChecked: number;
}

/** A checkpoint of the chain as its entries arrive. */
interface Member {
  dir: string;
  files?: Record<string, FileDigest>;
  parent?: ParentSection | undefined;
  linked: boolean;
}

function notAnArchive(file: string, why: string, cause?: unknown): CriuError {
  return new CriuError('INVALID_IMAGES', `${file} is not a checkpoint archive of node-criu: ${why}.`, {
    operation: 'import',
    file,
    cause,
  });
}

/** The target must be absent or an empty dir: an import never mixes with what is there. */
function checkTarget(target: string): void {
  const info = lstatSync(target, { throwIfNoEntry: false });
  if (!info) return;
  if (!info.isDirectory() || readdirSync(target).length > 0)
    throw new CriuError(
      'INVALID_IMAGES',
      `Cannot import into ${target}: it exists and is not an empty dir. Name a new dir (it is created) or an empty one.`,
      { operation: 'import' },
    );
}

/** The bits of a manifest the entries are checked against; verifyImages() reads it fully at the end. */
function parseManifest(
  archive: string,
  path: string,
  bytes: Buffer,
): { files: Record<string, FileDigest>; parent?: ParentSection } {
  let value: Partial<Manifest>;
  try {
    value = JSON.parse(bytes.toString('utf8')) as Partial<Manifest>;
  } catch {
    throw refused(archive, path, 'is not JSON');
  }
  const files = value?.files;
  if (typeof files !== 'object' || files === null) throw refused(archive, path, 'lists no files');
  for (const [name, entry] of Object.entries(files))
    if (!isPlainName(name) || !isFileDigest(entry)) throw refused(archive, path, `has a malformed entry '${name}'`);
  if (value.parent !== undefined && !isParentSection(value.parent))
    throw refused(archive, path, 'has a malformed parent section');
  return { files, parent: value.parent };
}

/** Reads the archive's entries into `temp`, each checked against its header and its manifest. */
async function extract(archive: string, temp: string, input: Readable): Promise<Map<number, Member>> {
  const members = new Map<number, Member>();
  const seen = new Set<string>();
  const writes: Promise<unknown>[] = [];
  const outs: WriteStream[] = [];
  const parser = new Parser({ strict: true });
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolveDone, reject) => {
    let failed = false;
    fail = (error) => {
      if (failed) return;
      failed = true;
      input.destroy();
      reject(error);
    };
    parser.on('error', (error: Error) =>
      fail(error instanceof CriuError ? error : notAnArchive(archive, 'it is not a readable tar archive', error)),
    );
    input.on('error', (error: Error) => fail(notAnArchive(archive, `it cannot be read (${error.message})`, error)));
    parser.on('end', () => resolveDone());
  });
  const member = (depth: number): Member => {
    let m = members.get(depth);
    if (!m) {
      m = { dir: join(temp, memberDir(depth)), linked: false };
      mkdirSync(m.dir, { recursive: true, mode: 0o700 });
      members.set(depth, m);
    }
    return m;
  };
  const onEntry = (entry: ReadEntry): void => {
    const header: EntryHeader = { path: entry.path, type: entry.type, size: entry.size, linkpath: entry.linkpath };
    const place = placeEntry(archive, header);
    const key = entry.path.replace(/^(\.\/)+/, '').replace(/\/$/, '');
    if (seen.has(key)) throw refused(archive, entry.path, 'appears twice');
    seen.add(key);
    switch (place.kind) {
      case 'member-dir':
        member(place.depth);
        return void entry.resume();
      case 'parents-dir':
        mkdirSync(join(temp, PARENTS_DIR), { recursive: true, mode: 0o700 });
        return void entry.resume();
      case 'root-file':
        // For checkpointctl only (derived from the checkpoint): bounded, then left out.
        if (entry.size > ROOT_FILE_LIMIT) throw refused(archive, entry.path, `holds ${entry.size} bytes`);
        return void entry.resume();
      case 'parent-link': {
        const m = member(place.depth);
        // Only the link the manifest records, and only the one that stays in the archive's chain.
        if (!m.parent || place.target !== m.parent.link || place.target !== relinkedParent(place.depth))
          throw refused(archive, entry.path, `links to '${place.target}', which its manifest does not record`);
        symlinkSync(place.target, join(m.dir, 'parent'));
        m.linked = true;
        return void entry.resume();
      }
      case 'file': {
        const m = member(place.depth);
        if (place.name === MANIFEST_NAME) {
          if (m.files) throw refused(archive, entry.path, 'appears twice');
          if (entry.size > MANIFEST_LIMIT) throw refused(archive, entry.path, `holds ${entry.size} bytes`);
          const chunks: Buffer[] = [];
          entry.on('data', (chunk: Buffer) => chunks.push(chunk));
          // Parsed before the next entry is read: every later one is checked against it.
          entry.on('end', () => {
            try {
              const bytes = Buffer.concat(chunks);
              Object.assign(m, parseManifest(archive, entry.path, bytes));
              writeFileSync(join(m.dir, MANIFEST_NAME), bytes, { flag: 'wx', mode: 0o600 });
            } catch (error) {
              fail(error);
            }
          });
          return;
        }
        if (!m.files)
          throw notAnArchive(archive, `its entry '${entry.path}' comes before its checkpoint's ${MANIFEST_NAME}`);
        const expected = m.files[place.name];
        if (!expected)
          throw refused(archive, entry.path, `is not part of the checkpoint (its manifest does not list it)`);
        if (entry.size !== expected.size)
          throw refused(archive, entry.path, `holds ${entry.size} bytes where its manifest says ${expected.size}`);
        const out = createWriteStream(join(m.dir, place.name), { flags: 'wx', mode: 0o600 });
        outs.push(out);
        entry.pipe(out as unknown as Writable);
        writes.push(finished(out).catch((error: unknown) => fail(error)));
        return;
      }
    }
  };
  parser.on('entry', (entry: ReadEntry) => {
    try {
      onEntry(entry);
    } catch (error) {
      entry.resume();
      fail(error);
    }
  });
  input.pipe(parser as unknown as Writable);
  try {
    await done;
  } catch (error) {
    // Files still being written end now: the temp dir is removed only once nothing writes into it.
    for (const out of outs) out.destroy();
    await Promise.allSettled(writes);
    throw error;
  }
  await Promise.all(writes);
  return members;
}

/** A verification failure told in the archive's terms: the temp dir it names is gone. */
function inArchive(error: unknown, archive: string, temp: string): unknown {
  if (!(error instanceof CriuError)) return error;
  const named = error.message.replaceAll(`${temp}/`, 'checkpoint/').replaceAll(temp, 'checkpoint');
  // "Refusing DIR: FILE why. What to do with an images dir." -> "its entry 'DIR/FILE' why."
  const first = named
    .replace(/^Refusing (checkpoint[^:]*): (\S+) /, "its entry '$1/$2' ")
    .split(/(?<=\.) (?=[A-Z])/)[0];
  return new CriuError(error.code, `Refusing the archive ${archive}: ${first} Nothing was imported.`, {
    operation: 'import',
    file: archive,
    cause: error,
  });
}

/** The chain the members make, newest first: every member reached through the parent links. */
function chainOf(archive: string, members: Map<number, Member>): Member[] {
  const chain: Member[] = [];
  for (let depth = 0; ; depth++) {
    const m = members.get(depth);
    if (!m?.files) {
      if (depth === 0) throw notAnArchive(archive, `it holds no checkpoint/${MANIFEST_NAME}`);
      throw refused(
        archive,
        `checkpoint/${memberDir(depth)}/${MANIFEST_NAME}`,
        'is missing (a parent the chain needs)',
      );
    }
    chain.push(m);
    if (!m.parent) break;
    if (!m.linked) throw refused(archive, `${m.dir}/parent`, 'is missing (the link to the parent)');
  }
  for (const depth of members.keys())
    if (depth >= chain.length) throw refused(archive, `checkpoint/${memberDir(depth)}/`, 'is not part of the chain');
  return chain;
}

/**
 * Imports the archive `file` (written by exportCheckpoint(); `.tar` or zstd-compressed, recognized
 * by its content) into `imagesDir`, which must not exist or be empty and is created 0700. Every
 * entry is checked before it is written: a path leaving the target, a symlink other than a parent
 * link the manifest records, a duplicate, a device node, a file the manifest does not list or of
 * another size is refused; then the whole checkpoint (its chain included) is verified against its
 * manifests. It is extracted into a temp dir beside `imagesDir`, renamed into place once verified:
 * a refused archive leaves nothing behind.
 * @throws {CriuError} IMAGE_INTEGRITY for an altered archive; INVALID_IMAGES for a file that is not
 * such an archive or a target in use; UNSUPPORTED for zstd on a Node.js without it.
 */
export async function importCheckpoint(
  file: string,
  imagesDir: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  if (typeof file !== 'string' || file === '') throw new TypeError('file must be a non-empty string');
  if (typeof imagesDir !== 'string' || imagesDir === '') throw new TypeError('imagesDir must be a non-empty string');
  const archive = resolve(file);
  const target = resolve(imagesDir);
  checkTarget(target);
  const head = Buffer.alloc(4);
  try {
    const handle = await open(archive, 'r');
    await handle.read(head, 0, 4, 0).finally(() => handle.close());
  } catch (cause) {
    throw notAnArchive(archive, `it cannot be read (${(cause as Error).message})`, cause);
  }
  const decompressor: Transform | undefined = isZstd(head) ? zstdDecompressor(archive) : undefined;
  const made = mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const temp = await mkdtemp(join(dirname(target), `.${basename(target)}.import-`));
  try {
    const source = createReadStream(archive);
    const input = decompressor ? source.pipe(decompressor) : source;
    if (decompressor) source.on('error', (error) => decompressor.destroy(error));
    const chain = chainOf(archive, await extract(archive, temp, input));
    const verified = await verifyImages(temp, { allowUntrustedImages: options.allowUntrustedImages }).catch(
      (error: unknown) => {
        throw inArchive(error, archive, temp);
      },
    );
    checkTarget(target);
    await rename(temp, target);
    return {
      imagesDir: target,
      manifest: verified.manifest,
      checkpoints: chain.length,
      digestsChecked: verified.digestsChecked,
    };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (made) await rm(made, { recursive: true, force: true });
    throw error;
  }
}
