// Lazy restore on real CRIU: the tree runs before its memory is back, every byte checks out while
// pages stream in and after pagesLoaded, and no lazy-pages daemon outlives what needs it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpoint, isCriuError, type RestoredProcess, restore, spawn } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { noCriuChildLeft } from '../helpers/criu-children.js';
import { fixture, killAll, scratchDir } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

// This file's own temp dir (os.tmpdir() reads TMPDIR on each call), so that what the library leaves
// in it is what these tests left.
process.env.TMPDIR = scratchDir();

/** The private log dirs of lazy-pages daemons left in the temp dir. */
function ourLazyLogs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('node-criu-lazy-pages-'));
}

const noDaemonLeft = () => noCriuChildLeft('no lazy-pages daemon is left behind', 'lazy-pages');

/** Checkpoints a lazy-victim of `mib` MiB whose stdout is a pipe to us (restored as a new pipe). */
async function checkpointVictim(mib: number, namespaces: 'pid'[] = [], memory = 'private'): Promise<string> {
  const dir = scratchDir();
  const ready = join(dir, 'ready');
  const child = spawn(fixture('lazy-victim'), [String(mib), ready, memory], {
    stdio: ['ignore', 'pipe', 'ignore'],
    namespaces,
  });
  cleanup.push(child.pid as number);
  while (!existsSync(ready)) await sleep(10);
  const cp = await checkpoint(child.pid as number, { imagesDir: join(dir, 'images') });
  child.stdout?.destroy();
  return cp.imagesDir;
}

/** Asks the restored victim to check its memory; resolves with its answer line. */
async function check(proc: RestoredProcess, lines: AsyncIterator<string>): Promise<string> {
  proc.kill('SIGUSR1');
  const line = await lines.next();
  return String(line.value);
}

test('a lazy restore runs at once; memory checked while pages stream in and after pagesLoaded is intact', {
  skip,
}, async () => {
  const images = await checkpointVictim(256);
  const proc = await restore(images, { lazyPages: true });
  cleanup.push(proc.pid);
  assert.ok(proc.pagesLoaded instanceof Promise, 'a lazy restore has pagesLoaded');
  assert.ok(proc.stdout, 'the victim writes to a new pipe');
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  // Right away: faults served on demand while the daemon also drains pages in the background.
  assert.equal(await check(proc, lines), 'ok 256');
  const stats = await proc.pagesLoaded;
  assert.ok(stats);
  assert.ok(stats.pages >= 256 * 256, `every page of the 256 MiB came through the daemon (${stats.pages})`);
  assert.equal(stats.onFault + stats.inBackground, stats.pages);
  assert.ok(stats.onFault >= 0 && stats.inBackground > 0);
  const eager = stats.eager.reduce((n, e) => n + e.pages, 0);
  assert.ok(eager < 64, `private memory is lazy: only the pages at stack pointers and the like are eager (${eager})`);
  assert.ok(!stats.eager.some((e) => e.kind === 'anon-private' || e.kind === 'heap'), JSON.stringify(stats.eager));
  assert.equal(await check(proc, lines), 'ok 256');
  await noDaemonLeft();
  assert.deepEqual(ourLazyLogs(), [], "the daemon's log went once read");
  proc.kill('SIGKILL');
  await proc.exited;
});

test('an eager restore has no pagesLoaded', { skip }, async () => {
  const images = await checkpointVictim(8);
  const proc = await restore(images);
  cleanup.push(proc.pid);
  assert.equal(proc.pagesLoaded, undefined);
  proc.kill('SIGKILL');
  await proc.exited;
});

test('a lazy restore that fails after its daemon started ends the daemon', { skip }, async () => {
  const images = await checkpointVictim(64);
  await assert.rejects(restore(images, { lazyPages: true, hooks: { postRestore: () => false } }), (e) =>
    isCriuError(e, 'ABORTED'),
  );
  await noDaemonLeft();
});

test('a lazy restore aborted by its AbortSignal after the daemon started ends the daemon and the tree', {
  skip,
}, async () => {
  const images = await checkpointVictim(64);
  const controller = new AbortController();
  // Aborted once CRIU has recreated the tree, which the daemon is already serving.
  const hooks = { postRestore: () => void controller.abort() };
  await assert.rejects(restore(images, { lazyPages: true, hooks, signal: controller.signal }), (e) =>
    isCriuError(e, 'ABORTED'),
  );
  await noDaemonLeft();
});

