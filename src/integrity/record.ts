// Builds the manifest of a checkpoint that CRIU has just written.
import { join } from 'node:path';
import { listDir } from '../fs/flat-dir.js';
import type { CheckpointOptions } from '../types.js';
import { digestFiles, type FileDigest } from './digest.js';
import { clearIncomplete, INCOMPLETE_MARKER } from './incomplete.js';
import { MANIFEST_FORMAT, type Manifest, NOT_IMAGES, writeManifest } from './manifest.js';

export interface RecordInput {
  backend: Manifest['backend'];
  criuVersion: string | undefined;
  pid: number;
  pids: number[];
  leftRunning: boolean;
  dumpOptions: Manifest['dumpOptions'];
  fds: Manifest['fds'];
  mappings: Manifest['mappings'];
  ipc?: Manifest['ipc'];
  parent?: Manifest['parent'];
  /** Hash every image (default). Without it only sizes are recorded: faster, weaker. */
  digest: boolean;
  /** Digests already made while CRIU wrote the files (followPages). */
  followed?: ReadonlyMap<string, FileDigest> | undefined;
}

/** The dump options a restore must repeat (CRIU needs them on both sides), as the manifest keeps them. */
export function recordedDumpOptions(options: CheckpointOptions): Manifest['dumpOptions'] {
  return {
    shellJob: options.shellJob ?? false,
    tcpEstablished: options.tcpEstablished ?? false,
    fileLocks: options.fileLocks ?? false,
    extUnixSk: options.extUnixSk ?? false,
  };
}

export async function recordManifest(dir: string, input: RecordInput): Promise<Manifest> {
  const listing = await listDir(dir);
  const names = listing.names.filter((n) => !NOT_IMAGES.has(n) && n !== INCOMPLETE_MARKER).sort();
  const sizeOf = (name: string) => {
    const info = listing.stats.get(name);
    if (!info) throw new Error(`${join(dir, name)} disappeared while the checkpoint was being recorded`);
    return info.size;
  };
  // Images followed while CRIU wrote them count if they are still the size that was hashed: the
  // follower trusts CRIU's order of writing (a CI run recorded timens-9.img at 0 of its 34 bytes
  // when an earlier follower took CRIU's closing of a file for its end, and this check was left
  // out for speed). Each keeps the stamp taken before its last bytes were hashed: a change since
  // has moved its ctime (or it is another file), so a restore then hashes it again rather than
  // trust it.
  const known = new Map([...(input.followed ?? [])].filter(([name, d]) => listing.stats.get(name)?.size === d.size));
  const rest = names.filter((n) => !known.has(n));
  const digests = input.digest ? new Map([...known, ...(await digestFiles(dir, rest, sizeOf))]) : undefined;
  const entries = names.map((name) => [name, digests?.get(name) ?? { size: sizeOf(name) }] as const);
  const { digest: _digest, followed: _followed, ...facts } = input;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    complete: true,
    createdAt: new Date().toISOString(),
    ...facts,
    files: Object.fromEntries(entries),
  };
  await writeManifest(dir, manifest);
  // Only now: a crash before this line leaves the marker, and the dir is refused as incomplete.
  clearIncomplete(dir);
  return manifest;
}
