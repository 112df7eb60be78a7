// The simulator's checkpoints are real CRIU-format images: they decode and re-encode byte for
// byte with the codec, pass verify, give inspect() and the images-only fd table the same tree,
// survive rewriting, and nothing of it loads the native addon.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fdTableFromImages } from '../../src/fds/images-fd-table.js';
import { encodeImage, readImage } from '../../src/images/codec.js';
import { inspect } from '../../src/inspect/index.js';
import { NOT_IMAGES } from '../../src/integrity/manifest.js';
import { verifyImages } from '../../src/integrity/verify.js';
import { rewriteImages } from '../../src/rewrite/rewrite.js';
import { simBackend } from '../../src/sim/backend.js';
import { sequentialPids } from '../../src/sim/pids.js';
import { spawn } from '../../src/sim/spawn.js';
import { resetSimWorld } from '../../src/sim/world.js';
import { waitFor } from '../helpers/contract-streams.js';

after(() => resetSimWorld());

it('a tree of two with threads: images decode, re-encode identically, verify, inspect and give the fd table', async () => {
  const world = resetSimWorld({ pids: sequentialPids({ first: 4242 }) });
  const child = spawn('echo-counter', ['--flag', 'value'], { stdio: 'pipe', threads: 2, children: 1, world });
  assert.equal(child.pid, 4242);
  assert.ok(child.stdout);
  await waitFor(child.stdout, /tick 2\n/);
  const cp = await simBackend.checkpoint(child.pid, { leaveRunning: true });
  assert.deepEqual(cp.pids, [4242, 4245]);
  assert.deepEqual(cp.tree[0]?.threads, [4242, 4243, 4244]);
  for (const name of readdirSync(cp.imagesDir).filter((n) => !NOT_IMAGES.has(n))) {
    const path = join(cp.imagesDir, name);
    const image = await readImage(path);
    assert.ok(image.type, `${name} is a CRIU image`);
    assert.deepEqual(Buffer.from(encodeImage(image)), readFileSync(path), `${name} re-encodes byte for byte`);
  }
  const verified = await verifyImages(cp.imagesDir);
  assert.equal(verified.manifest.backend, 'sim');
  assert.ok(verified.digestsChecked > 0);
  const view = await inspect(cp.imagesDir);
  assert.deepEqual(
    view.tasks.map((t) => [t.pid, t.ppid, t.command, t.threadCount]),
    [
      [4242, 0, 'echo-counter', 3],
      [4245, 4242, 'echo-counter', 1],
    ],
  );
  assert.ok((view.tasks[0]?.memory?.vmas.length ?? 0) >= 2);
  const fromImages = await fdTableFromImages(cp.imagesDir);
  const key = (f: { pid: number; fd: number; type: string; key: string; leftOut: boolean; access: string }) =>
    `${f.pid}/${f.fd} ${f.type} ${f.key} ${f.leftOut} ${f.access}`;
  assert.deepEqual(fromImages.map(key), cp.fds.map(key));
  assert.equal(cp.fds.length, 6);
  // A rewritten (linked) copy restores too.
  const copy = await rewriteImages(cp.imagesDir, async () => {});
  child.kill('SIGKILL');
  await child.exited;
  for (const p of world.processes()) p.kill('SIGKILL');
  const restored = await simBackend.restore(copy.dir, { fds: { 0: 'null', 1: 'pipe', 2: 'null' }, verify: false });
  assert.ok(restored.stdout);
  await waitFor(restored.stdout as NonNullable<typeof restored.stdout>, /tick \d+\n/);
  assert.deepEqual(restored.pids, [4242, 4245]);
  restored.kill('SIGKILL');
  await restored.exited;
});

it("the simulator never loads node-criu's native addon (BLAKE3's prebuilt one, with its SHA-256 fallback, it may)", () => {
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.endsWith('.node'));
  assert.deepEqual(
    loaded.filter((path) => !path.includes('/@napi-rs/blake-hash')),
    [],
  );
});