test('a lazily restored tree that exits before its pages are in ends the daemon; pagesLoaded says so', {
  skip,
}, async () => {
  const images = await checkpointVictim(512);
  const proc = await restore(images, { lazyPages: true });
  proc.kill('SIGKILL');
  await proc.exited;
  // Either every page was in already, or the daemon was ended with the tree: never left behind.
  await (proc.pagesLoaded as Promise<unknown>).then(
    () => {},
    (e: unknown) =>
      assert.ok(isCriuError(e, 'RESTORE_FAILED') && /exited before all its pages/.test(e.message), String(e)),
  );
  await noDaemonLeft();
});

test("two lazy copies of a namespaces: ['pid'] checkpoint at once, each with its own daemon", { skip }, async () => {
  const images = await checkpointVictim(128, ['pid']);
  const copies = await Promise.all([0, 1].map(() => restore(images, { lazyPages: true })));
  cleanup.push(...copies.map((c) => c.pid));
  assert.equal(new Set(copies.map((c) => c.pid)).size, 2);
  for (const copy of copies) {
    const lines = createInterface({ input: copy.stdout as NonNullable<typeof copy.stdout> })[Symbol.asyncIterator]();
    assert.equal(await check(copy, lines), 'ok 128');
  }
  await Promise.all(copies.map((c) => c.pagesLoaded));
  await noDaemonLeft();
  for (const copy of copies) copy.kill('SIGKILL');
  await Promise.all(copies.map((c) => c.exited));
});

test('shared memory, which CRIU restores eagerly, is intact after a lazy restore too', { skip }, async () => {
  const images = await checkpointVictim(64, [], 'shared');
  const proc = await restore(images, { lazyPages: true });
  cleanup.push(proc.pid);
  const lines = createInterface({ input: proc.stdout as NonNullable<typeof proc.stdout> })[Symbol.asyncIterator]();
  assert.equal(await check(proc, lines), 'ok 64');
  const stats = await proc.pagesLoaded;
  const shared = stats?.eager.find((e) => e.kind === 'anon-shared');
  assert.ok(
    shared && shared.pages >= 64 * 256,
    `the shared memory is listed as restored eagerly: ${JSON.stringify(stats)}`,
  );
  assert.ok((stats?.pages ?? 0) < 64 * 256, 'and did not come through the daemon');
  await noDaemonLeft();
  proc.kill('SIGKILL');
  await proc.exited;
});

test('private huge pages (MAP_HUGETLB), which CRIU restores eagerly, are intact and listed as such', {
  skip,
}, async (t) => {
  // Two 2 MiB huge pages for the victim and a free one for CRIU, which maps one to learn the
  // huge page device (kerndat; with none free the dump fails), then the machine's setting put back.
  const setting = '/proc/sys/vm/nr_hugepages';
  const before = readFileSync(setting, 'utf8').trim();
  writeFileSync(setting, String(Number(before) + 4));
  t.after(() => writeFileSync(setting, before));
  const images = await checkpointVictim(4, [], 'hugetlb');
  const proc = await restore(images, { lazyPages: true });
  cleanup.push(proc.pid);
  const lines = createInterface({ input: proc.stdout as NonNullable<typeof proc.stdout> })[Symbol.asyncIterator]();
  assert.equal(await check(proc, lines), 'ok 4');
  const stats = await proc.pagesLoaded;
  assert.deepEqual(
    stats?.eager.find((e) => e.kind === 'hugetlb'),
    { kind: 'hugetlb', pages: 1024 },
  );
  proc.kill('SIGKILL');
  await proc.exited;
});

test('no lazy-pages log dir is left by any restore above (success, failure, early exit)', { skip }, async () => {
  // An early exit removes its log once the daemon is reaped, just after the test saw it gone.
  const deadline = Date.now() + 5000;
  while (ourLazyLogs().length > 0 && Date.now() < deadline) await sleep(20);
  assert.deepEqual(ourLazyLogs(), []);
});
