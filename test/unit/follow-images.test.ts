// The images follower (integrity/follow-images.ts) against a writer that behaves as CRIU does: page
// data appended while it is followed, other images written meanwhile, stats-dump after post-dump.
// This process plays CRIU.
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestFile } from '../../src/integrity/digest.js';
import { pathStamp } from '../../src/integrity/file-stamp.js';
import { followImages, type ImagesFollower } from '../../src/integrity/follow-images.js';
import { loadNative } from '../../src/native.js';

// As in every real checkpoint (CRIU's socket is the addon's), so final images are read whole by it.
loadNative();

/** A dir on tmpfs where there is one, as checkpoints usually are. */
function scratchDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'node-criu-follow-'));
}

function pattern(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size + 3);
  for (let i = 0; i < size; i += 4) data.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return data.subarray(0, size);
}

/** Runs `play` as CRIU, the follower told that memory is being dumped; removes everything after. */
async function asCriu(play: (dir: string, follower: ImagesFollower) => Promise<void>): Promise<void> {
  const dir = scratchDir();
  const follower = followImages(dir);
  try {
    follower.memoryDumpStarts();
    await play(dir, follower);
  } finally {
    await follower.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every file of `dir` as the follower returned it must be what a fresh hash of the file says. */
async function assertAllMatch(dir: string, digests: Map<string, { size: number; blake3?: string }>) {
  const names = readdirSync(dir).sort();
  assert.deepEqual([...digests.keys()].sort(), names);
  for (const name of names) {
    const fresh = await digestFile(join(dir, name), 'blake3');
    assert.equal(digests.get(name)?.size, fresh.size, `${name}: size`);
    assert.equal(digests.get(name)?.blake3, fresh.blake3, `${name}: digest`);
  }
}

test('page data followed while it grows, images closed meanwhile and stats-dump: every digest is the file as it ends', () =>
  asCriu(async (dir, follower) => {
    // 24 MiB of pages in 1 MiB writes, as CRIU appends them, with images written and closed between.
    const pages = openSync(join(dir, 'pages-1.img'), 'w');
    for (let mib = 0; mib < 24; mib++) {
      writeSync(pages, pattern(1 << 20, mib));
      if (mib % 6 === 0) writeFileSync(join(dir, `mm-${mib}.img`), pattern(4096 + mib, 1000 + mib));
      await sleep(2);
    }
    closeSync(pages);
    follower.imagesWritten();
    writeFileSync(join(dir, 'stats-dump'), pattern(64, 7));
    await assertAllMatch(dir, await follower.finish());
  }));

test('an image other than page data is hashed only once CRIU has written them all: what is appended until then counts', () =>
  asCriu(async (dir, follower) => {
    const core = openSync(join(dir, 'core-1.img'), 'w');
    writeSync(core, pattern(1000, 1));
    // Several of the follower's looks (every 5-20 ms) while the file is open and not growing.
    await sleep(80);
    writeSync(core, pattern(3000, 2));
    closeSync(core);
    await sleep(40);
    follower.imagesWritten();
    const digests = await follower.finish();
    assert.equal(digests.get('core-1.img')?.size, 4000);
    await assertAllMatch(dir, digests);
  }));

test("small images are read whole, many per call; one larger than the read buffer is followed: every digest and stamp is the file's", () =>
  asCriu(async (dir, follower) => {
    writeFileSync(join(dir, 'pages-1.img'), pattern(3 << 20, 1));
    // 120 images of 3-9 KiB (~700 KiB: more than one 256 KiB read buffer) and one of 400 KiB.
    for (let i = 0; i < 120; i++) writeFileSync(join(dir, `core-${i}.img`), pattern(3000 + 53 * i, i));
    writeFileSync(join(dir, 'mm-1.img'), pattern(400 << 10, 9));
    follower.imagesWritten();
    writeFileSync(join(dir, 'stats-dump'), pattern(64, 7));
    const digests = await follower.finish();
    await assertAllMatch(dir, digests);
    for (const [name, digest] of digests) assert.deepEqual(digest.stamp, pathStamp(join(dir, name)), `${name}: stamp`);
  }));
