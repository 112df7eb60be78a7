// Checkpoint archives: a checkpoint exported to one file, imported elsewhere and restored, with
// every altered or crafted archive refused before anything is left in the target's place.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import {
  type Checkpoint,
  checkpoint,
  exportCheckpoint,
  importCheckpoint,
  isCriuError,
  MANIFEST_NAME,
  restore,
  verifyImages,
} from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { readEntries, type TarEntry, writeEntries } from '../helpers/tar-entries.js';
import { checkpointedCounter, killAll, readCount, scratchDir, startCounter, waitForCount } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

let original: Checkpoint;
let stateFile: string;
let archive: string;

before(async () => {
  if (skip) return;
  const made = await checkpointedCounter();
  cleanup.push(made.victim.pid);
  stateFile = made.victim.stateFile;
  original = made.checkpoint;
  archive = join(dirname(original.imagesDir), 'counter.tar');
  await exportCheckpoint(original.imagesDir, archive);
});

/** The names of `dir` and of the dirs beside it (a temp dir left by an import would be there). */
function besides(dir: string): string[] {
  return existsSync(dirname(dir)) ? readdirSync(dirname(dir)).sort() : [];
}

/** `mutate`d copy of the archive's entries, written to a new file. */
async function altered(mutate: (entries: TarEntry[]) => TarEntry[]): Promise<string> {
  const file = join(scratchDir(), 'altered.tar');
  writeEntries(file, mutate(await readEntries(archive)));
  return file;
}

/** Import of `file` refused with `code` and a message matching `why`, nothing left behind. */
async function refused(file: string, code: 'IMAGE_INTEGRITY' | 'INVALID_IMAGES', why: RegExp): Promise<void> {
  const target = join(scratchDir(), 'imported');
  const before = besides(target);
  await assert.rejects(importCheckpoint(file, target), (e) => {
    assert.ok(isCriuError(e, code), String(e));
    assert.equal(e.operation, 'import');
    assert.match(e.message, why);
    return true;
  });
  assert.equal(existsSync(target), false, 'no target');
  assert.deepEqual(besides(target), before, 'no temp dir left beside it');
}

