// Rewriting checkpoints: only changed metadata is new, pages stay linked, originals untouched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkpoint, isCriuError, restore, spawn, verifyImages } from '../../src/index.js';
import { relaxFiles } from '../../src/rewrite/file-edits.js';
import { rewriteImages } from '../../src/rewrite/rewrite.js';
import { renumberShm } from '../../src/rewrite/sysv-edits.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { fixture, killAll, scratchDir, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const digests = (dir: string) => Object.fromEntries(readdirSync(dir).map((n) => [n, sha(join(dir, n))]));

test('allowSizeChange: a left-out file substituted by one of another size restores from a rewritten copy', {
  skip,
}, async () => {
  const dir = scratchDir();
  const original = join(dir, 'input');
  writeFileSync(original, 'twelve bytes');
  const child = spawn(fixture('fd-kinds'), [`read:${original}`], { stdio: 'ignore' });
  const pid = child.pid as number;
  cleanup.push(pid);
  await new Promise((r) => setTimeout(r, 100));
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), leaveOut: [3] });
  await waitGone(pid);
  const before = digests(cp.imagesDir);
  const bigger = join(dir, 'bigger');
  writeFileSync(bigger, 'a file of quite another size');

  await assert.rejects(
    restore(cp.imagesDir, { fds: { 3: { path: bigger } } }),
    (e) => isCriuError(e, 'INVALID_SUBSTITUTION') && /has 28 bytes but .* had 12: .*allowSizeChange/.test(e.message),
  );
  const restored = await restore(cp.imagesDir, { fds: { 3: { path: bigger } }, allowSizeChange: true });
  cleanup.push(restored.pid);
  assert.equal(readlinkSync(`/proc/${restored.pid}/fd/3`), bigger, 'the restored process holds the substitute');
  restored.kill('SIGKILL');
  await restored.exited;

  assert.deepEqual(digests(cp.imagesDir), before, 'the original images are byte-identical afterwards');
  await verifyImages(cp.imagesDir);
});

test('rewriting a 1 GiB checkpoint writes only the changed metadata and links the pages', { skip }, async () => {
  const dir = scratchDir();
  const ready = join(dir, 'ready');
  const child = spawn(fixture('memhog'), ['1024', ready], { stdio: 'ignore' });
  const pid = child.pid as number;
  cleanup.push(pid);
  while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 20));
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), leaveRunning: true, digest: false });
  killAll([pid]);
  const pages = readdirSync(cp.imagesDir).filter((n) => /^pages-\d+\.img$/.test(n));
  const pageBytes = pages.reduce((sum, n) => sum + statSync(join(cp.imagesDir, n)).size, 0);
  assert.ok(pageBytes >= 1 << 30, `the checkpoint holds >= 1 GiB of pages (${pageBytes})`);
  const nullEntry = cp.fds.find((e) => e.pid === pid && e.fd === 0);
  assert.equal(nullEntry?.path, '/dev/null');
  const before = digests(cp.imagesDir);

  const result = await rewriteImages(cp.imagesDir, async (images) => {
    assert.equal(await relaxFiles(images, [{ name: '/dev/null', mode: 0o20600 }]), 3, 'stdin, stdout, stderr');
  });
  assert.deepEqual(result.written, ['files.img']);
  let newBytes = 0;
  for (const name of readdirSync(result.dir)) {
    const copy = lstatSync(join(result.dir, name));
    const source = statSync(join(cp.imagesDir, name));
    const linked = copy.isSymbolicLink() || copy.ino === source.ino;
    if (name === 'files.img' || name === 'node-criu.json') assert.ok(!linked, `${name} is a new file`);
    else assert.ok(linked, `${name} is linked, not copied`);
    if (!linked) newBytes += copy.size;
  }
  assert.ok(newBytes < 64 * 1024, `only ${newBytes} bytes of metadata were written`);
  assert.deepEqual(digests(cp.imagesDir), before, 'the original is untouched');
});

test('a SysV segment renumbered in a rewritten copy is recreated and attached under its new id', { skip }, async () => {
  const dir = scratchDir();
  const child = spawn(fixture('images-sysv'), [dir], { stdio: 'ignore' });
  const pid = child.pid as number;
  cleanup.push(pid);
  while (!existsSync(join(dir, 'ready'))) await new Promise((r) => setTimeout(r, 20));
  const sysvInode = (p: number) =>
    readFileSync(`/proc/${p}/maps`, 'utf8')
      .split('\n')
      .filter((l) => l.includes('/SYSV'))
      .map((l) => Number(l.trim().split(/\s+/)[4]));
  const [from] = sysvInode(pid);
  assert.ok(from !== undefined, 'the fixture has a segment attached');
  const to = from + 7;
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images') });
  await waitGone(pid);
  const before = digests(cp.imagesDir);

  const result = await rewriteImages(cp.imagesDir, (images) => renumberShm(images, from, to));
  assert.ok(existsSync(join(result.dir, `pagemap-shmem-${to}.img`)));
  assert.ok(!existsSync(join(result.dir, `pagemap-shmem-${from}.img`)));
  assert.ok(result.written.some((n) => n.startsWith('ipcns-shm-')) && result.written.some((n) => n.startsWith('mm-')));
  await assert.rejects(
    rewriteImages(cp.imagesDir, (images) => renumberShm(images, 4242, 4243)),
    /No SysV segment 4242/,
  );

  const restored = await restore(result.dir);
  cleanup.push(restored.pid);
  assert.deepEqual(sysvInode(restored.pid), [to], 'attached to the segment under its new id');
  restored.kill('SIGKILL');
  await restored.exited;
  assert.deepEqual(digests(cp.imagesDir), before, 'the original is untouched');
});
