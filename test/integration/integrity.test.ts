// Tamper detection: a checkpoint whose images were altered, cut or mixed cannot be restored by default.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Checkpoint, checkpoint, isCriuError, restore, spawn, verifyImages } from '../../src/index.js';
import { newHasher } from '../../src/integrity/hasher.js';
import { MANIFEST_NAME } from '../../src/integrity/manifest.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { criuChildren } from '../helpers/criu-children.js';
import { checkpointedCounter, fixture, killAll, readCount, scratchDir, waitForCount } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));
let original: Checkpoint;
let stateFile: string;

before(async () => {
  if (skip) return;
  const made = await checkpointedCounter();
  cleanup.push(made.victim.pid);
  stateFile = made.victim.stateFile;
  original = made.checkpoint;
});

/** A copy of the checkpoint to damage (the original stays intact for the other cases). */
function copy(): string {
  const dir = join(scratchDir(), 'images');
  cpSync(original.imagesDir, dir, { recursive: true });
  return dir;
}

async function refused(dir: string, file: string, why: RegExp): Promise<void> {
  await assert.rejects(restore(dir), (e) => {
    assert.ok(isCriuError(e, 'IMAGE_INTEGRITY'), String(e));
    assert.equal(e.file, join(dir, file));
    assert.match(e.message, why);
    return true;
  });
  // A CRIU started while the checkpoint was being verified never got a request: gone with the refusal.
  assert.deepEqual(criuChildren(), []);
}

test('the manifest lists every image with its BLAKE3 digest; verify accepts the untouched checkpoint', {
  skip,
}, async () => {
  const manifest = JSON.parse(readFileSync(join(original.imagesDir, MANIFEST_NAME), 'utf8'));
  const images = readdirSync(original.imagesDir).filter((n) => n !== MANIFEST_NAME && n !== 'dump.log');
  assert.deepEqual(Object.keys(manifest.files).sort(), images.sort());
  assert.equal(manifest.pid, original.pid);
  // What was hashed while CRIU wrote (pages files, then every image from post-dump on) is each file's digest.
  // Each also keeps the file's stamp (device, inode, change time) from when it was hashed.
  for (const name of images) {
    const hasher = newHasher('blake3');
    hasher.update(readFileSync(join(original.imagesDir, name)));
    const st = statSync(join(original.imagesDir, name), { bigint: true });
    const stamp = { dev: String(st.dev), ino: String(st.ino), ctimeNs: String(st.ctimeNs) };
    assert.deepEqual(manifest.files[name], {
      size: Number(st.size),
      blake3: hasher.digest(),
      stamp,
    });
  }
  const result = await verifyImages(original.imagesDir);
  assert.equal(result.digestsChecked, images.length);
});

test('a manifest made with SHA-256 digests (before BLAKE3, or where it cannot load) is verified with SHA-256', {
  skip,
}, async () => {
  const dir = copy();
  const manifestPath = join(dir, MANIFEST_NAME);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const [name, entry] of Object.entries(manifest.files) as [string, { size: number }][]) {
    manifest.files[name] = {
      size: entry.size,
      sha256: createHash('sha256')
        .update(readFileSync(join(dir, name)))
        .digest('hex'),
    };
  }
  writeFileSync(manifestPath, JSON.stringify(manifest));
  assert.equal((await verifyImages(dir)).digestsChecked, Object.keys(manifest.files).length);
  const pages = readdirSync(dir).find((n) => /^pages-\d+\.img$/.test(n)) as string;
  const fd = openSync(join(dir, pages), 'r+');
  writeSync(fd, Buffer.from([(readFileSync(join(dir, pages))[0] ?? 0) ^ 0xff]), 0, 1, 0);
  closeSync(fd);
  await refused(dir, pages, /does not match its SHA-256 digest/);
});

test('one flipped byte in the pages is refused, naming the file', { skip }, async () => {
  const dir = copy();
  const pages = readdirSync(dir).find((n) => /^pages-\d+\.img$/.test(n)) as string;
  const fd = openSync(join(dir, pages), 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 100);
  writeSync(fd, Buffer.from([(byte[0] ?? 0) ^ 0x01]), 0, 1, 100);
  closeSync(fd);
  await refused(dir, pages, /does not match its BLAKE3 digest/);
});