test('an exported checkpoint imports into a new dir and restores from there, running on', { skip }, async () => {
  const entries = await readEntries(archive);
  const paths = entries.map((e) => e.path);
  assert.equal(paths[0], 'checkpoint/', "checkpointctl's checkpoint/ dir entry comes first");
  assert.equal(paths[1], `checkpoint/${MANIFEST_NAME}`, 'then the manifest import checks the rest against');
  for (const root of ['config.dump', 'spec.dump', 'stats-dump']) assert.ok(paths.includes(root), root);
  assert.ok(paths.includes('checkpoint/pstree.img'));
  assert.ok(!paths.includes('checkpoint/dump.log'), 'not an image: left out');

  const target = join(scratchDir(), 'deep', 'imported');
  const imported = await importCheckpoint(archive, target);
  assert.equal(imported.imagesDir, target);
  assert.equal(imported.checkpoints, 1);
  assert.ok(imported.digestsChecked > 0);
  assert.equal(statSync(target).mode & 0o777, 0o700, 'the target is created 0700');
  assert.deepEqual(
    readFileSync(join(target, MANIFEST_NAME)),
    readFileSync(join(original.imagesDir, MANIFEST_NAME)),
    'the manifest byte for byte',
  );
  await verifyImages(target);
  assert.deepEqual(
    besides(target).filter((n) => n !== 'imported'),
    [],
    'nothing but the target in its parent dir',
  );

  killAll([original.pid]);
  const restored = await restore(target);
  cleanup.push(restored.pid);
  assert.equal(restored.pid, original.pid);
  await waitForCount(stateFile, readCount(stateFile) + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('an empty dir is a valid target; one with files in it is refused', { skip }, async () => {
  const empty = join(scratchDir(), 'empty');
  mkdirSync(empty, { mode: 0o755 });
  await importCheckpoint(archive, empty);
  assert.equal(statSync(empty).mode & 0o777, 0o700);
  await assert.rejects(
    importCheckpoint(archive, empty),
    (e) => isCriuError(e, 'INVALID_IMAGES') && /not an empty dir/.test(e.message),
  );
});

test('a flipped byte in a pages entry is refused by the manifest digest', { skip }, async () => {
  const file = await altered((entries) =>
    entries.map((e) => {
      if (!/^checkpoint\/pages-\d+\.img$/.test(e.path)) return e;
      const data = Buffer.from(e.data);
      data.writeUInt8(data.readUInt8(data.length >> 1) ^ 0xff, data.length >> 1);
      return { ...e, data };
    }),
  );
  await refused(file, 'IMAGE_INTEGRITY', /its entry 'checkpoint\/pages-\d+\.img' does not match its BLAKE3 digest/);
});

test('entries escaping the target, links, duplicates, device nodes and wrong sizes are refused', { skip }, async () => {
  const extra = (e: TarEntry) => (entries: TarEntry[]) => [...entries.slice(0, 2), e, ...entries.slice(2)];
  const data = Buffer.from('x');
  const cases: [string, (entries: TarEntry[]) => TarEntry[], RegExp][] = [
    ['../x', extra({ path: '../x', type: 'File', data }), /would leave the target dir/],
    ['checkpoint/../../x', extra({ path: 'checkpoint/../../x', type: 'File', data }), /would leave the target dir/],
    ['/etc/x', extra({ path: '/etc/x', type: 'File', data }), /absolute path/],
    [
      'a symlink image',
      extra({ path: 'checkpoint/evil.img', type: 'SymbolicLink', linkpath: '/etc/passwd', data: Buffer.alloc(0) }),
      /is a symlink/,
    ],
    [
      'a parent link the manifest lacks',
      extra({ path: 'checkpoint/parent', type: 'SymbolicLink', linkpath: '/tmp', data: Buffer.alloc(0) }),
      /does not record/,
    ],
    ['a device node', extra({ path: 'checkpoint/tty', type: 'CharacterDevice', data: Buffer.alloc(0) }), /device node/],
    [
      'a duplicate',
      (entries) => [...entries, entries.find((e) => e.path === 'checkpoint/pstree.img') as TarEntry],
      /appears twice/,
    ],
    [
      'a file the manifest lacks',
      extra({ path: 'checkpoint/extra.img', type: 'File', data }),
      /not part of the checkpoint/,
    ],
    [
      'a size beyond the manifest',
      (entries) =>
        entries.map((e) =>
          e.path === 'checkpoint/pstree.img' ? { ...e, data: Buffer.concat([e.data, Buffer.alloc(4096)]) } : e,
        ),
      /holds \d+ bytes where its manifest says/,
    ],
  ];
  for (const [name, mutate, why] of cases) {
    await test(name, async () => refused(await altered(mutate), 'IMAGE_INTEGRITY', why));
  }
});

test('a missing image or manifest is refused', { skip }, async () => {
  const file = await altered((entries) => entries.filter((e) => e.path !== 'checkpoint/pstree.img'));
  await refused(file, 'IMAGE_INTEGRITY', /'checkpoint\/pstree.img' is missing/);
  const noManifest = await altered((entries) => entries.filter((e) => !e.path.endsWith(MANIFEST_NAME)));
  await refused(noManifest, 'INVALID_IMAGES', /comes before its checkpoint's node-criu.json/);
  const notTar = join(scratchDir(), 'not.tar');
  writeFileSync(notTar, Buffer.alloc(4096, 7));
  await refused(notTar, 'INVALID_IMAGES', /not a readable tar archive/);
});

test('an altered checkpoint is never exported', { skip }, async () => {
  const dir = join(scratchDir(), 'images');
  const target = await importCheckpoint(archive, dir);
  const pstree = join(target.imagesDir, 'pstree.img');
  const bytes = readFileSync(pstree);
  bytes.writeUInt8(bytes.readUInt8(0) ^ 1, 0);
  writeFileSync(pstree, bytes);
  const out = join(scratchDir(), 'bad.tar');
  await assert.rejects(exportCheckpoint(dir, out), (e) => isCriuError(e, 'IMAGE_INTEGRITY'));
  assert.deepEqual(readdirSync(dirname(out)), [], 'no archive, no temp file');
});

const zstd = typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';

test(`zstd: ${zstd ? 'a .tar.zst round trip' : `UNSUPPORTED on Node ${process.version}`}`, { skip }, async () => {
  const file = join(scratchDir(), 'counter.tar.zst');
  if (!zstd) {
    await assert.rejects(
      exportCheckpoint(original.imagesDir, file),
      (e) => isCriuError(e, 'UNSUPPORTED') && /Node\.js >= 22\.15/.test(e.message),
    );
    assert.equal(existsSync(file), false);
    // A zstd frame is recognized by its magic whatever the name: the import says the same.
    const frame = join(scratchDir(), 'counter.tar');
    writeFileSync(frame, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    await assert.rejects(
      importCheckpoint(frame, join(scratchDir(), 'imported')),
      (e) => isCriuError(e, 'UNSUPPORTED') && /Node\.js >= 22\.15/.test(e.message),
    );
    return;
  }
  const result = await exportCheckpoint(original.imagesDir, file);
  assert.equal(result.compression, 'zstd');
  assert.ok(result.bytes < statSync(archive).size, 'smaller than the plain archive');
  assert.deepEqual([...readFileSync(file).subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const imported = await importCheckpoint(file, join(scratchDir(), 'imported'));
  assert.deepEqual(
    readFileSync(join(imported.imagesDir, MANIFEST_NAME)),
    readFileSync(join(original.imagesDir, MANIFEST_NAME)),
  );
  // A damaged frame is refused like any unreadable archive.
  const damaged = join(scratchDir(), 'damaged.tar.zst');
  const bytes = readFileSync(file);
  writeFileSync(damaged, bytes.subarray(0, bytes.length >> 1));
  await refused(damaged, 'INVALID_IMAGES', /not a readable tar archive|cannot be read/);
});

test('an incremental series is exported whole and imported relinked, restoring its newest', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'));
  cleanup.push(victim.pid);
  const dirs = ['1', '2', '3'].map((n) => join(dir, n));
  await checkpoint(victim.pid, { imagesDir: dirs[0], leaveRunning: true });
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 3);
  await checkpoint(victim.pid, { imagesDir: dirs[1], parent: dirs[0], leaveRunning: true });
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 3);
  const newest = await checkpoint(victim.pid, { imagesDir: dirs[2], parent: dirs[1] });
  assert.ok(newest.parent, 'an incremental checkpoint');

  const file = join(dir, 'series.tar');
  const exported = await exportCheckpoint(newest.imagesDir, file);
  assert.equal(exported.checkpoints, 3);
  const paths = (await readEntries(file)).map((e) => e.path);
  assert.ok(paths.includes('checkpoint/parents/1/pstree.img') && paths.includes('checkpoint/parents/2/pstree.img'));

  const target = join(scratchDir(), 'imported');
  const imported = await importCheckpoint(file, target);
  assert.equal(imported.checkpoints, 3);
  assert.equal(readlinkSync(join(target, 'parent')), 'parents/1');
  assert.equal(readlinkSync(join(target, 'parents/1/parent')), '../2');
  assert.equal(imported.manifest.parent?.link, 'parents/1', 'the manifest records the link as it now is');
  await verifyImages(target);
  // The source series is untouched.
  await verifyImages(newest.imagesDir);

  const restored = await restore(target);
  cleanup.push(restored.pid);
  assert.equal(restored.pid, victim.pid);
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 10);
  restored.kill('SIGKILL');
  await restored.exited;

  // A parent missing from the archive: refused, nothing left.
  const cut = join(dir, 'cut.tar');
  writeEntries(
    cut,
    (await readEntries(file)).filter((e) => !e.path.startsWith('checkpoint/parents/2/')),
  );
  await refused(cut, 'IMAGE_INTEGRITY', /'checkpoint\/parents\/2\/node-criu.json' is missing/);
});
