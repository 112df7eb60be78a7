// Lines of a child's stdout, awaited by pattern: every line is kept, so none is lost between waits.
import { createInterface } from 'node:readline';

export function lineReader(stream) {
  const seen = [];
  const waiters = new Set();
  let ended = false;
  createInterface({ input: stream })
    .on('line', (line) => {
      seen.push(line);
      for (const waiter of waiters) waiter();
    })
    .on('close', () => {
      ended = true;
      for (const waiter of waiters) waiter();
    });
  /** Resolves with the first line (from `from` on) matching `pattern`; rejects if the stream ends first. */
  const next = (pattern, from = 0) =>
    new Promise((resolve, reject) => {
      const look = () => {
        const line = seen.slice(from).find((l) => pattern.test(l));
        if (line !== undefined || ended) {
          waiters.delete(look);
          if (line !== undefined) resolve(line);
          else reject(new Error(`the stream ended before a line matching ${pattern}; it said: ${seen.join(' | ')}`));
        }
      };
      waiters.add(look);
      look();
    });
  return { seen, next };
}
