// Copies of one checkpoint of the warm server, restored lazily at once: each told who it is over
// its own stdin, asked over HTTP on the port they share, and ended with nothing of CRIU left.
import { readdirSync, readFileSync } from 'node:fs';
import { restore } from '../../dist/src/index.js';
import { request } from './http.mjs';
import { lineReader } from './lines.mjs';

/**
 * Restores `count` lazy copies of the checkpoint at once and gives each its identity over its own
 * stdin (`restored N`), read back from its own stdout (`copy N token T`). Resolves with
 * `{ handle, copy, token, out }` per copy.
 */
export async function restoreCopies(imagesDir, count) {
  const settled = await Promise.allSettled(
    Array.from({ length: count }, () => restore(imagesDir, { lazyPages: true })),
  );
  const handles = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    // The copies that did come up must not outlive the failure.
    await endCopies(handles.map((handle) => ({ handle })));
    throw failed.reason;
  }
  return Promise.all(
    handles.map(async (handle, copy) => {
      const out = lineReader(handle.stdout);
      // The copy's stderr is a pipe too: drained, so it never blocks the server.
      handle.stderr?.resume();
      handle.stdin.write(`restored ${copy}\n`);
      const line = await out.next(new RegExp(`^copy ${copy} token [0-9a-f]{16}$`));
      return { handle, copy, token: line.split(' ')[3], out };
    }),
  );
}

/**
 * Requests the shared port until every copy (by token) has answered, at most `limit` requests
 * (SO_REUSEPORT spreads new connections over the copies' sockets by a hash of the 4-tuple).
 * Resolves with each copy's answers, by copy number.
 */
export async function answersByCopy(port, copies, limit = 400) {
  const answers = new Map(copies.map((c) => [c.copy, []]));
  for (let i = 0; i < limit && [...answers.values()].some((a) => a.length === 0); i++) {
    const answer = await request(port);
    answers.get(answer.copy)?.push(answer);
  }
  return answers;
}

/** Each copy's answer to `random` on its own stdin/stdout: what its random generators draw. */
export async function randomDraws(copies) {
  return Promise.all(
    copies.map(async ({ handle, out }) => {
      const from = out.seen.length;
      handle.stdin.write('random\n');
      const line = await out.next(/^random /, from);
      return Object.fromEntries(
        line
          .slice('random '.length)
          .split(' ')
          .map((kv) => kv.split('=')),
      );
    }),
  );
}

/** Ends every copy and waits until each is reaped (with it its lazy-pages daemon ends). */
export async function endCopies(copies) {
  for (const { handle } of copies) handle.kill('SIGKILL');
  await Promise.all(copies.map(({ handle }) => handle.exited));
  await Promise.all(copies.map(({ handle }) => handle.pagesLoaded?.catch(() => {})));
}

/**
 * The `criu` processes (swrk or lazy-pages) descended from this process: none may outlive the
 * copies. Other users' CRIU runs on the machine are not ours and not counted.
 */
export function ourCriuProcesses() {
  const parent = new Map();
  const criu = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      parent.set(Number(name), Number(stat.slice(close + 2).split(' ')[1]));
      if (stat.slice(stat.indexOf('(') + 1, close) === 'criu') criu.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  const ours = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  return criu.filter(ours);
}
