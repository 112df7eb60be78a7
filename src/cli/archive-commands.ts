// `node-criu export` and `import`: a checkpoint (an incremental one with its chain) into one tar
// file laid out as checkpointctl reads container checkpoints, and back (src/archive/).
import { type Command, Option } from 'commander';
import { defineCommand, GROUPS } from './command.js';
import type { CommonFlags } from './common-flags.js';
import { UsageError } from './usage-error.js';

interface ExportFlags extends CommonFlags {
  imagesDir?: string;
  output?: string;
  compression?: 'zstd' | 'none';
  allowUntrustedImages?: boolean;
}

interface ImportFlags extends CommonFlags {
  input?: string;
  imagesDir?: string;
  allowUntrustedImages?: boolean;
}

const untrusted = '--allow-untrusted-images';

/** `node-criu export -D <dir> -o <file.tar[.zst]>`: verified first, written through a temp file. */
export const exportCommand = defineCommand<ExportFlags>({
  name: 'export',
  summary: 'write a checkpoint (with its chain) into one .tar or .tar.zst file',
  group: GROUPS.archives,
  define(command: Command) {
    command
      .option('-D, --images-dir <dir>', 'the checkpoint (required)')
      .option('-o, --output <file>', 'the archive: .tar, or .tar.zst for zstd (required)')
      .addOption(
        new Option('--compression <kind>', 'default: zstd when the file ends in .zst, else none').choices([
          'zstd',
          'none',
        ]),
      )
      .option(untrusted, 'archive a dir others could write (restoring runs its images)');
  },
  async run(_operands, flags) {
    if (!flags.imagesDir || !flags.output) throw new UsageError('export needs -D <dir> and -o <file>.');
    const [{ exportCheckpoint }, { emit }, { humanBytes }] = await Promise.all([
      import('../index.js'),
      import('./output.js'),
      import('./bytes.js'),
    ]);
    const result = await exportCheckpoint(flags.imagesDir, flags.output, {
      ...(flags.compression ? { compression: flags.compression } : {}),
      allowUntrustedImages: flags.allowUntrustedImages ?? false,
    });
    emit(flags.json, result, () =>
      console.log(
        `exported ${result.checkpoints} checkpoint${result.checkpoints === 1 ? '' : 's'} of ${result.name} to ${result.file} (${humanBytes(result.bytes)}, ${result.compression})`,
      ),
    );
    return 0;
  },
});

/** `node-criu import -i <file> -D <dir>`: checked entry by entry, verified, then renamed into place. */
export const importCommand = defineCommand<ImportFlags>({
  name: 'import',
  summary: 'unpack an archive made by export into a new images dir, verified',
  group: GROUPS.archives,
  define(command: Command) {
    command
      .option('-i, --input <file>', 'the archive (required)')
      .option('-D, --images-dir <dir>', 'where the checkpoint goes: a new or empty dir (required)')
      .option(untrusted, 'import under dirs others could write');
  },
  async run(_operands, flags) {
    if (!flags.input || !flags.imagesDir) throw new UsageError('import needs -i <file> and -D <dir>.');
    const [{ importCheckpoint }, { emit }] = await Promise.all([import('../index.js'), import('./output.js')]);
    const result = await importCheckpoint(flags.input, flags.imagesDir, {
      allowUntrustedImages: flags.allowUntrustedImages ?? false,
    });
    const { imagesDir, checkpoints, digestsChecked } = result;
    emit(flags.json, { imagesDir, checkpoints, digestsChecked, pid: result.manifest.pid }, () =>
      console.log(
        `imported ${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'} into ${imagesDir}, ${digestsChecked} digests matched`,
      ),
    );
    return 0;
  },
});