test('a restore takes page data still unchanged since it was hashed as verified; a write, even of the same byte, makes it hashed again', {
  skip,
}, async () => {
  const made = await checkpointedCounter();
  cleanup.push(made.victim.pid);
  const dir = made.checkpoint.imagesDir;
  const pages = readdirSync(dir).filter((n) => /^pages-\d+\.img$/.test(n));
  const pageBytes = pages.reduce((n, name) => n + statSync(join(dir, name)).size, 0);
  const all = await verifyImages(dir);
  assert.equal(all.filesUnchanged, 0, 'without trustUnchanged everything is hashed');
  const trusted = await verifyImages(dir, { trustUnchanged: true });
  assert.equal(trusted.filesUnchanged, all.digestsChecked, 'every image as it was written');
  assert.equal(trusted.bytesHashed, 0);
  assert.ok(pageBytes > 0);
  // The same byte written back: the content is as it was, but the file is no longer provably so.
  const name = pages[0] as string;
  const fd = openSync(join(dir, name), 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 100);
  writeSync(fd, byte, 0, 1, 100);
  closeSync(fd);
  const rehashed = await verifyImages(dir, { trustUnchanged: true });
  assert.equal(rehashed.filesUnchanged, trusted.filesUnchanged - 1);
  assert.equal(rehashed.bytesHashed, statSync(join(dir, name)).size);
  // And a byte changed in place, right after, is refused by the restore.
  const fd2 = openSync(join(dir, name), 'r+');
  writeSync(fd2, Buffer.from([(byte[0] ?? 0) ^ 0x01]), 0, 1, 100);
  closeSync(fd2);
  await refused(dir, name, /does not match its BLAKE3 digest/);
});

test('a deleted image is refused', { skip }, async () => {
  const dir = copy();
  rmSync(join(dir, 'files.img'));
  await refused(dir, 'files.img', /is missing/);
});

test('a truncated image is refused', { skip }, async () => {
  const dir = copy();
  const mm = readdirSync(dir).find((n) => n.startsWith('mm-')) as string;
  truncateSync(join(dir, mm), 10);
  await refused(dir, mm, /has 10 bytes/);
});

test('an image the checkpoint did not have is refused', { skip }, async () => {
  const dir = copy();
  writeFileSync(join(dir, 'core-999.img'), 'x');
  await refused(dir, 'core-999.img', /not part of the checkpoint/);
});

test('a manifest naming a file outside the images dir is refused', { skip }, async () => {
  const dir = copy();
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8'));
  manifest.files['../../etc/passwd'] = { size: 1 };
  writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify(manifest));
  await assert.rejects(
    restore(dir),
    (e) => isCriuError(e, 'IMAGE_INTEGRITY') && /would leave the images dir/.test(e.message),
  );
});

test('without a manifest restore refuses unless verify: false', { skip }, async () => {
  const dir = copy();
  rmSync(join(dir, MANIFEST_NAME));
  await assert.rejects(restore(dir), (e) => isCriuError(e, 'IMAGE_INTEGRITY') && /verify: false/.test(e.message));
  killAll([original.pid]);
  const restored = await restore(dir, { verify: false });
  cleanup.push(restored.pid);
  await waitForCount(stateFile, readCount(stateFile) + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('node-criu verify -D: exit 0 on a good checkpoint, 1 with the file named on a bad one', { skip }, async () => {
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const run = promisify(execFile);
  const good = await run(process.execPath, [cli, 'verify', '-D', original.imagesDir]);
  assert.match(good.stdout, /OK, \d+ files, \d+ digests matched/);
  const dir = copy();
  rmSync(join(dir, 'pstree.img'));
  await assert.rejects(run(process.execPath, [cli, 'verify', '-D', dir]), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /IMAGE_INTEGRITY.*pstree.img is missing/);
    return true;
  });
});

test('a large pages file, hashed while CRIU wrote it and verified while CRIU restores, with one byte flipped deep inside is refused', {
  skip,
}, async () => {
  const dir = scratchDir();
  const ready = join(dir, 'ready');
  // Large enough for a dump that the follower hashes as CRIU writes it, and for a deferred verdict.
  const hog = spawn(fixture('memhog'), ['192', ready], { stdio: 'ignore' });
  cleanup.push(hog.pid as number);
  while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 10));
  const cp = await checkpoint(hog.pid as number, { imagesDir: join(dir, 'images') });
  const pages = readdirSync(cp.imagesDir)
    .filter((n) => /^pages-\d+\.img$/.test(n))
    .map((n) => ({ n, size: statSync(join(cp.imagesDir, n)).size }))
    .sort((a, b) => b.size - a.size)[0];
  assert.ok(pages && pages.size > 16 << 20, `a pages file over 16 MiB (${pages?.size})`);
  // The digest recorded while CRIU was writing is the file's.
  assert.ok((await verifyImages(cp.imagesDir)).bytesHashed >= pages.size);
  const fd = openSync(join(cp.imagesDir, pages.n), 'r+');
  const at = pages.size - 12345;
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, at);
  byte[0] = (byte[0] ?? 0) ^ 0x01;
  writeSync(fd, byte, 0, 1, at);
  closeSync(fd);
  await assert.rejects(verifyImages(cp.imagesDir), (e) => isCriuError(e, 'IMAGE_INTEGRITY'));
  // Refused after CRIU restored the tree stopped (page data is verified meanwhile): nothing of it runs on.
  await refused(cp.imagesDir, pages.n, /does not match its BLAKE3 digest/);
  assert.equal(existsSync(`/proc/${hog.pid}`), false, 'the stopped tree was ended');
});
