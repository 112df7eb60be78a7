// The CLI commands that read one images dir and change nothing: `verify` (the integrity
// manifest's digests) and `fds` (the checkpoint's fd table). Each returns the exit code.
import { parseArgs } from 'node:util';
import { formatFdTable, readFdTable, verifyImages } from '../index.js';
import { common } from './common-flags.js';
import { emit } from './output.js';
import { UsageError, usageErrors } from './usage-error.js';

/** Commands that read one images dir: `-D <dir>` and the common flags, nothing else. */
function imagesDirArgs(command: string, args: string[]): { dir: string; json: boolean } {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...common, 'images-dir': { type: 'string', short: 'D' } },
    }),
  );
  const dir = values['images-dir'];
  if (positionals.length > 0 || !dir) throw new UsageError(`${command} needs -D <dir> and nothing else.`);
  return { dir, json: values.json ?? false };
}

/** `node-criu verify -D <dir> [--json]`: exit code 0 when every digest matches. */
export async function cmdVerify(args: string[]): Promise<number> {
  const { dir, json } = imagesDirArgs('verify', args);
  const result = await verifyImages(dir);
  emit(json, { ok: true, ...result }, () =>
    console.log(
      `${dir}: OK, ${Object.keys(result.manifest.files).length} files, ${result.digestsChecked} digests matched (${result.bytesHashed} bytes)`,
    ),
  );
  return 0;
}

/** `node-criu fds -D <dir> [--json]`: the fd table of the checkpoint. */
export async function cmdFds(args: string[]): Promise<number> {
  const { dir, json } = imagesDirArgs('fds', args);
  const table = await readFdTable(dir);
  emit(json, table, () => console.log(formatFdTable(table)));
  return 0;
}
