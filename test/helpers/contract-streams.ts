// Waiting for what a (restored) process writes, on a stream or into a file.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
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

/** Resolves with everything read so far once it matches `pattern` (the victim writes on its own). */
export function waitFor(stream: Readable, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        resolve(seen);
      }
    };
    const onEnd = () => reject(new Error(`stream ended before ${pattern} (read: ${seen.slice(-200)})`));
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}
