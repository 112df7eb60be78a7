// The CLI commands that read images without running CRIU: `show` (inspect a checkpoint),
// `decode` (an image file as JSON) and `encode` (that JSON back into the image file, byte for
// byte when unedited). Each returns the exit code; usage mistakes throw UsageError.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CriuError } from '../errors.js';
import { readImage } from '../images/codec.js';
import { encodeImageJson, imageToJson } from '../inspect/image-json.js';
import { inspect } from '../inspect/inspect.js';
import { common } from './common-flags.js';
import { printShow } from './show-output.js';
import { UsageError, usageErrors } from './usage-error.js';

/** The usage lines of these commands, for the CLI's usage text. */
export const INSPECT_USAGE = `  node-criu show -D <dir> [--json]
  node-criu decode <file.img> [--type TYPE] [--out FILE.json]
  node-criu encode <file.json> --out <file.img> [--force] [--json]`;

function help(): number {
  process.stdout.write(`Usage:\n${INSPECT_USAGE}\n`);
  return 0;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `node-criu show -D <dir> [--json]`: what a checkpoint holds (see inspect()). */
export async function cmdShow(args: string[]): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...common, 'images-dir': { type: 'string', short: 'D' } },
    }),
  );
  if (values.help) return help();
  const dir = values['images-dir'];
  if (positionals.length > 0 || !dir) throw new UsageError('show needs -D <dir> and nothing else.');
  const view = await inspect(dir);
  if (values.json) printJson(view);
  else printShow(view);
  return 0;
}

/**
 * `node-criu decode <file.img> [--type TYPE] [--out FILE.json]`: the image as JSON (see
 * docs/inspect-json.md), on stdout or into FILE.json. --type decodes a file whose name does not
 * say its kind.
 */
export async function cmdDecode(args: string[]): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...common, out: { type: 'string', short: 'o' }, type: { type: 'string' } },
    }),
  );
  if (values.help) return help();
  const [file] = positionals;
  if (positionals.length !== 1 || file === undefined) throw new UsageError('decode takes exactly one image file.');
  const image = await readImage(file, values.type === undefined ? {} : { type: values.type });
  const json = imageToJson(image, basename(file));
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (values.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  await writeFile(values.out, text);
  const summary = { file, out: values.out, type: json.type, entries: json.entries.length };
  if (values.json) printJson(summary);
  else console.log(`${file}: ${json.type ?? 'unknown kind'}, ${json.entries.length} entries -> ${values.out}`);
  return 0;
}

/**
 * `node-criu encode <file.json> --out <file.img> [--force]`: the image a decode's JSON describes.
 * An existing output file is replaced only with --force.
 */
export async function cmdEncode(args: string[]): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...common, out: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' } },
    }),
  );
  if (values.help) return help();
  const [file] = positionals;
  if (positionals.length !== 1 || file === undefined) throw new UsageError('encode takes exactly one JSON file.');
  if (!values.out) throw new UsageError('encode needs --out <file.img>.');
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
    await writeFile(values.out, bytes, { flag: values.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw Object.assign(new Error(`${values.out} exists; pass --force to replace it.`), { code: 'EEXIST' });
  }
  const entries = Array.isArray((value as { entries?: unknown }).entries)
    ? (value as { entries: unknown[] }).entries.length
    : 0;
  if (values.json) printJson({ file, out: values.out, bytes: bytes.byteLength, entries });
  else console.log(`${file} -> ${values.out}: ${bytes.byteLength} bytes, ${entries} entries`);
  return 0;
}
