// The CLI commands that read images without running CRIU: `show` (inspect a checkpoint),
// `decode` (an image file as JSON) and `encode` (that JSON back into the image file, byte for
// byte when unedited). Each returns the exit code; usage mistakes throw UsageError.
import type { Command } from 'commander';
import { defineCommand, GROUPS } from './command.js';
import type { CommonFlags } from './common-flags.js';
import { UsageError } from './usage-error.js';

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `node-criu show -D <dir> [--json]`: what a checkpoint holds (see inspect()). */
export const showCommand = defineCommand<CommonFlags & { imagesDir?: string }>({
  name: 'show',
  summary: 'describe a checkpoint: tree, memory, fds, SysV IPC, namespaces, statistics',
  group: GROUPS.images,
  define(command: Command) {
    command
      .option('-D, --images-dir <dir>', 'the checkpoint (required)')
      .addHelpText('after', '\n--json prints the inspect() view (docs/inspect-json.md); sizes are in bytes there.');
  },
  async run(_operands, flags) {
    const dir = flags.imagesDir;
    if (!dir) throw new UsageError('show needs -D <dir>.');
    const [{ inspect }, { printShow }] = await Promise.all([
      import('../inspect/inspect.js'),
      import('./show-output.js'),
    ]);
    const view = await inspect(dir);
    if (flags.json) printJson(view);
    else printShow(view);
    return 0;
  },
});

interface DecodeFlags extends CommonFlags {
  out?: string;
  type?: string;
}

/**
 * `node-criu decode <file.img> [--type TYPE] [--out FILE.json]`: the image as JSON (see
 * docs/inspect-json.md), on stdout or into FILE.json. --type decodes a file whose name does not
 * say its kind.
 */
export const decodeCommand = defineCommand<DecodeFlags>({
  name: 'decode',
  summary: 'an image file as JSON',
  group: GROUPS.images,
  define(command: Command) {
    command
      .argument('<file.img>', 'the image file')
      .option('-o, --out <file.json>', 'write the JSON there instead of stdout')
      .option('--type <type>', "the image's kind, when its name does not say it (e.g. core)");
  },
  async run([file], flags) {
    if (file === undefined) throw new UsageError('decode takes exactly one image file.');
    const [{ readImage }, { imageToJson }, { basename }, { writeFile }] = await Promise.all([
      import('../images/codec.js'),
      import('../inspect/image-json.js'),
      import('node:path'),
      import('node:fs/promises'),
    ]);
    const image = await readImage(file, flags.type === undefined ? {} : { type: flags.type });
    const json = imageToJson(image, basename(file));
    const text = `${JSON.stringify(json, null, 2)}\n`;
    if (flags.out === undefined) {
      process.stdout.write(text);
      return 0;
    }
    await writeFile(flags.out, text);
    const summary = { file, out: flags.out, type: json.type, entries: json.entries.length };
    if (flags.json) printJson(summary);
    else console.log(`${file}: ${json.type ?? 'unknown kind'}, ${json.entries.length} entries -> ${flags.out}`);
    return 0;
  },
});

interface EncodeFlags extends CommonFlags {
  out?: string;
  force?: boolean;
}

/**
 * `node-criu encode <file.json> --out <file.img> [--force]`: the image a decode's JSON describes.
 * An existing output file is replaced only with --force.
 */
export const encodeCommand = defineCommand<EncodeFlags>({
  name: 'encode',
  summary: "a decode's JSON back into the image file",
  group: GROUPS.images,
  define(command: Command) {
    command
      .argument('<file.json>', "the JSON (decode's output, possibly edited)")
      .option('-o, --out <file.img>', 'the image file to write (required)')
      .option('-f, --force', 'replace an existing output file');
  },
  async run([file], flags) {
    if (file === undefined) throw new UsageError('encode takes exactly one JSON file.');
    const out = flags.out;
    if (!out) throw new UsageError('encode needs --out <file.img>.');
    const [{ CriuError }, { encodeImageJson }, { readFile, writeFile }] = await Promise.all([
      import('../errors.js'),
      import('../inspect/image-json.js'),
      import('node:fs/promises'),
    ]);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== undefined) throw cause;
      throw new CriuError('INVALID_IMAGES', `${file} is not JSON: ${(cause as Error).message}.`, {
        operation: 'read-images',
        file,
        cause,
      });
    }
    const bytes = encodeImageJson(value, file);
    try {
      await writeFile(out, bytes, { flag: flags.force ? 'w' : 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw Object.assign(new Error(`${out} exists; pass --force to replace it.`), { code: 'EEXIST' });
    }
    const entries = Array.isArray((value as { entries?: unknown }).entries)
      ? (value as { entries: unknown[] }).entries.length
      : 0;
    if (flags.json) printJson({ file, out, bytes: bytes.byteLength, entries });
    else console.log(`${file} -> ${out}: ${bytes.byteLength} bytes, ${entries} entries`);
    return 0;
  },
});
