// The CLI commands that read one images dir and change nothing: `verify` (the integrity
// manifest's digests) and `fds` (the checkpoint's fd table). Each returns the exit code.
import type { Command } from 'commander';
import { defineCommand, GROUPS } from './command.js';
import type { CommonFlags } from './common-flags.js';
import { UsageError } from './usage-error.js';

interface ImagesDirFlags extends CommonFlags {
  imagesDir?: string;
}

/** Commands that read one images dir: `-D <dir>` and the common flags, nothing else. */
function defineImagesDir(command: Command): void {
  command.option('-D, --images-dir <dir>', 'the checkpoint (required)');
}

function imagesDirOf(name: string, flags: ImagesDirFlags): string {
  if (!flags.imagesDir) throw new UsageError(`${name} needs -D <dir>.`);
  return flags.imagesDir;
}

/** `node-criu verify -D <dir> [--json]`: exit code 0 when every digest matches. */
export const verifyCommand = defineCommand<ImagesDirFlags>({
  name: 'verify',
  summary: "check every image against the checkpoint's digests",
  group: GROUPS.images,
  define: defineImagesDir,
  async run(_operands, flags) {
    const dir = imagesDirOf('verify', flags);
    const [{ verifyImages }, { emit }, { humanBytes }] = await Promise.all([
      import('../index.js'),
      import('./output.js'),
      import('./bytes.js'),
    ]);
    const result = await verifyImages(dir);
    emit(flags.json, { ok: true, ...result }, () =>
      console.log(
        `${dir}: OK, ${Object.keys(result.manifest.files).length} files, ${result.digestsChecked} digests matched (${humanBytes(result.bytesHashed)} hashed)`,
      ),
    );
    return 0;
  },
});

/** `node-criu fds -D <dir> [--json]`: the fd table of the checkpoint. */
export const fdsCommand = defineCommand<ImagesDirFlags>({
  name: 'fds',
  summary: 'list the fd table of a checkpoint, and what restore does with each fd',
  group: GROUPS.images,
  define: defineImagesDir,
  async run(_operands, flags) {
    const dir = imagesDirOf('fds', flags);
    const [{ formatFdTable, readFdTable }, { emit }] = await Promise.all([
      import('../index.js'),
      import('./output.js'),
    ]);
    const table = await readFdTable(dir);
    emit(flags.json, table, () => console.log(formatFdTable(table)));
    return 0;
  },
});
