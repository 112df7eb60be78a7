// Builds the manifest of a checkpoint that CRIU has just written.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile, mapLimit } from './digest.js';
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
  /** Hash every image (default). Without it only sizes are recorded: faster, weaker. */
  digest: boolean;
}

export async function recordManifest(dir: string, input: RecordInput): Promise<Manifest> {
  const names = (await readdir(dir)).filter((n) => !NOT_IMAGES.has(n) && n !== INCOMPLETE_MARKER).sort();
  const entries = await mapLimit(names, 4, async (name) => {
    const path = join(dir, name);
    return [name, input.digest ? await digestFile(path) : { size: (await lstat(path)).size }] as const;
  });
  const { digest: _digest, ...facts } = input;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    complete: true,
    createdAt: new Date().toISOString(),
    ...facts,
    files: Object.fromEntries(entries),
  };
  await writeManifest(dir, manifest);
  // Only now: a crash before this line leaves the marker, and the dir is refused as incomplete.
  await clearIncomplete(dir);
  return manifest;
}
