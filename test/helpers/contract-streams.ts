// Waiting for what a restored process writes into a file, for substitution tests.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with the file's text once it matches `pattern` (the process writes it on its own). */
export async function fileMatches(path: string, pattern: RegExp): Promise<string> {
  for (;;) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // Not created yet.
    }
    if (pattern.test(text)) return text;
    await sleep(10);
  }
}
