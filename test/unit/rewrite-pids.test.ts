// renumberPids on a synthetic checkpoint: every pid reference follows, unsafe changes are refused.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isCriuError } from '../../src/errors.js';
import { PstreeEntrySchema } from '../../src/gen/criu_images_pb.js';
import { TtyInfoEntrySchema } from '../../src/gen/criu_images_tty_pb.js';
import { readImage, writeImage } from '../../src/images/codec.js';
import { renumberPids } from '../../src/rewrite/pid-edits.js';
import { rewriteImages } from '../../src/rewrite/rewrite.js';
import { writeSyntheticCheckpoint } from '../helpers/inspect-synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'node-criu-pids-unit-'));
const copies: string[] = [];
after(() => {
  for (const d of [dir, ...copies]) rmSync(d, { recursive: true, force: true });
});

// The synthetic tree (100 with two threads, its child 102, zombie 103), with the terminal's
// session and process group set to 102 so that a tty reference has to follow too.
writeSyntheticCheckpoint(dir);
const tty = await readImage(join(dir, 'tty-info.img'));
const info = tty.entries[0]?.as(TtyInfoEntrySchema);
assert.ok(info);
info.sid = 102;
info.pgrp = 102;
await writeImage(join(dir, 'tty-info.img'), tty);

test('renumberPids: pstree, per-task image names and tty references follow; the original is untouched', async () => {
  const before = readdirSync(dir).sort();
  const copy = await rewriteImages(dir, (images) => renumberPids(images, new Map([[102, 202]])));
  copies.push(copy.dir);
  const tasks = (await readImage(join(copy.dir, 'pstree.img'))).entries.map((e) => e.as(PstreeEntrySchema));
  assert.deepEqual(
    tasks.map((t) => [t.pid, t.ppid, t.pgid, t.sid, [...t.threads]]),
    [
      [100, 0, 100, 100, [100, 101]],
      [202, 100, 100, 100, [202]],
      [103, 100, 100, 100, [0]],
    ],
  );
  assert.ok(existsSync(join(copy.dir, 'core-202.img')) && existsSync(join(copy.dir, 'ids-202.img')));
  assert.ok(!existsSync(join(copy.dir, 'core-102.img')) && !existsSync(join(copy.dir, 'ids-102.img')));
  const copiedTty = (await readImage(join(copy.dir, 'tty-info.img'))).entries[0]?.as(TtyInfoEntrySchema);
  assert.deepEqual([copiedTty?.sid, copiedTty?.pgrp], [202, 202]);
  assert.deepEqual(readdirSync(dir).sort(), before, 'the original dir keeps its names');
  const original = (await readImage(join(dir, 'pstree.img'))).entries.map((e) => e.as(PstreeEntrySchema).pid);
  assert.deepEqual(original, [100, 102, 103]);
});

test('renumberPids refuses what would not be safe or cannot be', async () => {
  const attempt = (map: [number, number][]) => rewriteImages(dir, (images) => renumberPids(images, new Map(map)));
  await assert.rejects(
    attempt([[100, 300]]),
    (e) => isCriuError(e, 'UNSUPPORTED') && e.pid === 100 && /2 threads/.test(e.message),
  );
  await assert.rejects(attempt([[104, 300]]), (e) => e instanceof RangeError && /not a task/.test(e.message));
  await assert.rejects(attempt([[102, 103]]), (e) => e instanceof RangeError && /already a pid/.test(e.message));
  await assert.rejects(attempt([[102, 101]]), (e) => e instanceof RangeError && /thread id/.test(e.message));
  await assert.rejects(attempt([[102, 1]]), (e) => e instanceof RangeError && /not in 2\.\./.test(e.message));
  await assert.rejects(
    attempt([
      [102, 400],
      [103, 400],
    ]),
    (e) => e instanceof RangeError && /already/.test(e.message),
  );
  // Swapping two tasks' pids is allowed: each new pid is freed by the other change.
  const swapped = await rewriteImages(dir, (images) =>
    renumberPids(
      images,
      new Map([
        [102, 103],
        [103, 102],
      ]),
    ),
  );
  copies.push(swapped.dir);
  const pids = (await readImage(join(swapped.dir, 'pstree.img'))).entries.map((e) => e.as(PstreeEntrySchema).pid);
  assert.deepEqual(pids, [100, 103, 102]);
});
