// The warm-server showcase (npm run demo:warm, scripts/warm/) on real CRIU: a Node 24 HTTP server
// loading 300 modules, warmed up, checkpointed and restored as 4 lazy copies at once, each
// answering on the loopback port they share with its own identity and on its own stdout pipe;
// all ended afterwards with no criu process left; and the demo itself, once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Checkpoint, RestoredProcess } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { nodePath } from '../helpers/node-lines.js';
import { runScript } from '../helpers/run-script.js';
import { killAll, scratchDir } from '../helpers/victims.js';

/** What a copy of the warm server answers over HTTP (test/fixtures/warm-server/serve.mjs). */
interface Answer {
  pid: number;
  hostPid: number;
  copy: number | null;
  token: string | null;
  served: number;
  modules: number;
}

interface Copy {
  handle: RestoredProcess;
  copy: number;
  token: string;
  out: { seen: string[] };
}

/** The part of scripts/warm/showcase.mjs this test drives (a plain ES module, typed here). */
interface Showcase {
  MODULES: number;
  prepareApp(node: string, dir: string, options: { snapshot: boolean }): unknown;
  warmCheckpoint(node: string, app: unknown, imagesDir: string): Promise<{ checkpoint: Checkpoint; port: number }>;
  restoreCopies(imagesDir: string, count: number): Promise<Copy[]>;
  answersByCopy(port: number, copies: Copy[]): Promise<Map<number, Answer[]>>;
  randomDraws(copies: Copy[]): Promise<Record<string, string>[]>;
  endCopies(copies: Copy[]): Promise<void>;
  ourCriuProcesses(): number[];
}

const showcaseUrl = new URL('../../../scripts/warm/showcase.mjs', import.meta.url).href;
const COPIES = 4;
const WARM_UP_REQUESTS = 20;
const cleanup: number[] = [];
after(() => killAll(cleanup));

/** Local addresses (hex, as /proc/net/tcp{,6} write them) of the sockets listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`))
      .map((f) => String(f[1]?.split(':')[0])),
  );
}

async function noCriuLeft(showcase: Showcase): Promise<void> {
  const deadline = Date.now() + 5000;
  while (showcase.ourCriuProcesses().length > 0 && Date.now() < deadline) await sleep(20);
  assert.deepEqual(showcase.ourCriuProcesses(), [], 'no criu process (swrk or lazy-pages) is left');
}

test('4 lazy copies of a warmed-up Node 24 server answer at once, each as itself, on loopback', {
  skip: skipUnlessCriu,
}, async () => {
  const showcase = (await import(showcaseUrl)) as Showcase;
  const node = nodePath(24);
  const dir = scratchDir();
  const app = showcase.prepareApp(node, join(dir, 'app'), { snapshot: false });
  const { checkpoint, port } = await showcase.warmCheckpoint(node, app, join(dir, 'images'));
  assert.deepEqual(listeners(port), [], 'the checkpoint killed the original: the port is free');

  const copies = await showcase.restoreCopies(checkpoint.imagesDir, COPIES);
  cleanup.push(...copies.map((c) => c.handle.pid));
  assert.equal(copies.length, COPIES);
  assert.equal(new Set(copies.map((c) => c.handle.pid)).size, COPIES, 'distinct host pids');
  assert.equal(new Set(copies.map((c) => c.token)).size, COPIES, 'distinct tokens drawn after restore');
  for (const c of copies) {
    assert.ok(c.handle.pagesLoaded instanceof Promise, 'a lazy restore');
    // Its identity came back on its own stdout pipe, and nothing of another copy did.
    assert.deepEqual(
      c.out.seen.filter((line) => line.startsWith('copy ')),
      [`copy ${c.copy} token ${c.token}`],
    );
  }
  // Each copy has its own listening socket, restored by CRIU with SO_REUSEPORT, on loopback only.
  assert.deepEqual(listeners(port), Array(COPIES).fill('0100007F'));

  const answers = await showcase.answersByCopy(port, copies);
  for (const c of copies) {
    const got = answers.get(c.copy) ?? [];
    assert.ok(got.length > 0, `copy ${c.copy} answered on 127.0.0.1:${port}`);
    for (const answer of got) {
      assert.equal(answer.pid, 1, 'pid 1 of its own pid namespace');
      assert.equal(answer.hostPid, c.handle.pid, 'answered by this copy');
      assert.equal(answer.token, c.token);
      assert.equal(answer.modules, showcase.MODULES, 'the modules loaded before the checkpoint');
      assert.ok(answer.served > WARM_UP_REQUESTS, 'the count of the warm-up went on in the copy');
    }
  }
  // What copies share unless re-seeded: the random generators' state came with the memory.
  const draws = await showcase.randomDraws(copies);
  for (const key of ['math', 'uuid', 'bytes']) {
    assert.equal(new Set(draws.map((d) => d[key])).size, 1, `${key}: the same draw in every copy`);
  }

  await showcase.endCopies(copies);
  for (const c of copies) assert.equal((await c.handle.exited).signal, 'SIGKILL');
  assert.deepEqual(listeners(port), [], 'every copy is gone, and its socket with it');
  await noCriuLeft(showcase);
});

test('npm run demo:warm shows the copies and the startup table', { skip: skipUnlessCriu }, async () => {
  // One round of the side-by-side timing: the test checks the story, not the numbers.
  const { code, out } = await runScript('scripts/demo-warm.mjs', { RUNS: '1' });
  assert.equal(code, 0, out);
  for (let copy = 0; copy < COPIES; copy++)
    assert.match(out, new RegExp(`^\\| ${copy} \\| \\d+ \\| 1 \\| [0-9a-f]{16} \\| [1-9]`, 'm'));
  assert.match(out, /no criu process left/);
  for (const start of ['cold start', 'Node startup snapshot', 'restore\\(lazyPages\\)', '4 lazy copies at once'])
    assert.match(out, new RegExp(`^\\| [^|]*${start}[^|]* \\| \\d+\\.\\d \\|`, 'm'));
});
