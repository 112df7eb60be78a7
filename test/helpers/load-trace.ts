// Module hooks that record every module loaded, for tests of what a command imports: registered
// by `node --import <data: URL calling register(this file, { data: { file } })>`, they append
// each resolved URL to `file`, one per line.
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data: { file: string }): void {
  file = data.file;
}

export async function resolve(
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => Promise<{ url: string }>,
): Promise<{ url: string }> {
  const resolved = await next(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
